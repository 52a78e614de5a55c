// Package storetest is the conformance suite every store.Store passes.
package storetest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/store"
)

// Run runs the suite; newStore returns an empty store (closed by the suite).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Settings", testSettings},
		{"Principals", testPrincipals},
		{"Master", testMaster},
		{"Members", testMembers},
		{"Spaces", testSpaces},
		{"Records", testRecords},
		{"RecordQueries", testRecordQueries},
		{"RecordConditions", testRecordConditions},
		{"RecordChurn", testRecordChurn},
		{"ConcurrentUpserts", testConcurrentUpserts},
		{"Blobs", testBlobs},
		{"Tokens", testTokens},
		{"Logs", testLogs},
		{"LoginAttempts", testLoginAttempts},
		{"Auth", testAuth}, // auth.go
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

func testSettings(t *testing.T, s store.Store) {
	st, err := s.Settings(ctx)
	must(t, err)
	if st.Encryption || st.MasterPrincipal != "" {
		t.Fatalf("fresh settings %+v", st)
	}
	must(t, s.PutSettings(ctx, store.Settings{Encryption: true, MasterPrincipal: "master", UpdatedAt: 5}))
	st, err = s.Settings(ctx)
	must(t, err)
	if !st.Encryption || st.MasterPrincipal != "master" || st.UpdatedAt != 5 {
		t.Fatalf("settings %+v", st)
	}
	// SetEncryption changes encryption alone.
	st, err = s.SetEncryption(ctx, false, 7)
	must(t, err)
	if st.Encryption || st.MasterPrincipal != "master" || st.UpdatedAt != 7 {
		t.Fatalf("SetEncryption returned %+v", st)
	}
	if got, err := s.Settings(ctx); err != nil || got != st {
		t.Fatalf("settings after SetEncryption %+v %v", got, err)
	}
}

// testMaster: CreateMaster writes the principal and the settings' pointer
// together; of concurrent creations exactly one wins and the losers leave
// nothing behind.
func testMaster(t *testing.T, s store.Store) {
	must(t, s.CreatePrincipal(ctx, principal("taken", 1)))
	m := principal("taken", 1)
	m.Kind = api.PrincipalMaster
	wantErr(t, s.CreateMaster(ctx, m), store.ErrExists)
	if st, err := s.Settings(ctx); err != nil || st.MasterPrincipal != "" {
		t.Fatalf("settings after a refused master: %+v %v", st, err)
	}
	_, err := s.SetEncryption(ctx, true, 3)
	must(t, err)

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := principal(fmt.Sprintf("master%d", i), 1)
			p.Kind, p.CreatedAt = api.PrincipalMaster, int64(100+i)
			<-start
			errs[i] = s.CreateMaster(ctx, p)
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("two masters created: %d and %d", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("creation %d: %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no master created")
	}
	st, err := s.Settings(ctx)
	must(t, err)
	want := fmt.Sprintf("master%d", winner)
	if st.MasterPrincipal != want || st.UpdatedAt != int64(100+winner) || !st.Encryption {
		t.Fatalf("settings %+v, want master %s and encryption kept", st, want)
	}
	for i := range n {
		_, err := s.Principal(ctx, fmt.Sprintf("master%d", i))
		if i == winner {
			must(t, err)
		} else {
			wantErr(t, err, store.ErrNotFound)
		}
	}
	p := principal("late", 1)
	p.Kind = api.PrincipalMaster
	wantErr(t, s.CreateMaster(ctx, p), store.ErrConflict)
	_, err = s.Principal(ctx, "late")
	wantErr(t, err, store.ErrNotFound)
}

func principal(id string, v uint32) store.Principal {
	p := store.Principal{Principal: api.Principal{ID: id, Kind: api.PrincipalUser}, CreatedAt: 1, UpdatedAt: 1}
	if v > 0 {
		p.PublicKey = fmt.Sprintf("key-%s-%d", id, v)
		p.Fingerprint = fmt.Sprintf("fp-%s-%d", id, v)
		p.KeyVersion = v
	}
	return p
}

