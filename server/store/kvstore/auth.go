package kvstore

// Authentication storage (store.AuthStore). Its buckets join Buckets here so
// that kv.go's list stays the ingest path's:
//
//	authsecrets name                              JSON store.AuthSecret
//	sessions    hash                              JSON store.Session
//	invites     hash                              JSON store.Invitation
//	invprefix   prefix                            hash

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/zkvault/zkvault/server/store"
)

var (
	bAuthSecrets = []byte("authsecrets")
	bSessions    = []byte("sessions")
	bInvites     = []byte("invites")
	bInvPrefix   = []byte("invprefix")
)

func init() {
	Buckets = append(Buckets, bAuthSecrets, bSessions, bInvites, bInvPrefix)
}

func (s *Store) AuthSecret(ctx context.Context, name string) (store.AuthSecret, error) {
	var a store.AuthSecret
	err := s.db.View(func(tx Tx) error { return getJSON(tx.Bucket(bAuthSecrets), []byte(name), &a) })
	return a, wrap("auth secret", err)
}

func (s *Store) PutAuthSecret(ctx context.Context, a store.AuthSecret) error {
	return wrap("put auth secret", s.update(func(tx Tx) error {
		return putJSON(tx.Bucket(bAuthSecrets), []byte(a.Name), a)
	}))
}

func (s *Store) CreateSession(ctx context.Context, se store.Session) error {
	return wrap("create session", s.update(func(tx Tx) error {
		b := tx.Bucket(bSessions)
		if b.Get([]byte(se.Hash)) != nil {
			return store.ErrExists
		}
		return putJSON(b, []byte(se.Hash), se)
	}))
}

func (s *Store) SessionByHash(ctx context.Context, hash string) (store.Session, error) {
	var se store.Session
	err := s.db.View(func(tx Tx) error { return getJSON(tx.Bucket(bSessions), []byte(hash), &se) })
	return se, wrap("session", err)
}

func listJSON[T any](s *Store, bucket []byte) ([]T, error) {
	var out []T
	err := s.db.View(func(tx Tx) error {
		var ierr error
		scan(tx.Bucket(bucket).Cursor(), nil, nil, func(k, v []byte) bool {
			var t T
			if ierr = json.Unmarshal(v, &t); ierr != nil {
				return false
			}
			out = append(out, t)
			return true
		})
		return ierr
	})
	return out, err
}

func (s *Store) ListSessions(ctx context.Context) ([]store.Session, error) {
	out, err := listJSON[store.Session](s, bSessions)
	slices.SortFunc(out, func(a, b store.Session) int { return cmp64(a.CreatedAt, b.CreatedAt) })
	return out, wrap("list sessions", err)
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Store) RevokeSession(ctx context.Context, id string, at int64) (store.Session, error) {
	var out store.Session
	err := s.update(func(tx Tx) error {
		b := tx.Bucket(bSessions)
		var hk []byte
		scan(b.Cursor(), []byte(id), nil, func(k, v []byte) bool {
			hk = slices.Clone(k)
			return false
		})
		if hk == nil || len(id) < 16 {
			return store.ErrNotFound
		}
		if err := getJSON(b, hk, &out); err != nil {
			return err
		}
		if out.ID != id {
			return store.ErrNotFound
		}
		if out.RevokedAt == 0 {
			out.RevokedAt = at
		}
		return putJSON(b, hk, out)
	})
	return out, wrap("revoke session", err)
}

func (s *Store) CreateInvitation(ctx context.Context, inv store.Invitation) error {
	return wrap("create invitation", s.update(func(tx Tx) error {
		b, pb := tx.Bucket(bInvites), tx.Bucket(bInvPrefix)
		if b.Get([]byte(inv.Hash)) != nil || pb.Get([]byte(inv.Prefix)) != nil {
			return store.ErrExists
		}
		if err := pb.Put([]byte(inv.Prefix), []byte(inv.Hash)); err != nil {
			return err
		}
		return putJSON(b, []byte(inv.Hash), inv)
	}))
}

func (s *Store) ListInvitations(ctx context.Context) ([]store.Invitation, error) {
	out, err := listJSON[store.Invitation](s, bInvites)
	slices.SortFunc(out, func(a, b store.Invitation) int { return cmp64(a.CreatedAt, b.CreatedAt) })
	return out, wrap("list invitations", err)
}

