package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

func u32s(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// SpaceView is a space as the API shows it. Stale lists the principals whose
// envelope for the current secret version is missing or made for an earlier
// key of theirs: they need a resync.
type SpaceView struct {
	api.Space
	Rev       uint64   `json:"rev"`
	CreatedAt int64    `json:"created_at"`
	UpdatedAt int64    `json:"updated_at"`
	Stale     []string `json:"stale,omitempty"`
}

// principalsOf returns the principal of a caller and the groups it belongs
// to.
func (s *Service) principalsOf(ctx context.Context, c Caller) ([]string, error) {
	gs, err := s.st.GroupsOf(ctx, c.Principal)
	if err != nil {
		return nil, err
	}
	return append([]string{c.Principal}, gs...), nil
}

// space loads a space the caller may read; any other is not found.
func (s *Service) space(ctx context.Context, c Caller, id string) (store.Space, error) {
	if !api.ValidID(id) {
		return store.Space{}, notFound("space")
	}
	sp, err := s.st.Space(ctx, id)
	if err != nil {
		return sp, fromStore(err, "space "+id)
	}
	if c.Admin {
		return sp, nil
	}
	ps, err := s.principalsOf(ctx, c)
	if err != nil {
		return sp, err
	}
	for _, p := range sp.Participants() {
		if slices.Contains(ps, p) {
			return sp, nil
		}
	}
	return store.Space{}, notFound("space " + id)
}

// stale returns the principals that need a (re)wrap of the current secret:
// every related principal and every principal with an envelope in the space
// whose envelope for the current secret version is missing or not for its
// current key.
func (s *Service) stale(ctx context.Context, sp *store.Space) []string {
	if !sp.Encrypted {
		return nil
	}
	var out []string
	for _, p := range sp.Participants() {
		var env *api.Envelope
		for i := range sp.Envelopes {
			e := &sp.Envelopes[i]
			if e.Kind == api.RecipientPrincipal && e.Principal == p && e.SecretVersion == sp.SecretVersion {
				env = e
			}
		}
		if env == nil || s.checkRecipient(ctx, "", env) != nil {
			out = append(out, p)
		}
	}
	return out
}

func (s *Service) view(ctx context.Context, sp store.Space) SpaceView {
	return SpaceView{Space: sp.Space, Rev: sp.Rev, CreatedAt: sp.CreatedAt, UpdatedAt: sp.UpdatedAt, Stale: s.stale(ctx, &sp)}
}

// checkSpace enforces the rules on a new or changed space. old is nil for a
// new space. Envelopes identical to stored ones are not re-checked (they may
// be stale, which the stale query reports); every new or changed one must be
// for its recipient's current key.
func (s *Service) checkSpace(ctx context.Context, c Caller, sp *api.Space, old *store.Space) error {
	if err := api.ValidateSpace(sp); err != nil {
		return fromAPI(err)
	}
	st, err := s.st.Settings(ctx)
	if err != nil {
		return err
	}
	if old != nil {
		if sp.Kind != old.Kind {
			return Invalid("invalid_value", "kind: a space's kind cannot change")
		}
		if old.Encrypted && !sp.Encrypted {
			return newErr(KindRefused, "stays_encrypted", "encrypted: a space created encrypted stays encrypted")
		}
		if sp.SecretVersion < old.SecretVersion {
			return Invalid("invalid_value", "secret_version: %d is older than the stored %d", sp.SecretVersion, old.SecretVersion)
		}
		for _, os := range old.Schemas {
			i := slices.IndexFunc(sp.Schemas, func(n api.Schema) bool { return n.Collection == os.Collection })
			if i < 0 || !reflect.DeepEqual(canonSchema(os), canonSchema(sp.Schemas[i])) {
				return newErr(KindConflict, "schema_changed", "schemas: collection %s exists; its schema cannot change or go", os.Collection)
			}
		}
	}
	if st.Encryption && !sp.Encrypted && old == nil {
		return newErr(KindRefused, "encryption_required", "encrypted: encryption is on: a space must be created encrypted, with its envelopes")
	}
	if !sp.Encrypted && len(sp.Envelopes) > 0 {
		return Invalid(api.CodeInvalidEnvelope, "envelopes: a space in clear has no envelopes")
	}
	// Relations name existing principals; a group relation names a group.
	for i, r := range sp.Relations {
		p, err := s.st.Principal(ctx, r.Principal)
		if errors.Is(err, store.ErrNotFound) {
			return newErr(KindRefused, "unknown_principal", "relations[%d]: principal %q does not exist", i, r.Principal)
		}
		if err != nil {
			return err
		}
		if (r.Role == api.RoleGroup) != (p.Kind == api.PrincipalGroup) {
			return Invalid("invalid_value", "relations[%d]: role %s does not fit principal %q of kind %s", i, r.Role, r.Principal, p.Kind)
		}
	}
	// New or changed envelopes are for current keys; a current envelope is
	// replaced only by the admin (a resync replaces stale ones).
	oldEnv := map[string]api.Envelope{}
	if old != nil {
		for _, e := range old.Envelopes {
			oldEnv[api.EnvelopeKey(&e)] = e
		}
	}
	for i := range sp.Envelopes {
		e := &sp.Envelopes[i]
		prev, had := oldEnv[api.EnvelopeKey(e)]
		if had && prev == *e {
			continue
		}
		field := fmt.Sprintf("envelopes[%d]", i)
		if err := s.checkRecipient(ctx, field, e); err != nil {
			return err
		}
		if had && !c.Admin && (prev.Kind == api.RecipientPassphrase || s.checkRecipient(ctx, "", &prev) == nil) {
			return newErr(KindConflict, "envelope_exists", "%s: an envelope for the recipient's current key exists; only a stale one can be replaced", field)
		}
	}
	if sp.Encrypted {
		if err := requiredEnvelopes(sp, st); err != nil {
			return err
		}
	}
	// A principal creates or changes only spaces it takes part in.
	if !c.Admin {
		ps, err := s.principalsOf(ctx, c)
		if err != nil {
			return err
		}
		v := store.Space{Space: *sp}
		if !slices.ContainsFunc(v.Participants(), func(p string) bool { return slices.Contains(ps, p) }) {
			return newErr(KindForbidden, "not_participant", "a principal may only create or change a space it takes part in")
		}
	}
	return nil
}

// canonSchema makes nil and empty maps compare equal.
func canonSchema(s api.Schema) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// requiredEnvelopes: a vault needs at least one envelope for the current
// secret version; a follow-up one for every related principal and for the
// master, if there is one.
func requiredEnvelopes(sp *api.Space, st store.Settings) error {
	has := func(p string) bool {
		return slices.ContainsFunc(sp.Envelopes, func(e api.Envelope) bool {
			return e.Kind == api.RecipientPrincipal && e.Principal == p && e.SecretVersion == sp.SecretVersion
		})
	}
	switch sp.Kind {
	case api.KindVault:
		if !slices.ContainsFunc(sp.Envelopes, func(e api.Envelope) bool { return e.SecretVersion == sp.SecretVersion }) {
			return newErr(KindRefused, "missing_envelope", "envelopes: an encrypted vault needs an envelope for secret version %d", sp.SecretVersion)
		}
	case api.KindFollowUp:
		for _, r := range sp.Relations {
			if !has(r.Principal) {
				return newErr(KindRefused, "missing_envelope", "envelopes: no envelope for %s %q at secret version %d", r.Role, r.Principal, sp.SecretVersion)
			}
		}
		if st.MasterPrincipal != "" && !has(st.MasterPrincipal) {
			return newErr(KindRefused, "missing_envelope", "envelopes: no envelope for the master %q at secret version %d", st.MasterPrincipal, sp.SecretVersion)
		}
	}
	return nil
}

// CreateSpace creates a vault or a follow-up.
func (s *Service) CreateSpace(ctx context.Context, c Caller, sp api.Space) (SpaceView, error) {
	if err := c.need(ScopeWrite); err != nil {
		return SpaceView{}, err
	}
	if err := s.checkSpace(ctx, c, &sp, nil); err != nil {
		return SpaceView{}, err
	}
	now := s.ms()
	st := store.Space{Space: sp, CreatedAt: now, UpdatedAt: now}
	if err := s.st.CreateSpace(ctx, st); err != nil {
		return SpaceView{}, fromStore(err, "space "+sp.ID)
	}
	st.Rev = 1
	s.logWrite(c, "spaces.create", 1, map[string]string{"space": sp.ID, "kind": sp.Kind}, "created %s %s", sp.Kind, sp.ID)
	return s.view(ctx, st), nil
}

// Space returns a space the caller may read.
func (s *Service) Space(ctx context.Context, c Caller, id string) (SpaceView, error) {
	if err := c.need(ScopeRead); err != nil {
		return SpaceView{}, err
	}
	sp, err := s.space(ctx, c, id)
	if err != nil {
		return SpaceView{}, err
	}
	s.logRead(c, "spaces.get", 1, map[string]string{"space": id}, "read space %s", id)
	return s.view(ctx, sp), nil
}

// ListSpaces lists the spaces the caller may read.
func (s *Service) ListSpaces(ctx context.Context, c Caller, cursor string, limit int) ([]SpaceView, string, error) {
	if err := c.need(ScopeRead); err != nil {
		return nil, "", err
	}
	var ps []string
	if !c.Admin {
		var err error
		if ps, err = s.principalsOf(ctx, c); err != nil {
			return nil, "", err
		}
	}
	ids, next, err := s.st.ListSpaces(ctx, ps, cursor, limit)
	if err != nil {
		return nil, "", fromStore(err, "spaces")
	}
	out := make([]SpaceView, 0, len(ids))
	for _, id := range ids {
		sp, err := s.st.Space(ctx, id)
		if err != nil {
			return nil, "", err
		}
		out = append(out, s.view(ctx, sp))
	}
	s.logRead(c, "spaces.list", len(out), nil, "listed %d spaces", len(out))
	return out, next, nil
}

// updateSpace applies change to the stored space and checks the result,
// retrying on a concurrent change.
func (s *Service) updateSpace(ctx context.Context, c Caller, id string, change func(*api.Space) error) (SpaceView, error) {
	if err := c.need(ScopeWrite); err != nil {
		return SpaceView{}, err
	}
	for attempt := 0; ; attempt++ {
		old, err := s.space(ctx, c, id)
		if err != nil {
			return SpaceView{}, err
		}
		next := cloneSpace(old.Space)
		if err := change(&next); err != nil {
			return SpaceView{}, err
		}
		if err := s.checkSpace(ctx, c, &next, &old); err != nil {
			return SpaceView{}, err
		}
		ns := store.Space{Space: next, Rev: old.Rev, CreatedAt: old.CreatedAt, UpdatedAt: s.ms()}
		err = s.st.UpdateSpace(ctx, ns)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return SpaceView{}, fromStore(err, "space "+id)
		}
		ns.Rev++
		return s.view(ctx, ns), nil
	}
}