func testPrincipals(t *testing.T, s store.Store) {
	_, err := s.Principal(ctx, "alice")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.CreatePrincipal(ctx, principal("alice", 1)))
	wantErr(t, s.CreatePrincipal(ctx, principal("alice", 1)), store.ErrExists)
	for i := 0; i < 5; i++ {
		must(t, s.CreatePrincipal(ctx, principal(fmt.Sprintf("u%d", i), 0)))
	}
	p, err := s.Principal(ctx, "alice")
	must(t, err)
	if p.Fingerprint != "fp-alice-1" || p.CreatedAt != 1 {
		t.Fatalf("principal %+v", p)
	}
	// Compare-and-swap on the key version.
	wantErr(t, s.UpdatePrincipalKey(ctx, principal("alice", 3), 2), store.ErrConflict)
	np := principal("alice", 2)
	np.UpdatedAt, np.CreatedAt = 9, 0
	must(t, s.UpdatePrincipalKey(ctx, np, 1))
	wantErr(t, s.UpdatePrincipalKey(ctx, principal("alice", 2), 1), store.ErrConflict)
	wantErr(t, s.UpdatePrincipalKey(ctx, principal("nobody", 1), 0), store.ErrNotFound)
	must(t, s.UpdatePrincipalKey(ctx, principal("alice", 3), 2))
	p, err = s.Principal(ctx, "alice")
	must(t, err)
	if p.KeyVersion != 3 || p.CreatedAt != 1 {
		t.Fatalf("after update %+v", p)
	}
	h, err := s.KeyHistory(ctx, "alice")
	must(t, err)
	if len(h) != 2 || h[0].KeyVersion != 1 || h[1].KeyVersion != 2 || h[0].Fingerprint != "fp-alice-1" || h[0].ReplacedAt != 9 {
		t.Fatalf("history %+v", h)
	}
	// A principal without a key gets one: no history entry.
	must(t, s.UpdatePrincipalKey(ctx, principal("u0", 1), 0))
	h, err = s.KeyHistory(ctx, "u0")
	must(t, err)
	if len(h) != 0 {
		t.Fatalf("history %+v", h)
	}
	_, err = s.KeyHistory(ctx, "nobody")
	wantErr(t, err, store.ErrNotFound)
	// Pagination.
	var ids []string
	cur := ""
	for {
		ps, next, err := s.ListPrincipals(ctx, cur, 2)
		must(t, err)
		if len(ps) > 2 {
			t.Fatalf("page of %d", len(ps))
		}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		if next == "" {
			break
		}
		cur = next
	}
	if strings.Join(ids, ",") != "alice,u0,u1,u2,u3,u4" {
		t.Fatalf("listed %v", ids)
	}
	_, _, err = s.ListPrincipals(ctx, "!!", 2)
	wantErr(t, err, store.ErrBadCursor)
}

func testMembers(t *testing.T, s store.Store) {
	env := api.Envelope{Kind: api.RecipientPrincipal, Principal: "alice", SecretVersion: 1, Data: "x"}
	must(t, s.PutMember(ctx, store.Member{Group: "q1", Member: "alice", Envelope: env}))
	must(t, s.PutMember(ctx, store.Member{Group: "q1", Member: "bob", Envelope: env}))
	must(t, s.PutMember(ctx, store.Member{Group: "q2", Member: "alice", Envelope: env}))
	env.Data = "y"
	must(t, s.PutMember(ctx, store.Member{Group: "q1", Member: "alice", Envelope: env}))
	ms, err := s.Members(ctx, "q1")
	must(t, err)
	if len(ms) != 2 || ms[0].Member != "alice" || ms[0].Envelope.Data != "y" || ms[1].Member != "bob" {
		t.Fatalf("members %+v", ms)
	}
	gs, err := s.GroupsOf(ctx, "alice")
	must(t, err)
	if !slices.Equal(gs, []string{"q1", "q2"}) {
		t.Fatalf("groups %v", gs)
	}
	// A group whose id is a prefix of another's is not confused with it.
	ms, err = s.Members(ctx, "q")
	must(t, err)
	if len(ms) != 0 {
		t.Fatalf("members of q: %+v", ms)
	}
	must(t, s.DeleteMember(ctx, "q1", "alice"))
	wantErr(t, s.DeleteMember(ctx, "q1", "alice"), store.ErrNotFound)
	gs, err = s.GroupsOf(ctx, "alice")
	must(t, err)
	if !slices.Equal(gs, []string{"q2"}) {
		t.Fatalf("groups %v", gs)
	}
}

func space(id string, principals ...string) store.Space {
	sp := store.Space{Space: api.Space{ID: id, Kind: api.KindFollowUp, SecretVersion: 1}}
	for i, p := range principals {
		if i%2 == 0 {
			sp.Relations = append(sp.Relations, api.Relation{Role: api.RoleOwner, Principal: p})
		} else {
			sp.Envelopes = append(sp.Envelopes, api.Envelope{Kind: api.RecipientPrincipal, Principal: p, SecretVersion: 1, Data: "x"})
		}
	}
	return sp
}

