//go:build js && wasm

// RSA-OAEP with SHA-256 and MGF1-SHA-256 over 4096-bit keys with e = 65537,
// as WebCrypto's "RSA-OAEP" with hash "SHA-256". Private keys are
// CryptoKeys, non-extractable unless asked otherwise; public keys are
// CryptoKeys with their canonical SubjectPublicKeyInfo DER kept in Go.

package webcrypto

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
)

// pairCheckLabel is the OAEP label of the round trip PrivateKeyFromCryptoKey
// makes to check that a private and a public CryptoKey belong together.
const pairCheckLabel = "zkvault/v2/webcrypto/pair-check"

// publicExponent65537 is e = 65537 as WebCrypto's BigInteger (big-endian).
var publicExponent65537 = []byte{0x01, 0x00, 0x01}

func (p *provider) GenerateRSA(ctx context.Context, extractable bool) (prim.PrivateKey, error) {
	e, err := p.env.bytes(publicExponent65537)
	if err != nil {
		return nil, err
	}
	params := map[string]any{
		"name":           p.env.rsaOAEP,
		"modulusLength":  prim.RSABits,
		"publicExponent": e,
		"hash":           p.env.sha256,
	}
	pair, err := p.env.call(ctx, "generateKey", params, extractable, p.env.encryptDecrypt)
	if err != nil {
		return nil, err
	}
	priv, err := pair.Get("privateKey")
	if err != nil {
		return nil, fmt.Errorf("webcrypto: generateKey: %w", err)
	}
	pub, err := pair.Get("publicKey")
	if err != nil {
		return nil, fmt.Errorf("webcrypto: generateKey: %w", err)
	}
	return p.env.newPrivateKey(ctx, priv, pub)
}

// newPrivateKey checks a pair of CryptoKeys and exports the public one's
// SPKI. It does not check that they belong together.
func (e *env) newPrivateKey(ctx context.Context, priv, pub safejs.Value) (*privateKey, error) {
	if err := checkCryptoKey(priv, "private", "decrypt"); err != nil {
		return nil, err
	}
	extractable, ok := boolean(priv, "extractable")
	if !ok {
		return nil, fmt.Errorf("%w: private CryptoKey has no extractable flag", prim.ErrInvalidKey)
	}
	pk, err := e.newPublicKey(ctx, pub)
	if err != nil {
		return nil, err
	}
	return &privateKey{env: e, key: priv, pub: pk, extractable: extractable}, nil
}

// newPublicKey checks a public CryptoKey and exports its SPKI.
func (e *env) newPublicKey(ctx context.Context, pub safejs.Value) (*publicKey, error) {
	if err := checkCryptoKey(pub, "public", "encrypt"); err != nil {
		return nil, err
	}
	res, err := e.call(ctx, "exportKey", e.spki, pub)
	if err != nil {
		return nil, err
	}
	spki, err := e.goBytes(res, false)
	if err != nil {
		return nil, err
	}
	// WebCrypto exports canonical DER; check, so that SPKI is the same
	// bytes every provider gives for this key.
	if err := prim.CheckRSAPublicKey(spki); err != nil {
		return nil, err
	}
	return &publicKey{env: e, key: pub, spki: spki}, nil
}

// checkCryptoKey checks that k is a CryptoKey of the given type ("public"
// or "private") for RSA-OAEP with SHA-256, a 4096-bit modulus and
// e = 65537, usable for usage.
func checkCryptoKey(k safejs.Value, typ, usage string) error {
	if k.Type() != safejs.TypeObject {
		return fmt.Errorf("%w: %s key is not a CryptoKey", prim.ErrInvalidKey, typ)
	}
	if t := str(k, "type"); t != typ {
		return fmt.Errorf("%w: CryptoKey type is %q, want %q", prim.ErrInvalidKey, t, typ)
	}
	alg, err := k.Get("algorithm")
	if err != nil || alg.Type() != safejs.TypeObject {
		return fmt.Errorf("%w: CryptoKey has no algorithm", prim.ErrInvalidKey)
	}
	if name := str(alg, "name"); name != "RSA-OAEP" {
		return fmt.Errorf("%w: CryptoKey algorithm is %q, want RSA-OAEP", prim.ErrInvalidKey, name)
	}
	if hash, err := alg.Get("hash"); err != nil || hash.Type() != safejs.TypeObject || str(hash, "name") != "SHA-256" {
		return fmt.Errorf("%w: CryptoKey hash is not SHA-256", prim.ErrInvalidKey)
	}
	bits := -1
	if v, err := alg.Get("modulusLength"); err == nil && v.Type() == safejs.TypeNumber {
		bits, _ = v.Int()
	}
	if bits != prim.RSABits {
		return fmt.Errorf("%w: RSA modulus is %d bits, want %d", prim.ErrInvalidKey, bits, prim.RSABits)
	}
	e, err := exponent(alg)
	if err != nil || e != prim.RSAPublicExp {
		return fmt.Errorf("%w: RSA public exponent is not %d", prim.ErrInvalidKey, prim.RSAPublicExp)
	}
	usages, err := k.Get("usages")
	if err != nil {
		return fmt.Errorf("%w: CryptoKey has no usages", prim.ErrInvalidKey)
	}
	if ok, err := usages.Call("includes", usage); err != nil || !truthy(ok) {
		return fmt.Errorf("%w: CryptoKey usages lack %q", prim.ErrInvalidKey, usage)
	}
	return nil
}

