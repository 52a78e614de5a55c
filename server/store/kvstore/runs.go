package kvstore

// Pending runs of index entries.
//
// A record's blind-index keys are random, so writing a batch's index entries
// straight into rindex would dirty about one page of it per record, each
// written and fsync'd with the batch. Instead a transaction that changes
// entries (UpsertRecords, DeleteRecord) writes them as one run: its net
// changes, put or delete, sorted, appended to bucket rpending under the next
// sequence number, in the same transaction as the records (a few pages,
// written in order). Readers merge the main buckets with the pending runs of
// their own snapshot, newest first, so that a run's delete hides an older
// put. The merger folds the oldest runs into rindex, rfilter and rtime and
// deletes them, in one transaction: a crash during a merge leaves the runs
// pending, and the next merge redoes it (puts and deletes are idempotent).
//
// # Format
//
//	rpending   u64be(seq) kind first-key        block
//
// A run is a sequence of blocks of up to runBlockSize bytes; a block's key is
// the run's sequence number followed by its first entry's kind and key, so
// a reader seeks to the block that holds a key. A block is a sequence of
// entries, each u8 op (0 delete, 1 put), u8 kind (0 rindex, 1 rfilter,
// 2 rtime), u16be key length, key; in (kind, key) order, each (kind, key) at
// most once in a run.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
)

// Entry kinds: the bucket an entry belongs to.
const (
	kindIndex byte = iota
	kindFilter
	kindTime
)

var kindBuckets = [...][]byte{kindIndex: bRIndex, kindFilter: bRFilter, kindTime: bRTime}

// runBlockSize bounds a block's value: two blocks and their keys fill a
// 4 KiB page.
const runBlockSize = 1900

// op is a change of one entry; n orders the changes of one transaction or
// merge.
type op struct {
	kind byte
	put  bool
	n    int32
	key  []byte
}

// runBuilder collects the entry changes of one transaction in order.
type runBuilder struct {
	ops []op
}

func (r *runBuilder) add(kind byte, put bool, k []byte) {
	r.ops = append(r.ops, op{kind: kind, put: put, key: k})
}

// netOps returns the changes in (kind, key) order, the last change of each
// entry only.
func netOps(ops []op) []op {
	for i := range ops {
		ops[i].n = int32(i)
	}
	slices.SortFunc(ops, func(a, b op) int {
		if c := cmpOp(a, b); c != 0 {
			return c
		}
		return int(a.n - b.n)
	})
	out := ops[:0]
	for i := range ops {
		if i+1 < len(ops) && cmpOp(ops[i], ops[i+1]) == 0 {
			continue // a later change of the same entry wins
		}
		out = append(out, ops[i])
	}
	return out
}

func cmpOp(a, b op) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	return bytes.Compare(a.key, b.key)
}

var errEntryKey = errors.New("kvstore: entry key too long")

// writeRun appends ops (net, sorted) as a new run to the pending bucket and
// reports whether there was one.
func writeRun(pb Bucket, ops []op) (bool, error) {
	if len(ops) == 0 {
		return false, nil
	}
	seq, err := pb.NextSequence()
	if err != nil {
		return false, err
	}
	// Sequence numbers only grow: every block goes after every stored key.
	setFill(pb, appendFill)
	var block []byte
	var first op
	flush := func() error {
		k := binary.BigEndian.AppendUint64(make([]byte, 0, 9+len(first.key)), seq)
		k = append(append(k, first.kind), first.key...)
		err := pb.Put(k, block)
		block = nil
		return err
	}
	for _, o := range ops {
		if len(o.key) > 0xffff {
			return false, errEntryKey
		}
		n := 4 + len(o.key)
		if len(block) > 0 && len(block)+n > runBlockSize {
			if err := flush(); err != nil {
				return false, err
			}
		}
		if len(block) == 0 {
			block = make([]byte, 0, max(runBlockSize, n))
			first = o
		}
		var put byte
		if o.put {
			put = 1
		}
		block = append(block, put, o.kind)
		block = binary.BigEndian.AppendUint16(block, uint16(len(o.key)))
		block = append(block, o.key...)
	}
	return true, flush()
}

// errCorruptRun reports a pending block that does not parse.
var errCorruptRun = errors.New("kvstore: corrupt pending run")