func testSpaces(t *testing.T, s store.Store) {
	must(t, s.CreateSpace(ctx, space("s1", "alice", "bob")))
	wantErr(t, s.CreateSpace(ctx, space("s1")), store.ErrExists)
	must(t, s.CreateSpace(ctx, space("s2", "bob")))
	must(t, s.CreateSpace(ctx, space("s3", "carol", "alice")))
	must(t, s.CreateSpace(ctx, space("s4")))
	sp, err := s.Space(ctx, "s1")
	must(t, err)
	if sp.Rev != 1 || len(sp.Relations) != 1 || len(sp.Envelopes) != 1 {
		t.Fatalf("space %+v", sp)
	}
	_, err = s.Space(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	list := func(ps []string, limit int) []string {
		var all []string
		cur := ""
		for {
			ids, next, err := s.ListSpaces(ctx, ps, cur, limit)
			must(t, err)
			if len(ids) > limit {
				t.Fatalf("page of %d > %d", len(ids), limit)
			}
			all = append(all, ids...)
			if next == "" {
				return all
			}
			cur = next
		}
	}
	if got := list(nil, 3); !slices.Equal(got, []string{"s1", "s2", "s3", "s4"}) {
		t.Fatalf("all spaces %v", got)
	}
	if got := list([]string{"alice"}, 1); !slices.Equal(got, []string{"s1", "s3"}) {
		t.Fatalf("alice's spaces %v", got)
	}
	if got := list([]string{"bob", "carol"}, 2); !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("bob+carol spaces %v", got)
	}
	if got := list([]string{"dave"}, 2); len(got) != 0 {
		t.Fatalf("dave's spaces %v", got)
	}
	// Compare-and-swap on Rev; participants follow the update.
	sp.Relations = []api.Relation{{Role: api.RoleOwner, Principal: "dave"}}
	must(t, s.UpdateSpace(ctx, sp))
	wantErr(t, s.UpdateSpace(ctx, sp), store.ErrConflict)
	sp, err = s.Space(ctx, "s1")
	must(t, err)
	if sp.Rev != 2 || sp.Relations[0].Principal != "dave" {
		t.Fatalf("updated %+v", sp)
	}
	if got := list([]string{"alice"}, 10); !slices.Equal(got, []string{"s3"}) {
		t.Fatalf("alice's spaces after update %v", got)
	}
	if got := list([]string{"dave"}, 10); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("dave's spaces after update %v", got)
	}
	wantErr(t, s.UpdateSpace(ctx, space("nope")), store.ErrNotFound)
}

func rec(id string, text string, t int64, idx ...string) store.RecordWrite {
	w := store.RecordWrite{ID: id, Data: []byte(fmt.Sprintf(`{"id":%q,"text":%q,"t":%d}`, id, text, t)), Time: t, HasTime: true}
	for _, v := range idx {
		w.Index = append(w.Index, store.IndexEntry{Name: "phone", Value: v})
	}
	w.Filters = []store.FilterEntry{{Field: "chat", Value: fmt.Sprintf("%q", text)}}
	return w
}

func testRecords(t *testing.T, s store.Store) {
	out, err := s.UpsertRecords(ctx, "s1", "msgs", []store.RecordWrite{rec("a", "x", 1, "aa"), rec("b", "y", 2, "bb")})
	must(t, err)
	if !slices.Equal(out, []store.Outcome{store.Inserted, store.Inserted}) {
		t.Fatalf("outcomes %v", out)
	}
	out, err = s.UpsertRecords(ctx, "s1", "msgs", []store.RecordWrite{rec("a", "x", 1, "aa"), rec("b", "z", 3, "cc"), rec("c", "z", 4)})
	must(t, err)
	if !slices.Equal(out, []store.Outcome{store.Unchanged, store.Updated, store.Inserted}) {
		t.Fatalf("outcomes %v", out)
	}
	d, err := s.Record(ctx, "s1", "msgs", "b")
	must(t, err)
	if !bytes.Contains(d, []byte(`"z"`)) {
		t.Fatalf("record b %s", d)
	}
	_, err = s.Record(ctx, "s1", "other", "b")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.Record(ctx, "s2", "msgs", "b")
	wantErr(t, err, store.ErrNotFound)
	// The old index value of b is gone, the new one is there.
	q := func(q store.Query) []string {
		q.Space, q.Collection = "s1", "msgs"
		var ids []string
		for {
			recs, next, err := s.QueryRecords(ctx, q)
			must(t, err)
			for _, r := range recs {
				ids = append(ids, string(r[7:8]))
			}
			if next == "" {
				return ids
			}
			q.Cursor = next
		}
	}
	if got := q(store.Query{Index: "phone", IndexValue: "bb"}); len(got) != 0 {
		t.Fatalf("stale index entry: %v", got)
	}
	if got := q(store.Query{Index: "phone", IndexValue: "cc"}); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("index cc: %v", got)
	}
	if got := q(store.Query{Field: "chat", FieldValue: `"y"`}); len(got) != 0 {
		t.Fatalf("stale filter entry: %v", got)
	}
	if got := q(store.Query{TimeRange: true, From: 2, To: 3}); len(got) != 0 {
		t.Fatalf("stale time entry: %v", got)
	}
	must(t, s.DeleteRecord(ctx, "s1", "msgs", "b"))
	wantErr(t, s.DeleteRecord(ctx, "s1", "msgs", "b"), store.ErrNotFound)
	if got := q(store.Query{Index: "phone", IndexValue: "cc"}); len(got) != 0 {
		t.Fatalf("index after delete: %v", got)
	}
	if got := q(store.Query{}); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("all after delete: %v", got)
	}
}

