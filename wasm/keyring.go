// Crypto summary (keyring transfer):
//
//   - A keyring is the list of a space's secret versions, with the current
//     one named, and a 16-byte check value
//     HKDF-SHA256(S_current, none, tuple(LabelKeyringCheck, space id, body))
//     over every byte before it, so that a keyring opened for the wrong
//     space, or damaged anywhere, is refused at once instead of failing
//     later on every field.
//   - Handover (HandoverKey / OpenHandover): the keyring in base64url, for
//     the URL fragment through which a client hands an unlocked space to the
//     dashboard. A fragment is never sent to a server.
//   - Session (SealKeyring / OpenSealedKeyring): the keyring sealed with
//     AES-256-GCM under a caller's key (in the browser, a non-extractable
//     CryptoKey kept in IndexedDB), random nonce, associated data
//     tuple(LabelSession, space id), so that the secret is at rest in the
//     browser only under a key that script cannot read.

package zkvault

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// Keyring format constants.
const (
	keyringMagic     = "ZKK\x02"
	keyringCheckSize = 16
	// MaxKeyringVersions is the most secret versions a keyring carries.
	MaxKeyringVersions = 255
)

// HandoverKey returns the space's keyring as text for a URL fragment
// (base64url, no padding). It is the space's secrets in clear: put it only
// where no server sees it, such as the fragment of a dashboard address that
// the local client opens, and never in a query string, a log or storage.
func (s *Space) HandoverKey(ctx context.Context) (string, error) {
	b, err := s.marshalKeyring(ctx)
	if err != nil {
		return "", err
	}
	defer clear(b)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// OpenHandover returns the space that HandoverKey's text hands over. A text
// for another space, or damaged, is ErrIncorrectKey; one that is not a
// keyring at all is a *ParseError.
func OpenHandover(ctx context.Context, p prim.Provider, spaceID, text string) (*Space, error) {
	if err := checkID("space id", spaceID); err != nil {
		return nil, err
	}
	b, err := decodeB64(text)
	if err != nil {
		return nil, parseErr("keyring", "%v", err)
	}
	defer clear(b)
	return unmarshalKeyring(ctx, p, spaceID, b)
}

// SealKeyring seals the space's keyring under aead (the session key) with
// a random nonce: nonce(12) || AES-GCM(keyring), associated data
// tuple(LabelSession, space id).
func (s *Space) SealKeyring(ctx context.Context, aead prim.AEAD) ([]byte, error) {
	b, err := s.marshalKeyring(ctx)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	nonce := make([]byte, prim.GCMNonceSize)
	if err := random(s.p, nonce); err != nil {
		return nil, err
	}
	sealed, err := aead.Seal(ctx, nonce, b, tuple.Strings(LabelSession, s.id))
	if err != nil {
		return nil, err
	}
	return append(nonce, sealed...), nil
}

// OpenSealedKeyring reverses SealKeyring. Any failure to authenticate, or a
// keyring of another space, is ErrIncorrectKey.
func OpenSealedKeyring(ctx context.Context, p prim.Provider, spaceID string, aead prim.AEAD, sealed []byte) (*Space, error) {
	if err := checkID("space id", spaceID); err != nil {
		return nil, err
	}
	if len(sealed) < prim.GCMNonceSize+prim.GCMTagSize {
		return nil, parseErr("sealed keyring", "%d bytes is too short", len(sealed))
	}
	b, err := aead.Open(ctx, sealed[:prim.GCMNonceSize], sealed[prim.GCMNonceSize:], tuple.Strings(LabelSession, spaceID))
	if err != nil {
		return nil, ErrIncorrectKey
	}
	defer clear(b)
	return unmarshalKeyring(ctx, p, spaceID, b)
}

// marshalKeyring encodes:
//
//	"ZKK" 0x02 || u32be current || u8 n || n × (u32be version || secret[32]) || check[16]
//
// with versions strictly ascending.
func (s *Space) marshalKeyring(ctx context.Context) ([]byte, error) {
	s.mu.RLock()
	vs := make([]uint32, 0, len(s.versions))
	for v := range s.versions {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	current := s.current
	if len(vs) == 0 {
		s.mu.RUnlock()
		return nil, fmt.Errorf("%w: the space is locked", ErrUnknownKeyVersion)
	}
	if len(vs) > MaxKeyringVersions {
		s.mu.RUnlock()
		return nil, fmt.Errorf("%w: %d secret versions", ErrTooLarge, len(vs))
	}
	b := make([]byte, 0, len(keyringMagic)+5+len(vs)*(4+SecretSize)+keyringCheckSize)
	b = append(b, keyringMagic...)
	b = binary.BigEndian.AppendUint32(b, current)
	b = append(b, byte(len(vs)))
	var cur []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
		b = append(b, s.versions[v].secret...)
		if v == current {
			cur = s.versions[v].secret
		}
	}
	s.mu.RUnlock()
	check, err := keyringCheck(ctx, s.p, cur, s.id, b)
	if err != nil {
		clear(b)
		return nil, err
	}
	return append(b, check...), nil
}

func unmarshalKeyring(ctx context.Context, p prim.Provider, spaceID string, b []byte) (*Space, error) {
	r := &reader{b: b}
	if magic := r.take(len(keyringMagic)); magic == nil || !bytes.Equal(magic, []byte(keyringMagic)) {
		return nil, parseErr("keyring", "bad magic")
	}
	current := r.u32()
	n := int(r.u8())
	if r.err != nil {
		return nil, parseErr("keyring", "truncated header")
	}
	if n == 0 {
		return nil, parseErr("keyring", "no secret versions")
	}
	if want := n*(4+SecretSize) + keyringCheckSize; len(r.b)-r.off != want {
		return nil, parseErr("keyring", "%d bytes after the header, want %d", len(r.b)-r.off, want)
	}
	secrets := make(map[uint32][]byte, n)
	var prev uint32
	for range n {
		v := r.u32()
		sec := r.take(SecretSize)
		if v == 0 || v <= prev {
			return nil, parseErr("keyring", "versions not strictly ascending from 1")
		}
		prev = v
		secrets[v] = bytes.Clone(sec)
	}
	cur, ok := secrets[current]
	if !ok {
		return nil, parseErr("keyring", "current version %d not in the keyring", current)
	}
	want, err := keyringCheck(ctx, p, cur, spaceID, b[:len(b)-keyringCheckSize])
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(want, r.take(keyringCheckSize)) != 1 {
		for _, sec := range secrets {
			clear(sec)
		}
		return nil, ErrIncorrectKey
	}
	s := newSpaceWithSecrets(p, spaceID, secrets)
	s.current = current
	return s, nil
}

// keyringCheck is HKDF-SHA256(current secret, none, tuple(LabelKeyringCheck,
// space id, body), 16) where body is every keyring byte before the check.
func keyringCheck(ctx context.Context, p prim.Provider, secret []byte, spaceID string, body []byte) ([]byte, error) {
	info := tuple.Append(nil, []byte(LabelKeyringCheck), []byte(spaceID), body)
	defer clear(info)
	return p.HKDF(ctx, secret, nil, info, keyringCheckSize)
}
