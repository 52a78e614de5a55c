//go:build js && wasm

// Crypto summary (WebCrypto provider), every operation through
// crypto.subtle:
//
//   - AEAD: AES-256-GCM ("AES-GCM", 12-byte iv, tagLength 128), the key
//     imported once per AEAD as a non-extractable CryptoKey.
//   - MAC: HMAC-SHA256 ("HMAC", hash "SHA-256"), non-empty key, imported
//     once per MAC as a non-extractable CryptoKey.
//   - KDF: HKDF-SHA256 and PBKDF2-HMAC-SHA256 (importKey "raw" + deriveBits),
//     outputs of 1..prim.MaxDeriveLength bytes.
//   - Digest: SHA-256.
//   - Key wrapping: RSA-OAEP with SHA-256 and MGF1-SHA-256, 4096-bit
//     modulus, e = 65537 (rsa.go).
//   - Randomness: crypto.getRandomValues.
//
// Every decryption or authentication failure is prim.ErrDecrypt, nothing
// more.

package webcrypto

import (
	"context"
	"errors"
	"fmt"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
)

// New returns the WebCrypto provider. It fails if the JavaScript host has
// no crypto.subtle (a browser page that is not a secure context, or a
// runtime without WebCrypto). The provider is safe for concurrent use.
func New() (prim.Provider, error) {
	e, err := loadEnv()
	if err != nil {
		return nil, err
	}
	return &provider{env: e}, nil
}

type provider struct{ env *env }

var _ prim.Provider = (*provider)(nil)

func (*provider) Name() string { return "webcrypto" }

func (p *provider) Random(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	buf, err := p.env.uint8Array.New(min(len(b), randomChunk))
	if err != nil {
		return fmt.Errorf("webcrypto: new Uint8Array: %w", err)
	}
	defer wipe(buf)
	for len(b) > 0 {
		n := min(len(b), randomChunk)
		chunk := buf
		if n < randomChunk {
			if chunk, err = buf.Call("subarray", 0, n); err != nil {
				return fmt.Errorf("webcrypto: subarray: %w", err)
			}
		}
		if _, err := p.env.crypto.Call("getRandomValues", chunk); err != nil {
			return fmt.Errorf("webcrypto: getRandomValues: %s", errMessage(err))
		}
		if m, err := safejs.CopyBytesToGo(b[:n], chunk); err != nil || m != n {
			return errors.New("webcrypto: copying random bytes from JavaScript failed")
		}
		b = b[n:]
	}
	return nil
}

func (p *provider) SHA256(ctx context.Context, data []byte) ([32]byte, error) {
	var sum [32]byte
	in, err := p.env.bytes(data)
	if err != nil {
		return sum, err
	}
	defer wipe(in)
	res, err := p.env.call(ctx, "digest", p.env.sha256, in)
	if err != nil {
		return sum, err
	}
	out, err := p.env.goBytes(res, false)
	if err != nil {
		return sum, err
	}
	if len(out) != len(sum) {
		return sum, fmt.Errorf("webcrypto: digest returned %d bytes", len(out))
	}
	copy(sum[:], out)
	return sum, nil
}

// importSecret imports raw key bytes as a non-extractable CryptoKey and
// zeroes the JavaScript copy of the bytes.
func (e *env) importSecret(ctx context.Context, raw []byte, alg, usages safejs.Value) (safejs.Value, error) {
	k, err := e.bytes(raw)
	if err != nil {
		return safejs.Value{}, err
	}
	defer wipe(k)
	return e.call(ctx, "importKey", e.raw, k, alg, false, usages)
}

func (p *provider) NewAEAD(ctx context.Context, key []byte) (prim.AEAD, error) {
	if len(key) != prim.AESKeySize {
		return nil, fmt.Errorf("%w: AES key is %d bytes, want %d", prim.ErrInvalidKey, len(key), prim.AESKeySize)
	}
	k, err := p.env.importSecret(ctx, key, p.env.aesGCM, p.env.encryptDecrypt)
	if err != nil {
		return nil, err
	}
	return &aead{env: p.env, key: k}, nil
}

type aead struct {
	env *env
	key safejs.Value // non-extractable AES-GCM CryptoKey
}

// params is the AesGcmParams of one operation.
func (a *aead) params(nonce, additionalData []byte) (map[string]any, error) {
	iv, err := a.env.bytes(nonce)
	if err != nil {
		return nil, err
	}
	ad, err := a.env.bytes(additionalData)
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": a.env.aesGCM, "iv": iv, "additionalData": ad, "tagLength": 8 * prim.GCMTagSize}, nil
}

func (a *aead) Seal(ctx context.Context, nonce, plaintext, additionalData []byte) ([]byte, error) {
	if len(nonce) != prim.GCMNonceSize {
		return nil, fmt.Errorf("webcrypto: AES-GCM nonce is %d bytes, want %d", len(nonce), prim.GCMNonceSize)
	}
	params, err := a.params(nonce, additionalData)
	if err != nil {
		return nil, err
	}
	pt, err := a.env.bytes(plaintext)
	if err != nil {
		return nil, err
	}
	defer wipe(pt)
	res, err := a.env.call(ctx, "encrypt", params, a.key, pt)
	if err != nil {
		return nil, err
	}
	out, err := a.env.goBytes(res, false)
	if err != nil {
		return nil, err
	}
	if len(out) != len(plaintext)+prim.GCMTagSize {
		return nil, fmt.Errorf("webcrypto: AES-GCM returned %d bytes for %d", len(out), len(plaintext))
	}
	return out, nil
}