// testRecordConditions: a write with a condition (ReplaceIn) replaces a
// stored record only if the stored record's time lies in the range, is
// written when nothing is stored under its id, and otherwise is refused
// alone: nothing of it is written (record, index, filter or time entries)
// and the other writes of the batch go ahead.
func testRecordConditions(t *testing.T, s store.Store) {
	in := &store.TimeRange{From: 10, To: 20}
	noTime := store.RecordWrite{ID: "n", Data: []byte(`{"id":"n","text":"none"}`)}
	_, err := s.UpsertRecords(ctx, "s1", "msgs", []store.RecordWrite{
		rec("a", "x", 10, "aa"), // at From: in
		rec("b", "x", 20, "bb"), // at To: out
		rec("c", "x", 5, "cc"),  // before: out
		rec("u", "x", 19, "uu"), // in, sent again unchanged
		rec("v", "x", 25, "vv"), // out, sent again unchanged
		noTime,                  // no time: out of every range
	})
	must(t, err)
	cond := func(w store.RecordWrite) store.RecordWrite { w.ReplaceIn = in; return w }
	out, err := s.UpsertRecords(ctx, "s1", "msgs", []store.RecordWrite{
		cond(rec("a", "y", 11, "a2")),
		cond(rec("b", "y", 12, "b2")),
		cond(rec("c", "y", 13, "c2")),
		cond(rec("d", "y", 14, "d2")), // nothing stored: written
		cond(rec("n", "y", 15, "n2")),
		cond(rec("u", "x", 19, "uu")),
		cond(rec("v", "x", 25, "vv")),
		rec("w", "y", 16, "w2"), // no condition, beside refused ones
	})
	must(t, err)
	want := []store.Outcome{store.Updated, store.Refused, store.Refused, store.Inserted, store.Refused, store.Unchanged, store.Refused, store.Inserted}
	if !slices.Equal(out, want) {
		t.Fatalf("outcomes %v, want %v", out, want)
	}
	data := func(id string) string {
		d, err := s.Record(ctx, "s1", "msgs", id)
		must(t, err)
		return string(d)
	}
	for id, w := range map[string]string{"a": "y", "b": "x", "c": "x", "d": "y", "w": "y"} {
		if d := data(id); !strings.Contains(d, fmt.Sprintf(`"text":%q`, w)) {
			t.Errorf("record %s: %s, want text %q", id, d, w)
		}
	}
	if d := data("n"); d != string(noTime.Data) {
		t.Errorf("record n: %s, want it unchanged", d)
	}
	// The entries are those of the versions stored: none of a refused write.
	q := func(q store.Query) []string {
		q.Space, q.Collection = "s1", "msgs"
		recs, _, err := s.QueryRecords(ctx, q)
		must(t, err)
		var ids []string
		for _, r := range recs {
			ids = append(ids, string(r[7:8]))
		}
		return ids
	}
	for v, want := range map[string][]string{"aa": nil, "a2": {"a"}, "bb": {"b"}, "b2": nil, "cc": {"c"}, "c2": nil, "d2": {"d"}, "n2": nil} {
		if got := q(store.Query{Index: "phone", IndexValue: v}); !slices.Equal(got, want) {
			t.Errorf("index %s: %v, want %v", v, got, want)
		}
	}
	if got := q(store.Query{TimeRange: true, From: 0, To: 100}); !slices.Equal(got, []string{"c", "a", "d", "w", "u", "b", "v"}) {
		t.Errorf("time order %v", got)
	}
	if got := q(store.Query{Field: "chat", FieldValue: `"x"`}); !slices.Equal(got, []string{"c", "u", "b", "v"}) {
		t.Errorf("chat x: %v", got)
	}
	// The condition sees what the batch wrote before it: a record moved
	// out of the range by an earlier write of the batch is not replaced.
	out, err = s.UpsertRecords(ctx, "s1", "msgs", []store.RecordWrite{rec("e", "x", 30), cond(rec("e", "y", 15))})
	must(t, err)
	if !slices.Equal(out, []store.Outcome{store.Inserted, store.Refused}) {
		t.Fatalf("outcomes with a record twice in a batch %v", out)
	}
	if d := data("e"); !strings.Contains(d, `"t":30`) {
		t.Fatalf("record e: %s", d)
	}
	// Nothing stored in a fresh collection: every conditional write goes
	// ahead (the path of writes known to insert).
	var batch []store.RecordWrite
	for i := 0; i < 20; i++ {
		batch = append(batch, cond(rec(string(rune('a'+i)), "z", 12)))
	}
	out, err = s.UpsertRecords(ctx, "s1", "fresh", batch)
	must(t, err)
	for i, o := range out {
		if o != store.Inserted {
			t.Fatalf("fresh collection: outcome %d is %v", i, o)
		}
	}
}