func (s *Store) RedeemInvitation(ctx context.Context, hash string, at int64) (store.Invitation, error) {
	var inv store.Invitation
	err := s.update(func(tx Tx) error {
		b := tx.Bucket(bInvites)
		if err := getJSON(b, []byte(hash), &inv); err != nil {
			return err
		}
		if inv.UsedAt != 0 || inv.RevokedAt != 0 || at >= inv.ExpiresAt {
			return store.ErrConflict
		}
		inv.UsedAt = at
		return putJSON(b, []byte(hash), inv)
	})
	return inv, wrap("redeem invitation", err)
}

func (s *Store) RevokeInvitation(ctx context.Context, prefix string, at int64) error {
	return wrap("revoke invitation", s.update(func(tx Tx) error {
		h := tx.Bucket(bInvPrefix).Get([]byte(prefix))
		if h == nil {
			return store.ErrNotFound
		}
		h = slices.Clone(h)
		b := tx.Bucket(bInvites)
		var inv store.Invitation
		if err := getJSON(b, h, &inv); err != nil {
			return err
		}
		if inv.RevokedAt == 0 {
			inv.RevokedAt = at
		}
		return putJSON(b, h, inv)
	}))
}

func (s *Store) TouchCredentials(ctx context.Context, tokens, sessions map[string]int64) error {
	if len(tokens) == 0 && len(sessions) == 0 {
		return nil
	}
	touch := func(b Bucket, hash string, at int64, v any, last func() *int64) error {
		raw := b.Get([]byte(hash))
		if raw == nil {
			return nil
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return err
		}
		if p := last(); *p < at {
			*p = at
			return putJSON(b, []byte(hash), v)
		}
		return nil
	}
	return wrap("touch credentials", s.update(func(tx Tx) error {
		for h, at := range tokens {
			var t store.Token
			if err := touch(tx.Bucket(bTokens), h, at, &t, func() *int64 { return &t.LastUsedAt }); err != nil {
				return err
			}
		}
		for h, at := range sessions {
			var se store.Session
			if err := touch(tx.Bucket(bSessions), h, at, &se, func() *int64 { return &se.LastUsedAt }); err != nil {
				return err
			}
		}
		return nil
	}))
}

// pruneBatch bounds the keys one pruning transaction deletes.
const pruneBatch = 5000

func (s *Store) Prune(ctx context.Context, before int64) (int, error) {
	if err := s.flushLogs(); err != nil {
		return 0, wrap("prune", err)
	}
	limit := u64(uint64(max(before, 0)))
	old := func(bucket []byte, k, v []byte) bool {
		switch {
		case bytes.Equal(bucket, bLogin):
			// addr NUL u64be(ms) u64be(seq)
			return len(k) >= 16 && bytes.Compare(k[len(k)-16:len(k)-8], limit) < 0
		case bytes.Equal(bucket, bSessions):
			var se store.Session
			return json.Unmarshal(v, &se) == nil && (se.ExpiresAt < before || (se.RevokedAt != 0 && se.RevokedAt < before))
		case bytes.Equal(bucket, bInvites):
			var inv store.Invitation
			return json.Unmarshal(v, &inv) == nil && (inv.ExpiresAt < before || (inv.RevokedAt != 0 && inv.RevokedAt < before) || (inv.UsedAt != 0 && inv.UsedAt < before))
		}
		// u64be(ms) u64be(seq)
		return len(k) >= 8 && bytes.Compare(k[:8], limit) < 0
	}
	total := 0
	for _, name := range [][]byte{bLogWrite, bLogRead, bLoginAll, bLogin, bSessions, bInvites} {
		for {
			n := 0
			err := s.update(func(tx Tx) error {
				n = 0
				b := tx.Bucket(name)
				var keys [][]byte
				var prefixes [][]byte
				scan(b.Cursor(), nil, nil, func(k, v []byte) bool {
					if old(name, k, v) {
						keys = append(keys, slices.Clone(k))
						if bytes.Equal(name, bInvites) {
							var inv store.Invitation
							if json.Unmarshal(v, &inv) == nil {
								prefixes = append(prefixes, []byte(inv.Prefix))
							}
						}
					}
					sorted := bytes.Equal(name, bLogWrite) || bytes.Equal(name, bLogRead) || bytes.Equal(name, bLoginAll)
					// Time-keyed buckets are in time order: stop at
					// the first young key.
					return len(keys) < pruneBatch && (!sorted || old(name, k, v))
				})
				for _, k := range keys {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				for _, p := range prefixes {
					if err := tx.Bucket(bInvPrefix).Delete(p); err != nil {
						return err
					}
				}
				n = len(keys)
				return nil
			})
			if err != nil {
				return total, wrap("prune", err)
			}
			total += n
			if n < pruneBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}
