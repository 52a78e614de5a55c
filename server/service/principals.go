package service

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// SettingsView is the platform settings as the API shows them.
type SettingsView struct {
	Encryption        bool   `json:"encryption"`
	MasterPrincipal   string `json:"master_principal,omitempty"`
	MasterPublicKey   string `json:"master_public_key,omitempty"`
	MasterFingerprint string `json:"master_fingerprint,omitempty"`
	MasterKeyVersion  uint32 `json:"master_key_version,omitempty"`
}

// SettingsUpdate changes the platform settings.
type SettingsUpdate struct {
	Encryption *bool `json:"encryption"`
}

// Settings returns the platform settings (any caller).
func (s *Service) Settings(ctx context.Context, c Caller) (SettingsView, error) {
	st, err := s.st.Settings(ctx)
	if err != nil {
		return SettingsView{}, err
	}
	v := SettingsView{Encryption: st.Encryption, MasterPrincipal: st.MasterPrincipal}
	if st.MasterPrincipal != "" {
		p, err := s.st.Principal(ctx, st.MasterPrincipal)
		if err != nil {
			return SettingsView{}, err
		}
		v.MasterPublicKey, v.MasterFingerprint, v.MasterKeyVersion = p.PublicKey, p.Fingerprint, p.KeyVersion
	}
	return v, nil
}