// nextEntry parses the first entry of block and returns the rest.
func nextEntry(block []byte) (op, []byte, error) {
	if len(block) < 4 || block[0] > 1 || block[1] > kindTime {
		return op{}, nil, errCorruptRun
	}
	n := int(binary.BigEndian.Uint16(block[2:]))
	if len(block) < 4+n {
		return op{}, nil, errCorruptRun
	}
	return op{kind: block[1], put: block[0] == 1, key: block[4 : 4+n]}, block[4+n:], nil
}

// runSeqs returns the sequence numbers of the pending runs, oldest first.
func runSeqs(pb Bucket) ([]uint64, error) {
	var seqs []uint64
	if pb == nil {
		return nil, nil // a database from before runs, opened read-only
	}
	c := pb.Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) < 9 {
			return nil, errCorruptRun
		}
		seq := binary.BigEndian.Uint64(k)
		seqs = append(seqs, seq)
		if seq == ^uint64(0) {
			break
		}
		k, _ = c.Seek(u64(seq + 1))
	}
	return seqs, nil
}

// runIter iterates the entries of one kind of one run from a key on.
type runIter struct {
	c     Cursor
	seq   []byte // u64be(seq) kind
	block []byte // entries after cur
	cur   op
	ok    bool
	err   error
}

// seek positions it at the first entry of its kind at or after k.
func (it *runIter) seek(k []byte) {
	target := append(slices.Clip(it.seq), k...)
	bk, bv := it.c.Seek(target)
	if !bytes.Equal(bk, target) {
		// The block that holds k, if any, starts before it (perhaps with
		// entries of an earlier kind).
		var pk, pv []byte
		if bk == nil {
			pk, pv = it.c.Last()
		} else {
			pk, pv = it.c.Prev()
		}
		if pk != nil && bytes.HasPrefix(pk, it.seq[:8]) {
			bk, bv = pk, pv
		} else if bk != nil {
			bk, bv = it.c.Seek(target)
		}
	}
	it.load(bk, bv)
	for it.ok && bytes.Compare(it.cur.key, k) < 0 {
		it.next()
	}
}

// load starts on the block (bk, bv) if it belongs to the run.
func (it *runIter) load(bk, bv []byte) {
	if bk == nil || !bytes.HasPrefix(bk, it.seq[:8]) {
		it.ok = false
		return
	}
	it.block = bv
	it.ok = true
	it.next()
}

// next moves to the next entry of the kind.
func (it *runIter) next() {
	for {
		if len(it.block) == 0 {
			bk, bv := it.c.Next()
			if bk == nil || !bytes.HasPrefix(bk, it.seq[:8]) {
				it.ok = false
				return
			}
			it.block = bv
		}
		o, rest, err := nextEntry(it.block)
		if err != nil {
			it.err, it.ok = err, false
			return
		}
		it.block = rest
		if o.kind < it.seq[8] {
			continue
		}
		if o.kind > it.seq[8] {
			it.ok = false
			return
		}
		it.cur = o
		return
	}
}

// entryIter iterates the entries of one kind as a snapshot holds them: the
// main bucket merged with the pending runs, the newest change of a key
// winning, deleted keys skipped.
type entryIter struct {
	main Cursor
	mk   []byte // the main cursor's key, nil at the end
	runs []*runIter
	key  []byte // the current key, nil at the end
	err  error
}

func newEntryIter(tx Tx, kind byte) (*entryIter, error) {
	it := &entryIter{main: tx.Bucket(kindBuckets[kind]).Cursor()}
	pb := tx.Bucket(bPending)
	seqs, err := runSeqs(pb)
	if err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		it.runs = append(it.runs, &runIter{c: pb.Cursor(), seq: append(u64(seq), kind)})
	}
	return it, nil
}

// seek positions it at the first live key at or after k.
func (it *entryIter) seek(k []byte) {
	it.mk, _ = it.main.Seek(k)
	for _, r := range it.runs {
		r.seek(k)
	}
	it.settle()
}

// next moves past the current key.
func (it *entryIter) next() {
	if it.key != nil {
		it.step(it.key)
		it.settle()
	}
}

// step moves every source that is at k past it.
func (it *entryIter) step(k []byte) {
	if it.mk != nil && bytes.Equal(it.mk, k) {
		it.mk, _ = it.main.Next()
	}
	for _, r := range it.runs {
		if r.ok && bytes.Equal(r.cur.key, k) {
			r.next()
		}
	}
}

