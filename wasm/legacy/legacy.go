// Package legacy reads the data of existing personal vaults of the kind that
// shared/reference/contexter.md describes, so that they can be migrated to
// zkvault's own formats. zkvault never writes these formats: the encryption
// functions exist only to build test vectors and fixtures (for example for
// the ingest client's migrate command).
//
// A migrator derives the legacy keys once with DeriveKeys, then calls
// DecryptString, DecryptBytes or DecryptBinary for each stored value, and
// Index (or VerifyIndex) with NormalizePhone, NormalizeName or
// NormalizeContact to check or rebuild blind indexes.
//
// # Format
//
// Both keys come from the passphrase alone (its UTF-8 bytes, not normalised):
//
//	encryption key = PBKDF2-HMAC-SHA256(passphrase, "contexter-e2e-v1",          100000, 32 bytes)
//	search key     = PBKDF2-HMAC-SHA256(passphrase, "contexter-search-index-v1", 100000, 32 bytes)
//
// A text field is the ASCII string
//
//	enc:v1:<iv>:<tag>:<ciphertext>
//
// where each part is standard, padded, canonical base64 (RFC 4648 §4), iv is
// 12 bytes, tag is the 16-byte AES-GCM tag and ciphertext is the AES-256-GCM
// encryption of the plaintext under the encryption key with no associated
// data. AES-GCM's usual output is ciphertext || tag; the legacy format keeps
// the tag as its own part before the ciphertext. An empty plaintext is stored
// as the empty string, not encrypted. Text fields hold UTF-8 text;
// attachments use the same form over the file's bytes.
//
// A binary value (a screenshot) is
//
//	"CTXE" || 0x01 || iv (12) || tag (16) || ciphertext
//
// with the same key and cipher. An empty plaintext is stored as zero bytes.
//
// A blind index is the 64 lowercase hex digits of HMAC-SHA256(search key,
// normalised value), untruncated; the index of an empty normalised value is
// the empty string. docs/spec/07-legacy.md has the byte-exact description and
// a worked example; testdata/vectors.json freezes it.
//
// # Errors
//
// Decryption returns ErrNotEncrypted for a value that is not in the legacy
// encrypted form (a migrator may take it as plaintext, as the legacy reader
// did), an error matching ErrMalformed for a value that has the form but not
// its lengths or encoding, and ErrDecrypt, nothing more specific, for a
// wrong passphrase or a modified value. DecryptString returns ErrNotUTF8 for
// a value that decrypts to bytes that are not UTF-8 (an attachment: use
// DecryptBytes).
//
// # Security
//
// This format has weaknesses that zkvault's own formats fix; it is read only
// to migrate away from it:
//
//   - The PBKDF2 salt is a fixed global string, so the same passphrase gives
//     the same keys in every vault and one precomputation attacks them all;
//     there is no key id, so keys cannot be rotated.
//   - 100,000 PBKDF2-HMAC-SHA256 iterations are well below current guidance
//     (OWASP asks for 600,000) for a key that protects everything.
//   - There is no associated data: a ciphertext copied to another field,
//     record or table decrypts without complaint.
//   - Blind indexes are full-length HMACs, so the server learns exactly which
//     records share a value and how often each value occurs; names that are
//     not in Latin script normalise to the empty string and are not
//     searchable at all.
//
// Keys holds the two keys as prim.AEAD and prim.MAC handles only; the derived
// bytes are cleared after import. Decryption failures say only ErrDecrypt.
// Parsers check every length against what remains and against
// MaxPlaintextSize, and never panic.
package legacy

import (
	"context"
	"errors"
	"fmt"

	"github.com/zkvault/zkvault/wasm/prim"
)

// The legacy key schedule. These are the legacy system's constants and must
// never change.
const (
	encryptionSalt = "contexter-e2e-v1"
	searchSalt     = "contexter-search-index-v1"
	iterations     = 100000
	keySize        = 32
)

// MaxPlaintextSize is the largest plaintext this package decrypts or
// encrypts, 1 GiB. The legacy system had no limit of its own; its API could
// not carry values anywhere near this size.
const MaxPlaintextSize = 1 << 30

