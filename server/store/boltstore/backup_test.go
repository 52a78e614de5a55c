package boltstore_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

var ctx = context.Background()

// blobBytes is the deterministic content of version v of blob id.
func blobBytes(id string, v, size int) []byte {
	r := rand.New(rand.NewPCG(uint64(len(id))*7919+uint64(v), uint64(size)))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, id)
	return b
}

// fill writes records and blobs: blob sizes from 0 to over the copy
// buffer, one replaced, one deleted. It returns the blobs that remain.
func fill(t testing.TB, st *boltstore.Store) map[string][]byte {
	t.Helper()
	var recs []store.RecordWrite
	for i := range 50 {
		recs = append(recs, store.RecordWrite{ID: fmt.Sprintf("r%03d", i), Data: []byte(fmt.Sprintf(`{"id":"r%03d","n":%d}`, i, i))})
	}
	if _, err := st.UpsertRecords(ctx, "s", "c", recs); err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]byte{}
	for i, size := range []int{0, 1, 511, 512, 4096, 300 << 10, 70000} {
		id := fmt.Sprintf("b%d", i)
		blobs[id] = blobBytes(id, 1, size)
		if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "s", ID: id, Collection: "c", Record: "r001"}, bytes.NewReader(blobs[id])); err != nil {
			t.Fatal(err)
		}
	}
	blobs["b4"] = blobBytes("b4", 2, 5000)
	if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "s", ID: "b4"}, bytes.NewReader(blobs["b4"])); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBlob(ctx, "s", "b2"); err != nil {
		t.Fatal(err)
	}
	delete(blobs, "b2")
	if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "t", ID: "x"}, strings.NewReader("another space")); err != nil {
		t.Fatal(err)
	}
	blobs["t/x"] = []byte("another space")
	return blobs
}

func newFilled(t *testing.T) (*boltstore.Store, map[string][]byte) {
	st, err := boltstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, fill(t, st)
}

func archive(t *testing.T, st *boltstore.Store) []byte {
	t.Helper()
	snap, err := st.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var buf bytes.Buffer
	n, err := snap.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d %v", n, err)
	}
	return buf.Bytes()
}

func splitID(k string) (string, string) {
	if sp, id, ok := strings.Cut(k, "/"); ok {
		return sp, id
	}
	return "s", k
}

// checkRestored opens dir and checks that it holds the records and exactly
// the blobs given, byte for byte, and no other blob file.
func checkRestored(t *testing.T, dir string, blobs map[string][]byte) {
	t.Helper()
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		d, err := st.Record(ctx, "s", "c", fmt.Sprintf("r%03d", i))
		if err != nil || string(d) != fmt.Sprintf(`{"id":"r%03d","n":%d}`, i, i) {
			t.Fatalf("record %d: %s %v", i, d, err)
		}
	}
	checkBlobs(t, st, blobs)
	if n := blobFiles(t, dir); n != len(blobs) {
		t.Fatalf("%d blob files, want %d", n, len(blobs))
	}
	if _, _, err := st.OpenBlob(ctx, "s", "b2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted blob: %v", err)
	}
}