func cloneSpace(sp api.Space) api.Space {
	b, _ := json.Marshal(sp)
	var out api.Space
	_ = json.Unmarshal(b, &out)
	return out
}

// ReplaceSpace replaces a space's metadata, relations, envelopes, schemas
// (existing ones cannot change), encryption (clear to encrypted only) and
// secret version (forward only).
func (s *Service) ReplaceSpace(ctx context.Context, c Caller, id string, sp api.Space) (SpaceView, error) {
	if sp.ID != id {
		return SpaceView{}, Invalid("invalid_value", "id: %q does not match the path", sp.ID)
	}
	v, err := s.updateSpace(ctx, c, id, func(cur *api.Space) error {
		*cur = sp
		return nil
	})
	if err == nil {
		s.logWrite(c, "spaces.replace", 1, map[string]string{"space": id}, "replaced space %s", id)
	}
	return v, err
}

// EnvelopesRequest adds or replaces envelopes.
type EnvelopesRequest struct {
	Envelopes []api.Envelope `json:"envelopes"`
}

// PutEnvelopes adds envelopes to a space or replaces stale ones (resync).
func (s *Service) PutEnvelopes(ctx context.Context, c Caller, id string, r EnvelopesRequest) (SpaceView, error) {
	if len(r.Envelopes) == 0 {
		return SpaceView{}, Invalid("invalid_value", "envelopes: at least one")
	}
	v, err := s.updateSpace(ctx, c, id, func(sp *api.Space) error {
		for _, e := range r.Envelopes {
			k := api.EnvelopeKey(&e)
			i := slices.IndexFunc(sp.Envelopes, func(o api.Envelope) bool { return api.EnvelopeKey(&o) == k })
			if i >= 0 {
				sp.Envelopes[i] = e
			} else {
				sp.Envelopes = append(sp.Envelopes, e)
			}
		}
		return nil
	})
	if err == nil {
		s.logWrite(c, "envelopes.put", len(r.Envelopes), map[string]string{"space": id}, "put %d envelopes in space %s", len(r.Envelopes), id)
	}
	return v, err
}

