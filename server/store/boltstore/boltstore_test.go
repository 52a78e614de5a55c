package boltstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/server/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := boltstore.Open(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return checked{s, t}
	})
}

// checked runs bbolt's consistency check before closing.
type checked struct {
	*boltstore.Store
	t *testing.T
}

func (c checked) Close() error {
	if err := c.Check(); err != nil {
		c.t.Errorf("check: %v", err)
	}
	return c.Store.Close()
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	s, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(filepath.Join(dir, boltstore.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	// A second open times out on the file lock instead of hanging.
	if _, err := boltstore.Open(dir, &boltstore.Options{Timeout: 100e6}); err == nil {
		t.Fatal("second open succeeded")
	}
}

// TestCheckWhileWriting: the consistency check finds nothing wrong while
// writes commit beside it (it used to report the pages they freed).
func TestCheckWhileWriting(t *testing.T) {
	s, err := boltstore.Open(t.TempDir(), &boltstore.Options{MergeRuns: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			w := store.RecordWrite{ID: fmt.Sprintf("r%d", i%50), Data: fmt.Appendf(nil, `{"n":%d}`, i),
				Index: []store.IndexEntry{{Name: "p", Value: fmt.Sprint(i)}}}
			if _, err := s.UpsertRecords(context.Background(), "s", "c", []store.RecordWrite{w}); err != nil {
				done <- err
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		if err := s.Check(); err != nil {
			close(stop)
			t.Fatalf("check %d: %v", i, err)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