func blobFiles(t *testing.T, dir string) int {
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func listDir(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestBackupRestore(t *testing.T) {
	st, blobs := newFilled(t)
	a := archive(t, st)
	// The archive: manifest, database, then the blobs in key order.
	tr := tar.NewReader(bytes.NewReader(a))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if strings.HasPrefix(h.Name, "blobs/") && (len(h.PAXRecords["ZKVAULT.sha256"]) != 64 || h.PAXRecords["ZKVAULT.id"] == "") {
			t.Fatalf("entry %s: pax %v", h.Name, h.PAXRecords)
		}
	}
	if len(names) != 2+len(blobs) || names[0] != boltstore.ManifestName || names[1] != boltstore.DBFile {
		t.Fatalf("entries %v", names)
	}
	// No snapshot left in the data directory.
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(st.Bolt().Path()), ".backup-*")); len(m) > 0 {
		t.Fatalf("snapshot left behind: %v", m)
	}

	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	info, err := boltstore.Restore(bytes.NewReader(a), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Blobs != int64(len(blobs)) || info.Legacy || info.Manifest.Blobs.Count != info.Blobs {
		t.Fatalf("info %+v", info)
	}
	if got := listDir(t, parent); !slices.Equal(got, []string{"data"}) {
		t.Fatalf("parent holds %v", got)
	}
	for p, mode := range map[string]os.FileMode{dir: 0o700 | fs.ModeDir, filepath.Join(dir, boltstore.DBFile): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != mode {
			t.Fatalf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	checkRestored(t, dir, blobs)

	// Into an existing empty directory too; Verify agrees.
	empty := t.TempDir()
	if _, err := boltstore.Restore(bytes.NewReader(a), empty, nil); err != nil {
		t.Fatal(err)
	}
	checkRestored(t, empty, blobs)
	if _, err := boltstore.Verify(bytes.NewReader(a), t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestBackupHoldsRemovals: blobs replaced and deleted after the snapshot
// stay readable until the backup is done; their files go afterwards.
func TestBackupHoldsRemovals(t *testing.T) {
	st, blobs := newFilled(t)
	dataDir := filepath.Dir(st.Bolt().Path())
	snap, err := st.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// After the snapshot: a replacement, a deletion, a new blob.
	if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "s", ID: "b5"}, strings.NewReader("new bytes of b5")); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBlob(ctx, "s", "b6"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "s", ID: "later"}, strings.NewReader("after the snapshot")); err != nil {
		t.Fatal(err)
	}
	if n := st.HeldRemovals(); n != 2 {
		t.Fatalf("%d removals held, want 2", n)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	if n := st.HeldRemovals(); n != 0 {
		t.Fatalf("%d removals still held", n)
	}
	// The live store: the replaced and deleted files are gone now.
	if n, want := blobFiles(t, dataDir), len(blobs)-1+1; n != want {
		t.Fatalf("%d blob files in the live store, want %d", n, want)
	}
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := boltstore.Restore(&buf, dir, nil); err != nil {
		t.Fatal(err)
	}
	checkRestored(t, dir, blobs) // as of the snapshot
}

// restoreFails restores a damaged archive: it must fail with ErrBadArchive
// (or ErrLegacyWithBlobs) and leave nothing behind.
func restoreFails(t *testing.T, what string, a []byte) error {
	t.Helper()
	parent := t.TempDir()
	_, err := boltstore.Restore(bytes.NewReader(a), filepath.Join(parent, "data"), nil)
	if err == nil {
		t.Fatalf("%s: restored", what)
	}
	if !errors.Is(err, boltstore.ErrBadArchive) {
		t.Fatalf("%s: %v, want ErrBadArchive", what, err)
	}
	if got := listDir(t, parent); len(got) != 0 {
		t.Fatalf("%s: left %v behind", what, got)
	}
	return err
}

// rewrite copies an archive entry by entry through edit, which may change
// or drop (nil) a header and its data.
func rewrite(t *testing.T, a []byte, edit func(h *tar.Header, data []byte) (*tar.Header, []byte)) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(a))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h, data = edit(h, data); h == nil {
			continue
		}
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	return out.Bytes()
}