// DeleteEnvelope removes one envelope, unless the space needs it.
func (s *Service) DeleteEnvelope(ctx context.Context, c Caller, id, kind, principal string, secretVersion uint32) (SpaceView, error) {
	k := api.EnvelopeKey(&api.Envelope{Kind: kind, Principal: principal, SecretVersion: secretVersion})
	v, err := s.updateSpace(ctx, c, id, func(sp *api.Space) error {
		i := slices.IndexFunc(sp.Envelopes, func(o api.Envelope) bool { return api.EnvelopeKey(&o) == k })
		if i < 0 {
			return notFound("envelope " + k)
		}
		sp.Envelopes = slices.Delete(sp.Envelopes, i, i+1)
		return nil
	})
	if err == nil {
		s.logWrite(c, "envelopes.delete", 1, map[string]string{"space": id, "envelope": k}, "removed envelope %s of space %s", k, id)
	}
	return v, err
}

// AddSchema adds a collection to a space.
func (s *Service) AddSchema(ctx context.Context, c Caller, id string, sc api.Schema) (SpaceView, error) {
	v, err := s.updateSpace(ctx, c, id, func(sp *api.Space) error {
		if slices.ContainsFunc(sp.Schemas, func(o api.Schema) bool { return o.Collection == sc.Collection }) {
			return newErr(KindConflict, "exists", "collection %s exists", sc.Collection)
		}
		sp.Schemas = append(sp.Schemas, sc)
		return nil
	})
	if err == nil {
		s.logWrite(c, "collections.create", 1, map[string]string{"space": id, "collection": sc.Collection}, "added collection %s to space %s", sc.Collection, id)
	}
	return v, err
}

// StaleSpaces lists the spaces in which principal needs a resync: its
// envelope for the current secret version is missing or made for an earlier
// key. Only spaces the caller may read are listed.
func (s *Service) StaleSpaces(ctx context.Context, c Caller, principal string) ([]string, error) {
	if err := c.need(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.st.Principal(ctx, principal); err != nil {
		return nil, fromStore(err, "principal "+principal)
	}
	var callerPs []string
	if !c.Admin {
		var err error
		if callerPs, err = s.principalsOf(ctx, c); err != nil {
			return nil, err
		}
	}
	out := []string{}
	cursor := ""
	for {
		ids, next, err := s.st.ListSpaces(ctx, []string{principal}, cursor, store.MaxPageSize)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			sp, err := s.st.Space(ctx, id)
			if err != nil {
				return nil, err
			}
			if callerPs != nil && !slices.ContainsFunc(sp.Participants(), func(p string) bool { return slices.Contains(callerPs, p) }) {
				continue
			}
			if slices.Contains(s.stale(ctx, &sp), principal) {
				out = append(out, id)
			}
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}