// exponent reads the algorithm's publicExponent, a big-endian Uint8Array.
func exponent(alg safejs.Value) (int, error) {
	v, err := alg.Get("publicExponent")
	if err != nil || v.Type() != safejs.TypeObject {
		return 0, errors.New("no publicExponent")
	}
	n, err := v.Length()
	if err != nil || n < 1 || n > 8 {
		return 0, errors.New("bad publicExponent")
	}
	b := make([]byte, n)
	if m, err := safejs.CopyBytesToGo(b, v); err != nil || m != n {
		return 0, errors.New("bad publicExponent")
	}
	e := 0
	for _, c := range b {
		if e > 1<<40 {
			return 0, errors.New("publicExponent too large")
		}
		e = e<<8 | int(c)
	}
	return e, nil
}

func truthy(v safejs.Value) bool {
	b, err := v.Truthy()
	return err == nil && b
}

// ImportRSAPublic checks spki in Go (the same rules as the native
// provider: WebCrypto alone accepts trailing bytes and non-canonical
// encodings), then imports it.
func (p *provider) ImportRSAPublic(ctx context.Context, spki []byte) (prim.PublicKey, error) {
	if err := prim.CheckRSAPublicKey(spki); err != nil {
		return nil, err
	}
	der, err := p.env.bytes(spki)
	if err != nil {
		return nil, err
	}
	k, err := p.env.call(ctx, "importKey", p.env.spki, der, p.env.rsaOAEPSHA256, true, p.env.encrypt)
	if err != nil {
		return nil, invalidKey(err)
	}
	if err := checkCryptoKey(k, "public", "encrypt"); err != nil {
		return nil, err
	}
	return &publicKey{env: p.env, key: k, spki: bytes.Clone(spki)}, nil
}

// ImportRSAPrivate validates pkcs8 in Go as the native provider does (one
// DER structure, two primes, a consistent RSA-4096 key with e = 65537:
// prim.RSAPrivateKeySPKI, which links no Go RSA) and takes the public key
// from it; then it imports the private key into WebCrypto with the
// extractable flag, and the public key. The Go copy of the parsed key is
// dropped on return.
func (p *provider) ImportRSAPrivate(ctx context.Context, pkcs8 []byte, extractable bool) (prim.PrivateKey, error) {
	spki, err := prim.RSAPrivateKeySPKI(pkcs8) // also validates the key
	if err != nil {
		return nil, err
	}
	der, err := p.env.bytes(pkcs8)
	if err != nil {
		return nil, err
	}
	defer wipe(der)
	priv, err := p.env.call(ctx, "importKey", p.env.pkcs8, der, p.env.rsaOAEPSHA256, extractable, p.env.decrypt)
	if err != nil {
		return nil, invalidKey(err)
	}
	if err := checkCryptoKey(priv, "private", "decrypt"); err != nil {
		return nil, err
	}
	spkiJS, err := p.env.bytes(spki)
	if err != nil {
		return nil, err
	}
	pubKey, err := p.env.call(ctx, "importKey", p.env.spki, spkiJS, p.env.rsaOAEPSHA256, true, p.env.encrypt)
	if err != nil {
		return nil, invalidKey(err)
	}
	if err := checkCryptoKey(pubKey, "public", "encrypt"); err != nil {
		return nil, err
	}
	return &privateKey{
		env:         p.env,
		key:         priv,
		pub:         &publicKey{env: p.env, key: pubKey, spki: spki},
		extractable: extractable,
	}, nil
}

// invalidKey turns a rejected importKey into an error wrapping
// prim.ErrInvalidKey, keeping a context error as it is.
func invalidKey(err error) error {
	var je *jsError
	if errors.As(err, &je) {
		return fmt.Errorf("%w: %w", prim.ErrInvalidKey, err)
	}
	return err
}

type publicKey struct {
	env  *env
	key  safejs.Value // public RSA-OAEP CryptoKey
	spki []byte       // its canonical SubjectPublicKeyInfo DER
}

