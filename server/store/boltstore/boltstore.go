// Package boltstore is the embedded store of the zkvault server: one bbolt
// database file and a directory of blob files under a data directory.
//
//	<dir>/zkvault.db          the database (mode 0600)
//	<dir>/blobs/<xx>/<name>   blob bytes, written to a temporary file,
//	                          fsync'd, then renamed into place
//
// Every write is one bbolt transaction, durable (fsync'd) when it returns; a
// batch of records is one transaction, its index entries included (as a
// pending run that a background merger folds into the index later). The
// store logic and the key layout are kvstore's. Opening for writes removes
// what a crash can leave: blob files no blob references, and backup
// snapshots (backup.go; restore.go reads backups back).
package boltstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkvault/zkvault/server/store/kvstore"
)

// DBFile is the name of the database file in the data directory.
const DBFile = "zkvault.db"

// Store is the bbolt store.
type Store struct {
	*kvstore.Store
	bdb      *bolt.DB
	dir      string
	blobs    *files
	readOnly bool
}

// Options of Open.
type Options struct {
	// Timeout to obtain the database's file lock (another process holds
	// it); default 2 s.
	Timeout time.Duration
	// ReadOnly opens the database read-only (for backups of a stopped
	// server and checks).
	ReadOnly bool
	// MergeRuns is kvstore.Options.MergeRuns: the number of pending index
	// runs that wakes the merger.
	MergeRuns int
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, o *Options) (*Store, error) {
	if o == nil {
		o = &Options{}
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	bdb, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{
		Timeout:      o.Timeout,
		ReadOnly:     o.ReadOnly,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", filepath.Join(dir, DBFile), err)
	}
	if !o.ReadOnly {
		err = bdb.Update(func(tx *bolt.Tx) error {
			for _, b := range kvstore.Buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			bdb.Close()
			return nil, fmt.Errorf("boltstore: create buckets: %w", err)
		}
	}
	fs := &files{dir: filepath.Join(dir, "blobs")}
	ks, err := kvstore.New(boltDB{bdb}, fs, &kvstore.Options{MergeRuns: o.MergeRuns, ReadOnly: o.ReadOnly})
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	if !o.ReadOnly {
		// What a crash can leave behind (we hold the database's lock: no
		// other process uses the directory, and nothing is written yet).
		if old, err := filepath.Glob(filepath.Join(dir, backupTempPattern)); err == nil {
			for _, p := range old {
				os.Remove(p)
			}
		}
		sweepBlobs(bdb, fs.dir)
	}
	return &Store{Store: ks, bdb: bdb, dir: dir, blobs: fs, readOnly: o.ReadOnly}, nil
}

// sweepBlobs removes the blob files that no blob references: uploads a
// crash interrupted (.tmp-*), and files whose removal a crash prevented
// (after the transaction that replaced or deleted their blob, or while a
// backup held removals). It removes nothing unless it could read every
// blob's metadata, and only names the store gives files.
func sweepBlobs(bdb *bolt.DB, dir string) {
	used := map[string]bool{}
	err := bdb.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(kvstore.BlobsBucket())
		if b == nil {
			return errors.New("no blobs bucket")
		}
		return b.ForEach(func(k, v []byte) error {
			m, err := kvstore.DecodeBlob(k, v)
			used[m.File] = true
			return err
		})
	})
	if err != nil {
		return
	}
	subs, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, sub := range subs {
		if !sub.IsDir() || len(sub.Name()) != 2 {
			continue
		}
		p := filepath.Join(dir, sub.Name())
		es, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		for _, e := range es {
			name := e.Name()
			if !e.Type().IsRegular() {
				continue
			}
			if strings.HasPrefix(name, ".tmp-") || validBlobName(name) && strings.HasPrefix(name, sub.Name()) && !used[name] {
				os.Remove(filepath.Join(p, name))
			}
		}
	}
}

// Bolt returns the underlying database (for checks and benchmarks).
func (s *Store) Bolt() *bolt.DB { return s.bdb }

// Check runs bbolt's consistency check and returns the first errors found.
// It checks in a write transaction that it rolls back: bbolt's check
// compares the pages a transaction reaches with the database's current
// freelist, so a read transaction that a write commits beside (the
// background merger, a log flush) would report its freed pages as
// "reachable freed". A read-only database is checked in a read
// transaction.
func (s *Store) Check() error {
	var errs []error
	check := func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	}
	if s.bdb.IsReadOnly() {
		if err := s.bdb.View(check); err != nil {
			return err
		}
		return errors.Join(errs...)
	}
	tx, err := s.bdb.Begin(true)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	check(tx)
	return errors.Join(errs...)
}

type boltDB struct{ db *bolt.DB }

func (d boltDB) View(fn func(kvstore.Tx) error) error {
	return d.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (d boltDB) Update(fn func(kvstore.Tx) error) error {
	return d.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (d boltDB) Close() error { return d.db.Close() }

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) Bucket(name []byte) kvstore.Bucket {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil
	}
	return boltBucket{b}
}

type boltBucket struct{ b *bolt.Bucket }

func (b boltBucket) Get(k []byte) []byte           { return b.b.Get(k) }
func (b boltBucket) Put(k, v []byte) error         { return b.b.Put(k, v) }
func (b boltBucket) Delete(k []byte) error         { return b.b.Delete(k) }
func (b boltBucket) NextSequence() (uint64, error) { return b.b.NextSequence() }
func (b boltBucket) Cursor() kvstore.Cursor        { return b.b.Cursor() }

// SetFillPercent sets the bucket's split threshold for the rest of the
// transaction (kvstore.FillSetter).
func (b boltBucket) SetFillPercent(f float64) { b.b.FillPercent = f }

// files keeps blobs as files under dir, in subdirectories by the first two
// characters of their name.
type files struct{ dir string }

func (f *files) path(name string) (string, error) {
	if len(name) < 3 || strings.ContainsAny(name, `/\.`) {
		return "", fmt.Errorf("boltstore: bad blob file name %q", name)
	}
	return filepath.Join(f.dir, name[:2], name), nil
}

func (f *files) Create(name string, r io.Reader) (int64, string, error) {
	p, err := f.path(name)
	if err != nil {
		return 0, "", err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, "", err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return 0, "", err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	n, err := io.CopyBuffer(io.MultiWriter(tmp, h), r, buf)
	if err != nil {
		return 0, "", err
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return 0, "", err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func (f *files) Open(name string) (io.ReadSeekCloser, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (f *files) Remove(name string) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}
