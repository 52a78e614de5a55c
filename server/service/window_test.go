package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/memstore"
)

// raceStore runs between, once, just before the next UpsertRecords reaches
// the store: after the service has checked the batch, before the write.
type raceStore struct {
	store.Store
	between func()
}

func (r *raceStore) UpsertRecords(ctx context.Context, space, coll string, recs []store.RecordWrite) ([]store.Outcome, error) {
	if f := r.between; f != nil {
		r.between = nil
		f()
	}
	return r.Store.UpsertRecords(ctx, space, coll, recs)
}

// TestWindowReplaceRace: a token with a data window may replace only
// records in its window, and that is decided when the record is written,
// not when the service looked at it: a record another writer moves out of
// the window between the service's check and the write is not replaced,
// and that write alone is refused, with the reason the service gives for a
// record found outside the window; the other records of the batch are
// written.
func TestWindowReplaceRace(t *testing.T) {
	ctx := context.Background()
	st := &raceStore{Store: memstore.New()}
	s, err := service.New(service.Config{Store: st, AdminSecret: "zka_test-secret-of-some-length"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	admin := service.Caller{Admin: true}
	if _, err := s.CreatePrincipal(ctx, admin, api.Principal{ID: "alice", Kind: api.PrincipalUser}); err != nil {
		t.Fatal(err)
	}
	sp := api.Space{ID: "s", Kind: api.KindFollowUp, Relations: []api.Relation{{Role: api.RoleOwner, Principal: "alice"}},
		Schemas: []api.Schema{{Collection: "c", TimeField: "t", Fields: map[string]api.Field{
			"t": {Type: api.TypeTime}, "x": {Type: api.TypeString}}}}}
	if _, err := s.CreateSpace(ctx, admin, sp); err != nil {
		t.Fatal(err)
	}
	item := func(id string, t int64, x string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"id":%q,"fields":{"t":%d,"x":%q}}`, id, t, x))
	}
	upsert := func(c service.Caller, items ...json.RawMessage) service.UpsertResult {
		t.Helper()
		res, err := s.UpsertRecords(ctx, c, "s", "c", items)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := upsert(admin, item("r1", 1500, "in"), item("r2", 1600, "in")); res.Inserted != 2 {
		t.Fatalf("setup: %+v", res)
	}
	windowed := service.Caller{Principal: "alice", Scopes: []string{"read", "write"}, TokenPrefix: "zkt_w",
		Window: &service.Window{From: 1000, To: 2000}}

	// Between the check (r1 at 1500, in the window) and the write, the
	// admin moves r1 out of the window.
	st.between = func() {
		if res := upsert(admin, item("r1", 5000, "admin's")); res.Updated != 1 {
			t.Errorf("the admin's write: %+v", res)
		}
	}
	res := upsert(windowed, item("r0", 1100, "new"), item("r1", 1700, "token's"), item("r2", 1800, "token's"))
	if st.between != nil {
		t.Fatal("the store was never reached")
	}
	want := []service.ItemError{{Index: 1, ID: "r1", Code: "scope", Message: "the record it would replace is outside the token's data window"}}
	if res.Inserted != 1 || res.Updated != 1 || res.Unchanged != 0 || res.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0] != want[0] {
		t.Fatalf("windowed write racing the admin's: %+v, want r0 inserted, r2 updated, r1 refused: %+v", res, want)
	}
	get := func(id string) string {
		d, err := st.Record(ctx, "s", "c", id)
		if err != nil {
			t.Fatal(err)
		}
		var r api.Record
		if err := json.Unmarshal(d, &r); err != nil {
			t.Fatal(err)
		}
		return string(r.Fields["t"]) + " " + string(r.Fields["x"])
	}
	for id, want := range map[string]string{"r0": `1100 "new"`, "r1": `5000 "admin's"`, "r2": `1800 "token's"`} {
		if got := get(id); got != want {
			t.Errorf("record %s: %s, want %s", id, got, want)
		}
	}

	// The common path, without a race: the service refuses early, with
	// the same error.
	res = upsert(windowed, item("r1", 1700, "token's"), item("r3", 1900, "new"))
	want[0].Index = 0
	if res.Inserted != 1 || res.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0] != want[0] {
		t.Fatalf("windowed write of a record outside the window: %+v, want %+v", res, want)
	}

	// A refused write comes in index order among the other rejections.
	st.between = func() { upsert(admin, item("r2", 100, "admin's")) }
	res = upsert(windowed, item("bad", 9000, "out"), item("r2", 1200, "token's"), item("late", 9000, "out"))
	if res.Rejected != 3 || len(res.Errors) != 3 || res.Errors[0].ID != "bad" || res.Errors[1] != (service.ItemError{Index: 1, ID: "r2", Code: "scope", Message: want[0].Message}) || res.Errors[2].ID != "late" {
		t.Fatalf("refused among rejected: %+v", res)
	}
	if got := get("r2"); got != `100 "admin's"` {
		t.Fatalf("record r2: %s", got)
	}
}
