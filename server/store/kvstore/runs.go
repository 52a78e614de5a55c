package kvstore

// Index entries: blocks, pending runs and merges.
//
// A record's blind-index keys are random, so writing a batch's index entries
// one key each into a B+tree would dirty about one page per record, each
// written and fsync'd with the batch. Instead a transaction that changes
// entries (UpsertRecords, DeleteRecord) writes them as one run: its net
// changes, put or delete, sorted, in blocks appended to bucket rpending
// under the next sequence number, in the same transaction as the records (a
// few pages, written in order). The merger folds the oldest runs into the
// main buckets rindex, rfilter and rtime and deletes them, in one
// transaction: a crash during a merge leaves the runs pending, and the next
// merge redoes it. Readers merge the main bucket with the pending runs of
// their own snapshot, the newest change of a key winning, so that a run's
// delete hides an older put and nothing stale is ever returned.
//
// The main buckets hold entries in blocks too: a merge rewrites each block
// it changes with one put, instead of one put per entry.
//
// # Format
//
// A block is a sequence of entries in (kind, key) order, each (kind, key)
// at most once:
//
//	u8 op | kind<<1   op 1 put, 0 delete; kind 0 index, 1 filter, 2 time
//	u16be shared      bytes the key shares with the entry before (0 first)
//	u16be n           length of the rest of the key
//	[n]byte           the rest of the key
//
// of at most runBlockSize bytes unless it holds a single entry. Blocks are
// keyed by their first entry:
//
//	rpending   u64be(seq) kind key        block of a run: the run's changes
//	rindex     key                        block: puts of kind 0 only
//	rfilter    key                        block: puts of kind 1 only
//	rtime      key                        block: puts of kind 2 only
//
// where key is an entry key (kv.go). The block that may hold a key is the
// one with the greatest block key at or before it.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
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
	return lastOfEach(ops)
}

// lastOfEach drops from ops, sorted, all but the last change of each entry.
func lastOfEach(ops []op) []op {
	out := ops[:0]
	for i := range ops {
		if i+1 < len(ops) && cmpOp(ops[i], ops[i+1]) == 0 {
			continue // a later change of the same entry wins
		}
		out = append(out, ops[i])
	}
	return out
}

// mergeRuns merges runs, each sorted, into one sorted sequence in which the
// changes of an entry keep the order of their runs.
func mergeRuns(runs [][]op) []op {
	if len(runs) == 0 {
		return nil
	}
	for len(runs) > 1 {
		var next [][]op
		for i := 0; i+1 < len(runs); i += 2 {
			a, b := runs[i], runs[i+1]
			m := make([]op, 0, len(a)+len(b))
			for len(a) > 0 && len(b) > 0 {
				if cmpOp(b[0], a[0]) < 0 {
					m, b = append(m, b[0]), b[1:]
				} else {
					m, a = append(m, a[0]), a[1:]
				}
			}
			next = append(next, append(append(m, a...), b...))
		}
		if len(runs)%2 == 1 {
			next = append(next, runs[len(runs)-1])
		}
		runs = next
	}
	return runs[0]
}

func cmpOp(a, b op) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	return bytes.Compare(a.key, b.key)
}

var (
	errEntryKey   = errors.New("kvstore: entry key too long")
	errCorruptRun = errors.New("kvstore: corrupt index block")
)

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
	w := &blockWriter{b: pb, pre: u64(seq), run: true}
	for _, o := range ops {
		if err := w.add(o); err != nil {
			return false, err
		}
	}
	return true, w.flush()
}

// blockWriter puts entries, in order, as blocks.
type blockWriter struct {
	b     Bucket
	pre   []byte // key prefix: u64be(seq) for a run, none for a main bucket
	run   bool   // keys name the first entry's kind
	block []byte
	first []byte // the block's key
	prev  []byte // the last entry's key
}

