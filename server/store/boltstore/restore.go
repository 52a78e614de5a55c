package boltstore

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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

// ErrNotEmpty is Restore's error for a target directory that is not empty
// (without RestoreOptions.Replace).
var ErrNotEmpty = errors.New("is not empty")

// Progress is how far Restore or Verify has read: content bytes (the
// database and the blobs) and blobs, of the totals the manifest declares
// (0 when not known yet, or for a database-only backup).
type Progress struct {
	Bytes, TotalBytes int64
	Blobs, TotalBlobs int64
}

// RestoreOptions are the options of Restore.
type RestoreOptions struct {
	// Replace lets Restore replace a directory that is not empty: once
	// the archive has checked out entirely, the directory is renamed to
	// <dir>.before-restore-<time> (never deleted) and the restored one
	// takes its place.
	Replace bool
	// Progress, if set, is called as the archive is read.
	Progress func(Progress)
}

// RestoreInfo says what Restore or Verify found.
type RestoreInfo struct {
	// Legacy: a database-only backup (zkvault backup before blobs were
	// included): a bbolt file, restorable only if it references no blob.
	Legacy        bool
	Manifest      Manifest // zero for a legacy backup
	DatabaseBytes int64
	Blobs         int64
	BlobBytes     int64
	// MovedAside is where the replaced directory went (Replace).
	MovedAside string
}

// ErrLegacyWithBlobs: a database-only backup whose database references
// blobs it does not hold.
var ErrLegacyWithBlobs = errors.New("database-only backup without its blobs")

// Restore reads a backup from r, checks all of it (every declared length
// and digest, the database with bbolt's consistency check, every blob the
// database references present and intact, nothing missing, nothing extra)
// and makes dir a data directory holding it. It restores into a temporary
// directory beside dir and renames it into place at the end: a failure at
// any point leaves dir as it was and nothing else behind.
//
// dir must not exist or be empty, unless o.Replace. A database-only backup
// made by an earlier zkvault (a bbolt file) is restored if its database
// references no blob, and refused (ErrLegacyWithBlobs) otherwise. The
// admin secret and the session key are not in backups: serve makes new
// ones on its first run.
func Restore(r io.Reader, dir string, o *RestoreOptions) (RestoreInfo, error) {
	if o == nil {
		o = &RestoreOptions{}
	}
	dir = filepath.Clean(dir)
	exists, nonEmpty, err := dirState(dir)
	if err != nil {
		return RestoreInfo{}, err
	}
	if nonEmpty {
		if !o.Replace {
			return RestoreInfo{}, fmt.Errorf("%s %w; restore into a new directory, or replace it (it is then moved aside, not deleted)", dir, ErrNotEmpty)
		}
		if err := notInUse(dir); err != nil {
			return RestoreInfo{}, err
		}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return RestoreInfo{}, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".restoring-*")
	if err != nil {
		return RestoreInfo{}, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	info, err := readArchive(r, tmp, true, o.Progress)
	if err != nil {
		return info, err
	}
	if err := syncTree(tmp); err != nil {
		return info, err
	}
	switch {
	case nonEmpty:
		if err := notInUse(dir); err != nil {
			return info, err
		}
		aside := dir + ".before-restore-" + time.Now().UTC().Format("20060102T150405.000Z")
		if err := os.Rename(dir, aside); err != nil {
			return info, fmt.Errorf("moving %s aside: %w", dir, err)
		}
		info.MovedAside = aside
	case exists:
		if err := os.Remove(dir); err != nil {
			return info, err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return info, err
	}
	done = true
	syncDir(parent)
	return info, nil
}

// Verify reads a backup from r and checks it as Restore does, keeping
// nothing: the database goes to a temporary directory under scratch and
// the blobs are only hashed.
func Verify(r io.Reader, scratch string, progress func(Progress)) (RestoreInfo, error) {
	tmp, err := os.MkdirTemp(scratch, ".zkvault-verify-*")
	if err != nil {
		return RestoreInfo{}, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(tmp)
	info, err := readArchive(r, tmp, false, progress)
	if err != nil {
		return info, fmt.Errorf("verify: %w", err)
	}
	return info, nil
}

// dirState says whether dir exists and whether it holds anything.
func dirState(dir string) (exists, nonEmpty bool, err error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, false, err
	}
	if !fi.IsDir() {
		return false, false, fmt.Errorf("%s exists and is not a directory", dir)
	}
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return false, false, err
	}
	return true, len(names) > 0, nil
}

// notInUse fails if a server has dir's database open.
func notInUse(dir string) error {
	p := filepath.Join(dir, DBFile)
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	db, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%s is in use (is a server running on it? stop it first)", p)
	}
	if err == nil {
		db.Close()
	}
	return nil
}

