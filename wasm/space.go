// Crypto summary (key schedule):
//
//   - A space secret S_v is 32 random bytes; v ≥ 1 is its version and the
//     decimal string of v its key id (kid).
//   - field key = HKDF-SHA256(S_v, salt none, tuple(LabelField, space id))
//   - index key = HKDF-SHA256(S_v, salt none, tuple(LabelIndex, space id,
//     collection, index name))
//   - blob key  = HKDF-SHA256(S_v, salt = header salt, tuple(LabelBlob,
//     space id, blob id, header bytes))
//   - Every derived key is 32 bytes. Field AEADs and index MACs are derived
//     once per version and cached; blob keys once per blob.

package zkvault

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// SecretSize is the size of a space secret.
const SecretSize = 32

// Space is an unlocked space: its id and a keyring of one or more versions of
// its secret. New ciphertexts use the current version (the highest unless
// SetCurrent says otherwise); every version in the keyring can be read, so
// ciphertexts made before a rotation stay readable.
//
// A Space is safe for concurrent use. It holds secrets: drop it when the
// space is locked.
type Space struct {
	p  prim.Provider
	id string

	mu       sync.RWMutex
	versions map[uint32]*secretVersion
	current  uint32
}

// secretVersion is one version of the space secret and the keys derived from
// it, each derived once.
type secretVersion struct {
	v      uint32
	kid    string
	secret []byte

	mu    sync.Mutex
	field prim.AEAD
	index map[[2]string]prim.MAC
}

// NewSpace creates a space with a fresh random secret of version 1.
func NewSpace(ctx context.Context, p prim.Provider, spaceID string) (*Space, error) {
	if err := checkID("space id", spaceID); err != nil {
		return nil, err
	}
	secret := make([]byte, SecretSize)
	if err := random(p, secret); err != nil {
		return nil, err
	}
	s := &Space{p: p, id: spaceID, versions: map[uint32]*secretVersion{}}
	s.add(1, secret)
	return s, nil
}

// newSpaceWithSecrets makes a space from known secrets (tests and vectors).
func newSpaceWithSecrets(p prim.Provider, spaceID string, secrets map[uint32][]byte) *Space {
	s := &Space{p: p, id: spaceID, versions: map[uint32]*secretVersion{}}
	for v, sec := range secrets {
		s.add(v, sec)
	}
	return s
}

