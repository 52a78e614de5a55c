package kvstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkvault/zkvault/server/store"
)

// Store implements store.Store over a DB and Files.
//
// Log entries are not written in transactions of their own (each would cost
// an fsync and hold the write lock): AppendLogs queues them and the next
// write transaction of any kind carries them, or a background flush within
// LogFlushInterval if no write comes. Entries queued in the last moments
// before a crash can be lost; records cannot.
//
// Index, filter and time entries are written as pending runs and merged in
// the background (runs.go).
type Store struct {
	db    DB
	files Files

	mu      sync.Mutex
	pending []store.LogEntry
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once

	mergeRuns int
	mergeMax  int          // mergeMaxEntries; tests lower it
	runs      atomic.Int64 // pending runs
	written   atomic.Int64 // runs written since New
	wake      chan struct{}
	mergeMu   sync.Mutex // one merge at a time

	rmMu    sync.Mutex // removals of blob files (backup.go)
	rmHolds int
	rmQueue []string

	group groupQueue // group commit of record batches (group.go)
}

// LogFlushInterval bounds how long a queued log entry waits for a write;
// pending runs are merged after as long without writes.
const LogFlushInterval = time.Second

var _ store.Store = (*Store)(nil)

// Options of New.
type Options struct {
	// MergeRuns is the number of pending runs that wakes the merger
	// (default DefaultMergeRuns); negative: only Merge merges (tests).
	MergeRuns int
	// ReadOnly: the database takes no writes; nothing runs in the
	// background.
	ReadOnly bool
}

// New returns a Store over db and files. The caller has created Buckets.
func New(db DB, files Files, o *Options) (*Store, error) {
	if o == nil {
		o = &Options{}
	}
	s := &Store{db: db, files: files, stop: make(chan struct{}), stopped: make(chan struct{}),
		mergeRuns: o.MergeRuns, mergeMax: mergeMaxEntries, wake: make(chan struct{}, 1)}
	if s.mergeRuns == 0 {
		s.mergeRuns = DefaultMergeRuns
	}
	if !o.ReadOnly {
		if err := db.Update(upgradeEntries); err != nil {
			return nil, fmt.Errorf("kvstore: upgrade index layout: %w", err)
		}
	}
	if err := s.countRuns(); err != nil {
		return nil, err
	}
	if o.ReadOnly {
		s.mergeRuns = -1
		close(s.stopped)
		return s, nil
	}
	go s.background()
	return s, nil
}

// DB returns the underlying database.
func (s *Store) DB() DB { return s.db }

// Close writes the queued log entries and closes the database. Pending runs
// stay pending.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.stopped
	return s.db.Close()
}

// background flushes logs and merges runs.
func (s *Store) background() {
	defer close(s.stopped)
	t := time.NewTicker(LogFlushInterval)
	defer t.Stop()
	var written int64
	for {
		select {
		case <-t.C:
			s.flushLogs()
			// Idle (no run since the last tick): merge what is pending.
			if w := s.written.Load(); w == written && s.mergeRuns > 0 && s.runs.Load() > 0 {
				s.mergeOnce()
			} else {
				written = w
			}
		case <-s.wake:
			for s.runs.Load() >= int64(s.mergeRuns) && !s.stopping() {
				if n, err := s.mergeOnce(); n == 0 || err != nil {
					break
				}
			}
		case <-s.stop:
			s.flushLogs()
			return
		}
	}
}

func (s *Store) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// flushLogs writes the queued log entries, if any, in a transaction.
func (s *Store) flushLogs() error {
	s.mu.Lock()
	n := len(s.pending)
	s.mu.Unlock()
	if n == 0 {
		return nil
	}
	return s.update(func(Tx) error { return nil })
}

// update runs a write transaction that also carries the queued log entries.
func (s *Store) update(fn func(Tx) error) error {
	var taken []store.LogEntry
	err := s.db.Update(func(tx Tx) error {
		taken = nil
		if err := fn(tx); err != nil {
			return err
		}
		s.mu.Lock()
		taken = s.pending
		s.pending = nil
		s.mu.Unlock()
		return writeLogs(tx, taken)
	})
	if err != nil && len(taken) > 0 {
		// Not written: queue them again, in front.
		s.mu.Lock()
		s.pending = append(taken, s.pending...)
		s.mu.Unlock()
	}
	return err
}

