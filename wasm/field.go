// Crypto summary (field ciphertexts, enc:v2):
//
//   - Text form: "enc:v2:" kid ":" base64url(nonce(12) || ciphertext || tag),
//     base64url without padding, decoded strictly.
//   - AES-256-GCM under the field key of secret version kid, random 96-bit
//     nonce, associated data tuple(LabelField, space id, collection, record
//     id, field name, kid): a ciphertext moved to another space, collection,
//     record, field or key version fails to open.
//   - Plaintext: value || 0x80 || 0x00…, padded to Padmé(len(value)+1)
//     bytes when padding is on; unpadded after authentication.

package zkvault

import (
	"context"
	"encoding/base64"
	"math/bits"
	"strings"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// FieldPrefix starts every field ciphertext of this version.
const FieldPrefix = "enc:v2:"

// MaxFieldValue is the largest plaintext value of one field: 1 MiB.
const MaxFieldValue = 1 << 20

// maxFieldInner is the largest inner plaintext: Padmé(MaxFieldValue + 1).
var maxFieldInner = padme(MaxFieldValue + 1)

// maxFieldText is the longest enc:v2 text: prefix, a 10-digit kid, ':', and
// the base64url of nonce, largest inner plaintext and tag.
var maxFieldText = len(FieldPrefix) + 10 + 1 +
	base64.RawURLEncoding.EncodedLen(prim.GCMNonceSize+maxFieldInner+prim.GCMTagSize)

// FieldRef names where a field ciphertext lives: it is bound into the
// ciphertext's associated data.
type FieldRef struct {
	Collection string
	RecordID   string
	Field      string
}

func (r FieldRef) check() error {
	if err := checkName("collection name", r.Collection); err != nil {
		return err
	}
	if err := checkID("record id", r.RecordID); err != nil {
		return err
	}
	return checkName("field name", r.Field)
}

// FieldValue is one plaintext field value to seal (SealFields).
type FieldValue struct {
	Ref   FieldRef
	Value []byte
	Pad   bool
}

// FieldCiphertext is one enc:v2 ciphertext to open (OpenFields).
type FieldCiphertext struct {
	Ref        FieldRef
	Ciphertext string
}

// padme returns the Padmé padded length of L (PURBs, Nikitin et al. 2019):
// with E = floor(log2 L) and S = floor(log2 E) + 1, the low E − S bits of L
// are rounded up. Lengths L ≤ 2 are returned unchanged (E ≤ 1 leaves no bit
// to round, and log2 0 is undefined).
func padme(L int) int {
	if L <= 2 {
		return L
	}
	e := bits.Len(uint(L)) - 1 // floor(log2 L) ≥ 1
	s := bits.Len(uint(e))     // floor(log2 E) + 1
	lastBits := e - s
	mask := 1<<lastBits - 1
	return (L + mask) &^ mask
}

// pad returns value || 0x80 || zeros, padded to Padmé(len(value)+1) bytes
// when padded is set.
func pad(value []byte, padded bool) []byte {
	n := len(value) + 1
	if padded {
		n = padme(n)
	}
	out := make([]byte, n)
	copy(out, value)
	out[len(value)] = 0x80
	return out
}

// unpad strips trailing zeros and the 0x80 marker; ok is false if there is
// no marker.
func unpad(inner []byte) ([]byte, bool) {
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 || inner[i] != 0x80 {
		return nil, false
	}
	return inner[:i], true
}

func fieldAAD(spaceID string, ref FieldRef, kid string) []byte {
	return tuple.Strings(LabelField, spaceID, ref.Collection, ref.RecordID, ref.Field, kid)
}

// parsedField is an enc:v2 text split into its parts.
type parsedField struct {
	version uint32
	kid     string
	nonce   []byte
	sealed  []byte // ciphertext || tag
}

// parseField parses an enc:v2 text without using a key. Every failure is a
// *ParseError.
func parseField(s string) (parsedField, error) {
	const what = "enc:v2 field"
	if len(s) > maxFieldText {
		return parsedField{}, parseErr(what, "%d bytes, at most %d", len(s), maxFieldText)
	}
	rest, ok := strings.CutPrefix(s, FieldPrefix)
	if !ok {
		return parsedField{}, parseErr(what, "missing prefix %q", FieldPrefix)
	}
	k, data, ok := strings.Cut(rest, ":")
	if !ok {
		return parsedField{}, parseErr(what, "missing key id separator")
	}
	v, ok := api.ParseKeyVersion(k)
	if !ok {
		return parsedField{}, parseErr(what, "key id %q is not a decimal 1…4294967295 without leading zeros", k)
	}
	raw, err := decodeB64(data)
	if err != nil {
		return parsedField{}, parseErr(what, "body is not base64url without padding")
	}
	if len(raw) < prim.GCMNonceSize+1+prim.GCMTagSize {
		return parsedField{}, parseErr(what, "body is %d bytes, at least %d", len(raw), prim.GCMNonceSize+1+prim.GCMTagSize)
	}
	return parsedField{version: v, kid: k, nonce: raw[:prim.GCMNonceSize], sealed: raw[prim.GCMNonceSize:]}, nil
}

// IsField reports whether s has the form of an enc:v2 field ciphertext.
func IsField(s string) bool {
	_, err := parseField(s)
	return err == nil
}

// SealField encrypts value (at most MaxFieldValue bytes) for the field ref
// under the current secret version and returns its enc:v2 text. With pad the
// plaintext is padded to its Padmé length, so that its exact length is
// hidden.
func (s *Space) SealField(ctx context.Context, ref FieldRef, value []byte, pad bool) (string, error) {
	if err := ref.check(); err != nil {
		return "", err
	}
	sv, err := s.version(0)
	if err != nil {
		return "", err
	}
	a, err := s.fieldAEAD(ctx, sv)
	if err != nil {
		return "", err
	}
	return s.sealField(ctx, a, sv.kid, ref, value, pad)
}

func (s *Space) sealField(ctx context.Context, a prim.AEAD, kid string, ref FieldRef, value []byte, padded bool) (string, error) {
	if len(value) > MaxFieldValue {
		return "", ErrTooLarge
	}
	var nonce [prim.GCMNonceSize]byte
	if err := random(s.p, nonce[:]); err != nil {
		return "", err
	}
	sealed, err := a.Seal(ctx, nonce[:], pad(value, padded), fieldAAD(s.id, ref, kid))
	if err != nil {
		return "", err
	}
	raw := make([]byte, 0, len(nonce)+len(sealed))
	raw = append(append(raw, nonce[:]...), sealed...)
	return FieldPrefix + kid + ":" + base64.RawURLEncoding.EncodeToString(raw), nil
}

// OpenField decrypts the enc:v2 text ct of field ref. A text that is not
// enc:v2 is a *ParseError; a version not in the keyring is
// ErrUnknownKeyVersion; any authentication or padding failure is
// ErrIncorrectKey.
func (s *Space) OpenField(ctx context.Context, ref FieldRef, ct string) ([]byte, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	f, err := parseField(ct)
	if err != nil {
		return nil, err
	}
	sv, err := s.version(f.version)
	if err != nil {
		return nil, err
	}
	a, err := s.fieldAEAD(ctx, sv)
	if err != nil {
		return nil, err
	}
	return s.openField(ctx, a, ref, f)
}

func (s *Space) openField(ctx context.Context, a prim.AEAD, ref FieldRef, f parsedField) ([]byte, error) {
	if len(f.sealed)-prim.GCMTagSize > maxFieldInner {
		return nil, parseErr("enc:v2 field", "plaintext longer than %d bytes", maxFieldInner)
	}
	inner, err := a.Open(ctx, f.nonce, f.sealed, fieldAAD(s.id, ref, f.kid))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrIncorrectKey
	}
	value, ok := unpad(inner)
	if !ok || len(value) > MaxFieldValue {
		return nil, ErrIncorrectKey
	}
	return value, nil
}

// SealFields seals a batch of values under the current secret version, in
// one call (the JavaScript bridge crosses the boundary once per batch). It
// stops at the first error.
func (s *Space) SealFields(ctx context.Context, fields []FieldValue) ([]string, error) {
	sv, err := s.version(0)
	if err != nil {
		return nil, err
	}
	a, err := s.fieldAEAD(ctx, sv)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		if err := f.Ref.check(); err != nil {
			return nil, err
		}
		if out[i], err = s.sealField(ctx, a, sv.kid, f.Ref, f.Value, f.Pad); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpenFields opens a batch of ciphertexts. values[i] is the plaintext of
// fields[i] or nil, and errs[i] its error (nil on success): what OpenField
// gives for it; one field that fails does not stop the others. (The
// JavaScript bridge crosses the boundary once per batch; each version's
// field AEAD is derived once and kept, so the batch costs no more.)
func (s *Space) OpenFields(ctx context.Context, fields []FieldCiphertext) (values [][]byte, errs []error) {
	values = make([][]byte, len(fields))
	errs = make([]error, len(fields))
	for i, f := range fields {
		values[i], errs[i] = s.OpenField(ctx, f.Ref, f.Ciphertext)
	}
	return values, errs
}
