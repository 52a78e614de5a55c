// Package memstore is an in-memory store.Store for tests: the same store
// logic as the bbolt store (kvstore) over an in-memory ordered map with
// transactions that roll back on error, and blobs held in memory.
package memstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/zkvault/zkvault/server/store/kvstore"
)

// New returns an empty in-memory store.
func New() *kvstore.Store {
	db := &db{buckets: map[string]*bucket{}}
	for _, b := range kvstore.Buckets {
		db.buckets[string(b)] = &bucket{m: map[string][]byte{}}
	}
	s, err := kvstore.New(db, &files{m: map[string][]byte{}}, nil)
	if err != nil {
		panic(err) // an empty database has nothing to read wrong
	}
	return s
}

type db struct {
	mu      sync.RWMutex
	buckets map[string]*bucket
	closed  bool
}

var errClosed = errors.New("memstore: closed")

func (d *db) View(fn func(kvstore.Tx) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return errClosed
	}
	return fn(&tx{db: d})
}

func (d *db) Update(fn func(kvstore.Tx) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed
	}
	t := &tx{db: d, writable: true}
	err := fn(t)
	if err != nil {
		// Roll back in reverse order.
		for i := len(t.undo) - 1; i >= 0; i-- {
			u := t.undo[i]
			if u.old == nil {
				u.b.del(u.k)
			} else {
				u.b.set(u.k, u.old)
			}
			if u.seq {
				u.b.seq--
			}
		}
	}
	return err
}

func (d *db) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

type undo struct {
	b   *bucket
	k   string
	old []byte
	seq bool
}

type tx struct {
	db       *db
	writable bool
	undo     []undo
}

func (t *tx) Bucket(name []byte) kvstore.Bucket {
	b := t.db.buckets[string(name)]
	if b == nil {
		return nil
	}
	return &txBucket{t: t, b: b}
}

type bucket struct {
	keys []string // sorted
	m    map[string][]byte
	seq  uint64
}

func (b *bucket) set(k string, v []byte) {
	if _, ok := b.m[k]; !ok {
		i := sort.SearchStrings(b.keys, k)
		b.keys = slices.Insert(b.keys, i, k)
	}
	b.m[k] = v
}

func (b *bucket) del(k string) {
	if _, ok := b.m[k]; !ok {
		return
	}
	delete(b.m, k)
	i := sort.SearchStrings(b.keys, k)
	b.keys = slices.Delete(b.keys, i, i+1)
}

var errReadOnly = errors.New("memstore: write in a read-only transaction")

type txBucket struct {
	t *tx
	b *bucket
}

func (x *txBucket) Get(k []byte) []byte { return x.b.m[string(k)] }

func (x *txBucket) Put(k, v []byte) error {
	if !x.t.writable {
		return errReadOnly
	}
	ks := string(k)
	x.t.undo = append(x.t.undo, undo{b: x.b, k: ks, old: x.b.m[ks]})
	x.b.set(ks, append([]byte{}, v...))
	return nil
}

func (x *txBucket) Delete(k []byte) error {
	if !x.t.writable {
		return errReadOnly
	}
	ks := string(k)
	if old, ok := x.b.m[ks]; ok {
		x.t.undo = append(x.t.undo, undo{b: x.b, k: ks, old: old})
		x.b.del(ks)
	}
	return nil
}

func (x *txBucket) NextSequence() (uint64, error) {
	if !x.t.writable {
		return 0, errReadOnly
	}
	// Record the increment so that a rollback undoes it; the key "" entry
	// with seq=true only decrements (old is set so nothing else changes).
	x.b.seq++
	x.t.undo = append(x.t.undo, undo{b: x.b, k: "\xff\xffseq", old: nil, seq: true})
	return x.b.seq, nil
}

func (x *txBucket) Cursor() kvstore.Cursor { return &cursor{b: x.b, pos: -1} }

// cursor is a position in the sorted keys; callers do not write while iterating.
type cursor struct {
	b   *bucket
	pos int
}

func (c *cursor) at(i int) ([]byte, []byte) {
	if i < 0 || i >= len(c.b.keys) {
		c.pos = len(c.b.keys)
		return nil, nil
	}
	c.pos = i
	k := c.b.keys[i]
	return []byte(k), c.b.m[k]
}

func (c *cursor) First() ([]byte, []byte) { return c.at(0) }
func (c *cursor) Last() ([]byte, []byte)  { return c.at(len(c.b.keys) - 1) }
func (c *cursor) Seek(k []byte) ([]byte, []byte) {
	return c.at(sort.SearchStrings(c.b.keys, string(k)))
}
func (c *cursor) Next() ([]byte, []byte) {
	if c.pos >= len(c.b.keys) {
		return nil, nil
	}
	return c.at(c.pos + 1)
}
func (c *cursor) Prev() ([]byte, []byte) {
	if c.pos <= 0 {
		c.pos = -1
		return nil, nil
	}
	return c.at(c.pos - 1)
}

type files struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (f *files) Create(name string, r io.Reader) (int64, string, error) {
	var buf bytes.Buffer
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(&buf, h), r)
	if err != nil {
		return 0, "", err
	}
	f.mu.Lock()
	f.m[name] = buf.Bytes()
	f.mu.Unlock()
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

type readSeekCloser struct{ *bytes.Reader }

func (readSeekCloser) Close() error { return nil }

func (f *files) Open(name string) (io.ReadSeekCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.m[name]
	if !ok {
		return nil, errors.New("memstore: no such blob file")
	}
	return readSeekCloser{bytes.NewReader(b)}, nil
}

func (f *files) Remove(name string) error {
	f.mu.Lock()
	delete(f.m, name)
	f.mu.Unlock()
	return nil
}
