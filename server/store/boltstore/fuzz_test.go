package boltstore_test

import (
	"bytes"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

// FuzzVerify: whatever the input, reading a backup returns (an error, for
// anything but a whole backup) and never panics or hangs.
func FuzzVerify(f *testing.F) {
	st, err := boltstore.Open(f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	// Small seeds: the fuzzer minimises every interesting input.
	if _, err := st.UpsertRecords(ctx, "s", "c", []store.RecordWrite{{ID: "a", Data: []byte(`{"id":"a"}`)}}); err != nil {
		f.Fatal(err)
	}
	if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "s", ID: "f"}, strings.NewReader("a small file")); err != nil {
		f.Fatal(err)
	}
	snap, err := st.Backup(ctx)
	if err != nil {
		f.Fatal(err)
	}
	var a bytes.Buffer
	snap.WriteTo(&a)
	snap.Close()
	var legacy bytes.Buffer
	st.Bolt().View(func(tx *bolt.Tx) error { _, err := tx.WriteTo(&legacy); return err })
	st.Close()
	f.Add(a.Bytes())
	f.Add(legacy.Bytes())
	f.Add(a.Bytes()[:2048])
	f.Logf("seeds of %d and %d bytes", a.Len(), legacy.Len())
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := boltstore.Verify(bytes.NewReader(b), t.TempDir(), nil)
		if err == nil && !info.Legacy && info.Manifest.Format != boltstore.BackupFormat {
			t.Fatalf("verified without a manifest: %+v", info)
		}
	})
}