// OpenSpace unlocks a space with an identity: it opens every envelope of sp
// that was made for id (by recipient kind and, for RSA principals, by
// fingerprint) and adds each secret version to the keyring. The current
// version is the highest one opened. It returns ErrNoIdentity if no envelope
// is for id, and ErrIncorrectKey (or a parse error) if none of those opened.
func OpenSpace(ctx context.Context, p prim.Provider, sp api.Space, id Identity) (*Space, error) {
	if err := checkID("space id", sp.ID); err != nil {
		return nil, err
	}
	s := &Space{p: p, id: sp.ID, versions: map[uint32]*secretVersion{}}
	var firstErr error
	tried := false
	for _, env := range sp.Envelopes {
		if !envelopeMayBeFor(env, id) {
			continue
		}
		tried = true
		if err := s.AddEnvelope(ctx, id, env); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	if len(s.versions) > 0 {
		return s, nil
	}
	if !tried {
		return nil, ErrNoIdentity
	}
	return nil, firstErr
}

// envelopeMayBeFor is a cheap pre-check on the plaintext metadata of env; the
// binary header is what counts and is checked when opening.
func envelopeMayBeFor(env api.Envelope, id Identity) bool {
	switch id := id.(type) {
	case *KeyHolder:
		return env.Kind == api.RecipientPrincipal && env.Fingerprint == id.Fingerprint().String()
	case *PassphraseIdentity:
		return env.Kind == api.RecipientPassphrase
	}
	return true
}

// AddEnvelope opens one envelope of this space with id and adds the secret
// version it wraps to the keyring. The version is read from env and bound
// into the envelope's context, so a mislabelled envelope fails to open.
func (s *Space) AddEnvelope(ctx context.Context, id Identity, env api.Envelope) error {
	if env.SecretVersion == 0 {
		return parseErr("envelope", "secret version 0")
	}
	data, err := decodeB64(env.Data)
	if err != nil {
		return parseErr("envelope", "data is not base64url: %v", err)
	}
	secret, err := id.Unwrap(ctx, SpaceSecretContext(s.id, env.SecretVersion), data)
	if err != nil {
		return err
	}
	if len(secret) != SecretSize {
		return parseErr("envelope", "space secret is %d bytes, want %d", len(secret), SecretSize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.versions[env.SecretVersion]; !ok {
		s.add(env.SecretVersion, secret)
	}
	return nil
}

// add adds a version and makes the highest version current. s.mu is held or
// s is not yet shared.
func (s *Space) add(v uint32, secret []byte) {
	s.versions[v] = &secretVersion{v: v, kid: kid(v), secret: secret}
	if v > s.current {
		s.current = v
	}
}

// Forget drops every secret version and derived key from the space (the
// secret bytes are zeroed; derived provider handles are released to the
// garbage collector). Every later operation fails with ErrUnknownKeyVersion.
// Call it when the space is locked.
func (s *Space) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, sv := range s.versions {
		sv.mu.Lock()
		clear(sv.secret)
		sv.field, sv.index = nil, nil
		sv.mu.Unlock()
		delete(s.versions, v)
	}
	s.current = 0
}

// ID returns the space id.
func (s *Space) ID() string { return s.id }

// CurrentVersion returns the secret version new ciphertexts use.
func (s *Space) CurrentVersion() uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

// Versions returns the secret versions in the keyring, ascending.
func (s *Space) Versions() []uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	vs := make([]uint32, 0, len(s.versions))
	for v := range s.versions {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// SetCurrent makes version v, which must be in the keyring, the one new
// ciphertexts use.
func (s *Space) SetCurrent(v uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.versions[v]; !ok {
		return fmt.Errorf("%w: version %d", ErrUnknownKeyVersion, v)
	}
	s.current = v
	return nil
}

// Rotate adds a new random secret version, one above the highest in the
// keyring, makes it current and returns it. The caller then wraps it for
// every recipient (Envelope) and may re-encrypt old ciphertexts lazily; old
// versions stay in the keyring.
func (s *Space) Rotate(ctx context.Context) (uint32, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	secret := make([]byte, SecretSize)
	if err := random(s.p, secret); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var top uint32
	for v := range s.versions {
		top = max(top, v)
	}
	if top == ^uint32(0) {
		return 0, errors.New("zkvault: secret version space exhausted")
	}
	s.versions[top+1] = &secretVersion{v: top + 1, kid: kid(top + 1), secret: secret}
	s.current = top + 1
	return top + 1, nil
}

// version returns secret version v, or the current one for v == 0.
func (s *Space) version(v uint32) (*secretVersion, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v == 0 {
		v = s.current
	}
	sv, ok := s.versions[v]
	if !ok {
		return nil, fmt.Errorf("%w: version %d", ErrUnknownKeyVersion, v)
	}
	return sv, nil
}

// fieldAEAD returns the field AEAD of version sv, deriving it on first use.
func (s *Space) fieldAEAD(ctx context.Context, sv *secretVersion) (prim.AEAD, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.field != nil {
		return sv.field, nil
	}
	key, err := s.p.HKDF(ctx, sv.secret, nil, tuple.Strings(LabelField, s.id), prim.AESKeySize)
	if err != nil {
		return nil, err
	}
	a, err := s.p.NewAEAD(ctx, key)
	if err != nil {
		return nil, err
	}
	sv.field = a
	return a, nil
}

// FieldAEAD returns the field AEAD of secret version v (1…; 0 is not a
// version here), deriving it on first use: for the JavaScript bridge, which
// opens field batches itself with the AEAD's non-extractable CryptoKey
// (docs/spec 10.5). A version not in the keyring is ErrUnknownKeyVersion.
func (s *Space) FieldAEAD(ctx context.Context, v uint32) (prim.AEAD, error) {
	if v == 0 {
		return nil, fmt.Errorf("%w: version 0", ErrUnknownKeyVersion)
	}
	sv, err := s.version(v)
	if err != nil {
		return nil, err
	}
	return s.fieldAEAD(ctx, sv)
}

// FieldKeyInto writes the field key of secret version v (1…) into dst, which
// must be 32 bytes: for the JavaScript bridge, whose AES-GCM module opens field
// batches on the page (docs/spec 10.5.2) and keeps the expanded key in its own
// memory. A version not in the keyring is ErrUnknownKeyVersion.
func (s *Space) FieldKeyInto(ctx context.Context, v uint32, dst []byte) error {
	if len(dst) != prim.AESKeySize {
		return fmt.Errorf("zkvault: field key destination is %d bytes, not %d", len(dst), prim.AESKeySize)
	}
	if v == 0 {
		return fmt.Errorf("%w: version 0", ErrUnknownKeyVersion)
	}
	sv, err := s.version(v)
	if err != nil {
		return err
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	key, err := s.p.HKDF(ctx, sv.secret, nil, tuple.Strings(LabelField, s.id), prim.AESKeySize)
	if err != nil {
		return err
	}
	copy(dst, key)
	clear(key)
	return nil
}

// indexMAC returns the blind-index MAC of (collection, index) under version
// sv, deriving it on first use.
func (s *Space) indexMAC(ctx context.Context, sv *secretVersion, collection, index string) (prim.MAC, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	k := [2]string{collection, index}
	if m, ok := sv.index[k]; ok {
		return m, nil
	}
	key, err := s.p.HKDF(ctx, sv.secret, nil, tuple.Strings(LabelIndex, s.id, collection, index), prim.AESKeySize)
	if err != nil {
		return nil, err
	}
	m, err := s.p.NewMAC(ctx, key)
	if err != nil {
		return nil, err
	}
	if sv.index == nil {
		sv.index = map[[2]string]prim.MAC{}
	}
	sv.index[k] = m
	return m, nil
}

// SpaceSecretContext is the envelope context of version v of the secret of
// space spaceID: tuple(LabelSpaceSecret, spaceID, kid).
func SpaceSecretContext(spaceID string, v uint32) []byte {
	return tuple.Strings(LabelSpaceSecret, spaceID, kid(v))
}

// PrivateKeyContext is the envelope context of version keyVersion of the
// private key of principal principalID sealed under its passphrase:
// tuple(LabelPrivateKey, principalID, keyVersion).
func PrivateKeyContext(principalID string, keyVersion uint32) []byte {
	return tuple.Strings(LabelPrivateKey, principalID, kid(keyVersion))
}

// GroupKeyContext is the envelope context of version keyVersion of the
// private key of group groupID sealed for a member or the master:
// tuple(LabelGroupKey, groupID, keyVersion).
func GroupKeyContext(groupID string, keyVersion uint32) []byte {
	return tuple.Strings(LabelGroupKey, groupID, kid(keyVersion))
}

// Envelope wraps the current secret version for r.
func (s *Space) Envelope(ctx context.Context, r Recipient) (api.Envelope, error) {
	return s.EnvelopeFor(ctx, r, 0)
}

// Envelopes wraps every secret version in the keyring for r, one envelope
// per version, ascending: what a recipient added after a rotation needs to
// read ciphertexts of every version.
func (s *Space) Envelopes(ctx context.Context, r Recipient) ([]api.Envelope, error) {
	var out []api.Envelope
	for _, v := range s.Versions() {
		e, err := s.EnvelopeFor(ctx, r, v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// EnvelopeFor wraps secret version v (0: the current one) for r. The
// api.Envelope's Kind, Fingerprint and KeyVersion are read back from the
// binary header it carries, so they always agree; Principal comes from r
// when r names one (RSARecipient.PrincipalID).
func (s *Space) EnvelopeFor(ctx context.Context, r Recipient, v uint32) (api.Envelope, error) {
	sv, err := s.version(v)
	if err != nil {
		return api.Envelope{}, err
	}
	data, err := r.Wrap(ctx, SpaceSecretContext(s.id, sv.v), sv.secret)
	if err != nil {
		return api.Envelope{}, err
	}
	h, err := parseEnvelope(data)
	if err != nil {
		return api.Envelope{}, err
	}
	e := api.Envelope{SecretVersion: sv.v, Data: base64.RawURLEncoding.EncodeToString(data)}
	switch h.kind {
	case kindRSA:
		e.Kind = api.RecipientPrincipal
		e.Fingerprint = h.fingerprint.String()
		e.KeyVersion = h.keyVersion
		if pr, ok := r.(interface{ PrincipalID() string }); ok {
			e.Principal = pr.PrincipalID()
		}
	default:
		e.Kind = api.RecipientPassphrase
	}
	return e, nil
}

// IDKey returns the space's id key: HKDF-SHA256(S_oldest, none,
// tuple(LabelRecordID, space id), 32), where S_oldest is the lowest secret
// version in the keyring. A client keys the ids it derives from content
// (record ids, blob ids) with it, so that ids are stable for the space, the
// same on every import, and opaque to the server: an unkeyed content hash
// would let the server confirm a guess of a record's content. It is
// derived from the oldest version so that a rotation does not change the
// ids of re-imported records.
//
// It is the one derived key the core hands out: it decrypts nothing, but
// treat it as a secret of the space.
func (s *Space) IDKey(ctx context.Context) ([]byte, error) {
	vs := s.Versions()
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: the space is locked", ErrUnknownKeyVersion)
	}
	sv, err := s.version(vs[0])
	if err != nil {
		return nil, err
	}
	return s.p.HKDF(ctx, sv.secret, nil, tuple.Strings(LabelRecordID, s.id), 32)
}
