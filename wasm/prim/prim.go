// Package prim defines the cryptographic primitives the zkvault core needs,
// behind one small Provider interface, and a pure-Go implementation of it.
//
// Everything above this package (formats, key schedule, envelopes, blind
// indexes, blob streams) exists once and is written against Provider. Two
// providers implement it: Native (standard library and golang.org/x/crypto,
// every platform) and the WebCrypto provider (build tag js && wasm, in the
// browser and in Node), which keeps RSA private keys as non-extractable
// CryptoKeys.
//
// Every method takes a context because a WebCrypto operation waits on a
// promise: the calling goroutine blocks until the promise settles, and the
// context lets a caller give up. Keys are handles (AEAD, MAC, PrivateKey)
// rather than byte slices so that a provider can import a key once and keep
// it where script cannot read it.
//
// # Format
//
// AEAD output is ciphertext || 16-byte tag, as WebCrypto and crypto/cipher
// produce it; the 12-byte nonce is the caller's to place. RSA public keys
// travel as SubjectPublicKeyInfo DER and private keys as PKCS #8 DER, both
// in their one canonical encoding (a provider refuses trailing bytes and
// non-canonical DER, so each key has exactly one fingerprint: the SHA-256 of
// its SPKI DER). RSA-OAEP ciphertexts are exactly 512 bytes. Section 1 of
// docs/spec has the byte-level details.
//
// # Security
//
// A PrivateKey can decrypt but does not hand out its bytes, except through
// ExportPKCS8, which a non-extractable key refuses with ErrNotExtractable.
// Only the core's key holder calls ExportPKCS8, and only to seal the key under
// a passphrase or to write the backup the caller asked for. Grep for
// ExportPKCS8 to audit every place key bytes can leave.
//
// Decryption failures are reported as ErrDecrypt and nothing more, so that no
// caller can build an oracle out of the difference between failures.
package prim

import (
	"context"
	"errors"
)

// Sizes fixed by zkvault's formats.
const (
	AESKeySize   = 32 // AES-256
	GCMNonceSize = 12 // 96-bit GCM nonce
	GCMTagSize   = 16 // 128-bit GCM tag
	RSABits      = 4096
	RSAPublicExp = 65537
	// RSAOAEPMaxMessage is the largest message RSA-OAEP-SHA256 can encrypt
	// under a 4096-bit key: 512 - 2*32 - 2 bytes.
	RSAOAEPMaxMessage = 446
	// RSACiphertextSize is the size of every RSA-4096 ciphertext.
	RSACiphertextSize = 512
	// MaxDeriveLength is the longest output of HKDF-SHA256 (255 * HashLen,
	// RFC 5869) and the longest PBKDF2 output a provider must produce.
	MaxDeriveLength = 255 * 32
	// MaxPBKDF2Iterations is the largest PBKDF2 iteration count a provider
	// must accept (WebCrypto's unsigned long). Callers bound it much lower.
	MaxPBKDF2Iterations = 1<<32 - 1
)

var (
	// ErrDecrypt is the one error every failed decryption or authentication
	// returns: wrong key, flipped bit, wrong associated data, bad padding.
	ErrDecrypt = errors.New("prim: message authentication failed")
	// ErrNotExtractable is returned by PrivateKey.ExportPKCS8 for a key that
	// was created or imported as non-extractable.
	ErrNotExtractable = errors.New("prim: private key is not extractable")
	// ErrInvalidKey reports a key of the wrong size, type or encoding.
	ErrInvalidKey = errors.New("prim: invalid key")
)

