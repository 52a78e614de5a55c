// Crypto summary (native provider):
//
//   - AEAD: AES-256-GCM (crypto/aes, crypto/cipher), 32-byte key, 12-byte
//     nonce, 16-byte tag appended to the ciphertext.
//   - MAC: HMAC-SHA256 (crypto/hmac), non-empty key, 32-byte output.
//   - KDF: HKDF-SHA256 (crypto/hkdf, RFC 5869) and PBKDF2-HMAC-SHA256
//     (crypto/pbkdf2, RFC 8018), outputs of 1..MaxDeriveLength bytes.
//   - Key wrapping: RSA-OAEP (crypto/rsa, RFC 8017) with SHA-256 and
//     MGF1-SHA-256, 4096-bit modulus, e = 65537; public keys as
//     SubjectPublicKeyInfo DER, private keys as PKCS #8 DER (der.go, with
//     the rules of crypto/x509); the RSA half is native_rsa.go.
//   - Randomness: crypto/rand.
//
// Every decryption or authentication failure is ErrDecrypt, nothing more.

package prim

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// NativeSymmetric returns the primitives of Native other than RSA, for a
// provider that takes RSA from elsewhere (the browser's, which uses
// WebCrypto). It exists in every build, Native not in the browser module's
// (native_rsa.go).
func NativeSymmetric() Symmetric { return nativeSymmetric{} }

// Symmetric is Provider without RSA: the methods mean what they mean there.
type Symmetric interface {
	Random(b []byte) error
	SHA256(ctx context.Context, data []byte) ([32]byte, error)
	NewAEAD(ctx context.Context, key []byte) (AEAD, error)
	NewMAC(ctx context.Context, key []byte) (MAC, error)
	HKDF(ctx context.Context, secret, salt, info []byte, length int) ([]byte, error)
	PBKDF2(ctx context.Context, password, salt []byte, iterations, keyLen int) ([]byte, error)
}

// nativeSymmetric is the native provider without RSA (nativeProvider,
// native_rsa.go, adds it). The two are distinct types so that
// NativeSymmetric does not keep the RSA methods reachable.
type nativeSymmetric struct{}

var _ Symmetric = nativeSymmetric{}

// maxGCMPlaintext is the longest plaintext AES-GCM with a 96-bit nonce may
// encrypt (NIST SP 800-38D): 2^32 - 2 blocks. crypto/cipher panics beyond it.
const maxGCMPlaintext = (1<<32 - 2) * aes.BlockSize

func (nativeSymmetric) Random(b []byte) error {
	// crypto/rand.Read never fails (Go 1.24+): it crashes the program
	// rather than return short or predictable output.
	_, err := rand.Read(b)
	return err
}

func (nativeSymmetric) SHA256(_ context.Context, data []byte) ([32]byte, error) {
	return sha256.Sum256(data), nil
}

func (nativeSymmetric) NewAEAD(_ context.Context, key []byte) (AEAD, error) {
	if len(key) != AESKeySize {
		return nil, fmt.Errorf("%w: AES key is %d bytes, want %d", ErrInvalidKey, len(key), AESKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	gcm, err := cipher.NewGCM(block) // 12-byte nonce, 16-byte tag
	if err != nil {
		return nil, err
	}
	return nativeAEAD{gcm}, nil
}

type nativeAEAD struct{ gcm cipher.AEAD }

var _ AppendAEAD = nativeAEAD{}

func (a nativeAEAD) Seal(ctx context.Context, nonce, plaintext, additionalData []byte) ([]byte, error) {
	return a.SealTo(ctx, nil, nonce, plaintext, additionalData)
}

func (a nativeAEAD) Open(ctx context.Context, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	return a.OpenTo(ctx, nil, nonce, ciphertext, additionalData)
}

func (a nativeAEAD) SealTo(_ context.Context, dst, nonce, plaintext, additionalData []byte) ([]byte, error) {
	if len(nonce) != GCMNonceSize {
		return nil, fmt.Errorf("prim: AES-GCM nonce is %d bytes, want %d", len(nonce), GCMNonceSize)
	}
	if uint64(len(plaintext)) > maxGCMPlaintext {
		return nil, errors.New("prim: AES-GCM plaintext too long")
	}
	return a.gcm.Seal(dst, nonce, plaintext, additionalData), nil
}

func (a nativeAEAD) OpenTo(_ context.Context, dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != GCMNonceSize || len(ciphertext) < GCMTagSize {
		return nil, ErrDecrypt
	}
	out, err := a.gcm.Open(dst, nonce, ciphertext, additionalData)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func (nativeSymmetric) NewMAC(_ context.Context, key []byte) (MAC, error) {
	if len(key) == 0 {
		// WebCrypto refuses an empty HMAC key; so do we, so that the two
		// providers accept the same inputs.
		return nil, fmt.Errorf("%w: empty HMAC key", ErrInvalidKey)
	}
	return newMAC(key), nil
}

func (nativeSymmetric) HKDF(_ context.Context, secret, salt, info []byte, length int) ([]byte, error) {
	if length < 1 || length > MaxDeriveLength {
		return nil, fmt.Errorf("prim: HKDF length %d out of range 1..%d", length, MaxDeriveLength)
	}
	// A nil or empty salt is HMAC-keyed with zeros, as RFC 5869 says for
	// "not provided".
	return hkdf.Key(sha256.New, secret, salt, string(info), length)
}

func (nativeSymmetric) PBKDF2(ctx context.Context, password, salt []byte, iterations, keyLen int) ([]byte, error) {
	if iterations < 1 || int64(iterations) > MaxPBKDF2Iterations {
		return nil, fmt.Errorf("prim: PBKDF2 iterations %d out of range 1..%d", iterations, int64(MaxPBKDF2Iterations))
	}
	if keyLen < 1 || keyLen > MaxDeriveLength {
		return nil, fmt.Errorf("prim: PBKDF2 key length %d out of range 1..%d", keyLen, MaxDeriveLength)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return pbkdf2.Key(sha256.New, string(password), salt, iterations, keyLen)
}
