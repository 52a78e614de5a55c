package kvstore_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/server/store/kvstore"
	"github.com/zkvault/zkvault/server/store/memstore"
)

// runsModel is what a collection holds: the records by id.
type runsModel map[string]store.RecordWrite

func runsRecord(rng *rand.Rand, id string) store.RecordWrite {
	t := int64(rng.IntN(5000))
	w := store.RecordWrite{ID: id, Data: fmt.Appendf(nil, `{"id":%q,"n":%d}`, id, rng.Int()), Time: t, HasTime: true,
		Index:   []store.IndexEntry{{Name: "p", Value: fmt.Sprintf("%02x", rng.IntN(40))}},
		Filters: []store.FilterEntry{{Field: "chat", Value: fmt.Sprintf(`"c%d"`, rng.IntN(5))}}}
	if rng.IntN(4) == 0 {
		w.Index = append(w.Index, store.IndexEntry{Name: "q", Value: "ff"})
	}
	return w
}

// check compares every index, filter and time query with the model, paging
// through small pages.
func (m runsModel) check(t *testing.T, s store.Store, when string) {
	t.Helper()
	ids := func(q store.Query, limit int) []string {
		q.Space, q.Collection, q.Limit = "s", "c", limit
		var out []string
		for {
			recs, next, err := s.QueryRecords(context.Background(), q)
			if err != nil {
				t.Fatalf("%s: %+v: %v", when, q, err)
			}
			for _, r := range recs {
				var v struct{ ID string }
				json.Unmarshal(r, &v)
				out = append(out, v.ID)
			}
			if next == "" {
				return out
			}
			q.Cursor = next
		}
	}
	type hit struct {
		t  int64
		id string
	}
	want := func(keep func(w store.RecordWrite) bool, timed bool) []string {
		var hits []hit
		for _, w := range m {
			if keep(w) {
				hits = append(hits, hit{w.Time, w.ID})
			}
		}
		slices.SortFunc(hits, func(a, b hit) int {
			if timed && a.t != b.t {
				return cmp.Compare(a.t, b.t)
			}
			return cmp.Compare(a.id, b.id)
		})
		var out []string
		for _, h := range hits {
			out = append(out, h.id)
		}
		return out
	}
	compare := func(name string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %s: got %d %q\nwant %d %q", when, name, len(got), got, len(want), want)
		}
	}
	for v := 0; v < 41; v++ {
		val := fmt.Sprintf("%02x", v)
		compare("index "+val, ids(store.Query{Index: "p", IndexValue: val}, 1+v%9), want(func(w store.RecordWrite) bool {
			return w.Index[0].Value == val
		}, false))
	}
	compare("index q", ids(store.Query{Index: "q", IndexValue: "ff"}, 50), want(func(w store.RecordWrite) bool {
		return len(w.Index) == 2
	}, false))
	for c := 0; c < 5; c++ {
		val := fmt.Sprintf(`"c%d"`, c)
		compare("filter "+val, ids(store.Query{Field: "chat", FieldValue: val}, 37), want(func(w store.RecordWrite) bool {
			return w.Filters[0].Value == val
		}, true))
	}
	compare("filter and time", ids(store.Query{Field: "chat", FieldValue: `"c1"`, TimeRange: true, From: 1000, To: 2000}, 13), want(func(w store.RecordWrite) bool {
		return w.Filters[0].Value == `"c1"` && w.Time >= 1000 && w.Time < 2000
	}, true))
	compare("time", ids(store.Query{TimeRange: true, From: 0, To: 1 << 40}, store.MaxPageSize), want(func(w store.RecordWrite) bool { return true }, true))
	compare("time range", ids(store.Query{TimeRange: true, From: 2500, To: 2600}, 3), want(func(w store.RecordWrite) bool {
		return w.Time >= 2500 && w.Time < 2600
	}, true))
}

// upsert writes recs and applies them to the model.
func (m runsModel) upsert(t *testing.T, s store.Store, recs []store.RecordWrite) {
	t.Helper()
	if _, err := s.UpsertRecords(context.Background(), "s", "c", recs); err != nil {
		t.Fatal(err)
	}
	for _, w := range recs {
		m[w.ID] = w
	}
}

func (m runsModel) delete(t *testing.T, s store.Store, id string) {
	t.Helper()
	if err := s.DeleteRecord(context.Background(), "s", "c", id); err != nil {
		t.Fatal(err)
	}
	delete(m, id)
}