// Provider is what the core needs from cryptography. Implementations must be
// safe for concurrent use.
type Provider interface {
	// Name identifies the provider in test and benchmark output
	// ("native", "webcrypto").
	Name() string

	// Random fills b with cryptographically secure random bytes.
	Random(b []byte) error

	// SHA256 returns the SHA-256 digest of data.
	SHA256(ctx context.Context, data []byte) ([32]byte, error)

	// NewAEAD returns AES-256-GCM with a 12-byte nonce and 16-byte tag under
	// key, which must be 32 bytes (else an error wrapping ErrInvalidKey).
	NewAEAD(ctx context.Context, key []byte) (AEAD, error)

	// NewMAC returns HMAC-SHA256 under key: any non-zero length, as RFC
	// 2104 (WebCrypto refuses an empty key, so every provider does; the
	// error wraps ErrInvalidKey).
	NewMAC(ctx context.Context, key []byte) (MAC, error)

	// HKDF derives length bytes with HKDF-SHA256 (RFC 5869) from secret,
	// salt (nil or empty means a string of HashLen zeros) and info. A length
	// outside 1..MaxDeriveLength is an error.
	HKDF(ctx context.Context, secret, salt, info []byte, length int) ([]byte, error)

	// PBKDF2 derives keyLen bytes with PBKDF2-HMAC-SHA256 (RFC 8018). An
	// iteration count outside 1..MaxPBKDF2Iterations or a keyLen outside
	// 1..MaxDeriveLength is an error. It checks ctx before starting.
	PBKDF2(ctx context.Context, password, salt []byte, iterations, keyLen int) ([]byte, error)

	// GenerateRSA makes a fresh RSA-4096 key pair with e = 65537. When
	// extractable is false the private key refuses ExportPKCS8. It checks
	// ctx before starting (generation takes seconds).
	GenerateRSA(ctx context.Context, extractable bool) (PrivateKey, error)

	// ImportRSAPublic parses a SubjectPublicKeyInfo DER RSA public key. It
	// refuses keys that are not exactly 4096 bits or whose exponent is not
	// 65537, and any encoding other than the canonical DER that SPKI
	// returns (so that a key has exactly one fingerprint). Errors wrap
	// ErrInvalidKey.
	ImportRSAPublic(ctx context.Context, spki []byte) (PublicKey, error)

	// ImportRSAPrivate parses a PKCS #8 DER RSA-4096 private key (two
	// primes, e = 65537). When extractable is false the result refuses
	// ExportPKCS8. Errors wrap ErrInvalidKey.
	ImportRSAPrivate(ctx context.Context, pkcs8 []byte, extractable bool) (PrivateKey, error)
}

// AEAD is AES-256-GCM under one key.
type AEAD interface {
	// Seal encrypts and authenticates plaintext and additionalData with the
	// 12-byte nonce and returns ciphertext || tag (a new slice). A nonce of
	// another size is an error.
	Seal(ctx context.Context, nonce, plaintext, additionalData []byte) ([]byte, error)
	// Open authenticates and decrypts ciphertext || tag. Any failure,
	// including a nonce of the wrong size or a ciphertext shorter than the
	// tag, is ErrDecrypt itself (not wrapped).
	Open(ctx context.Context, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

// AppendAEAD is an AEAD that can write into the caller's buffer, as
// crypto/cipher does: SealTo appends ciphertext || tag to dst and OpenTo
// appends the plaintext to dst, each returning the extended slice. To seal
// or open in place, dst is plaintext[:0] (or ciphertext[:0]); any other
// overlap of dst with the input is an error of the caller. The native
// provider implements it, so that bulk callers (wasm/stream) reuse buffers
// instead of allocating a chunk per call; others need not.
type AppendAEAD interface {
	AEAD
	SealTo(ctx context.Context, dst, nonce, plaintext, additionalData []byte) ([]byte, error)
	OpenTo(ctx context.Context, dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

// MAC is HMAC-SHA256 under one key.
type MAC interface {
	// Sum returns the 32-byte HMAC-SHA256 of msg.
	Sum(ctx context.Context, msg []byte) ([]byte, error)
}

// AppendMAC is a MAC that can write into the caller's buffer: SumTo appends
// the 32-byte HMAC-SHA256 of msg to dst and returns the extended slice. The
// native provider implements it, so that bulk callers (blind-index batches)
// reuse one buffer instead of allocating a sum per call; others need not.
type AppendMAC interface {
	MAC
	SumTo(ctx context.Context, dst, msg []byte) ([]byte, error)
}

// PublicKey is an RSA-4096 public key used with RSA-OAEP, SHA-256 and
// MGF1-SHA-256.
type PublicKey interface {
	// SPKI returns the key's canonical SubjectPublicKeyInfo DER encoding
	// (AlgorithmIdentifier rsaEncryption with NULL parameters), the same
	// bytes on every call and in every provider. Its SHA-256 is the key's
	// fingerprint.
	SPKI() []byte
	// Encrypt returns the 512-byte RSA-OAEP-SHA256 encryption of msg (at most
	// RSAOAEPMaxMessage bytes, else an error) with the given label (nil or
	// empty for none).
	Encrypt(ctx context.Context, msg, label []byte) ([]byte, error)
}

// PrivateKey is an RSA-4096 private key that decrypts without showing its
// bytes.
type PrivateKey interface {
	Public() PublicKey
	// Decrypt reverses PublicKey.Encrypt. Any failure, including a
	// ciphertext that is not RSACiphertextSize bytes, is ErrDecrypt itself
	// (not wrapped).
	Decrypt(ctx context.Context, ciphertext, label []byte) ([]byte, error)
	// ExportPKCS8 returns the PKCS #8 DER encoding of the key, or
	// ErrNotExtractable. Only the core's key holder may call it.
	ExportPKCS8(ctx context.Context) ([]byte, error)
}
