package boltstore_test

import (
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
