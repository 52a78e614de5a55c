// Crypto summary (RSA principal recipients, envelope kind 1):
//
//   - A fresh 32-byte file key K is wrapped with RSA-OAEP (SHA-256,
//     MGF1-SHA-256, 4096-bit key, e = 65537) under the label
//     tuple(LabelEnvelopeRSA, context); the payload is sealed under K.
//   - The header names the recipient by fingerprint (SHA-256 of its
//     SubjectPublicKeyInfo DER) and key version; both are authenticated as
//     part of the payload's associated data.

package zkvault

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// Fingerprint is the SHA-256 of an RSA public key's SubjectPublicKeyInfo
// DER.
type Fingerprint [32]byte

// String returns the fingerprint as 64 lowercase hex digits, its wire form.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// FormatFingerprint returns f for humans: 16 groups of 4 lowercase hex
// digits separated by spaces.
func FormatFingerprint(f Fingerprint) string {
	h := f.String()
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}

// ParseFingerprint parses the wire form: exactly 64 lowercase hex digits.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	if !api.ValidLowerHex(s, 64) {
		return f, parseErr("fingerprint", "want 64 lowercase hex digits")
	}
	if _, err := hex.Decode(f[:], []byte(s)); err != nil {
		return f, parseErr("fingerprint", "want 64 lowercase hex digits")
	}
	return f, nil
}

// FingerprintOf returns the fingerprint of a SubjectPublicKeyInfo DER.
func FingerprintOf(ctx context.Context, p prim.Provider, spki []byte) (Fingerprint, error) {
	return p.SHA256(ctx, spki)
}

// RSARecipient wraps envelopes (kind 1) for one version of a principal's
// RSA-4096 public key.
type RSARecipient struct {
	p           prim.Provider
	pub         prim.PublicKey
	fp          Fingerprint
	keyVersion  uint32
	principalID string
}

// NewRSARecipient returns a recipient for the SubjectPublicKeyInfo DER spki,
// key version keyVersion (≥ 1) of principal principalID (may be empty when
// no api.Envelope is made).
func NewRSARecipient(ctx context.Context, p prim.Provider, principalID string, spki []byte, keyVersion uint32) (*RSARecipient, error) {
	if keyVersion == 0 {
		return nil, fmt.Errorf("zkvault: key version 0")
	}
	if principalID != "" {
		if err := checkID("principal id", principalID); err != nil {
			return nil, err
		}
	}
	pub, err := p.ImportRSAPublic(ctx, spki)
	if err != nil {
		return nil, err
	}
	return newRSARecipient(ctx, p, principalID, pub, keyVersion)
}

func newRSARecipient(ctx context.Context, p prim.Provider, principalID string, pub prim.PublicKey, keyVersion uint32) (*RSARecipient, error) {
	fp, err := FingerprintOf(ctx, p, pub.SPKI())
	if err != nil {
		return nil, err
	}
	return &RSARecipient{p: p, pub: pub, fp: fp, keyVersion: keyVersion, principalID: principalID}, nil
}

// PrincipalRecipient returns a recipient for the public key of pr, after
// checking that pr.Fingerprint is the fingerprint of pr.PublicKey (a server
// that swaps the key but not the fingerprint is caught here; pin the
// fingerprint out of band to catch one that swaps both).
func PrincipalRecipient(ctx context.Context, p prim.Provider, pr api.Principal) (*RSARecipient, error) {
	spki, err := decodeB64(pr.PublicKey)
	if err != nil {
		return nil, parseErr("principal", "public key is not base64url")
	}
	want, err := ParseFingerprint(pr.Fingerprint)
	if err != nil {
		return nil, err
	}
	r, err := NewRSARecipient(ctx, p, pr.ID, spki, pr.KeyVersion)
	if err != nil {
		return nil, err
	}
	if r.fp != want {
		return nil, fmt.Errorf("zkvault: principal %q: fingerprint does not match its public key", pr.ID)
	}
	return r, nil
}

// Fingerprint returns the recipient key's fingerprint.
func (r *RSARecipient) Fingerprint() Fingerprint { return r.fp }

// KeyVersion returns the recipient key's version.
func (r *RSARecipient) KeyVersion() uint32 { return r.keyVersion }

// PrincipalID returns the principal id given to NewRSARecipient.
func (r *RSARecipient) PrincipalID() string { return r.principalID }

// SPKI returns the recipient's SubjectPublicKeyInfo DER.
func (r *RSARecipient) SPKI() []byte { return r.pub.SPKI() }

// Wrap implements Recipient.
func (r *RSARecipient) Wrap(ctx context.Context, envCtx, payload []byte) ([]byte, error) {
	if len(payload) > MaxEnvelopePayload {
		return nil, ErrTooLarge
	}
	key := make([]byte, prim.AESKeySize)
	if err := random(r.p, key); err != nil {
		return nil, err
	}
	wrapped, err := r.pub.Encrypt(ctx, key, rsaLabel(envCtx))
	if err != nil {
		return nil, err
	}
	h := append(envelopeMagic[:], kindRSA)
	h = append(h, r.fp[:]...)
	h = binary.BigEndian.AppendUint32(h, r.keyVersion)
	h = binary.BigEndian.AppendUint16(h, uint16(len(wrapped)))
	h = append(h, wrapped...)
	return sealEnvelope(ctx, r.p, h, key, envCtx, payload)
}

func rsaLabel(envCtx []byte) []byte {
	return tuple.Append(tuple.Strings(LabelEnvelopeRSA), envCtx)
}

// unwrapRSA opens a kind 1 envelope with priv, whose fingerprint is fp. An
// envelope for another key is ErrIncorrectKey. The key version in the header
// is not compared: the fingerprint names the key, and the version is
// authenticated with the rest of the header.
func unwrapRSA(ctx context.Context, p prim.Provider, priv prim.PrivateKey, fp Fingerprint, envCtx, data []byte) ([]byte, error) {
	e, err := parseEnvelope(data)
	if err != nil {
		return nil, err
	}
	if e.kind != kindRSA || subtle.ConstantTimeCompare(e.fingerprint[:], fp[:]) != 1 {
		return nil, ErrIncorrectKey
	}
	key, err := priv.Decrypt(ctx, e.wrapped, rsaLabel(envCtx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrIncorrectKey
	}
	if len(key) != prim.AESKeySize {
		return nil, ErrIncorrectKey
	}
	return e.openPayload(ctx, p, key, envCtx)
}

// PrincipalOf returns the api.Principal of a key holder: its public key,
// fingerprint and key version; sealed is the passphrase envelope of its
// private key (SealWithPassphrase) or nil.
func PrincipalOf(k *KeyHolder, id, kind string, sealed []byte) api.Principal {
	pr := api.Principal{
		ID:          id,
		Kind:        kind,
		PublicKey:   base64.RawURLEncoding.EncodeToString(k.spki),
		Fingerprint: k.fp.String(),
		KeyVersion:  k.version,
	}
	if sealed != nil {
		pr.SealedKey = base64.RawURLEncoding.EncodeToString(sealed)
	}
	return pr
}
