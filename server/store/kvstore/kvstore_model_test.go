package kvstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/server/store/kvstore"
	"github.com/zkvault/zkvault/server/store/memstore"
)

type model map[string]store.RecordWrite // space\0coll\0id

func keysOf(db kvstore.DB, bucket string) []string {
	var out []string
	db.View(func(tx kvstore.Tx) error {
		c := tx.Bucket([]byte(bucket)).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			out = append(out, string(k))
		}
		return nil
	})
	return out
}

func t8(t int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t)^(1<<63))
	return string(b[:])
}

func expected(m model) (recs, idx, filt, tim []string) {
	for k, w := range m {
		recs = append(recs, k)
		pre := k[:len(k)-len(w.ID)]
		for _, e := range w.Index {
			idx = append(idx, pre+e.Name+"\x00"+e.Value+"\x00"+w.ID)
		}
		for _, e := range w.Filters {
			filt = append(filt, pre+e.Field+"\x00"+e.Value+"\x00"+t8(w.Time)+w.ID)
		}
		if w.HasTime {
			tim = append(tim, pre+t8(w.Time)+w.ID)
		}
	}
	for _, s := range [][]string{recs, idx, filt, tim} {
		slices.Sort(s)
	}
	return
}

func TestUpsertModel(t *testing.T) {
	for _, name := range []string{"mem", "bolt"} {
		t.Run(name, func(t *testing.T) {
			var st *kvstore.Store
			if name == "mem" {
				st = memstore.New()
			} else {
				// Merges also run in the background, as they come.
				bs, err := boltstore.Open(t.TempDir(), &boltstore.Options{MergeRuns: 3})
				if err != nil {
					t.Fatal(err)
				}
				defer bs.Close()
				st = bs.Store
			}
			rng := rand.New(rand.NewPCG(1, 2))
			// Conditions come from their own source: the writes are those
			// the test wrote before they had conditions.
			crng := rand.New(rand.NewPCG(3, 4))
			in := &store.TimeRange{From: -200, To: 200}
			m := model{}
			next := 0
			for round := 0; round < 300; round++ {
				space := []string{"s1", "s2"}[rng.IntN(2)]
				coll := []string{"a", "b", "c"}[rng.IntN(3)]
				n := 1 + rng.IntN(40)
				var ws []store.RecordWrite
				mode := rng.IntN(4)
				for i := 0; i < n; i++ {
					var id int
					switch {
					case mode == 0 || rng.IntN(3) == 0: // fresh, ascending
						next++
						id = next
					default:
						id = rng.IntN(next + 1)
					}
					w := store.RecordWrite{ID: fmt.Sprintf("r%05d", id)}
					if rng.IntN(3) > 0 {
						w.Data = []byte(fmt.Sprintf(`{"v":%d}`, rng.IntN(3)))
					} else {
						w.Data = []byte(fmt.Sprintf(`{"v":%d}`, rng.IntN(1000)))
					}
					for j := rng.IntN(3); j > 0; j-- {
						w.Index = append(w.Index, store.IndexEntry{Name: []string{"i", "j"}[rng.IntN(2)], Value: fmt.Sprintf("%02x", rng.IntN(8))})
					}
					slices.SortFunc(w.Index, func(a, b store.IndexEntry) int {
						if c := bytes.Compare([]byte(a.Name), []byte(b.Name)); c != 0 {
							return c
						}
						return bytes.Compare([]byte(a.Value), []byte(b.Value))
					})
					w.Index = slices.Compact(w.Index)
					if rng.IntN(2) == 0 {
						w.Filters = []store.FilterEntry{{Field: "f", Value: fmt.Sprintf(`"x%d"`, rng.IntN(4))}}
					}
					if rng.IntN(4) > 0 {
						w.HasTime, w.Time = true, int64(rng.IntN(1000)-500)
						if mode == 0 {
							w.Time = int64(next)
						}
					}
					if crng.IntN(4) == 0 {
						w.ReplaceIn = in
					}
					ws = append(ws, w)
				}
				// Model: one by one.
				want := make([]store.Outcome, len(ws))
				for i, w := range ws {
					k := space + "\x00" + coll + "\x00" + w.ID
					old, ok := m[k]
					switch {
					case !ok:
						want[i] = store.Inserted
					case w.ReplaceIn != nil && (!old.HasTime || !w.ReplaceIn.Contains(old.Time)):
						want[i] = store.Refused
						continue
					case bytes.Equal(old.Data, w.Data):
						want[i] = store.Unchanged
						continue
					default:
						want[i] = store.Updated
					}
					m[k] = w
				}
				got, err := st.UpsertRecords(context.Background(), space, coll, ws)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("round %d: outcomes %v, want %v", round, got, want)
				}
				// Readers see the entries whether or not they are merged;
				// after a merge the buckets hold them.
				merged := rng.IntN(8) == 0
				if merged {
					if err := st.Merge(); err != nil {
						t.Fatal(err)
					}
					if n := st.PendingRuns(); n != 0 {
						t.Fatalf("round %d: %d runs pending after Merge", round, n)
					}
				}
				r, i, f, tm := expected(m)
				if got := keysOf(st.DB(), "records"); !slices.Equal(got, r) {
					t.Fatalf("round %d: records:\n got %q\nwant %q", round, got, r)
				}
				for _, c := range []struct {
					b    string
					want []string
				}{{"rindex", i}, {"rfilter", f}, {"rtime", tm}} {
					got, err := kvstore.EntryKeys(st, c.b)
					if err != nil || !slices.Equal(got, c.want) {
						t.Fatalf("round %d: entries %s (%v):\n got %q\nwant %q", round, c.b, err, got, c.want)
					}
					if !merged {
						continue
					}
					if got, err := kvstore.MainKeys(st, c.b); err != nil || !slices.Equal(got, c.want) {
						t.Fatalf("round %d: bucket %s after merge:\n got %q\nwant %q", round, c.b, got, c.want)
					}
				}
			}
			for k, w := range m {
				parts := bytes.Split([]byte(k), []byte{0})
				d, err := st.Record(context.Background(), string(parts[0]), string(parts[1]), string(parts[2]))
				if err != nil || !bytes.Equal(d, w.Data) {
					t.Fatalf("record %q: %q %v, want %q", k, d, err, w.Data)
				}
			}
		})
	}
}