func TestRestoreDamaged(t *testing.T) {
	st, blobs := newFilled(t)
	a := archive(t, st)
	same := rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) { return h, d })
	if _, err := boltstore.Verify(bytes.NewReader(same), t.TempDir(), nil); err != nil {
		t.Fatalf("a faithful copy: %v", err)
	}

	// Truncated anywhere, including only its end marker.
	for _, n := range []int{0, 1, 100, 511, 512, 1024, 1536, 5000, len(a) / 3, len(a) / 2, len(a) - 1025, len(a) - 1024, len(a) - 513, len(a) - 512, len(a) - 1} {
		restoreFails(t, fmt.Sprintf("truncated to %d of %d bytes", n, len(a)), a[:n])
	}
	// Extra data.
	restoreFails(t, "garbage after the end", append(slices.Clone(a), "garbage"...))
	restoreFails(t, "an empty file", nil)
	extra := rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) { return h, d })
	extra = extra[:len(extra)-1024] // drop the end marker, add an entry
	var tail bytes.Buffer
	tw := tar.NewWriter(&tail)
	tw.WriteHeader(&tar.Header{Name: "notes.txt", Size: 5, Mode: 0o600, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello"))
	tw.Close()
	if err := restoreFails(t, "an extra entry", append(extra, tail.Bytes()...)); !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("extra entry: %v", err)
	}
	// A missing blob, a blob with other bytes of the same size, a
	// manifest that lies.
	err := restoreFails(t, "a missing blob", rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) {
		if h.PAXRecords["ZKVAULT.id"] == "b3" {
			return nil, nil
		}
		return h, d
	}))
	if !strings.Contains(err.Error(), `"b3"`) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing blob: %v", err)
	}
	restoreFails(t, "the last blob missing", rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) {
		if h.PAXRecords["ZKVAULT.id"] == "x" {
			return nil, nil
		}
		return h, d
	}))
	err = restoreFails(t, "other bytes", rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) {
		if h.PAXRecords["ZKVAULT.id"] == "b5" {
			d = slices.Clone(d)
			d[1000] ^= 1
		}
		return h, d
	}))
	if !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("other bytes: %v", err)
	}
	restoreFails(t, "a manifest that counts one blob more", rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) {
		if h.Name == boltstore.ManifestName {
			d = bytes.Replace(d, []byte(fmt.Sprintf(`"count": %d`, len(blobs))), []byte(fmt.Sprintf(`"count": %d`, len(blobs)+1)), 1)
		}
		return h, d
	}))
	err = restoreFails(t, "a newer format", rewrite(t, a, func(h *tar.Header, d []byte) (*tar.Header, []byte) {
		if h.Name == boltstore.ManifestName {
			d = bytes.Replace(d, []byte(`"version": 1`), []byte(`"version": 2`), 1)
		}
		return h, d
	}))
	if !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("newer format: %v", err)
	}
	restoreFails(t, "not a backup", []byte(strings.Repeat("not a backup at all\n", 100)))

	// A flipped byte in the database, a blob, the manifest, a header.
	find := func(s string) int {
		i := bytes.Index(a, []byte(s))
		if i < 0 {
			t.Fatalf("%q not in the archive", s)
		}
		return i
	}
	flip := func(i int) []byte { b := slices.Clone(a); b[i] ^= 0x20; return b }
	for what, i := range map[string]int{
		"the manifest":      find(`"zkvault-backup"`) + 3,
		"a blob":            find("b5") + 2000,
		"a blob's header":   find("ZKVAULT.id=b5") + 11,
		"the database":      find(`{"id":"r007"`) + 4,
		"the database name": find("zkvault.db") + 2,
	} {
		restoreFails(t, "a flipped byte in "+what, flip(i))
	}
	// A flip anywhere either is refused or changes nothing restored (tar
	// padding, for one, carries no data).
	r := rand.New(rand.NewPCG(1, 2))
	refused := 0
	for range 40 {
		i := r.IntN(len(a))
		parent := t.TempDir()
		dir := filepath.Join(parent, "data")
		if _, err := boltstore.Restore(bytes.NewReader(flip(i)), dir, nil); err != nil {
			if !errors.Is(err, boltstore.ErrBadArchive) {
				t.Fatalf("flip at %d: %v", i, err)
			}
			if got := listDir(t, parent); len(got) != 0 {
				t.Fatalf("flip at %d: left %v", i, got)
			}
			refused++
			continue
		}
		checkRestored(t, dir, blobs)
	}
	t.Logf("%d of 40 random flips refused, the others restored the same data", refused)
}