func testRecordQueries(t *testing.T, s store.Store) {
	var batch []store.RecordWrite
	for i := 0; i < 50; i++ {
		id := string(rune('A' + i%26))
		if i >= 26 {
			id = string(rune('a' + i - 26))
		}
		chat := "even"
		if i%2 == 1 {
			chat = "odd"
		}
		idx := []string{fmt.Sprintf("%02x", i%5)}
		if i%10 == 0 {
			idx = append(idx, "ff")
		}
		batch = append(batch, rec(id, chat, int64(1000-i*10), idx...))
	}
	// Same ids in another collection and space must not leak in.
	_, err := s.UpsertRecords(ctx, "s1", "msgs", batch)
	must(t, err)
	_, err = s.UpsertRecords(ctx, "s1", "msgs2", batch)
	must(t, err)
	_, err = s.UpsertRecords(ctx, "s10", "msgs", batch)
	must(t, err)
	run := func(q store.Query, limit int) []string {
		q.Space, q.Collection, q.Limit = "s1", "msgs", limit
		var ids []string
		for {
			recs, next, err := s.QueryRecords(ctx, q)
			must(t, err)
			if len(recs) > limit {
				t.Fatalf("page of %d > %d", len(recs), limit)
			}
			for _, r := range recs {
				ids = append(ids, string(r[7:8]))
			}
			if next == "" {
				return ids
			}
			q.Cursor = next
		}
	}
	if got := run(store.Query{Index: "phone", IndexValue: "ff"}, 2); strings.Join(got, "") != "AKUeo" {
		t.Fatalf("index ff: %v", got)
	}
	if got := run(store.Query{Index: "phone", IndexValue: "03"}, 3); len(got) != 10 {
		t.Fatalf("index 03: %v", got)
	}
	if got := run(store.Query{}, 7); len(got) != 50 {
		t.Fatalf("all: %d", len(got))
	}
	// Time range [800, 900): i in (10, 20] → times 900-..: i=11..20 → 890..800.
	got := run(store.Query{TimeRange: true, From: 800, To: 900}, 3)
	if len(got) != 10 || got[0] != "U" || got[9] != "L" {
		t.Fatalf("time range: %v", got)
	}
	got = run(store.Query{Field: "chat", FieldValue: `"odd"`, TimeRange: true, From: 800, To: 900}, 2)
	if strings.Join(got, "") != "TRPNL" {
		t.Fatalf("field+time: %v", got)
	}
	if got := run(store.Query{Field: "chat", FieldValue: `"odd"`}, 4); len(got) != 25 {
		t.Fatalf("field: %v", got)
	}
	// A cursor of another query is refused.
	_, next, err := s.QueryRecords(ctx, store.Query{Space: "s1", Collection: "msgs", Limit: 2})
	must(t, err)
	_, _, err = s.QueryRecords(ctx, store.Query{Space: "s1", Collection: "msgs", Index: "phone", IndexValue: "03", Cursor: next})
	wantErr(t, err, store.ErrBadCursor)
	_, _, err = s.QueryRecords(ctx, store.Query{Space: "s1", Collection: "msgs", Cursor: "not base64!"})
	wantErr(t, err, store.ErrBadCursor)
	// The hard maximum.
	recs, _, err := s.QueryRecords(ctx, store.Query{Space: "s1", Collection: "msgs", Limit: store.MaxPageSize + 5})
	must(t, err)
	if len(recs) != 50 {
		t.Fatalf("got %d", len(recs))
	}
}