// bbolt's meta page: a 16-byte page header, then the magic and version.
const boltMagic = 0xED0CDAED

func isBolt(head []byte) bool {
	return len(head) >= 24 && binary.LittleEndian.Uint32(head[16:]) == boltMagic && binary.LittleEndian.Uint32(head[20:]) == 2
}

func isTar(head []byte) bool {
	return len(head) >= 512 && string(head[257:262]) == "ustar"
}

// counter counts the bytes read through it and reports progress.
type counter struct {
	r        io.Reader
	n        int64 // bytes read from r
	p        Progress
	progress func(Progress)
	last     time.Time
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// add counts content bytes done.
func (c *counter) add(n int64) {
	c.p.Bytes += n
	if c.progress != nil {
		if now := time.Now(); now.Sub(c.last) >= 50*time.Millisecond {
			c.last = now
			c.progress(c.p)
		}
	}
}

func (c *counter) flush() {
	if c.progress != nil {
		c.progress(c.p)
	}
}

// copyOut copies n bytes of r to w (nil: nowhere), counting them as
// content, and returns their SHA-256.
func (c *counter) copyOut(w io.Writer, r io.Reader, n int64, buf []byte) (string, error) {
	h := sha256.New()
	var dst io.Writer = h
	if w != nil {
		dst = io.MultiWriter(w, h)
	}
	for n > 0 {
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), n)])
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return "", werr
			}
			c.add(int64(k))
			n -= int64(k)
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return "", bad("the archive ends in the middle of an entry (truncated)")
			}
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readArchive reads a backup into dst: the database always, the blobs if
// withBlobs (else they are only hashed).
func readArchive(r io.Reader, dst string, withBlobs bool, progress func(Progress)) (RestoreInfo, error) {
	var info RestoreInfo
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return info, err
	}
	c := &counter{r: br, progress: progress}
	buf := make([]byte, 256<<10)
	dbPath := filepath.Join(dst, DBFile)
	switch {
	case isBolt(head):
		return readLegacy(c, dbPath, withBlobs, buf)
	case !isTar(head):
		if len(head) == 0 {
			return info, bad("the file is empty")
		}
		return info, bad("not a zkvault backup (neither a backup archive nor a database file)")
	}
	tr := tar.NewReader(c)
	next := func(what string) (*tar.Header, error) {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, bad("the archive ends before %s (truncated)", what)
		}
		if err != nil {
			return nil, bad("reading %s: %v", what, err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, bad("entry %q is not a regular file", h.Name)
		}
		return h, nil
	}

	// The manifest.
	h, err := next("its manifest")
	if err != nil {
		return info, err
	}
	if h.Name != ManifestName || h.Size <= 0 || h.Size > maxManifest {
		return info, bad("the first entry is %q (%d bytes), not the manifest", h.Name, h.Size)
	}
	mj := make([]byte, h.Size)
	if _, err := io.ReadFull(tr, mj); err != nil {
		return info, bad("the archive ends in the manifest (truncated)")
	}
	m := &info.Manifest
	if err := json.Unmarshal(mj, m); err != nil {
		return info, bad("the manifest is not valid JSON: %v", err)
	}
	if m.Format != BackupFormat {
		return info, bad("the manifest names format %q, not %q", m.Format, BackupFormat)
	}
	if m.Version != BackupVersion {
		return info, fmt.Errorf("%w: backup format version %d; this zkvault reads version %d (use the zkvault that made it, or a newer one)", ErrBadArchive, m.Version, BackupVersion)
	}
	if m.Database.Name != DBFile || m.Database.Size <= 0 || !isHex64(m.Database.SHA256) || m.Blobs.Count < 0 || m.Blobs.Bytes < 0 {
		return info, bad("the manifest is incomplete or inconsistent")
	}
	c.p.TotalBytes = m.Database.Size + m.Blobs.Bytes
	c.p.TotalBlobs = m.Blobs.Count

	// The database.
	if h, err = next("its database"); err != nil {
		return info, err
	}
	if h.Name != DBFile || h.Size != m.Database.Size || h.PAXRecords[paxSHA256] != m.Database.SHA256 {
		return info, bad("the second entry is %q (%d bytes), not the database the manifest describes", h.Name, h.Size)
	}
	sum, err := writeFile(dbPath, withBlobs, func(f *os.File) (string, error) { return c.copyOut(f, tr, h.Size, buf) })
	if err != nil {
		return info, err
	}
	if sum != m.Database.SHA256 {
		return info, bad("the database does not match its SHA-256")
	}
	info.DatabaseBytes = h.Size
	db, err := openChecked(dbPath)
	if err != nil {
		return info, err
	}
	defer db.Close()
	tx, err := db.Begin(false)
	if err != nil {
		return info, err
	}
	defer tx.Rollback()
	cur := tx.Bucket(kvstore.BlobsBucket()).Cursor()
	k, v := cur.First()

	// The blobs, in the order of the database's blobs bucket.
	for {
		dataEnd := c.n
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// tar stops at the first zero block, or at a clean end of
			// input: only the first has the two zero blocks after the
			// last entry's padding.
			if c.n < (dataEnd+511)/512*512+1024 {
				return info, bad("the archive ends without its end marker (truncated)")
			}
			break
		}
		if err != nil {
			return info, bad("reading the entry after %d blobs: %v", info.Blobs, err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasPrefix(h.Name, blobPrefix) {
			return info, bad("unexpected entry %q", h.Name)
		}
		space, id := h.PAXRecords[paxSpace], h.PAXRecords[paxID]
		if k == nil {
			return info, bad("entry %q holds blob %q of space %q, which the database does not reference", h.Name, id, space)
		}
		b, err := kvstore.DecodeBlob(k, v)
		if err != nil {
			return info, bad("%v", err)
		}
		switch cmp := bytes.Compare(kvstore.BlobKey(space, id), k); {
		case cmp > 0:
			return info, bad("blob %q of space %q is missing from the archive", b.ID, b.Space)
		case cmp < 0:
			return info, bad("entry %q holds blob %q of space %q out of order or not referenced by the database", h.Name, id, space)
		}
		if !validBlobName(b.File) || h.Name != blobPrefix+b.File[:2]+"/"+b.File {
			return info, bad("entry %q does not hold the file %q of blob %q of space %q", h.Name, b.File, b.ID, b.Space)
		}
		if h.Size != b.Size || h.PAXRecords[paxSHA256] != b.SHA256 {
			return info, bad("blob %q of space %q: the entry's size or digest is not the recorded one", b.ID, b.Space)
		}
		var sum string
		if withBlobs {
			sub := filepath.Join(dst, "blobs", b.File[:2])
			if err := os.MkdirAll(sub, 0o700); err != nil {
				return info, err
			}
			sum, err = writeFile(filepath.Join(sub, b.File), true, func(f *os.File) (string, error) { return c.copyOut(f, tr, h.Size, buf) })
		} else {
			sum, err = c.copyOut(nil, tr, h.Size, buf)
		}
		if err != nil {
			return info, err
		}
		if sum != b.SHA256 {
			return info, bad("blob %q of space %q does not match its SHA-256", b.ID, b.Space)
		}
		info.Blobs++
		info.BlobBytes += b.Size
		c.p.Blobs++
		k, v = cur.Next()
	}
	if k != nil {
		b, err := kvstore.DecodeBlob(k, v)
		if err != nil {
			return info, bad("%v", err)
		}
		return info, bad("blob %q of space %q is missing from the archive (truncated or incomplete)", b.ID, b.Space)
	}
	if info.Blobs != m.Blobs.Count || info.BlobBytes != m.Blobs.Bytes {
		return info, bad("the archive holds %d blobs (%d bytes), the manifest declares %d (%d bytes)", info.Blobs, info.BlobBytes, m.Blobs.Count, m.Blobs.Bytes)
	}
	if withBlobs {
		if err := os.MkdirAll(filepath.Join(dst, "blobs"), 0o700); err != nil {
			return info, err
		}
	}
	// After the end marker, only zeros (tar's block padding).
	for {
		n, err := br.Read(buf)
		if bytes.ContainsFunc(buf[:n], func(r rune) bool { return r != 0 }) {
			return info, bad("data after the archive's end")
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return info, err
		}
	}
	c.flush()
	return info, nil
}

