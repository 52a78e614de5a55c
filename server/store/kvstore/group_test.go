package kvstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/server/store/kvstore"
	"github.com/zkvault/zkvault/server/store/memstore"
)

var (
	errBoom   = errors.New("boom: refused put")
	errKaboom = errors.New("kaboom: refused run")
)

// failDB refuses the put of a record whose key holds "boom" (a batch that
// fails while it is applied) and of a pending-run block that holds
// "kaboom" (a transaction that fails after every batch was applied), and
// panics on the put of a record whose key holds "panic".
type failDB struct{ kvstore.DB }

func (d failDB) Update(fn func(kvstore.Tx) error) error {
	return d.DB.Update(func(tx kvstore.Tx) error { return fn(failTx{tx}) })
}

type failTx struct{ kvstore.Tx }

func (t failTx) Bucket(name []byte) kvstore.Bucket {
	return failBucket{t.Tx.Bucket(name), string(name)}
}

type failBucket struct {
	kvstore.Bucket
	name string
}

func (b failBucket) Put(k, v []byte) error {
	switch {
	case b.name == "records" && bytes.Contains(k, []byte("\x00boom")):
		return errBoom
	case b.name == "rpending" && bytes.Contains(v, []byte("kaboom")):
		return errKaboom
	case b.name == "records" && bytes.Contains(k, []byte("\x00panic")):
		panic("put refused with a panic")
	}
	return b.Bucket.Put(k, v)
}

// groupStores returns a store over a failDB for each kind of database,
// merging only when told.
func groupStores(t *testing.T) map[string]*kvstore.Store {
	bs, err := boltstore.Open(t.TempDir(), &boltstore.Options{MergeRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bs.Check(); err != nil {
			t.Error(err)
		}
		bs.Close()
	})
	out := map[string]*kvstore.Store{}
	for name, db := range map[string]kvstore.DB{"bolt": bs.DB(), "mem": memstore.New().DB()} {
		st, err := kvstore.New(failDB{db}, nil, &kvstore.Options{MergeRuns: -1})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = st
	}
	return out
}

// grec is a record of version v: its data, index value and filter value
// name both.
func grec(id string, v int) store.RecordWrite {
	return store.RecordWrite{ID: id, Data: fmt.Appendf(nil, `{"id":%q,"v":%d}`, id, v), Time: int64(v), HasTime: true,
		Index:   []store.IndexEntry{{Name: "p", Value: fmt.Sprintf("%s%d", id, v)}},
		Filters: []store.FilterEntry{{Field: "f", Value: fmt.Sprintf(`"%s%d"`, id, v)}}}
}

type upsertResult struct {
	out []store.Outcome
	err error
}