// settle sets key to the smallest live key of the sources, stepping past
// deleted ones.
func (it *entryIter) settle() {
	for {
		least := it.mk
		for _, r := range it.runs {
			if r.err != nil {
				it.err, it.key = r.err, nil
				return
			}
			if r.ok && (least == nil || bytes.Compare(r.cur.key, least) < 0) {
				least = r.cur.key
			}
		}
		if least == nil {
			it.key = nil
			return
		}
		// The newest run that changes the key decides; without one, the
		// main bucket holds it.
		live := true
		for i := len(it.runs) - 1; i >= 0; i-- {
			if r := it.runs[i]; r.ok && bytes.Equal(r.cur.key, least) {
				live = r.cur.put
				break
			}
		}
		if live {
			it.key = least
			return
		}
		it.step(least)
	}
}

// ---- merging

// DefaultMergeRuns is the number of pending runs that wakes the merger.
const DefaultMergeRuns = 16

// mergeMaxEntries bounds the entries one merge transaction folds in (it
// takes at least one run): the transaction's dirty pages stay in memory
// until it commits.
const mergeMaxEntries = 1 << 18

// ranOne counts a committed run and wakes or runs the merger.
func (s *Store) ranOne() {
	n := s.runs.Add(1)
	if s.mergeRuns <= 0 || n < int64(s.mergeRuns) {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if n >= 4*int64(s.mergeRuns) {
		// The merger does not keep up: writers wait for it.
		s.mergeOnce()
	}
}

// Merge folds every pending run into the main index, filter and time
// buckets, and returns when none is left (benchmarks, tests, tools).
func (s *Store) Merge() error {
	for {
		n, err := s.mergeOnce()
		if err != nil || n == 0 {
			return err
		}
	}
}

// PendingRuns returns the number of runs not yet merged.
func (s *Store) PendingRuns() int { return int(s.runs.Load()) }

// mergeOnce folds the oldest pending runs, up to mergeMaxEntries entries,
// into the main buckets in one transaction, and returns how many.
func (s *Store) mergeOnce() (int, error) {
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	var merged int
	err := s.update(func(tx Tx) error {
		merged = 0
		pb := tx.Bucket(bPending)
		var ops []op
		var blocks [][]byte
		var seq uint64
		c := pb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < 9 {
				return errCorruptRun
			}
			if ks := binary.BigEndian.Uint64(k); merged == 0 || ks != seq {
				if len(ops) >= s.mergeMax {
					break
				}
				seq = ks
				merged++
			}
			blocks = append(blocks, slices.Clone(k))
			for b := v; len(b) > 0; {
				o, rest, err := nextEntry(b)
				if err != nil {
					return err
				}
				o.key = slices.Clone(o.key)
				ops = append(ops, o)
				b = rest
			}
		}
		// The runs in order: the newest change of an entry wins.
		ops = netOps(ops)
		var bk Bucket
		kind := byte(0xff)
		for i, o := range ops {
			if o.kind != kind {
				kind, bk = o.kind, tx.Bucket(kindBuckets[o.kind])
				if appendsOnly(bk, ops[i:]) {
					setFill(bk, appendFill)
				}
			}
			var err error
			if o.put {
				err = bk.Put(o.key, empty)
			} else {
				err = bk.Delete(o.key)
			}
			if err != nil {
				return err
			}
		}
		for _, k := range blocks {
			if err := pb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, wrap("merge", err)
	}
	s.runs.Add(-int64(merged))
	return merged, nil
}

// countRuns sets the count of pending runs from the database.
func (s *Store) countRuns() error {
	return s.db.View(func(tx Tx) error {
		seqs, err := runSeqs(tx.Bucket(bPending))
		s.runs.Store(int64(len(seqs)))
		return err
	})
}

// appendsOnly reports whether the changes at the start of ops that are of
// one kind, filter or time, each sort after every key b holds of their
// group (one filter value, or one collection's times): ingestion in time
// order. The pages left behind are then never written again and can be
// filled whole. Blind-index values are random: never.
func appendsOnly(b Bucket, ops []op) bool {
	kind := ops[0].kind
	seps := 4 // space, collection, field, value
	switch kind {
	case kindTime:
		seps = 2 // space, collection
	case kindIndex:
		return false
	}
	var group []byte
	for _, o := range ops {
		if o.kind != kind {
			break
		}
		if group != nil && bytes.HasPrefix(o.key, group) {
			continue
		}
		group = groupOf(o.key, seps)
		if group == nil || !after(b, group, o.key) {
			return false
		}
	}
	return true
}

// groupOf returns the prefix of k up to and including its n-th NUL, or nil.
func groupOf(k []byte, n int) []byte {
	for i, c := range k {
		if c == 0 {
			if n--; n == 0 {
				return k[:i+1]
			}
		}
	}
	return nil
}
