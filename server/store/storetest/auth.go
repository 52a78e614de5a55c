package storetest

import (
	"testing"

	"github.com/zkvault/zkvault/server/store"
)

// testAuth: server secrets, sessions, invitations, last use, pruning.
func testAuth(t *testing.T, s store.Store) {
	_, err := s.AuthSecret(ctx, store.SecretDashboard)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.PutAuthSecret(ctx, store.AuthSecret{Name: store.SecretDashboard, Hash: "aa", UpdatedAt: 1}))
	must(t, s.PutAuthSecret(ctx, store.AuthSecret{Name: store.SecretDashboard, Hash: "bb", UpdatedAt: 2}))
	if a, err := s.AuthSecret(ctx, store.SecretDashboard); err != nil || a.Hash != "bb" {
		t.Fatalf("auth secret %+v %v", a, err)
	}

	h1, h2 := "1111111111111111aaaa", "2222222222222222bbbb"
	must(t, s.CreateSession(ctx, store.Session{Hash: h1, ID: h1[:16], Kind: store.SessionDashboard, CreatedAt: 10, ExpiresAt: 1000}))
	must(t, s.CreateSession(ctx, store.Session{Hash: h2, ID: h2[:16], Kind: store.SessionMember, Principal: "p", CreatedAt: 20, ExpiresAt: 50}))
	wantErr(t, s.CreateSession(ctx, store.Session{Hash: h1, ID: h1[:16]}), store.ErrExists)
	if se, err := s.SessionByHash(ctx, h2); err != nil || se.Principal != "p" {
		t.Fatalf("session %+v %v", se, err)
	}
	_, err = s.SessionByHash(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)
	if se, err := s.RevokeSession(ctx, h1[:16], 30); err != nil || se.RevokedAt != 30 {
		t.Fatalf("revoke %+v %v", se, err)
	}
	_, err = s.RevokeSession(ctx, "1111", 30)
	wantErr(t, err, store.ErrNotFound)

	must(t, s.CreateInvitation(ctx, store.Invitation{Hash: "ih1", Prefix: "zki_1", Principal: "p", CreatedAt: 5, ExpiresAt: 100}))
	must(t, s.CreateInvitation(ctx, store.Invitation{Hash: "ih2", Prefix: "zki_2", Principal: "p", CreatedAt: 6, ExpiresAt: 100}))
	wantErr(t, s.CreateInvitation(ctx, store.Invitation{Hash: "ih3", Prefix: "zki_1"}), store.ErrExists)
	if inv, err := s.RedeemInvitation(ctx, "ih1", 40); err != nil || inv.UsedAt != 40 {
		t.Fatalf("redeem %+v %v", inv, err)
	}
	_, err = s.RedeemInvitation(ctx, "ih1", 41)
	wantErr(t, err, store.ErrConflict)
	_, err = s.RedeemInvitation(ctx, "ih2", 100)
	wantErr(t, err, store.ErrConflict) // expired
	must(t, s.RevokeInvitation(ctx, "zki_2", 42))
	_, err = s.RedeemInvitation(ctx, "ih2", 43)
	wantErr(t, err, store.ErrConflict)
	_, err = s.RedeemInvitation(ctx, "ih9", 43)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RevokeInvitation(ctx, "zki_9", 42), store.ErrNotFound)

	must(t, s.CreateToken(ctx, store.Token{Hash: "th", Prefix: "zkt_1", Principal: "p", Scopes: []string{"read"}, CreatedAt: 1}))
	must(t, s.TouchCredentials(ctx, map[string]int64{"th": 70, "unknown": 5}, map[string]int64{h2: 45}))
	must(t, s.TouchCredentials(ctx, map[string]int64{"th": 60}, nil)) // never backwards
	if tk, err := s.TokenByHash(ctx, "th"); err != nil || tk.LastUsedAt != 70 {
		t.Fatalf("token last use %+v %v", tk, err)
	}
	if se, _ := s.SessionByHash(ctx, h2); se.LastUsedAt != 45 {
		t.Fatalf("session last use %+v", se)
	}

	// Pruning at 60: the member session expired (50), the dashboard one
	// was revoked (30); invitation 1 was used (40), 2 revoked (42).
	must(t, s.AppendLogs(ctx, []store.LogEntry{{Kind: store.LogWrite, Type: "old", Time: 10}, {Kind: store.LogWrite, Type: "new", Time: 90}}))
	must(t, s.AddLoginAttempt(ctx, store.LoginAttempt{Addr: "a", Time: 10}))
	must(t, s.AddLoginAttempt(ctx, store.LoginAttempt{Addr: "a", Time: 90}))
	n, err := s.Prune(ctx, 60)
	must(t, err)
	if n != 1+2+2+2 {
		t.Fatalf("pruned %d", n)
	}
	ss, err := s.ListSessions(ctx)
	must(t, err)
	is, err := s.ListInvitations(ctx)
	must(t, err)
	es, _, err := s.ListLogs(ctx, store.LogWrite, "", 10)
	must(t, err)
	f, err := s.LoginFailures(ctx, "a", 0)
	must(t, err)
	if len(ss) != 0 || len(is) != 0 || len(es) != 1 || es[0].Type != "new" || f != 1 {
		t.Fatalf("after pruning: %d sessions, %d invitations, %+v, %d failures", len(ss), len(is), es, f)
	}
	// A pruned invitation's prefix is free again.
	must(t, s.CreateInvitation(ctx, store.Invitation{Hash: "ih4", Prefix: "zki_1", Principal: "p", CreatedAt: 7, ExpiresAt: 100}))
}