// held runs a group commit test: the first batch's leader is held before
// it writes, batches are queued behind it one by one in order, and all are
// released at once. It returns the results in queue order (the held one
// first) and the group sizes the leaders wrote.
func held(t *testing.T, st *kvstore.Store, first []store.RecordWrite, batches ...[]store.RecordWrite) ([]upsertResult, []int) {
	t.Helper()
	var mu sync.Mutex
	var sizes []int
	leading, release := make(chan struct{}), make(chan struct{})
	kvstore.BeforeGroup(st, func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		k := len(sizes)
		mu.Unlock()
		if k == 1 {
			close(leading)
			<-release
		}
	})
	defer kvstore.BeforeGroup(st, nil)
	res := make([]upsertResult, 1+len(batches))
	var wg sync.WaitGroup
	start := func(i int, b []store.RecordWrite) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := st.UpsertRecords(context.Background(), "s", "c", b)
			res[i] = upsertResult{out, err}
		}()
	}
	start(0, first)
	<-leading
	for i, b := range batches {
		start(i+1, b)
		deadline := time.Now().Add(10 * time.Second)
		for kvstore.Queued(st) != i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("batch %d never queued", i+1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()
	return res, sizes
}

// expectRecords checks that the collection holds exactly want (id to
// version), and that each record's index, filter and time entries are
// those of its version, with none left of other versions.
func expectRecords(t *testing.T, st *kvstore.Store, want map[string]int, versions int) {
	t.Helper()
	ctx := context.Background()
	all, _, err := st.QueryRecords(ctx, store.Query{Space: "s", Collection: "c", Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range all {
		got = append(got, string(r))
	}
	var exp []string
	for id, v := range want {
		exp = append(exp, string(grec(id, v).Data))
	}
	slices.Sort(exp)
	slices.Sort(got)
	if !slices.Equal(got, exp) {
		t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	for id := range want {
		for v := 1; v <= versions; v++ {
			n := 0
			if want[id] == v {
				n = 1
			}
			for _, q := range []store.Query{
				{Index: "p", IndexValue: fmt.Sprintf("%s%d", id, v)},
				{Field: "f", FieldValue: fmt.Sprintf(`"%s%d"`, id, v)},
			} {
				q.Space, q.Collection, q.Limit = "s", "c", 10
				recs, _, err := st.QueryRecords(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != n {
					t.Errorf("%s version %d: query %+v found %d, want %d", id, v, q, len(recs), n)
				}
			}
		}
	}
	times, _, err := st.QueryRecords(ctx, store.Query{Space: "s", Collection: "c", TimeRange: true, From: 0, To: 100, Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != len(want) {
		t.Errorf("time range: %d records, want %d", len(times), len(want))
	}
}

// TestGroupCommit: batches queued behind a leader are written in one
// transaction, each with the outcomes it would have alone in arrival
// order (two batches of the same ids included), and a batch that fails
// fails alone.
func TestGroupCommit(t *testing.T) {
	I, U, N := store.Inserted, store.Updated, store.Unchanged
	for name, st := range groupStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := st.UpsertRecords(ctx, "s", "c", []store.RecordWrite{grec("a", 1)}); err != nil {
				t.Fatal(err)
			}
			runs := st.PendingRuns()
			res, sizes := held(t, st, []store.RecordWrite{grec("l", 1)},
				[]store.RecordWrite{grec("a", 2), grec("b", 1)},               // a updated, b new
				[]store.RecordWrite{grec("b", 1), grec("c", 1)},               // sees b as the batch before left it
				[]store.RecordWrite{grec("d", 1), grec("boom", 1)},            // fails while applied
				[]store.RecordWrite{grec("d", 1), grec("b", 2)},               // d new: the failed batch left nothing
				[]store.RecordWrite{grec("a", 2), grec("e", 1), grec("e", 2)}, // an id twice in a batch
			)
			want := []upsertResult{{out: []store.Outcome{I}}, {out: []store.Outcome{U, I}}, {out: []store.Outcome{N, I}},
				{err: errBoom}, {out: []store.Outcome{I, U}}, {out: []store.Outcome{N, I, U}}}
			for i, r := range res {
				if !errors.Is(r.err, want[i].err) || !slices.Equal(r.out, want[i].out) {
					t.Errorf("batch %d: %v %v, want %v %v", i, r.out, r.err, want[i].out, want[i].err)
				}
			}
			if !slices.Equal(sizes, []int{1, 5}) {
				t.Errorf("groups written: %v, want [1 5]", sizes)
			}
			// One run per transaction: the held batch's, and the group's.
			if got := st.PendingRuns() - runs; got != 2 {
				t.Errorf("%d runs written, want 2", got)
			}
			expectRecords(t, st, map[string]int{"a": 2, "b": 2, "c": 1, "d": 1, "e": 2, "l": 1}, 2)

			// A transaction that fails after every batch was applied (here
			// writing the run): each batch is written again alone, in
			// order, and only the one at fault fails.
			res, sizes = held(t, st, []store.RecordWrite{grec("m", 1)},
				[]store.RecordWrite{grec("f", 1), grec("a", 3)},
				[]store.RecordWrite{grec("kaboom", 1), grec("g", 1)},
				[]store.RecordWrite{grec("a", 3), grec("g", 2)},
			)
			want = []upsertResult{{out: []store.Outcome{I}}, {out: []store.Outcome{I, U}}, {err: errKaboom}, {out: []store.Outcome{N, I}}}
			for i, r := range res {
				if !errors.Is(r.err, want[i].err) || !slices.Equal(r.out, want[i].out) {
					t.Errorf("second round, batch %d: %v %v, want %v %v", i, r.out, r.err, want[i].out, want[i].err)
				}
			}
			if !slices.Equal(sizes, []int{1, 3}) {
				t.Errorf("groups written: %v, want [1 3]", sizes)
			}
			expectRecords(t, st, map[string]int{"a": 3, "b": 2, "c": 1, "d": 1, "e": 2, "f": 1, "g": 2, "l": 1, "m": 1}, 3)

			// A batch that panics while it is applied fails alone, with an
			// error; the leader (another batch's caller) does not panic.
			res, sizes = held(t, st, []store.RecordWrite{grec("n", 1)},
				[]store.RecordWrite{grec("h", 1)},
				[]store.RecordWrite{grec("panic", 1), grec("i", 1)},
				[]store.RecordWrite{grec("i", 2)},
			)
			want = []upsertResult{{out: []store.Outcome{I}}, {out: []store.Outcome{I}}, {err: errors.New("panic")}, {out: []store.Outcome{I}}}
			for i, r := range res {
				if (want[i].err == nil) != (r.err == nil) || r.err != nil && !strings.Contains(r.err.Error(), "panic") || !slices.Equal(r.out, want[i].out) {
					t.Errorf("third round, batch %d: %v %v, want %v %v", i, r.out, r.err, want[i].out, want[i].err)
				}
			}
			if !slices.Equal(sizes, []int{1, 3}) {
				t.Errorf("groups written: %v, want [1 3]", sizes)
			}
			final := map[string]int{"a": 3, "b": 2, "c": 1, "d": 1, "e": 2, "f": 1, "g": 2, "h": 1, "i": 2, "l": 1, "m": 1, "n": 1}
			expectRecords(t, st, final, 3)
			if err := st.Merge(); err != nil {
				t.Fatal(err)
			}
			expectRecords(t, st, final, 3)
		})
	}
}

// TestGapInsert: a batch whose ids fall in a gap between stored ones (a
// batch in flight that arrived after the next one) is inserted without
// lookups, and one that spans stored ids is not taken for one.
func TestGapInsert(t *testing.T) {
	I, U, N := store.Inserted, store.Updated, store.Unchanged
	for name, st := range groupStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			batch := func(v int, ids ...int) []store.RecordWrite {
				var ws []store.RecordWrite
				for _, i := range ids {
					ws = append(ws, grec(fmt.Sprintf("g%02d", i), v))
				}
				return ws
			}
			span := func(from, to int) []int {
				var out []int
				for i := from; i < to; i++ {
					out = append(out, i)
				}
				return out
			}
			want := map[string]int{}
			for _, step := range []struct {
				ws  []store.RecordWrite
				out []store.Outcome
			}{
				{batch(1, span(0, 10)...), slices.Repeat([]store.Outcome{I}, 10)},
				{batch(1, span(20, 30)...), slices.Repeat([]store.Outcome{I}, 10)},
				{batch(1, span(10, 20)...), slices.Repeat([]store.Outcome{I}, 10)}, // the gap
				{batch(2, 5, 15, 25), []store.Outcome{U, U, U}},
				{batch(1, 31, 33, 35), []store.Outcome{I, I, I}},
				{batch(1, 32, 33, 34), []store.Outcome{I, N, I}}, // spans a stored id
				{batch(2, 36, 30, 40), []store.Outcome{I, I, I}},
			} {
				out, err := st.UpsertRecords(ctx, "s", "c", step.ws)
				if err != nil || !slices.Equal(out, step.out) {
					t.Fatalf("%v: %v %v, want %v", step.ws[0].ID, out, err, step.out)
				}
				for _, w := range step.ws {
					want[w.ID] = int(w.Time)
				}
			}
			expectRecords(t, st, want, 2)
		})
	}
}

// TestGroupCondition: a write's condition (ReplaceIn) is checked against
// the record as the batches before it in the same transaction left it,
// and again when the transaction is written again without a batch that
// failed: a refused write is refused alone, and never for a write that
// was undone.
func TestGroupCondition(t *testing.T) {
	I, U, R := store.Inserted, store.Updated, store.Refused
	in := &store.TimeRange{From: 1, To: 3}
	cond := func(w store.RecordWrite) store.RecordWrite { w.ReplaceIn = in; return w }
	for name, st := range groupStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := st.UpsertRecords(ctx, "s", "c", []store.RecordWrite{grec("a", 1), grec("b", 1)}); err != nil {
				t.Fatal(err)
			}
			res, sizes := held(t, st, []store.RecordWrite{grec("l", 1)},
				[]store.RecordWrite{grec("a", 5)}, // moves a out of the range
				[]store.RecordWrite{cond(grec("a", 4)), cond(grec("b", 2)), cond(grec("c", 2))},
			)
			want := []upsertResult{{out: []store.Outcome{I}}, {out: []store.Outcome{U}}, {out: []store.Outcome{R, U, I}}}
			for i, r := range res {
				if !errors.Is(r.err, want[i].err) || !slices.Equal(r.out, want[i].out) {
					t.Errorf("batch %d: %v %v, want %v %v", i, r.out, r.err, want[i].out, want[i].err)
				}
			}
			if !slices.Equal(sizes, []int{1, 2}) {
				t.Errorf("groups written: %v, want [1 2]", sizes)
			}
			expectRecords(t, st, map[string]int{"a": 5, "b": 2, "c": 2, "l": 1}, 5)

			// The first transaction moves b out of the range before the
			// conditional write, then fails writing its run: each batch
			// is written again alone, and b, left in the range, is
			// replaced.
			res, sizes = held(t, st, []store.RecordWrite{grec("m", 1)},
				[]store.RecordWrite{grec("b", 5), grec("kaboom", 1)},
				[]store.RecordWrite{cond(grec("b", 3))},
			)
			want = []upsertResult{{out: []store.Outcome{I}}, {err: errKaboom}, {out: []store.Outcome{U}}}
			for i, r := range res {
				if !errors.Is(r.err, want[i].err) || !slices.Equal(r.out, want[i].out) {
					t.Errorf("second round, batch %d: %v %v, want %v %v", i, r.out, r.err, want[i].out, want[i].err)
				}
			}
			if !slices.Equal(sizes, []int{1, 2}) {
				t.Errorf("groups written: %v, want [1 2]", sizes)
			}
			expectRecords(t, st, map[string]int{"a": 5, "b": 3, "c": 2, "l": 1, "m": 1}, 5)
		})
	}
}