// readLegacy reads a database-only backup into dbPath.
func readLegacy(c *counter, dbPath string, sync bool, buf []byte) (RestoreInfo, error) {
	info := RestoreInfo{Legacy: true}
	_, err := writeFile(dbPath, sync, func(f *os.File) (string, error) {
		n, err := io.CopyBuffer(f, c, buf)
		c.add(n)
		info.DatabaseBytes = n
		return "", err
	})
	if err != nil {
		return info, err
	}
	db, err := openChecked(dbPath)
	if err != nil {
		return info, err
	}
	defer db.Close()
	var count int64
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(kvstore.BlobsBucket()).ForEach(func(k, v []byte) error {
			count++
			return nil
		})
	})
	if err != nil {
		return info, err
	}
	if count > 0 {
		return info, fmt.Errorf("%w: this is a database-only backup (made by zkvault before backups held blobs); its database references %d blobs that it does not contain, so it cannot be restored whole. To recover the records anyway, copy it as DATA/%s by hand: those %d files will be missing", ErrLegacyWithBlobs, count, DBFile, count)
	}
	c.flush()
	return info, nil
}

// writeFile creates path (0600), fills it with fill, and syncs it if sync
// (a restore; a verification keeps nothing).
func writeFile(path string, sync bool, fill func(*os.File) (string, error)) (string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	s, err := fill(f)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return s, err
}

// openChecked opens a restored database read-only, runs bbolt's check and
// checks that it is a zkvault database.
func openChecked(path string) (*bolt.DB, error) {
	if err := checkBoltLayout(path); err != nil {
		return nil, bad("the database is damaged: %v", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, bad("the database does not open: %v", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() { // to the end: Check's goroutine holds the transaction
			if len(errs) < 10 {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return bad("the database fails bbolt's check: %v", errors.Join(errs...))
		}
		for _, b := range [][]byte{[]byte("settings"), kvstore.BlobsBucket()} {
			if tx.Bucket(b) == nil {
				return bad("the database is not a zkvault database (no %s bucket)", b)
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// validBlobName: a name the store gives blob files (letters, digits, - and _).
func validBlobName(name string) bool {
	if len(name) < 3 || len(name) > 200 {
		return false
	}
	for _, r := range name {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// syncTree fsyncs every file and directory under dir (the restored files
// are synced as they are written; this makes their directory entries
// durable before the rename).
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(p)
		}
		return nil
	})
}

func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