// PutSettings turns encryption on or off (admin). Turning it off decrypts
// nothing: encrypted spaces stay encrypted.
func (s *Service) PutSettings(ctx context.Context, c Caller, u SettingsUpdate) (SettingsView, error) {
	if err := c.needAdmin(); err != nil {
		return SettingsView{}, err
	}
	if u.Encryption == nil {
		return SettingsView{}, Invalid("invalid_value", "encryption: required")
	}
	// One store step: a read-modify-write here could undo a master
	// created meanwhile.
	st, err := s.st.SetEncryption(ctx, *u.Encryption, s.ms())
	if err != nil {
		return SettingsView{}, err
	}
	s.logWrite(c, "settings.update", 1, map[string]string{"encryption": boolStr(st.Encryption)}, "encryption set to %v", st.Encryption)
	return s.Settings(ctx, c)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Fingerprint returns the fingerprint of a base64url SubjectPublicKeyInfo
// DER after checking that it is an RSA-4096 key with exponent 65537.
// Hashing and parsing a public key is not decryption.
func Fingerprint(publicKey string) (string, error) {
	der, err := api.DecodeBase64URL(publicKey)
	if err != nil {
		return "", Invalid(api.CodeInvalidBase64, "public_key: not strict base64url without padding")
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return "", Invalid("invalid_public_key", "public_key: not a SubjectPublicKeyInfo DER: %v", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok || rk.N.BitLen() != 4096 || rk.E != 65537 {
		return "", Invalid("invalid_public_key", "public_key: want an RSA-4096 key with exponent 65537")
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

func checkKey(p *api.Principal) error {
	if p.PublicKey == "" {
		return nil
	}
	fp, err := Fingerprint(p.PublicKey)
	if err != nil {
		return err
	}
	if fp != p.Fingerprint {
		return Invalid("fingerprint_mismatch", "fingerprint: %s is not the SHA-256 of the public key (%s)", p.Fingerprint, fp)
	}
	return nil
}

// PrincipalView is a principal as the API shows it; the sealed key only to
// the admin and to the principal itself.
type PrincipalView struct {
	api.Principal
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
}

func (s *Service) principalView(c Caller, p store.Principal) PrincipalView {
	v := PrincipalView{Principal: p.Principal, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if !c.Admin && c.Principal != p.ID {
		v.SealedKey = ""
	}
	return v
}

// CreatePrincipal creates a user, group or the master (admin). The key may
// come later (key_version 0).
func (s *Service) CreatePrincipal(ctx context.Context, c Caller, p api.Principal) (PrincipalView, error) {
	if err := c.needAdmin(); err != nil {
		return PrincipalView{}, err
	}
	if err := api.ValidatePrincipal(&p); err != nil {
		return PrincipalView{}, fromAPI(err)
	}
	if err := checkKey(&p); err != nil {
		return PrincipalView{}, err
	}
	if p.Kind == api.PrincipalMaster {
		if p.PublicKey == "" {
			return PrincipalView{}, Invalid("invalid_value", "public_key: the master principal needs its public key")
		}
		if st, err := s.st.Settings(ctx); err != nil {
			return PrincipalView{}, err
		} else if st.MasterPrincipal != "" {
			return PrincipalView{}, masterExists(st.MasterPrincipal)
		}
	}
	now := s.ms()
	sp := store.Principal{Principal: p, CreatedAt: now, UpdatedAt: now}
	if p.Kind == api.PrincipalMaster {
		// The check above answers the common case; this step decides a
		// race: the principal and the settings' pointer to it are
		// written together, or neither is.
		err := s.st.CreateMaster(ctx, sp)
		if errors.Is(err, store.ErrConflict) {
			st, serr := s.st.Settings(ctx)
			if serr != nil {
				return PrincipalView{}, serr
			}
			return PrincipalView{}, masterExists(st.MasterPrincipal)
		}
		if err != nil {
			return PrincipalView{}, fromStore(err, "principal "+p.ID)
		}
	} else if err := s.st.CreatePrincipal(ctx, sp); err != nil {
		return PrincipalView{}, fromStore(err, "principal "+p.ID)
	}
	s.logWrite(c, "principals.create", 1, map[string]string{"principal": p.ID, "kind": p.Kind}, "created %s %s", p.Kind, p.ID)
	return s.principalView(c, sp), nil
}

func masterExists(id string) error {
	return newErr(KindConflict, "master_exists", "a master principal (%s) exists already; replace its key instead", id)
}

// Principal returns a principal (any caller: public keys are needed to wrap
// for colleagues).
func (s *Service) Principal(ctx context.Context, c Caller, id string) (PrincipalView, error) {
	p, err := s.st.Principal(ctx, id)
	if err != nil {
		return PrincipalView{}, fromStore(err, "principal "+id)
	}
	return s.principalView(c, p), nil
}

// ListPrincipals lists principals by id.
func (s *Service) ListPrincipals(ctx context.Context, c Caller, cursor string, limit int) ([]PrincipalView, string, error) {
	ps, next, err := s.st.ListPrincipals(ctx, cursor, limit)
	if err != nil {
		return nil, "", fromStore(err, "principals")
	}
	out := make([]PrincipalView, 0, len(ps))
	for _, p := range ps {
		out = append(out, s.principalView(c, p))
	}
	return out, next, nil
}

// UpdatePrincipalKey replaces a principal's key by compare-and-swap: the new
// key_version must follow the stored one by exactly 1 (admin, or the
// principal itself with the write scope). The replaced public key is kept in
// the history; envelopes made for it become stale.
func (s *Service) UpdatePrincipalKey(ctx context.Context, c Caller, id string, p api.Principal) (PrincipalView, error) {
	if !c.Admin && (c.Principal != id || !c.can(ScopeWrite)) {
		return PrincipalView{}, newErr(KindForbidden, "forbidden", "only the admin or the principal itself may replace its key")
	}
	if p.ID == "" {
		p.ID = id
	}
	if p.ID != id {
		return PrincipalView{}, Invalid("invalid_value", "id: %q does not match the path", p.ID)
	}
	old, err := s.st.Principal(ctx, id)
	if err != nil {
		return PrincipalView{}, fromStore(err, "principal "+id)
	}
	if p.Kind == "" {
		p.Kind = old.Kind
	}
	if p.Kind != old.Kind {
		return PrincipalView{}, Invalid("invalid_value", "kind: a principal's kind cannot change")
	}
	if err := api.ValidatePrincipal(&p); err != nil {
		return PrincipalView{}, fromAPI(err)
	}
	if p.PublicKey == "" {
		return PrincipalView{}, Invalid("invalid_value", "public_key: required")
	}
	if err := checkKey(&p); err != nil {
		return PrincipalView{}, err
	}
	now := s.ms()
	np := store.Principal{Principal: p, UpdatedAt: now}
	if err := s.st.UpdatePrincipalKey(ctx, np, p.KeyVersion-1); err != nil {
		return PrincipalView{}, fromStore(err, "principal "+id)
	}
	s.logWrite(c, "principals.key", 1, map[string]string{"principal": id, "key_version": u32s(p.KeyVersion)}, "replaced the key of %s (version %d)", id, p.KeyVersion)
	return s.Principal(ctx, c, id)
}

// KeyHistory returns a principal's earlier public keys.
func (s *Service) KeyHistory(ctx context.Context, c Caller, id string) ([]store.PrincipalKey, error) {
	h, err := s.st.KeyHistory(ctx, id)
	if h == nil {
		h = []store.PrincipalKey{}
	}
	return h, fromStore(err, "principal "+id)
}

// checkRecipient checks a principal envelope against the recipient's current
// key: the recipient exists and the envelope names its current fingerprint
// and key version.
func (s *Service) checkRecipient(ctx context.Context, field string, e *api.Envelope) error {
	if e.Kind != api.RecipientPrincipal {
		return nil
	}
	p, err := s.st.Principal(ctx, e.Principal)
	if errors.Is(err, store.ErrNotFound) {
		return newErr(KindRefused, "unknown_recipient", "%s: recipient principal %q does not exist", field, e.Principal)
	}
	if err != nil {
		return err
	}
	if p.PublicKey == "" {
		return newErr(KindRefused, "recipient_without_key", "%s: recipient %q has no public key yet", field, e.Principal)
	}
	if p.Fingerprint != e.Fingerprint || p.KeyVersion != e.KeyVersion {
		return newErr(KindRefused, "wrong_fingerprint", "%s: fingerprint %.12s… (key version %d) is not the current key of %q (%.12s…, key version %d)", field, e.Fingerprint, e.KeyVersion, e.Principal, p.Fingerprint, p.KeyVersion)
	}
	return nil
}

// MemberView is a member of a group; Stale says its envelope is not for the
// member's current key.
type MemberView struct {
	Member    string       `json:"member"`
	Envelope  api.Envelope `json:"envelope"`
	Stale     bool         `json:"stale"`
	UpdatedAt int64        `json:"updated_at"`
}

// MemberRequest adds a member to a group.
type MemberRequest struct {
	Envelope api.Envelope `json:"envelope"`
}

func (s *Service) group(ctx context.Context, id string) (store.Principal, error) {
	g, err := s.st.Principal(ctx, id)
	if err != nil {
		return g, fromStore(err, "group "+id)
	}
	if g.Kind != api.PrincipalGroup {
		return g, notFound("group " + id)
	}
	return g, nil
}

// PutMember adds or replaces a member of a group with its envelope of the
// group's private key (admin): the envelope is for the member's current key
// and for the group's current key version.
func (s *Service) PutMember(ctx context.Context, c Caller, group, member string, r MemberRequest) (MemberView, error) {
	if err := c.needAdmin(); err != nil {
		return MemberView{}, err
	}
	g, err := s.group(ctx, group)
	if err != nil {
		return MemberView{}, err
	}
	if err := api.CheckID("member", member); err != nil {
		return MemberView{}, fromAPI(err)
	}
	e := r.Envelope
	if err := api.ValidateEnvelope("envelope", &e); err != nil {
		return MemberView{}, fromAPI(err)
	}
	if e.Kind != api.RecipientPrincipal || e.Principal != member {
		return MemberView{}, Invalid(api.CodeInvalidEnvelope, "envelope: must be a principal envelope for %q", member)
	}
	if g.KeyVersion == 0 {
		return MemberView{}, newErr(KindRefused, "group_without_key", "group %q has no key yet", group)
	}
	if e.SecretVersion != g.KeyVersion {
		return MemberView{}, Invalid(api.CodeInvalidEnvelope, "envelope.secret_version: %d is not the group's key version %d", e.SecretVersion, g.KeyVersion)
	}
	if err := s.checkRecipient(ctx, "envelope", &e); err != nil {
		return MemberView{}, err
	}
	m := store.Member{Group: group, Member: member, Envelope: e, UpdatedAt: s.ms()}
	if err := s.st.PutMember(ctx, m); err != nil {
		return MemberView{}, err
	}
	s.logWrite(c, "members.put", 1, map[string]string{"group": group, "member": member}, "added %s to group %s", member, group)
	return MemberView{Member: member, Envelope: e, UpdatedAt: m.UpdatedAt}, nil
}

// DeleteMember removes a member (admin). The group key does not change: the
// client rotates it.
func (s *Service) DeleteMember(ctx context.Context, c Caller, group, member string) error {
	if err := c.needAdmin(); err != nil {
		return err
	}
	if err := s.st.DeleteMember(ctx, group, member); err != nil {
		return fromStore(err, "member "+member+" of "+group)
	}
	s.logWrite(c, "members.delete", 1, map[string]string{"group": group, "member": member}, "removed %s from group %s", member, group)
	return nil
}

// Members lists a group's members (admin, or a member).
func (s *Service) Members(ctx context.Context, c Caller, group string) ([]MemberView, error) {
	if _, err := s.group(ctx, group); err != nil {
		return nil, err
	}
	ms, err := s.st.Members(ctx, group)
	if err != nil {
		return nil, err
	}
	if !c.Admin {
		in := false
		for _, m := range ms {
			in = in || m.Member == c.Principal
		}
		if !in && c.Principal != group {
			return nil, notFound("group " + group)
		}
	}
	out := make([]MemberView, 0, len(ms))
	for _, m := range ms {
		v := MemberView{Member: m.Member, Envelope: m.Envelope, UpdatedAt: m.UpdatedAt}
		v.Stale = s.checkRecipient(ctx, "", &m.Envelope) != nil
		out = append(out, v)
	}
	return out, nil
}