func getJSON(b Bucket, k []byte, v any) error {
	raw := b.Get(k)
	if raw == nil {
		return store.ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("kvstore: corrupt value: %w", err)
	}
	return nil
}

func putJSON(b Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// hasPrefixKey iterates keys under prefix from start (or prefix) forward.
func scan(c Cursor, prefix, after []byte, fn func(k, v []byte) bool) {
	var k, v []byte
	if after != nil {
		k, v = c.Seek(after)
		if bytes.Equal(k, after) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if !fn(k, v) {
			return
		}
	}
}

// ---- settings

var settingsKey = []byte("settings")

func (s *Store) Settings(ctx context.Context) (store.Settings, error) {
	var st store.Settings
	err := s.db.View(func(tx Tx) error {
		err := getJSON(tx.Bucket(bSettings), settingsKey, &st)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	return st, wrap("settings", err)
}

func (s *Store) PutSettings(ctx context.Context, st store.Settings) error {
	return wrap("put settings", s.update(func(tx Tx) error {
		return putJSON(tx.Bucket(bSettings), settingsKey, st)
	}))
}

// SetEncryption sets Encryption and UpdatedAt in the stored settings.
func (s *Store) SetEncryption(ctx context.Context, on bool, at int64) (store.Settings, error) {
	var st store.Settings
	err := s.update(func(tx Tx) error {
		st = store.Settings{}
		b := tx.Bucket(bSettings)
		if err := getJSON(b, settingsKey, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		st.Encryption, st.UpdatedAt = on, at
		return putJSON(b, settingsKey, st)
	})
	return st, wrap("set encryption", err)
}

// ---- principals

func (s *Store) CreatePrincipal(ctx context.Context, p store.Principal) error {
	return wrap("create principal", s.update(func(tx Tx) error {
		b := tx.Bucket(bPrincipals)
		if b.Get([]byte(p.ID)) != nil {
			return store.ErrExists
		}
		return putJSON(b, []byte(p.ID), p)
	}))
}

// CreateMaster creates p and names it the master in one transaction.
func (s *Store) CreateMaster(ctx context.Context, p store.Principal) error {
	return wrap("create master", s.update(func(tx Tx) error {
		sb := tx.Bucket(bSettings)
		var st store.Settings
		if err := getJSON(sb, settingsKey, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if st.MasterPrincipal != "" {
			return store.ErrConflict
		}
		b := tx.Bucket(bPrincipals)
		if b.Get([]byte(p.ID)) != nil {
			return store.ErrExists
		}
		if err := putJSON(b, []byte(p.ID), p); err != nil {
			return err
		}
		st.MasterPrincipal, st.UpdatedAt = p.ID, p.CreatedAt
		return putJSON(sb, settingsKey, st)
	}))
}

func (s *Store) Principal(ctx context.Context, id string) (store.Principal, error) {
	var p store.Principal
	err := s.db.View(func(tx Tx) error {
		return getJSON(tx.Bucket(bPrincipals), []byte(id), &p)
	})
	return p, wrap("principal", err)
}

func (s *Store) ListPrincipals(ctx context.Context, cursor string, limit int) ([]store.Principal, string, error) {
	limit = store.ClampLimit(limit, 100)
	after, err := decodeCursor(cursor, nil)
	if err != nil {
		return nil, "", err
	}
	var out []store.Principal
	var next []byte
	err = s.db.View(func(tx Tx) error {
		var ierr error
		scan(tx.Bucket(bPrincipals).Cursor(), nil, after, func(k, v []byte) bool {
			if len(out) == limit {
				next = []byte(out[len(out)-1].ID)
				return false
			}
			var p store.Principal
			if ierr = json.Unmarshal(v, &p); ierr != nil {
				return false
			}
			out = append(out, p)
			return true
		})
		return ierr
	})
	return out, encodeCursor(next), wrap("list principals", err)
}

func (s *Store) UpdatePrincipalKey(ctx context.Context, p store.Principal, expect uint32) error {
	return wrap("update principal key", s.update(func(tx Tx) error {
		b := tx.Bucket(bPrincipals)
		var old store.Principal
		if err := getJSON(b, []byte(p.ID), &old); err != nil {
			return err
		}
		if old.KeyVersion != expect {
			return store.ErrConflict
		}
		if old.PublicKey != "" {
			h := store.PrincipalKey{KeyVersion: old.KeyVersion, PublicKey: old.PublicKey, Fingerprint: old.Fingerprint, ReplacedAt: p.UpdatedAt}
			var kv [4]byte
			kv[0], kv[1], kv[2], kv[3] = byte(old.KeyVersion>>24), byte(old.KeyVersion>>16), byte(old.KeyVersion>>8), byte(old.KeyVersion)
			if err := putJSON(tx.Bucket(bKeyHist), cat(key(true, p.ID), kv[:]), h); err != nil {
				return err
			}
		}
		p.CreatedAt = old.CreatedAt
		p.Kind = old.Kind
		return putJSON(b, []byte(p.ID), p)
	}))
}

func (s *Store) KeyHistory(ctx context.Context, id string) ([]store.PrincipalKey, error) {
	var out []store.PrincipalKey
	err := s.db.View(func(tx Tx) error {
		if tx.Bucket(bPrincipals).Get([]byte(id)) == nil {
			return store.ErrNotFound
		}
		var ierr error
		scan(tx.Bucket(bKeyHist).Cursor(), key(true, id), nil, func(k, v []byte) bool {
			var h store.PrincipalKey
			if ierr = json.Unmarshal(v, &h); ierr != nil {
				return false
			}
			out = append(out, h)
			return true
		})
		return ierr
	})
	return out, wrap("key history", err)
}

// ---- members

func (s *Store) PutMember(ctx context.Context, m store.Member) error {
	return wrap("put member", s.update(func(tx Tx) error {
		if err := putJSON(tx.Bucket(bMembers), key(false, m.Group, m.Member), m); err != nil {
			return err
		}
		return tx.Bucket(bMemberOf).Put(key(false, m.Member, m.Group), []byte{})
	}))
}

func (s *Store) DeleteMember(ctx context.Context, group, member string) error {
	return wrap("delete member", s.update(func(tx Tx) error {
		b := tx.Bucket(bMembers)
		k := key(false, group, member)
		if b.Get(k) == nil {
			return store.ErrNotFound
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		return tx.Bucket(bMemberOf).Delete(key(false, member, group))
	}))
}

func (s *Store) Members(ctx context.Context, group string) ([]store.Member, error) {
	var out []store.Member
	err := s.db.View(func(tx Tx) error {
		var ierr error
		scan(tx.Bucket(bMembers).Cursor(), key(true, group), nil, func(k, v []byte) bool {
			var m store.Member
			if ierr = json.Unmarshal(v, &m); ierr != nil {
				return false
			}
			out = append(out, m)
			return true
		})
		return ierr
	})
	return out, wrap("members", err)
}

func (s *Store) GroupsOf(ctx context.Context, principal string) ([]string, error) {
	var out []string
	err := s.db.View(func(tx Tx) error {
		p := key(true, principal)
		scan(tx.Bucket(bMemberOf).Cursor(), p, nil, func(k, v []byte) bool {
			out = append(out, string(k[len(p):]))
			return true
		})
		return nil
	})
	return out, wrap("groups of", err)
}

// ---- spaces

func (s *Store) CreateSpace(ctx context.Context, sp store.Space) error {
	return wrap("create space", s.update(func(tx Tx) error {
		b := tx.Bucket(bSpaces)
		if b.Get([]byte(sp.ID)) != nil {
			return store.ErrExists
		}
		sp.Rev = 1
		if err := putJSON(b, []byte(sp.ID), sp); err != nil {
			return err
		}
		part := tx.Bucket(bSpacePart)
		for _, p := range sp.Participants() {
			if err := part.Put(key(false, p, sp.ID), []byte{}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) Space(ctx context.Context, id string) (store.Space, error) {
	var sp store.Space
	err := s.db.View(func(tx Tx) error {
		return getJSON(tx.Bucket(bSpaces), []byte(id), &sp)
	})
	return sp, wrap("space", err)
}

func (s *Store) UpdateSpace(ctx context.Context, sp store.Space) error {
	return wrap("update space", s.update(func(tx Tx) error {
		b := tx.Bucket(bSpaces)
		var old store.Space
		if err := getJSON(b, []byte(sp.ID), &old); err != nil {
			return err
		}
		if old.Rev != sp.Rev {
			return store.ErrConflict
		}
		sp.Rev++
		sp.CreatedAt = old.CreatedAt
		if err := putJSON(b, []byte(sp.ID), sp); err != nil {
			return err
		}
		part := tx.Bucket(bSpacePart)
		now := sp.Participants()
		for _, p := range old.Participants() {
			if !slices.Contains(now, p) {
				if err := part.Delete(key(false, p, sp.ID)); err != nil {
					return err
				}
			}
		}
		for _, p := range now {
			if err := part.Put(key(false, p, sp.ID), []byte{}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) ListSpaces(ctx context.Context, principals []string, cursor string, limit int) ([]string, string, error) {
	limit = store.ClampLimit(limit, 100)
	after, err := decodeCursor(cursor, nil)
	if err != nil {
		return nil, "", err
	}
	var ids []string
	err = s.db.View(func(tx Tx) error {
		if principals == nil {
			scan(tx.Bucket(bSpaces).Cursor(), nil, after, func(k, v []byte) bool {
				ids = append(ids, string(k))
				return len(ids) <= limit
			})
			return nil
		}
		set := map[string]bool{}
		for _, p := range principals {
			pre := key(true, p)
			var start []byte
			if after != nil {
				start = cat(pre, after)
			}
			n := 0
			scan(tx.Bucket(bSpacePart).Cursor(), pre, start, func(k, v []byte) bool {
				set[string(k[len(pre):])] = true
				n++
				return n <= limit
			})
		}
		for id := range set {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return nil
	})
	if err != nil {
		return nil, "", wrap("list spaces", err)
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = encodeCursor([]byte(ids[limit-1]))
	}
	return ids, next, nil
}

// ---- records

// UpsertRecords prepares the batch (stored values, keys, visit order)
// in the caller's goroutine, then commits it through the group commit
// (group.go): with other batches that are ready at the same time, in one
// transaction, each applied in turn as if alone.
func (s *Store) UpsertRecords(ctx context.Context, space, coll string, recs []store.RecordWrite) ([]store.Outcome, error) {
	u := &upsert{space: space, coll: coll, recs: recs, out: make([]store.Outcome, len(recs))}
	// The stored values, in one allocation.
	total := 0
	for i := range recs {
		total += recordLen(&recs[i])
	}
	buf := make([]byte, 0, total)
	u.vals = make([][]byte, len(recs))
	for i := range recs {
		start := len(buf)
		var err error
		if buf, err = appendRecord(buf, &recs[i]); err != nil {
			return nil, err
		}
		u.vals[i] = buf[start:len(buf):len(buf)]
	}
	u.rks = make([][]byte, len(recs))
	for i := range recs {
		u.rks[i] = u.a.key(false, space, coll, recs[i].ID)
	}
	// Visit the records in key order: bbolt then touches each page once,
	// in order.
	u.order = make([]int, len(recs))
	for i := range u.order {
		u.order[i] = i
	}
	slices.SortFunc(u.order, func(x, y int) int { return bytes.Compare(u.rks[x], u.rks[y]) })
	for j := 1; j < len(u.order); j++ {
		if bytes.Equal(u.rks[u.order[j-1]], u.rks[u.order[j]]) {
			// Rare: an id twice in a batch. The entries the later write
			// replaces are the earlier one's: visit in the batch's order.
			u.dup = true
			for i := range u.order {
				u.order[i] = i
			}
			break
		}
	}
	u.pre = key(true, space, coll)
	if err := s.commitUpsert(u); err != nil {
		return nil, wrap("upsert records", err)
	}
	return u.out, nil
}

// apply writes u in tx, as if it were alone in it, and adds the changes of
// its entries to run. appending reports that no stored id of the
// collection lay between u's first and last ids (ingestion in id order:
// after the last one, or, with batches in flight, in the gap a batch that
// arrived first left before its own): every record was inserted without
// a lookup, into pages no later write of that ingestion comes back to.
func (u *upsert) apply(tx Tx, run *runBuilder) (appending bool, err error) {
	rb := tx.Bucket(bRecords)
	appending = !u.dup && len(u.order) > 0 && noneBetween(rb, u.pre, u.rks[u.order[0]], u.rks[u.order[len(u.order)-1]])
	for _, i := range u.order {
		o, err := upsertOne(rb, run, &u.a, u.space, u.coll, &u.recs[i], u.rks[i], u.vals[i], appending)
		if err != nil {
			return false, err
		}
		u.out[i] = o
	}
	return appending, nil
}

// upsertOne writes one record unless its stored Data is identical or the
// stored record fails the write's condition (w.ReplaceIn), and adds the
// changes of its entries to run. isNew says the record is known not to be
// stored.
func upsertOne(rb Bucket, run *runBuilder, a *arena, space, coll string, w *store.RecordWrite, rk, val []byte, isNew bool) (store.Outcome, error) {
	o := store.Inserted
	if isNew {
		// Nothing to compare or replace: no condition can fail.
	} else if old := rb.Get(rk); old != nil {
		ov, err := decodeRecord(old)
		if err != nil {
			return 0, err
		}
		// The condition is read here, in the transaction that writes:
		// what it sees is what the write replaces.
		if w.ReplaceIn != nil && (!ov.HasTime || !w.ReplaceIn.Contains(ov.Time)) {
			return store.Refused, nil
		}
		if bytes.Equal(ov.Data, w.Data) {
			return store.Unchanged, nil
		}
		run.entries(a, false, space, coll, w.ID, &ov)
		o = store.Updated
	}
	if err := rb.Put(rk, val); err != nil {
		return 0, err
	}
	run.entries(a, true, space, coll, w.ID, &recordValue{HasTime: w.HasTime, Time: w.Time, Index: w.Index, Filters: w.Filters})
	return o, nil
}

// entries adds a put (or a delete) of each index, filter and time entry of
// record id with value r.
func (run *runBuilder) entries(a *arena, put bool, space, coll, id string, r *recordValue) {
	for _, e := range r.Index {
		run.add(kindIndex, put, a.key(false, space, coll, e.Name, e.Value, id))
	}
	for _, e := range r.Filters {
		run.add(kindFilter, put, a.timed(a.key(true, space, coll, e.Field, e.Value), r.Time, id))
	}
	if r.HasTime {
		run.add(kindTime, put, a.timed(a.key(true, space, coll), r.Time, id))
	}
}

// appendFill is the fill of the pages a batch splits when it only appends
// (its keys sort after every key stored under their prefix): appends never
// come back to the pages left behind, so these are filled whole rather
// than to bbolt's default half (1 KiB records: 3 a page instead of 2).
const appendFill = 1.0

// FillSetter is implemented by a Bucket whose split threshold can be set
// for the rest of its transaction (bbolt's Bucket.FillPercent).
type FillSetter interface {
	SetFillPercent(f float64)
}

func setFill(b Bucket, f float64) {
	if fs, ok := b.(FillSetter); ok {
		fs.SetFillPercent(f)
	}
}

// noneBetween reports whether b holds no key under prefix from first to
// last (inclusive).
func noneBetween(b Bucket, prefix, first, last []byte) bool {
	k, _ := b.Cursor().Seek(first)
	return k == nil || !bytes.HasPrefix(k, prefix) || bytes.Compare(k, last) > 0
}

// after reports whether k sorts after every key under prefix in b.
func after(b Bucket, prefix, k []byte) bool {
	c := b.Cursor()
	next, _ := c.Seek(k)
	if next != nil && bytes.HasPrefix(next, prefix) {
		return false
	}
	var last []byte
	if next != nil {
		last, _ = c.Prev()
	} else {
		last, _ = c.Last()
	}
	return last == nil || !bytes.HasPrefix(last, prefix) || bytes.Compare(last, k) < 0
}

var empty = []byte{}

func (s *Store) Record(ctx context.Context, space, coll, id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx Tx) error {
		v := tx.Bucket(bRecords).Get(key(false, space, coll, id))
		if v == nil {
			return store.ErrNotFound
		}
		d, err := recordData(v)
		out = slices.Clone(d)
		return err
	})
	return out, wrap("record", err)
}

func (s *Store) DeleteRecord(ctx context.Context, space, coll, id string) error {
	var ran bool
	err := s.update(func(tx Tx) error {
		rb := tx.Bucket(bRecords)
		rk := key(false, space, coll, id)
		v := rb.Get(rk)
		if v == nil {
			return store.ErrNotFound
		}
		r, err := decodeRecord(v)
		if err != nil {
			return err
		}
		var run runBuilder
		run.entries(&arena{}, false, space, coll, id, &r)
		if ran, err = writeRun(tx.Bucket(bPending), netOps(run.ops)); err != nil {
			return err
		}
		return rb.Delete(rk)
	})
	if err != nil {
		return wrap("delete record", err)
	}
	if ran {
		s.ranOne()
	}
	return nil
}

func (s *Store) QueryRecords(ctx context.Context, q store.Query) ([][]byte, string, error) {
	limit := store.ClampLimit(q.Limit, 100)
	var (
		kind     byte
		prefix   []byte
		timed    bool // keys end in t8 || id after prefix
		idInline bool // records bucket itself
	)
	switch {
	case q.Index != "":
		kind, prefix = kindIndex, key(true, q.Space, q.Collection, q.Index, q.IndexValue)
	case q.Field != "":
		kind, prefix, timed = kindFilter, key(true, q.Space, q.Collection, q.Field, q.FieldValue), true
	case q.TimeRange:
		kind, prefix, timed = kindTime, key(true, q.Space, q.Collection), true
	default:
		prefix, idInline = key(true, q.Space, q.Collection), true
	}
	after, err := decodeCursor(q.Cursor, prefix)
	if err != nil {
		return nil, "", err
	}
	var lo, hi []byte
	if timed && q.TimeRange {
		lo, hi = cat(prefix, t8(q.From)), cat(prefix, t8(q.To))
		if after != nil && bytes.Compare(after, lo) < 0 {
			after = nil
		}
	}
	start := prefix
	switch {
	case after != nil:
		start = after
	case lo != nil:
		start = lo
	}
	var out [][]byte
	var next []byte
	err = s.db.View(func(tx Tx) error {
		rb := tx.Bucket(bRecords)
		// visit adds the record of key k (with value v if idInline) and
		// reports whether to go on.
		var last []byte
		visit := func(k, v []byte) (bool, error) {
			if after != nil && bytes.Equal(k, after) {
				return true, nil
			}
			if !bytes.HasPrefix(k, prefix) || hi != nil && bytes.Compare(k, hi) >= 0 {
				return false, nil
			}
			if len(out) == limit {
				next = slices.Clone(last)
				return false, nil
			}
			if !idInline {
				rest := k[len(prefix):]
				if timed {
					if len(rest) < 8 {
						return false, errCorrupt
					}
					rest = rest[8:]
				}
				if v = rb.Get(key(false, q.Space, q.Collection, string(rest))); v == nil {
					return false, errCorrupt
				}
			}
			d, err := recordData(v)
			if err != nil {
				return false, err
			}
			out = append(out, slices.Clone(d))
			last = k
			return true, nil
		}
		if idInline {
			c := rb.Cursor()
			for k, v := c.Seek(start); k != nil; k, v = c.Next() {
				if ok, err := visit(k, v); !ok || err != nil {
					return err
				}
			}
			return nil
		}
		it, err := newEntryIter(tx, kind)
		if err != nil {
			return err
		}
		for it.seek(start); it.key != nil; it.next() {
			if ok, err := visit(it.key, nil); !ok || err != nil {
				return err
			}
		}
		return it.err
	})
	if err != nil {
		return nil, "", wrap("query records", err)
	}
	return out, encodeCursor(next), nil
}

// ---- blobs

type blobMeta struct {
	store.BlobMeta
	File string `json:"file"`
}

func (s *Store) PutBlob(ctx context.Context, meta store.BlobMeta, r io.Reader) (store.BlobMeta, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return meta, err
	}
	h := sha256.Sum256(key(false, meta.Space, meta.ID))
	name := hex.EncodeToString(h[:]) + "-" + hex.EncodeToString(rnd[:])
	size, sum, err := s.files.Create(name, r)
	if err != nil {
		return meta, wrap("put blob", err)
	}
	meta.Size, meta.SHA256 = size, sum
	var oldFile string
	err = s.update(func(tx Tx) error {
		b := tx.Bucket(bBlobs)
		k := key(false, meta.Space, meta.ID)
		var old blobMeta
		if err := getJSON(b, k, &old); err == nil {
			oldFile = old.File
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return putJSON(b, k, blobMeta{BlobMeta: meta, File: name})
	})
	if err != nil {
		s.files.Remove(name)
		return meta, wrap("put blob", err)
	}
	if oldFile != "" {
		s.removeFile(oldFile)
	}
	return meta, nil
}

func (s *Store) blobMeta(space, id string) (blobMeta, error) {
	var m blobMeta
	err := s.db.View(func(tx Tx) error {
		return getJSON(tx.Bucket(bBlobs), key(false, space, id), &m)
	})
	return m, err
}

func (s *Store) OpenBlob(ctx context.Context, space, id string) (store.BlobMeta, io.ReadSeekCloser, error) {
	m, err := s.blobMeta(space, id)
	if err != nil {
		return store.BlobMeta{}, nil, wrap("open blob", err)
	}
	f, err := s.files.Open(m.File)
	if err != nil {
		return store.BlobMeta{}, nil, wrap("open blob", err)
	}
	return m.BlobMeta, f, nil
}

func (s *Store) DeleteBlob(ctx context.Context, space, id string) error {
	var file string
	err := s.update(func(tx Tx) error {
		b := tx.Bucket(bBlobs)
		k := key(false, space, id)
		var m blobMeta
		if err := getJSON(b, k, &m); err != nil {
			return err
		}
		file = m.File
		return b.Delete(k)
	})
	if err != nil {
		return wrap("delete blob", err)
	}
	s.removeFile(file)
	return nil
}

// ---- tokens

func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	return wrap("create token", s.update(func(tx Tx) error {
		b, pb := tx.Bucket(bTokens), tx.Bucket(bTokPrefix)
		if b.Get([]byte(t.Hash)) != nil || pb.Get([]byte(t.Prefix)) != nil {
			return store.ErrExists
		}
		if err := pb.Put([]byte(t.Prefix), []byte(t.Hash)); err != nil {
			return err
		}
		return putJSON(b, []byte(t.Hash), t)
	}))
}

func (s *Store) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	var t store.Token
	err := s.db.View(func(tx Tx) error {
		return getJSON(tx.Bucket(bTokens), []byte(hash), &t)
	})
	return t, wrap("token", err)
}

func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	var out []store.Token
	err := s.db.View(func(tx Tx) error {
		var ierr error
		scan(tx.Bucket(bTokens).Cursor(), nil, nil, func(k, v []byte) bool {
			var t store.Token
			if ierr = json.Unmarshal(v, &t); ierr != nil {
				return false
			}
			out = append(out, t)
			return true
		})
		return ierr
	})
	slices.SortFunc(out, func(a, b store.Token) int { return int(a.CreatedAt - b.CreatedAt) })
	return out, wrap("list tokens", err)
}

func (s *Store) RevokeToken(ctx context.Context, prefix string, at int64) error {
	return wrap("revoke token", s.update(func(tx Tx) error {
		h := tx.Bucket(bTokPrefix).Get([]byte(prefix))
		if h == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bTokens)
		var t store.Token
		if err := getJSON(b, h, &t); err != nil {
			return err
		}
		if t.RevokedAt == 0 {
			t.RevokedAt = at
		}
		return putJSON(b, slices.Clone(h), t)
	}))
}

// ---- logs

func logBucket(kind string) ([]byte, error) {
	switch kind {
	case store.LogWrite:
		return bLogWrite, nil
	case store.LogRead:
		return bLogRead, nil
	}
	return nil, fmt.Errorf("kvstore: unknown log kind %q", kind)
}

func (s *Store) AppendLogs(ctx context.Context, entries []store.LogEntry) error {
	for _, e := range entries {
		if _, err := logBucket(e.Kind); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.pending = append(s.pending, entries...)
	s.mu.Unlock()
	return nil
}

func writeLogs(tx Tx, entries []store.LogEntry) error {
	for _, e := range entries {
		name, _ := logBucket(e.Kind)
		b := tx.Bucket(name)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(b, cat(u64(uint64(e.Time)), u64(seq)), e); err != nil {
			return err
		}
	}
	return nil
}

// scanBack iterates a bucket newest first from before the cursor.
func scanBack(c Cursor, before []byte, fn func(k, v []byte) bool) {
	var k, v []byte
	if before == nil {
		k, v = c.Last()
	} else {
		k, v = c.Seek(before)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil; k, v = c.Prev() {
		if !fn(k, v) {
			return
		}
	}
}

func (s *Store) ListLogs(ctx context.Context, kind, cursor string, limit int) ([]store.LogEntry, string, error) {
	name, err := logBucket(kind)
	if err != nil {
		return nil, "", err
	}
	limit = store.ClampLimit(limit, 100)
	before, err := decodeCursor(cursor, nil)
	if err != nil {
		return nil, "", err
	}
	if err := s.flushLogs(); err != nil {
		return nil, "", wrap("list logs", err)
	}
	var out []store.LogEntry
	var next []byte
	err = s.db.View(func(tx Tx) error {
		var ierr error
		var last []byte
		scanBack(tx.Bucket(name).Cursor(), before, func(k, v []byte) bool {
			if len(out) == limit {
				next = slices.Clone(last)
				return false
			}
			var e store.LogEntry
			if ierr = json.Unmarshal(v, &e); ierr != nil {
				return false
			}
			out = append(out, e)
			last = k
			return true
		})
		return ierr
	})
	return out, encodeCursor(next), wrap("list logs", err)
}

// ---- login attempts

func (s *Store) AddLoginAttempt(ctx context.Context, a store.LoginAttempt) error {
	return wrap("add login attempt", s.update(func(tx Tx) error {
		all := tx.Bucket(bLoginAll)
		seq, err := all.NextSequence()
		if err != nil {
			return err
		}
		k := cat(u64(uint64(a.Time)), u64(seq))
		if err := putJSON(all, k, a); err != nil {
			return err
		}
		if a.Success {
			return nil
		}
		return tx.Bucket(bLogin).Put(cat(key(true, a.Addr), k), []byte{1})
	}))
}

func (s *Store) LoginFailures(ctx context.Context, addr string, since int64) (int, error) {
	n := 0
	err := s.db.View(func(tx Tx) error {
		pre := key(true, addr)
		c := tx.Bucket(bLogin).Cursor()
		for k, _ := c.Seek(cat(pre, u64(uint64(since)))); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, wrap("login failures", err)
}

func (s *Store) ClearLoginFailures(ctx context.Context, addr string) error {
	return wrap("clear login failures", s.update(func(tx Tx) error {
		pre := key(true, addr)
		b := tx.Bucket(bLogin)
		var keys [][]byte
		scan(b.Cursor(), pre, nil, func(k, v []byte) bool {
			keys = append(keys, slices.Clone(k))
			return true
		})
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) ListLoginAttempts(ctx context.Context, cursor string, limit int) ([]store.LoginAttempt, string, error) {
	limit = store.ClampLimit(limit, 100)
	before, err := decodeCursor(cursor, nil)
	if err != nil {
		return nil, "", err
	}
	var out []store.LoginAttempt
	var next []byte
	err = s.db.View(func(tx Tx) error {
		var ierr error
		var last []byte
		scanBack(tx.Bucket(bLoginAll).Cursor(), before, func(k, v []byte) bool {
			if len(out) == limit {
				next = slices.Clone(last)
				return false
			}
			var a store.LoginAttempt
			if ierr = json.Unmarshal(v, &a); ierr != nil {
				return false
			}
			out = append(out, a)
			last = k
			return true
		})
		return ierr
	})
	return out, encodeCursor(next), wrap("list login attempts", err)
}