func (a *aead) Open(ctx context.Context, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != prim.GCMNonceSize || len(ciphertext) < prim.GCMTagSize {
		return nil, prim.ErrDecrypt
	}
	params, err := a.params(nonce, additionalData)
	if err != nil {
		return nil, prim.ErrDecrypt
	}
	ct, err := a.env.bytes(ciphertext)
	if err != nil {
		return nil, prim.ErrDecrypt
	}
	res, err := a.env.call(ctx, "decrypt", params, a.key, ct)
	if err != nil {
		return nil, decryptError(ctx)
	}
	out, err := a.env.goBytes(res, true)
	if err != nil || len(out) != len(ciphertext)-prim.GCMTagSize {
		return nil, prim.ErrDecrypt
	}
	return out, nil
}

// decryptError is what a failed decryption returns: the context's error if
// the caller gave up, else prim.ErrDecrypt whatever went wrong.
func decryptError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return prim.ErrDecrypt
}

func (p *provider) NewMAC(ctx context.Context, key []byte) (prim.MAC, error) {
	if len(key) == 0 {
		// WebCrypto refuses it (DataError); say so as every provider does.
		return nil, fmt.Errorf("%w: empty HMAC key", prim.ErrInvalidKey)
	}
	k, err := p.env.importSecret(ctx, key, p.env.hmacSHA256, p.env.sign)
	if err != nil {
		return nil, err
	}
	return &mac{env: p.env, key: k}, nil
}

type mac struct {
	env *env
	key safejs.Value // non-extractable HMAC CryptoKey
}

func (m *mac) Sum(ctx context.Context, msg []byte) ([]byte, error) {
	in, err := m.env.bytes(msg) // a blind index's message is a plaintext value
	if err != nil {
		return nil, err
	}
	defer wipe(in)
	res, err := m.env.call(ctx, "sign", m.env.hmac, m.key, in)
	if err != nil {
		return nil, err
	}
	out, err := m.env.goBytes(res, false)
	if err != nil {
		return nil, err
	}
	if len(out) != 32 {
		return nil, fmt.Errorf("webcrypto: HMAC returned %d bytes", len(out))
	}
	return out, nil
}

// HKDF runs WebCrypto's HKDF, which is RFC 5869 with the salt given as the
// HMAC key of the extract step. An empty salt is an empty HMAC key, which
// HMAC pads with zeros to the block size exactly as it pads HashLen zeros:
// so nil, empty and 32 zero bytes give the same output, as RFC 5869 says
// for a salt that is not provided.
func (p *provider) HKDF(ctx context.Context, secret, salt, info []byte, length int) ([]byte, error) {
	if length < 1 || length > prim.MaxDeriveLength {
		return nil, fmt.Errorf("webcrypto: HKDF length %d out of range 1..%d", length, prim.MaxDeriveLength)
	}
	k, err := p.env.importSecret(ctx, secret, p.env.hkdf, p.env.deriveBitsUsage)
	if err != nil {
		return nil, err
	}
	s, err := p.env.bytes(salt)
	if err != nil {
		return nil, err
	}
	i, err := p.env.bytes(info)
	if err != nil {
		return nil, err
	}
	params := map[string]any{"name": p.env.hkdf, "hash": p.env.sha256, "salt": s, "info": i}
	return p.env.deriveBits(ctx, params, k, length)
}

func (p *provider) PBKDF2(ctx context.Context, password, salt []byte, iterations, keyLen int) ([]byte, error) {
	if iterations < 1 || int64(iterations) > prim.MaxPBKDF2Iterations {
		return nil, fmt.Errorf("webcrypto: PBKDF2 iterations %d out of range 1..%d", iterations, int64(prim.MaxPBKDF2Iterations))
	}
	if keyLen < 1 || keyLen > prim.MaxDeriveLength {
		return nil, fmt.Errorf("webcrypto: PBKDF2 key length %d out of range 1..%d", keyLen, prim.MaxDeriveLength)
	}
	k, err := p.env.importSecret(ctx, password, p.env.pbkdf2, p.env.deriveBitsUsage)
	if err != nil {
		return nil, err
	}
	s, err := p.env.bytes(salt)
	if err != nil {
		return nil, err
	}
	params := map[string]any{"name": p.env.pbkdf2, "hash": p.env.sha256, "salt": s, "iterations": iterations}
	return p.env.deriveBits(ctx, params, k, keyLen)
}

func (e *env) deriveBits(ctx context.Context, params map[string]any, key safejs.Value, length int) ([]byte, error) {
	res, err := e.call(ctx, "deriveBits", params, key, 8*length)
	if err != nil {
		return nil, err
	}
	out, err := e.goBytes(res, true)
	if err != nil {
		return nil, err
	}
	if len(out) != length {
		return nil, fmt.Errorf("webcrypto: deriveBits returned %d bytes, want %d", len(out), length)
	}
	return out, nil
}