func (k *publicKey) SPKI() []byte { return bytes.Clone(k.spki) }

func oaepParams(e *env, label []byte) (map[string]any, error) {
	l, err := e.bytes(label)
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": e.rsaOAEP, "label": l}, nil
}

func (k *publicKey) Encrypt(ctx context.Context, msg, label []byte) ([]byte, error) {
	if len(msg) > prim.RSAOAEPMaxMessage {
		return nil, fmt.Errorf("webcrypto: RSA-OAEP message is %d bytes, at most %d", len(msg), prim.RSAOAEPMaxMessage)
	}
	params, err := oaepParams(k.env, label)
	if err != nil {
		return nil, err
	}
	m, err := k.env.bytes(msg)
	if err != nil {
		return nil, err
	}
	defer wipe(m)
	res, err := k.env.call(ctx, "encrypt", params, k.key, m)
	if err != nil {
		return nil, err
	}
	out, err := k.env.goBytes(res, false)
	if err != nil {
		return nil, err
	}
	if len(out) != prim.RSACiphertextSize {
		return nil, fmt.Errorf("webcrypto: RSA-OAEP returned %d bytes", len(out))
	}
	return out, nil
}

type privateKey struct {
	env         *env
	key         safejs.Value // private RSA-OAEP CryptoKey
	pub         *publicKey
	extractable bool
}

func (k *privateKey) Public() prim.PublicKey { return k.pub }

func (k *privateKey) Decrypt(ctx context.Context, ciphertext, label []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ciphertext) != prim.RSACiphertextSize {
		return nil, prim.ErrDecrypt
	}
	params, err := oaepParams(k.env, label)
	if err != nil {
		return nil, prim.ErrDecrypt
	}
	ct, err := k.env.bytes(ciphertext)
	if err != nil {
		return nil, prim.ErrDecrypt
	}
	res, err := k.env.call(ctx, "decrypt", params, k.key, ct)
	if err != nil {
		return nil, decryptError(ctx)
	}
	out, err := k.env.goBytes(res, true)
	if err != nil || len(out) > prim.RSAOAEPMaxMessage {
		return nil, prim.ErrDecrypt
	}
	return out, nil
}

// ExportPKCS8 refuses a non-extractable key without asking the browser
// (which would refuse too).
func (k *privateKey) ExportPKCS8(ctx context.Context) ([]byte, error) {
	if !k.extractable {
		return nil, prim.ErrNotExtractable
	}
	res, err := k.env.call(ctx, "exportKey", k.env.pkcs8, k.key)
	if err != nil {
		var je *jsError
		if errors.As(err, &je) && (je.Name == "InvalidAccessError" || je.Name == "InvalidAccessException") {
			return nil, prim.ErrNotExtractable
		}
		return nil, err
	}
	return k.env.goBytes(res, true)
}

// PrivateKeyFromCryptoKey makes a prim.PrivateKey of a private and a public
// RSA-OAEP CryptoKey, such as a pair the JS bridge stored in IndexedDB
// (a CryptoKey survives structured cloning, non-extractable or not). It
// checks both keys' algorithm (RSA-OAEP, SHA-256, 4096 bits, e = 65537)
// and usages, and that they belong together by encrypting random bytes
// with pub and decrypting them with priv. The private key is extractable
// exactly if priv is.
func PrivateKeyFromCryptoKey(ctx context.Context, priv, pub safejs.Value) (prim.PrivateKey, error) {
	e, err := loadEnv()
	if err != nil {
		return nil, err
	}
	k, err := e.newPrivateKey(ctx, priv, pub)
	if err != nil {
		return nil, err
	}
	probe := make([]byte, 32)
	if err := (&provider{env: e}).Random(probe); err != nil {
		return nil, err
	}
	ct, err := k.pub.Encrypt(ctx, probe, []byte(pairCheckLabel))
	if err != nil {
		return nil, err
	}
	pt, err := k.Decrypt(ctx, ct, []byte(pairCheckLabel))
	if err != nil || !bytes.Equal(pt, probe) {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("%w: private and public CryptoKey do not belong together", prim.ErrInvalidKey)
	}
	return k, nil
}

// CryptoKeys returns the private and public CryptoKeys behind a private key
// made by this package, for the JS bridge to store in IndexedDB: handles,
// never key bytes. ok is false for a key from another provider.
func CryptoKeys(k prim.PrivateKey) (priv, pub safejs.Value, ok bool) {
	pk, ok := k.(*privateKey)
	if !ok || pk == nil {
		return safejs.Value{}, safejs.Value{}, false
	}
	return pk.key, pk.pub.key, true
}