var (
	// ErrNotEncrypted reports a value that is not in the legacy encrypted
	// form (no "enc:v1:" prefix, no "CTXE" magic). The legacy readers showed
	// such a value as it was, so a migrator may take it as plaintext.
	ErrNotEncrypted = errors.New("legacy: value is not encrypted")
	// ErrMalformed reports a value that starts like a legacy ciphertext but
	// whose parts have the wrong number, encoding, length or version. The
	// returned error wraps it with the detail.
	ErrMalformed = errors.New("legacy: malformed ciphertext")
	// ErrDecrypt is returned for every failed decryption: a wrong
	// passphrase, or a value that was modified. It is prim.ErrDecrypt
	// itself, so errors.Is matches either name.
	ErrDecrypt = prim.ErrDecrypt
	// ErrNotUTF8 is returned by DecryptString when the decrypted bytes are
	// not valid UTF-8: the value is binary (an attachment), read it with
	// DecryptBytes.
	ErrNotUTF8 = errors.New("legacy: decrypted value is not UTF-8 text")
	// ErrEmptyPassphrase is returned by DeriveKeys for an empty passphrase,
	// which the legacy system refused too.
	ErrEmptyPassphrase = errors.New("legacy: empty passphrase")
)

// Keys are a legacy vault's encryption key and search (blind-index) key,
// derived once from the passphrase. Deriving them costs two runs of 100,000
// PBKDF2 iterations, so a migrator derives them once and reuses them. Keys is
// safe for concurrent use if its provider is.
type Keys struct {
	p      prim.Provider
	aead   prim.AEAD // AES-256-GCM under the encryption key
	search prim.MAC  // HMAC-SHA256 under the search key
}

// DeriveKeys derives the legacy keys from passphrase with p. The passphrase
// is used as its UTF-8 bytes, exactly as typed: no Unicode normalisation.
func DeriveKeys(ctx context.Context, p prim.Provider, passphrase string) (*Keys, error) {
	if passphrase == "" {
		return nil, ErrEmptyPassphrase
	}
	encKey, err := p.PBKDF2(ctx, []byte(passphrase), []byte(encryptionSalt), iterations, keySize)
	if err != nil {
		return nil, fmt.Errorf("legacy: deriving the encryption key: %w", err)
	}
	defer clear(encKey)
	searchKey, err := p.PBKDF2(ctx, []byte(passphrase), []byte(searchSalt), iterations, keySize)
	if err != nil {
		return nil, fmt.Errorf("legacy: deriving the search key: %w", err)
	}
	defer clear(searchKey)
	return newKeys(ctx, p, encKey, searchKey)
}

// newKeys imports already derived key bytes. The caller keeps and clears
// them.
func newKeys(ctx context.Context, p prim.Provider, encKey, searchKey []byte) (*Keys, error) {
	if len(encKey) != keySize || len(searchKey) != keySize {
		return nil, fmt.Errorf("%w: legacy keys must be %d bytes", prim.ErrInvalidKey, keySize)
	}
	aead, err := p.NewAEAD(ctx, encKey)
	if err != nil {
		return nil, fmt.Errorf("legacy: importing the encryption key: %w", err)
	}
	search, err := p.NewMAC(ctx, searchKey)
	if err != nil {
		return nil, fmt.Errorf("legacy: importing the search key: %w", err)
	}
	return &Keys{p: p, aead: aead, search: search}, nil
}

// open authenticates and decrypts ciphertext || tag under the encryption key
// with no associated data.
func (k *Keys) open(ctx context.Context, iv, sealed []byte) ([]byte, error) {
	pt, err := k.aead.Open(ctx, iv, sealed, nil)
	if err != nil {
		if errors.Is(err, prim.ErrDecrypt) {
			return nil, ErrDecrypt
		}
		// A context error from a provider that waits (WebCrypto).
		return nil, fmt.Errorf("legacy: %w", err)
	}
	return pt, nil
}

// seal encrypts plaintext under the encryption key with a fresh random IV and
// returns the IV, the ciphertext and the tag, split as the legacy formats
// store them.
func (k *Keys) seal(ctx context.Context, plaintext []byte) (iv, ciphertext, tag []byte, err error) {
	if len(plaintext) > MaxPlaintextSize {
		return nil, nil, nil, fmt.Errorf("legacy: plaintext is %d bytes, more than %d", len(plaintext), MaxPlaintextSize)
	}
	iv = make([]byte, prim.GCMNonceSize)
	if err := k.p.Random(iv); err != nil {
		return nil, nil, nil, fmt.Errorf("legacy: %w", err)
	}
	sealed, err := k.aead.Seal(ctx, iv, plaintext, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("legacy: %w", err)
	}
	if len(sealed) != len(plaintext)+prim.GCMTagSize {
		return nil, nil, nil, fmt.Errorf("legacy: AES-GCM returned %d bytes for a %d-byte plaintext", len(sealed), len(plaintext))
	}
	n := len(plaintext)
	return iv, sealed[:n:n], sealed[n:], nil
}
