package kvstore

// Group commit of record batches.
//
// A durable transaction costs its fsyncs whatever it holds. When several
// UpsertRecords calls are ready at once (a client with more than one batch
// in flight, or several clients), the first becomes the leader: it takes
// every batch queued (up to maxGroupRecords records) and writes them in one
// transaction, each applied in turn exactly as it would be alone, in the
// order they were queued, their index changes in one run. Batches that
// arrive while it commits queue up; when it is done it hands the lead to
// the first of them. Each caller returns only once the transaction that
// holds its batch is committed (durable), with its own outcomes: a batch
// that follows another in the same transaction sees it, as it would see a
// transaction committed before its own.
//
// One batch's failure never becomes another's: when a batch fails while it
// is applied, the transaction is rolled back and written again without it
// (it gets its error, as it would alone, since the batches before it are
// the same); when the transaction fails otherwise (writing the run,
// committing), each batch is written again alone, in order. This is
// bbolt's DB.Batch rule, with the order kept.

import (
	"fmt"
	"sync"

	"github.com/zkvault/zkvault/server/store"
)

// maxGroupRecords bounds the records of one group transaction (a batch
// larger than that goes alone).
const maxGroupRecords = 4000

// upsert is one UpsertRecords call on its way through the group commit.
type upsert struct {
	space, coll string
	recs        []store.RecordWrite
	vals, rks   [][]byte // stored values and record keys, by position
	order       []int    // positions in the order to visit: key order, or batch order if dup
	dup         bool     // an id appears twice
	pre         []byte   // the collection's key prefix
	a           arena    // entry keys

	out  []store.Outcome
	err  error
	done bool // out or err is final
	// ready receives true when this call is to lead the next group, false
	// when a leader has written it (out and err are set).
	ready chan bool
}

// groupQueue is the state of the group commit.
type groupQueue struct {
	mu     sync.Mutex
	queue  []*upsert // arrival order
	active bool      // a leader is committing; then queue's head is next
	// before, if set, is called by a leader with the group it is about
	// to write (tests).
	before func(n int)
}

// commitUpsert writes u, alone or in a group, and returns once the
// transaction that holds it is committed or has failed.
func (s *Store) commitUpsert(u *upsert) error {
	g := &s.group
	u.ready = make(chan bool, 1)
	g.mu.Lock()
	g.queue = append(g.queue, u)
	if g.active {
		g.mu.Unlock()
		if lead := <-u.ready; !lead {
			return u.err
		}
		g.mu.Lock()
	}
	// u leads: it is the head of the queue.
	g.active = true
	n, recs := 0, 0
	for n < len(g.queue) && (n == 0 || recs+len(g.queue[n].recs) <= maxGroupRecords) {
		recs += len(g.queue[n].recs)
		n++
	}
	group := g.queue[:n:n]
	g.queue = g.queue[n:]
	before := g.before
	g.mu.Unlock()

	defer func() {
		// Whatever happens here, even a panic, the others hear of their
		// batches and the next leader takes over: nobody waits forever.
		p := recover()
		for _, o := range group {
			if !o.done {
				o.err = fmt.Errorf("kvstore: the group commit failed: %v", p)
			}
		}
		g.mu.Lock()
		if len(g.queue) > 0 {
			g.queue[0].ready <- true
		} else {
			g.active = false
			g.queue = nil
		}
		g.mu.Unlock()
		for _, o := range group[1:] {
			o.ready <- false
		}
		if p != nil {
			panic(p)
		}
	}()
	if before != nil {
		before(len(group))
	}
	s.writeGroup(group)
	return u.err
}

// writeGroup writes the batches of group, in order, and sets the error of
// each that could not be written; the comment at the top of this file says
// how a failure is kept to its batch.
func (s *Store) writeGroup(group []*upsert) {
	for len(group) > 0 {
		bad, err := s.writeTx(group)
		switch {
		case err == nil:
			for _, u := range group {
				u.done = true
			}
			return
		case bad >= 0:
			// That batch's own failure: it fails as it would alone; the
			// others are written again without it.
			group[bad].err, group[bad].done = err, true
			rest := make([]*upsert, 0, len(group)-1)
			group = append(append(rest, group[:bad]...), group[bad+1:]...)
		case len(group) == 1:
			group[0].err, group[0].done = err, true
			return
		default:
			for _, u := range group {
				s.writeGroup([]*upsert{u})
			}
			return
		}
	}
}

// writeTx writes group in one transaction. On error, bad is the position
// of the batch that failed while it was applied, or -1.
func (s *Store) writeTx(group []*upsert) (bad int, err error) {
	var ran bool
	err = s.update(func(tx Tx) (err error) {
		bad, ran = -1, false
		defer func() {
			// A panic is an error of the batch being applied (or of the
			// transaction): the others are written again without it.
			if p := recover(); p != nil {
				err = fmt.Errorf("kvstore: panic: %v", p)
			}
		}()
		n := 0
		for _, u := range group {
			n += len(u.recs)
		}
		run := &runBuilder{ops: make([]op, 0, 3*n)}
		appending := n > 0
		for i, u := range group {
			if len(u.recs) == 0 {
				continue
			}
			bad = i
			app, err := u.apply(tx, run)
			if err != nil {
				return err
			}
			bad = -1
			appending = appending && app
		}
		if appending {
			// Pages split at commit: the fill applies to every page the
			// transaction wrote.
			setFill(tx.Bucket(bRecords), appendFill)
		}
		ran, err = writeRun(tx.Bucket(bPending), netOps(run.ops))
		return err
	})
	if err == nil && ran {
		s.ranOne()
	}
	return bad, err
}