// testRecordChurn writes batches that insert, replace and delete records,
// large enough for a store to keep its index in more than one place, and
// checks every index, filter and time query against a model after each.
func testRecordChurn(t *testing.T, s store.Store) {
	rng := rand.New(rand.NewPCG(11, 12))
	type rw = store.RecordWrite
	m := map[string]rw{}
	gen := func(id string) rw {
		w := rw{ID: id, Data: fmt.Appendf(nil, `{"id":%q,"n":%d}`, id, rng.Int()), Time: int64(rng.IntN(2000)), HasTime: true,
			Index:   []store.IndexEntry{{Name: "p", Value: fmt.Sprintf("%02x", rng.IntN(20))}},
			Filters: []store.FilterEntry{{Field: "chat", Value: fmt.Sprintf(`"c%d"`, rng.IntN(3))}}}
		if rng.IntN(3) == 0 {
			w.HasTime = false
		}
		return w
	}
	ids := func(q store.Query) []string {
		q.Space, q.Collection, q.Limit = "s", "c", 1+rng.IntN(40)
		var out []string
		for {
			recs, next, err := s.QueryRecords(ctx, q)
			must(t, err)
			for _, r := range recs {
				out = append(out, string(r[7:13]))
			}
			if next == "" {
				return out
			}
			q.Cursor = next
		}
	}
	want := func(keep func(w rw) bool, timed bool) []string {
		var ws []rw
		for _, w := range m {
			if keep(w) {
				ws = append(ws, w)
			}
		}
		slices.SortFunc(ws, func(a, b rw) int {
			if timed && a.Time != b.Time {
				return cmp.Compare(a.Time, b.Time)
			}
			return strings.Compare(a.ID, b.ID)
		})
		var out []string
		for _, w := range ws {
			out = append(out, w.ID)
		}
		return out
	}
	check := func(round int) {
		t.Helper()
		for v := 0; v < 20; v++ {
			val := fmt.Sprintf("%02x", v)
			got := ids(store.Query{Index: "p", IndexValue: val})
			if w := want(func(w rw) bool { return w.Index[0].Value == val }, false); !slices.Equal(got, w) {
				t.Fatalf("round %d: index %s: got %q, want %q", round, val, got, w)
			}
		}
		for c := 0; c < 3; c++ {
			val := fmt.Sprintf(`"c%d"`, c)
			got := ids(store.Query{Field: "chat", FieldValue: val})
			if w := want(func(w rw) bool { return w.Filters[0].Value == val }, true); !slices.Equal(got, w) {
				t.Fatalf("round %d: filter %s: got %q, want %q", round, val, got, w)
			}
		}
		got := ids(store.Query{TimeRange: true, From: 500, To: 1500})
		if w := want(func(w rw) bool { return w.HasTime && w.Time >= 500 && w.Time < 1500 }, true); !slices.Equal(got, w) {
			t.Fatalf("round %d: time: got %q, want %q", round, got, w)
		}
	}
	for round := 0; round < 8; round++ {
		var batch []rw
		for i := 0; i < 300; i++ {
			batch = append(batch, gen(fmt.Sprintf("r%05d", rng.IntN(1000))))
		}
		_, err := s.UpsertRecords(ctx, "s", "c", batch)
		must(t, err)
		for _, w := range batch {
			if old, ok := m[w.ID]; !ok || !bytes.Equal(old.Data, w.Data) {
				m[w.ID] = w
			}
		}
		for i := 0; i < 20; i++ {
			id := fmt.Sprintf("r%05d", rng.IntN(1000))
			if _, ok := m[id]; ok {
				must(t, s.DeleteRecord(ctx, "s", "c", id))
				delete(m, id)
			}
		}
		check(round)
	}
}