// TestRestoreLegacy: a database-only backup (a bbolt file, what zkvault
// backup wrote before) restores if it references no blob, and is refused
// with a clear message otherwise.
func TestRestoreLegacy(t *testing.T) {
	legacy := func(st *boltstore.Store) []byte {
		var buf bytes.Buffer
		if err := st.Bolt().View(func(tx *bolt.Tx) error { _, err := tx.WriteTo(&buf); return err }); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	st, err := boltstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UpsertRecords(ctx, "s", "c", []store.RecordWrite{{ID: "a", Data: []byte(`{"id":"a"}`)}}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	info, err := boltstore.Restore(bytes.NewReader(legacy(st)), dir, nil)
	if err != nil || !info.Legacy {
		t.Fatalf("legacy backup without blobs: %+v %v", info, err)
	}
	r, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := r.Record(ctx, "s", "c", "a"); err != nil || string(d) != `{"id":"a"}` {
		t.Fatalf("record: %s %v", d, err)
	}
	r.Close()

	if _, err := st.PutBlob(ctx, store.BlobMeta{Space: "s", ID: "f"}, strings.NewReader("file")); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	_, err = boltstore.Restore(bytes.NewReader(legacy(st)), filepath.Join(parent, "data"), nil)
	if !errors.Is(err, boltstore.ErrLegacyWithBlobs) || !strings.Contains(err.Error(), "references 1 blobs") {
		t.Fatalf("legacy backup with blobs: %v", err)
	}
	if got := listDir(t, parent); len(got) != 0 {
		t.Fatalf("left %v behind", got)
	}
	// A leaf element whose key lies far past the end of the file: bbolt
	// would read it from its memory map and crash the process (SIGBUS or
	// SIGSEGV); the layout check refuses it first.
	b := legacy(st)
	const pageSize = 4096
	hit := false
	for off := 2 * pageSize; off+pageSize <= len(b); off += pageSize {
		if binary.LittleEndian.Uint16(b[off+8:]) == 0x02 && binary.LittleEndian.Uint16(b[off+10:]) > 0 {
			binary.LittleEndian.PutUint32(b[off+16+4:], 0x7fffffff)
			hit = true
		}
	}
	if !hit {
		t.Fatal("no leaf page found")
	}
	if _, err := boltstore.Restore(bytes.NewReader(b), filepath.Join(parent, "data"), nil); !errors.Is(err, boltstore.ErrBadArchive) || !strings.Contains(err.Error(), "outside its page") {
		t.Fatalf("a key outside its page: %v", err)
	}
	// A damaged database file is refused.
	b = legacy(st)
	b[len(b)/2] ^= 0xff
	b = b[:len(b)-4096]
	if _, err := boltstore.Restore(bytes.NewReader(b), filepath.Join(parent, "data"), nil); err == nil {
		t.Fatal("a damaged database-only backup restored")
	}
	if got := listDir(t, parent); len(got) != 0 {
		t.Fatalf("left %v behind", got)
	}
}

// TestRestoreTarget: a directory that is not empty is refused unless
// Replace, which moves it aside; a directory a store has open is refused.
func TestRestoreTarget(t *testing.T) {
	st, blobs := newFilled(t)
	a := archive(t, st)
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "keep"), []byte("mine"), 0o600)
	if _, err := boltstore.Restore(bytes.NewReader(a), dir, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("non-empty directory: %v", err)
	}
	if got := listDir(t, parent); !slices.Equal(got, []string{"data"}) {
		t.Fatalf("parent %v", got)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("dir %v", got)
	}
	info, err := boltstore.Restore(bytes.NewReader(a), dir, &boltstore.RestoreOptions{Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(info.MovedAside, "keep")); err != nil || string(b) != "mine" {
		t.Fatalf("moved aside to %q: %s %v", info.MovedAside, b, err)
	}
	checkRestored(t, dir, blobs)
	// In use.
	live, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := boltstore.Restore(bytes.NewReader(a), dir, &boltstore.RestoreOptions{Replace: true}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("directory in use: %v", err)
	}
	// A failed replacement leaves the directory as it was.
	if _, err := boltstore.Restore(bytes.NewReader(a[:len(a)/2]), filepath.Join(parent, "other"), &boltstore.RestoreOptions{Replace: true}); err == nil {
		t.Fatal("truncated archive restored")
	}
	if got := listDir(t, parent); len(got) != 2 {
		t.Fatalf("parent %v", got)
	}
}

// TestOpenRemovesSnapshots: a backup's database snapshot that a crash
// left in the data directory goes at the next open.
func TestOpenRemovesSnapshots(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, ".backup-123.db")
	os.WriteFile(left, []byte("x"), 0o600)
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("snapshot left: %v", err)
	}
}

// TestOpenSweepsBlobs: blob files no blob references (a crash between a
// commit and the removal it allowed, during a backup that held removals,
// or in the middle of an upload) go at the next open; nothing else does.
func TestOpenSweepsBlobs(t *testing.T) {
	dir := t.TempDir()
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	blobs := fill(t, st)
	snap, err := st.Backup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBlob(ctx, "s", "b1"); err != nil {
		t.Fatal(err)
	}
	delete(blobs, "b1")
	// A crash now: the held removal never happens.
	if st.HeldRemovals() != 1 {
		t.Fatal("no removal held")
	}
	st.Close()
	if n := blobFiles(t, dir); n != len(blobs)+1 {
		t.Fatalf("%d blob files after the crash, want %d (one orphan)", n, len(blobs)+1)
	}
	sub := filepath.Join(dir, "blobs", "ab")
	os.MkdirAll(sub, 0o700)
	for _, name := range []string{".tmp-123", "ab" + strings.Repeat("0", 62) + "-0123456789abcdef", "README"} {
		os.WriteFile(filepath.Join(sub, name), []byte("x"), 0o600)
	}
	st, err = boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	snap.Close() // after the crash: nothing to do any more
	if got := listDir(t, sub); !slices.Equal(got, []string{"README"}) {
		t.Fatalf("left in %s: %v", sub, got)
	}
	if n := blobFiles(t, dir); n != len(blobs)+1 {
		t.Fatalf("%d blob files (README included), want %d", n, len(blobs)+1)
	}
	checkRestoredLive(t, dir, blobs)
}

// checkRestoredLive is checkRestored without the file count (README).
func checkRestoredLive(t *testing.T, dir string, blobs map[string][]byte) {
	t.Helper()
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkBlobs(t, st, blobs)
}

// checkBlobs checks that st serves each of blobs byte for byte, with its size.
func checkBlobs(t *testing.T, st *boltstore.Store, blobs map[string][]byte) {
	t.Helper()
	for k, want := range blobs {
		sp, id := splitID(k)
		m, rc, err := st.OpenBlob(ctx, sp, id)
		if err != nil {
			t.Fatalf("blob %s: %v", k, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) || m.Size != int64(len(want)) {
			t.Fatalf("blob %s: %d bytes %v, want %d", k, len(got), err, len(want))
		}
	}
}