func (w *blockWriter) add(o op) error {
	if len(o.key) > 0xffff {
		return errEntryKey
	}
	shared := commonPrefix(w.prev, o.key)
	if len(w.block) > 0 && len(w.block)+5+len(o.key)-shared > runBlockSize {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if len(w.block) == 0 {
		// Buffers are not reused: the database holds them until the
		// transaction ends.
		w.block = make([]byte, 0, max(runBlockSize, 5+len(o.key)))
		w.first = append(make([]byte, 0, len(w.pre)+1+len(o.key)), w.pre...)
		if w.run {
			w.first = append(w.first, o.kind)
		}
		w.first = append(w.first, o.key...)
		w.prev, shared = nil, 0
	}
	head := o.kind << 1
	if o.put {
		head |= 1
	}
	w.block = append(w.block, head)
	w.block = binary.BigEndian.AppendUint16(w.block, uint16(shared))
	w.block = binary.BigEndian.AppendUint16(w.block, uint16(len(o.key)-shared))
	w.block = append(w.block, o.key[shared:]...)
	w.prev = o.key
	return nil
}

func (w *blockWriter) flush() error {
	if len(w.block) == 0 {
		return nil
	}
	err := w.b.Put(w.first, w.block)
	w.block = nil
	return err
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// decodeBlock appends the entries of block to ents; their keys are in new
// memory (they stay valid).
func decodeBlock(block []byte, ents []op) ([]op, error) {
	buf := make([]byte, 0, 3*len(block))
	var prev []byte
	for len(block) > 0 {
		if len(block) < 5 || block[0]>>1 > kindTime {
			return nil, errCorruptRun
		}
		shared := int(binary.BigEndian.Uint16(block[1:]))
		n := int(binary.BigEndian.Uint16(block[3:]))
		if shared > len(prev) || len(block) < 5+n {
			return nil, errCorruptRun
		}
		if cap(buf)-len(buf) < shared+n {
			buf = make([]byte, 0, max(4096, shared+n))
		}
		k := append(append(buf, prev[:shared]...), block[5:5+n]...)
		buf = buf[len(k):len(k)]
		k = k[:len(k):len(k)]
		ents = append(ents, op{kind: block[0] >> 1, put: block[0]&1 == 1, key: k})
		prev = k
		block = block[5+n:]
	}
	return ents, nil
}

// blockFor returns the block of main bucket b that holds k or would: the
// last one at or before k, else the first; and the key of the block after
// it (nil if none). bk is nil if b is empty.
func blockFor(b Bucket, k []byte) (bk, bv, next []byte) {
	c := b.Cursor()
	bk, bv = c.Seek(k)
	if bk == nil || !bytes.Equal(bk, k) {
		var pk, pv []byte
		if bk == nil {
			pk, pv = c.Last()
		} else {
			pk, pv = c.Prev()
		}
		if pk != nil {
			return pk, pv, slices.Clone(bk)
		}
		if bk == nil {
			return nil, nil, nil
		}
		bk, bv = c.Seek(k) // k precedes every block: the first
	}
	next, _ = c.Next()
	return bk, bv, slices.Clone(next)
}

// mergeBlocks applies ops, the net changes of one kind in key order, to the
// blocks of main bucket b: each block they fall in is rewritten once.
func mergeBlocks(b Bucket, ops []op) error {
	var ents []op
	for len(ops) > 0 {
		bk, bv, next := blockFor(b, ops[0].key)
		n := len(ops)
		if next != nil {
			n = sort.Search(len(ops), func(i int) bool { return bytes.Compare(ops[i].key, next) >= 0 })
		}
		var err error
		if ents, err = decodeBlock(bv, ents[:0]); err != nil {
			return err
		}
		if bk != nil {
			if err := b.Delete(bk); err != nil {
				return err
			}
		}
		w := &blockWriter{b: b}
		i := 0
		for _, o := range ops[:n] {
			for ; i < len(ents) && bytes.Compare(ents[i].key, o.key) < 0; i++ {
				if err := w.add(ents[i]); err != nil {
					return err
				}
			}
			if i < len(ents) && bytes.Equal(ents[i].key, o.key) {
				i++ // replaced or deleted
			}
			if o.put {
				if err := w.add(o); err != nil {
					return err
				}
			}
		}
		for ; i < len(ents); i++ {
			if err := w.add(ents[i]); err != nil {
				return err
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		ops = ops[n:]
	}
	return nil
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

// runIter iterates the entries of one kind in a sequence of blocks: a
// pending run, or a main bucket. It decodes a block as it goes, and copies
// only the keys it stops at.
type runIter struct {
	c     Cursor
	own   []byte // prefix of the blocks' keys: u64be(seq), or none (main)
	tpre  []byte // prefix of a block key before its first entry's key
	kind  byte
	block []byte // the current block after the last entry decoded
	prev  []byte // the last entry decoded: its key
	head  byte   // and its op and kind
	cur   op     // the current entry, if ok
	ok    bool
	err   error
}

func pendingIter(pb Bucket, seq uint64, kind byte) *runIter {
	own := u64(seq)
	return &runIter{c: pb.Cursor(), own: own, tpre: append(slices.Clip(own), kind), kind: kind}
}

func mainIter(b Bucket, kind byte) *runIter {
	return &runIter{c: b.Cursor(), kind: kind}
}

// seek positions it at the first entry of its kind at or after k.
func (it *runIter) seek(k []byte) {
	target := append(slices.Clip(it.tpre), k...)
	bk, bv := it.c.Seek(target)
	if !bytes.Equal(bk, target) {
		// The block that holds k, if any, starts before it (in a run,
		// perhaps with entries of an earlier kind).
		var pk, pv []byte
		if bk == nil {
			pk, pv = it.c.Last()
		} else {
			pk, pv = it.c.Prev()
		}
		if pk != nil && bytes.HasPrefix(pk, it.own) {
			bk, bv = pk, pv
		} else if bk != nil {
			bk, bv = it.c.Seek(target)
		}
	}
	it.ok = false
	if bk == nil || !bytes.HasPrefix(bk, it.own) {
		return
	}
	it.block, it.prev = bv, it.prev[:0]
	it.advance(k)
}

// next moves to the next entry of the kind.
func (it *runIter) next() { it.advance(nil) }

// advance moves to the next entry of the kind at or after k.
func (it *runIter) advance(k []byte) {
	it.ok = false
	for {
		if len(it.block) == 0 {
			bk, bv := it.c.Next()
			if bk == nil || !bytes.HasPrefix(bk, it.own) {
				return
			}
			it.block, it.prev = bv, it.prev[:0]
		}
		b := it.block
		if len(b) < 5 || b[0]>>1 > kindTime {
			it.err = errCorruptRun
			return
		}
		shared := int(binary.BigEndian.Uint16(b[1:]))
		n := int(binary.BigEndian.Uint16(b[3:]))
		if shared > len(it.prev) || len(b) < 5+n {
			it.err = errCorruptRun
			return
		}
		it.prev = append(it.prev[:shared], b[5:5+n]...)
		it.head, it.block = b[0], b[5+n:]
		switch kind := it.head >> 1; {
		case kind < it.kind:
			continue
		case kind > it.kind:
			return
		}
		if k != nil && bytes.Compare(it.prev, k) < 0 {
			continue
		}
		it.cur = op{kind: it.kind, put: it.head&1 == 1, key: slices.Clone(it.prev)}
		it.ok = true
		return
	}
}

// entryIter iterates the entries of one kind as a snapshot holds them: the
// main bucket merged with the pending runs, the newest change of a key
// winning, deleted keys skipped.
type entryIter struct {
	srcs []*runIter // the main bucket, then the runs oldest first
	key  []byte     // the current key, nil at the end
	err  error
}

func newEntryIter(tx Tx, kind byte) (*entryIter, error) {
	it := &entryIter{srcs: []*runIter{mainIter(tx.Bucket(kindBuckets[kind]), kind)}}
	pb := tx.Bucket(bPending)
	seqs, err := pendingSeqs(pb)
	if err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		it.srcs = append(it.srcs, pendingIter(pb, seq, kind))
	}
	return it, nil
}

// pendingSeqs returns the sequence numbers of the pending runs, oldest
// first. Runs are added with the next number and merged oldest first, so
// the first and the last run name them all; a gap (there should be none)
// costs a run that reads as empty, a wide one a full scan.
func pendingSeqs(pb Bucket) ([]uint64, error) {
	if pb == nil {
		return nil, nil
	}
	c := pb.Cursor()
	first, _ := c.First()
	last, _ := c.Last()
	if first == nil {
		return nil, nil
	}
	if len(first) < 9 || len(last) < 9 {
		return nil, errCorruptRun
	}
	lo, hi := binary.BigEndian.Uint64(first), binary.BigEndian.Uint64(last)
	if hi-lo >= 1<<12 {
		return runSeqs(pb)
	}
	seqs := make([]uint64, 0, hi-lo+1)
	for seq := lo; seq <= hi; seq++ {
		seqs = append(seqs, seq)
	}
	return seqs, nil
}

// seek positions it at the first live key at or after k.
func (it *entryIter) seek(k []byte) {
	for _, r := range it.srcs {
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
	for _, r := range it.srcs {
		if r.ok && bytes.Equal(r.cur.key, k) {
			r.next()
		}
	}
}

// settle sets key to the smallest live key of the sources, stepping past
// deleted ones.
func (it *entryIter) settle() {
	for {
		var least []byte
		for _, r := range it.srcs {
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
		// The newest source that has the key decides.
		live := true
		for i := len(it.srcs) - 1; i >= 0; i-- {
			if r := it.srcs[i]; r.ok && bytes.Equal(r.cur.key, least) {
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
const DefaultMergeRuns = 64

// mergeMaxEntries bounds the entries one merge transaction folds in (it
// takes at least one run): the transaction's dirty pages stay in memory
// until it commits.
const mergeMaxEntries = 1 << 18

// ranOne counts a committed run and wakes or runs the merger.
func (s *Store) ranOne() {
	s.written.Add(1)
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
		var runs [][]op // oldest first
		var blocks [][]byte
		var seq uint64
		entries := 0
		c := pb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < 9 {
				return errCorruptRun
			}
			if ks := binary.BigEndian.Uint64(k); merged == 0 || ks != seq {
				if entries >= s.mergeMax {
					break
				}
				seq = ks
				merged++
				runs = append(runs, nil)
			}
			blocks = append(blocks, slices.Clone(k))
			r := &runs[len(runs)-1]
			n := len(*r)
			var err error
			if *r, err = decodeBlock(v, *r); err != nil {
				return err
			}
			entries += len(*r) - n
		}
		// The newest change of an entry wins.
		ops := lastOfEach(mergeRuns(runs))
		for len(ops) > 0 {
			n := 1
			for n < len(ops) && ops[n].kind == ops[0].kind {
				n++
			}
			bk := tx.Bucket(kindBuckets[ops[0].kind])
			if appendsOnly(bk, ops[:n]) {
				setFill(bk, appendFill)
			}
			if err := mergeBlocks(bk, ops[:n]); err != nil {
				return err
			}
			ops = ops[n:]
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

// upgradeEntries rewrites, in blocks, a main bucket that still holds one
// key per entry with an empty value (the layout before blocks; a block is
// never empty).
func upgradeEntries(tx Tx) error {
	for kind, name := range kindBuckets {
		b := tx.Bucket(name)
		if k, v := b.Cursor().First(); k == nil || len(v) > 0 {
			continue
		}
		var ops []op
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) > 0 {
				return errCorruptRun
			}
			ops = append(ops, op{kind: byte(kind), put: true, key: slices.Clone(k)})
		}
		for _, o := range ops {
			if err := b.Delete(o.key); err != nil {
				return err
			}
		}
		setFill(b, appendFill)
		w := &blockWriter{b: b}
		for _, o := range ops {
			if err := w.add(o); err != nil {
				return err
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	return nil
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