// rewrite upserts n records: half of them new, the rest replacing stored ones
// (some by an identical copy), one id twice.
func (m runsModel) rewrite(t *testing.T, s store.Store, rng *rand.Rand, n int, next *int) {
	var recs []store.RecordWrite
	for i := 0; i < n; i++ {
		var w store.RecordWrite
		switch rng.IntN(4) {
		case 0, 1:
			*next++
			w = runsRecord(rng, fmt.Sprintf("r%05d", *next))
		case 2:
			w = runsRecord(rng, fmt.Sprintf("r%05d", rng.IntN(*next+1)))
		default:
			var ok bool
			if w, ok = m[fmt.Sprintf("r%05d", rng.IntN(*next+1))]; !ok {
				continue
			}
		}
		recs = append(recs, w)
	}
	recs = append(recs, runsRecord(rng, recs[0].ID))
	m.upsert(t, s, recs)
}

// TestRuns: lookups see the entries of pending runs, of merged runs and of
// both at once; updates and deletes leave no stale hit on either side of a
// merge; runs survive a reopen.
func TestRuns(t *testing.T) {
	for _, name := range []string{"mem", "bolt"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var st *kvstore.Store
			var bs *boltstore.Store
			open := func() {
				var err error
				if bs, err = boltstore.Open(dir, &boltstore.Options{MergeRuns: -1}); err != nil {
					t.Fatal(err)
				}
				st = bs.Store
			}
			if name == "mem" {
				st = memstore.New() // merges in the background, as they come
			} else {
				open()
			}
			defer func() { st.Close() }()
			rng := rand.New(rand.NewPCG(3, 4))
			m := runsModel{}
			next := -1
			// One large run: many blocks.
			var recs []store.RecordWrite
			for i := 0; i < 3000; i++ {
				next++
				recs = append(recs, runsRecord(rng, fmt.Sprintf("r%05d", next)))
			}
			m.upsert(t, st, recs)
			m.check(t, st, "one run")
			for i := 0; i < 6; i++ {
				m.rewrite(t, st, rng, 400, &next)
			}
			for i := 0; i < 200; i++ {
				if id := fmt.Sprintf("r%05d", rng.IntN(next+1)); m[id].ID != "" {
					m.delete(t, st, id)
				}
			}
			m.check(t, st, "runs with updates and deletes")
			if name == "mem" {
				return
			}
			if n := st.PendingRuns(); n < 100 {
				t.Fatalf("%d runs pending", n)
			}
			// Merge the oldest runs only: the newer ones update and
			// delete entries the merged ones put.
			kvstore.SetMergeMax(st, 1)
			for i := 0; i < 3; i++ {
				if n, err := kvstore.MergeOnce(st); n != 1 || err != nil {
					t.Fatalf("merge: %d %v", n, err)
				}
				m.check(t, st, fmt.Sprintf("after %d partial merges", i+1))
			}
			m.rewrite(t, st, rng, 400, &next)
			m.check(t, st, "partly merged, and a new run")
			// Reopen with runs pending.
			pending := st.PendingRuns()
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			open()
			if got := st.PendingRuns(); got != pending {
				t.Fatalf("%d runs pending after reopen, want %d", got, pending)
			}
			m.check(t, st, "reopened")
			if err := st.Merge(); err != nil {
				t.Fatal(err)
			}
			if n := st.PendingRuns(); n != 0 {
				t.Fatalf("%d runs pending after Merge", n)
			}
			m.check(t, st, "merged")
			// Deletes and updates of merged entries, pending.
			for i := 0; i < 100; i++ {
				if id := fmt.Sprintf("r%05d", rng.IntN(next+1)); m[id].ID != "" {
					m.delete(t, st, id)
				}
			}
			m.rewrite(t, st, rng, 400, &next)
			m.check(t, st, "merged, then updated and deleted")
			if err := bs.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

var errCrash = errors.New("crash")

// crashDB fails a write transaction after a number of puts and deletes, as
// if the process died before it committed.
type crashDB struct {
	kvstore.DB
	after int // writes until the crash; 0: none
}

func (d *crashDB) Update(fn func(kvstore.Tx) error) error {
	return d.DB.Update(func(tx kvstore.Tx) error { return fn(crashTx{tx, d}) })
}

type crashTx struct {
	kvstore.Tx
	d *crashDB
}

func (t crashTx) Bucket(name []byte) kvstore.Bucket {
	return &crashBucket{t.Tx.Bucket(name), t.d}
}

type crashBucket struct {
	kvstore.Bucket
	d *crashDB
}

func (b *crashBucket) write() error {
	if b.d.after > 0 {
		if b.d.after--; b.d.after == 0 {
			return errCrash
		}
	}
	return nil
}

func (b *crashBucket) Put(k, v []byte) error {
	if err := b.write(); err != nil {
		return err
	}
	return b.Bucket.Put(k, v)
}

func (b *crashBucket) Delete(k []byte) error {
	if err := b.write(); err != nil {
		return err
	}
	return b.Bucket.Delete(k)
}

// TestMergeCrash: a merge that dies half-way leaves the runs pending and
// every lookup right, and the next merge completes it.
func TestMergeCrash(t *testing.T) {
	dir := t.TempDir()
	bs, err := boltstore.Open(dir, &boltstore.Options{MergeRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	cdb := &crashDB{DB: bs.DB()}
	st, err := kvstore.New(cdb, nil, &kvstore.Options{MergeRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	m := runsModel{}
	next := -1
	for i := 0; i < 5; i++ {
		m.rewrite(t, st, rng, 300, &next)
	}
	if err := st.Merge(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		m.rewrite(t, st, rng, 300, &next)
	}
	for i := 0; i < 50; i++ {
		if id := fmt.Sprintf("r%05d", rng.IntN(next+1)); m[id].ID != "" {
			m.delete(t, st, id)
		}
	}
	pending := st.PendingRuns()
	for _, after := range []int{1, 5, 25} {
		cdb.after = after
		if err := st.Merge(); !errors.Is(err, errCrash) {
			t.Fatalf("merge crashing after %d writes: %v", after, err)
		}
		if got := st.PendingRuns(); got != pending {
			t.Fatalf("%d runs pending after a failed merge, want %d", got, pending)
		}
		m.check(t, st, fmt.Sprintf("merge failed after %d writes", after))
		if err := bs.Check(); err != nil {
			t.Fatal(err)
		}
	}
	cdb.after = 0
	st.Close()
	bs.Close()
	// Reopen: the runs are there, and merge.
	if bs, err = boltstore.Open(dir, &boltstore.Options{MergeRuns: -1}); err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	if got := bs.PendingRuns(); got != pending {
		t.Fatalf("%d runs pending after reopen, want %d", got, pending)
	}
	m.check(t, bs, "reopened")
	if err := bs.Merge(); err != nil {
		t.Fatal(err)
	}
	m.check(t, bs, "merged")
	if err := bs.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestRunBlocks: seeks land inside blocks and runs whose entries of a kind
// start in a block of another kind.
func TestRunBlocks(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	// Long index values: a few entries a block.
	var recs []store.RecordWrite
	for i := 0; i < 200; i++ {
		recs = append(recs, store.RecordWrite{ID: fmt.Sprintf("id%03d", i), Data: fmt.Appendf(nil, `{"id":"id%03d"}`, i),
			Index: []store.IndexEntry{{Name: "p", Value: fmt.Sprintf("%03d%s", i%20, bytes.Repeat([]byte("v"), 300))}}})
	}
	if _, err := st.UpsertRecords(context.Background(), "s", "c", recs); err != nil {
		t.Fatal(err)
	}
	for v := 0; v < 21; v++ {
		recs, _, err := st.QueryRecords(context.Background(), store.Query{Space: "s", Collection: "c", Index: "p",
			IndexValue: fmt.Sprintf("%03d%s", v, bytes.Repeat([]byte("v"), 300)), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if want := 10 * min(1, 20-v); len(recs) != want {
			t.Fatalf("value %d: %d hits, want %d", v, len(recs), want)
		}
	}
}

// TestUpgrade: a database whose index, filter and time buckets hold one key
// per entry (before blocks) is rewritten in blocks when it opens.
func TestUpgrade(t *testing.T) {
	dir := t.TempDir()
	bs, err := boltstore.Open(dir, &boltstore.Options{MergeRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	m := runsModel{}
	next := -1
	for i := 0; i < 4; i++ {
		m.rewrite(t, bs, rng, 500, &next)
	}
	if err := bs.Merge(); err != nil {
		t.Fatal(err)
	}
	if err := kvstore.Downgrade(bs.DB()); err != nil {
		t.Fatal(err)
	}
	if got, _ := kvstore.MainKeys(bs.Store, "rindex"); len(got) != 0 {
		t.Fatalf("downgraded index reads as blocks: %d entries", len(got))
	}
	bs.Close()
	if bs, err = boltstore.Open(dir, &boltstore.Options{MergeRuns: -1}); err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	m.check(t, bs, "upgraded")
	m.rewrite(t, bs, rng, 500, &next)
	if err := bs.Merge(); err != nil {
		t.Fatal(err)
	}
	m.check(t, bs, "upgraded, written and merged")
	if err := bs.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestBackgroundMerge: the merger wakes when enough runs are pending, and
// merges what is left once writes stop.
func TestBackgroundMerge(t *testing.T) {
	bs, err := boltstore.Open(t.TempDir(), &boltstore.Options{MergeRuns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	rng := rand.New(rand.NewPCG(9, 10))
	m := runsModel{}
	next := -1
	wait := func(what string, done func() bool) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); !done(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: %d runs still pending", what, bs.PendingRuns())
			}
		}
	}
	for i := 0; i < 4; i++ {
		m.rewrite(t, bs, rng, 50, &next)
	}
	wait("woken", func() bool { return bs.PendingRuns() < 4 })
	m.rewrite(t, bs, rng, 50, &next)
	wait("idle", func() bool { return bs.PendingRuns() == 0 })
	m.check(t, bs, "merged in the background")
}