// testConcurrentUpserts: writers upsert batches at the same time (a store
// may write batches that are ready together in one transaction). Each
// writer's own records get exactly the outcomes of its batches applied in
// its order; records every writer touches are inserted once and then
// updated, never seen unchanged; the store ends with each writer's last
// version of its records, one version of each shared record, and index,
// filter and time entries for exactly the versions stored.
func testConcurrentUpserts(t *testing.T, s store.Store) {
	const writers, batches, own, shared = 6, 12, 20, 8
	type rw = store.RecordWrite
	gen := func(id, version string, t int64) rw {
		return rw{ID: id, Data: fmt.Appendf(nil, `{"id":%q,"v":%q}`, id, version), Time: t, HasTime: true,
			Index:   []store.IndexEntry{{Name: "p", Value: version}},
			Filters: []store.FilterEntry{{Field: "f", Value: fmt.Sprintf("%q", version)}}}
	}
	var mu sync.Mutex
	final := map[string]rw{}          // own records: the last version written
	sharedWrites := map[string][]rw{} // shared records: every version written
	sharedOut := map[store.Outcome]int{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[string][]byte{}
			for b := 0; b < batches; b++ {
				var batch []rw
				var want []store.Outcome
				// Ten of its own records, each keeping a version for three
				// batches (unchanged when sent again).
				for k := 0; k < 10; k++ {
					id := fmt.Sprintf("w%d-%02d", w, (b*7+k)%own)
					r := gen(id, fmt.Sprintf("%s.v%d", id, b/3), int64(b))
					switch old, ok := mine[id]; {
					case !ok:
						want = append(want, store.Inserted)
					case bytes.Equal(old, r.Data):
						want = append(want, store.Unchanged)
					default:
						want = append(want, store.Updated)
					}
					mine[id] = r.Data
					batch = append(batch, r)
				}
				// Two shared records, in a version of this batch's own.
				var sh []rw
				for k := 0; k < 2; k++ {
					id := fmt.Sprintf("x%d", (w+b*3+k*5)%shared)
					sh = append(sh, gen(id, fmt.Sprintf("%s.w%db%d", id, w, b), int64(100+b)))
				}
				out, err := s.UpsertRecords(ctx, "s", "c", append(batch, sh...))
				if err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
					return
				}
				if !slices.Equal(out[:len(want)], want) {
					t.Errorf("writer %d batch %d: own records %v, want %v", w, b, out[:len(want)], want)
				}
				mu.Lock()
				for _, r := range batch {
					final[r.ID] = r
				}
				for i, r := range sh {
					sharedWrites[r.ID] = append(sharedWrites[r.ID], r)
					sharedOut[out[len(want)+i]]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if sharedOut[store.Inserted] != len(sharedWrites) || sharedOut[store.Unchanged] != 0 {
		t.Fatalf("shared records: outcomes %v, want %d inserted, the rest updated", sharedOut, len(sharedWrites))
	}
	for id, ws := range sharedWrites {
		d, err := s.Record(ctx, "s", "c", id)
		must(t, err)
		found := false
		for _, w := range ws {
			if bytes.Equal(d, w.Data) {
				final[id], found = w, true
			}
		}
		if !found {
			t.Fatalf("shared record %s: %s, not a version written", id, d)
		}
	}
	ids := func(q store.Query) []string {
		q.Space, q.Collection, q.Limit = "s", "c", store.MaxPageSize
		var out []string
		for {
			recs, next, err := s.QueryRecords(ctx, q)
			must(t, err)
			for _, r := range recs {
				out = append(out, string(r))
			}
			if next == "" {
				return out
			}
			q.Cursor = next
		}
	}
	var all []string
	for id, w := range final {
		all = append(all, string(w.Data))
		d, err := s.Record(ctx, "s", "c", id)
		must(t, err)
		if !bytes.Equal(d, w.Data) {
			t.Fatalf("record %s: %s, want %s", id, d, w.Data)
		}
	}
	slices.Sort(all)
	if got := ids(store.Query{}); !slices.Equal(got, all) {
		t.Fatalf("records: %d, want %d", len(got), len(all))
	}
	if got := ids(store.Query{TimeRange: true, From: 0, To: 1000}); len(got) != len(all) {
		t.Fatalf("time entries: %d, want %d", len(got), len(all))
	}
	// Every version ever written is found by its index and filter value
	// if and only if it is the stored one.
	versions := map[string]bool{}
	for _, ws := range sharedWrites {
		for _, w := range ws {
			versions[w.Index[0].Value] = false
		}
	}
	for w := 0; w < writers; w++ {
		for k := 0; k < own; k++ {
			for v := 0; v < batches/3; v++ {
				versions[fmt.Sprintf("w%d-%02d.v%d", w, k, v)] = false
			}
		}
	}
	for _, w := range final {
		versions[w.Index[0].Value] = true
	}
	for v, stored := range versions {
		for _, q := range []store.Query{{Index: "p", IndexValue: v}, {Field: "f", FieldValue: fmt.Sprintf("%q", v)}} {
			if got := ids(q); len(got) != map[bool]int{true: 1, false: 0}[stored] {
				t.Fatalf("version %s (stored: %v): %+v finds %d records", v, stored, q, len(got))
			}
		}
	}
}

func testBlobs(t *testing.T, s store.Store) {
	data := bytes.Repeat([]byte("0123456789"), 100000)
	m, err := s.PutBlob(ctx, store.BlobMeta{Space: "s1", ID: "b1", Collection: "att", Record: "r1", CreatedAt: 7}, bytes.NewReader(data))
	must(t, err)
	sum := sha256.Sum256(data)
	if m.Size != int64(len(data)) || m.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("meta %+v", m)
	}
	m2, r, err := s.OpenBlob(ctx, "s1", "b1")
	must(t, err)
	if m2.Size != m.Size || m2.Record != "r1" || m2.Collection != "att" || m2.CreatedAt != 7 {
		t.Fatalf("meta %+v", m2)
	}
	if _, err := r.Seek(5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	must(t, err)
	r.Close()
	if !bytes.Equal(got, data[5:]) {
		t.Fatal("blob bytes differ")
	}
	_, _, err = s.OpenBlob(ctx, "s2", "b1")
	wantErr(t, err, store.ErrNotFound)
	// A failing reader leaves the old blob in place.
	boom := errors.New("boom")
	_, err = s.PutBlob(ctx, store.BlobMeta{Space: "s1", ID: "b1"}, io.MultiReader(bytes.NewReader(data[:100]), errReader{boom}))
	wantErr(t, err, boom)
	m3, r, err := s.OpenBlob(ctx, "s1", "b1")
	must(t, err)
	got, _ = io.ReadAll(r)
	r.Close()
	if m3.Size != m.Size || !bytes.Equal(got, data) {
		t.Fatal("failed upload damaged the blob")
	}
	// Replace.
	_, err = s.PutBlob(ctx, store.BlobMeta{Space: "s1", ID: "b1"}, strings.NewReader("new"))
	must(t, err)
	_, r, err = s.OpenBlob(ctx, "s1", "b1")
	must(t, err)
	got, _ = io.ReadAll(r)
	r.Close()
	if string(got) != "new" {
		t.Fatalf("replaced blob %q", got)
	}
	must(t, s.DeleteBlob(ctx, "s1", "b1"))
	wantErr(t, s.DeleteBlob(ctx, "s1", "b1"), store.ErrNotFound)
	_, _, err = s.OpenBlob(ctx, "s1", "b1")
	wantErr(t, err, store.ErrNotFound)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func testTokens(t *testing.T, s store.Store) {
	tok := store.Token{Hash: "h1", Prefix: "zkt_abc", Principal: "alice", Scopes: []string{"read"}, CreatedAt: 1}
	must(t, s.CreateToken(ctx, tok))
	wantErr(t, s.CreateToken(ctx, tok), store.ErrExists)
	must(t, s.CreateToken(ctx, store.Token{Hash: "h2", Prefix: "zkt_def", Principal: "bob", CreatedAt: 2}))
	got, err := s.TokenByHash(ctx, "h1")
	must(t, err)
	if got.Principal != "alice" || !slices.Equal(got.Scopes, []string{"read"}) {
		t.Fatalf("token %+v", got)
	}
	_, err = s.TokenByHash(ctx, "h3")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.RevokeToken(ctx, "zkt_abc", 9))
	wantErr(t, s.RevokeToken(ctx, "zkt_zzz", 9), store.ErrNotFound)
	got, err = s.TokenByHash(ctx, "h1")
	must(t, err)
	if got.RevokedAt != 9 {
		t.Fatalf("revoked %+v", got)
	}
	all, err := s.ListTokens(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Hash != "h1" {
		t.Fatalf("tokens %+v", all)
	}
}

func testLogs(t *testing.T, s store.Store) {
	var es []store.LogEntry
	for i := 0; i < 7; i++ {
		es = append(es, store.LogEntry{Kind: store.LogWrite, Type: "records", Count: i, Time: int64(100 + i/2)})
	}
	es = append(es, store.LogEntry{Kind: store.LogRead, Type: "query", Count: 1, Time: 50, Metadata: map[string]string{"space": "s1"}, TokenPrefix: "zkt_a"})
	must(t, s.AppendLogs(ctx, es))
	if err := s.AppendLogs(ctx, []store.LogEntry{{Kind: "bogus"}}); err == nil {
		t.Fatal("bogus log kind accepted")
	}
	var counts []int
	cur := ""
	for {
		page, next, err := s.ListLogs(ctx, store.LogWrite, cur, 3)
		must(t, err)
		for _, e := range page {
			counts = append(counts, e.Count)
		}
		if next == "" {
			break
		}
		cur = next
	}
	if !slices.Equal(counts, []int{6, 5, 4, 3, 2, 1, 0}) {
		t.Fatalf("write log newest first: %v", counts)
	}
	page, _, err := s.ListLogs(ctx, store.LogRead, "", 10)
	must(t, err)
	if len(page) != 1 || page[0].Metadata["space"] != "s1" || page[0].TokenPrefix != "zkt_a" {
		t.Fatalf("read log %+v", page)
	}
}

func testLoginAttempts(t *testing.T, s store.Store) {
	for i := 0; i < 5; i++ {
		must(t, s.AddLoginAttempt(ctx, store.LoginAttempt{Addr: "10.0.0.1", Time: int64(100 + i)}))
	}
	must(t, s.AddLoginAttempt(ctx, store.LoginAttempt{Addr: "10.0.0.10", Time: 103}))
	must(t, s.AddLoginAttempt(ctx, store.LoginAttempt{Addr: "10.0.0.1", Time: 104, Success: true}))
	n, err := s.LoginFailures(ctx, "10.0.0.1", 102)
	must(t, err)
	if n != 3 {
		t.Fatalf("failures since 102: %d", n)
	}
	must(t, s.ClearLoginFailures(ctx, "10.0.0.1"))
	n, err = s.LoginFailures(ctx, "10.0.0.1", 0)
	must(t, err)
	if n != 0 {
		t.Fatalf("failures after clear: %d", n)
	}
	n, err = s.LoginFailures(ctx, "10.0.0.10", 0)
	must(t, err)
	if n != 1 {
		t.Fatalf("failures of other address: %d", n)
	}
	all, _, err := s.ListLoginAttempts(ctx, "", 100)
	must(t, err)
	if len(all) != 7 || !all[0].Success {
		t.Fatalf("attempts %+v", all)
	}
}
