package boltstore

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/kvstore"
)

// A backup is one tar archive (POSIX pax format), docs/backup.md:
//
//	manifest.json            Manifest: format, version, sizes and digest
//	zkvault.db               the database as of the snapshot
//	blobs/<xx>/<file>        every blob the database references, in the
//	                         order of its blobs bucket (space, id), with
//	                         pax records ZKVAULT.sha256, ZKVAULT.space and
//	                         ZKVAULT.id
//	end of archive           (two zero blocks)
const (
	// BackupFormat is the manifest's format name.
	BackupFormat = "zkvault-backup"
	// BackupVersion is the version of the format this package writes and
	// reads.
	BackupVersion = 1
	// ManifestName is the name of the archive's first entry.
	ManifestName = "manifest.json"

	blobPrefix  = "blobs/"
	paxSHA256   = "ZKVAULT.sha256"
	paxSpace    = "ZKVAULT.space"
	paxID       = "ZKVAULT.id"
	maxManifest = 64 << 10

	// backupTempPattern names the database snapshots of backups in
	// progress, in the data directory.
	backupTempPattern = ".backup-*.db"
)

// Manifest is the first entry of a backup archive.
type Manifest struct {
	Format    string       `json:"format"`
	Version   int          `json:"version"`
	CreatedAt int64        `json:"created_at"` // milliseconds since the epoch
	Database  ManifestFile `json:"database"`
	Blobs     ManifestSum  `json:"blobs"`
}

// ManifestFile describes the database entry.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ManifestSum counts the blob entries and their bytes.
type ManifestSum struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// ErrBadArchive is wrapped by every error about a damaged, truncated or
// incomplete backup.
var ErrBadArchive = errors.New("damaged backup")

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadArchive, fmt.Sprintf(format, a...))
}

var _ store.Backuper = (*Store)(nil)

// snapshot is a backup of the store taken at one point in time.
type snapshot struct {
	ctx     context.Context
	m       Manifest
	blobs   *files
	tmp     string   // the snapshot's copy of the database ("": tx is the store's own)
	sdb     *bolt.DB // the copy, opened read-only
	tx      *bolt.Tx
	release func() // of the held blob removals
	once    sync.Once
	written bool
}

// Backup takes a consistent snapshot of the database and of the blobs it
// references. On a store that takes writes, blob file removals are held
// from before the snapshot until Close (so that every file the snapshot
// references stays), and the database is copied to a temporary file in
// the data directory (so that no read transaction stays open while the
// backup streams, which would stall writers that need the file to grow).
// On a read-only store (a stopped server) the database is read in place.
// Every blob file must be present with its recorded size.
func (s *Store) Backup(ctx context.Context) (store.Snapshot, error) {
	sn := &snapshot{ctx: ctx, blobs: s.blobs, release: func() {}}
	ok := false
	defer func() {
		if !ok {
			sn.Close()
		}
	}()
	sn.m = Manifest{Format: BackupFormat, Version: BackupVersion, CreatedAt: time.Now().UnixMilli()}
	sn.m.Database.Name = DBFile
	h := sha256.New()
	if s.readOnly {
		tx, err := s.bdb.Begin(false)
		if err != nil {
			return nil, fmt.Errorf("boltstore: backup: %w", err)
		}
		sn.tx = tx
		n, err := tx.WriteTo(ctxWriter{ctx, h})
		if err != nil {
			return nil, fmt.Errorf("boltstore: backup: reading the database: %w", err)
		}
		sn.m.Database.Size = n
	} else {
		sn.release = s.HoldRemovals()
		f, err := os.CreateTemp(s.dir, backupTempPattern)
		if err != nil {
			return nil, fmt.Errorf("boltstore: backup: %w", err)
		}
		sn.tmp = f.Name()
		err = s.bdb.View(func(tx *bolt.Tx) error {
			n, err := tx.WriteTo(ctxWriter{ctx, io.MultiWriter(f, h)})
			sn.m.Database.Size = n
			return err
		})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("boltstore: backup: copying the database: %w", err)
		}
		sn.sdb, err = bolt.Open(sn.tmp, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			return nil, fmt.Errorf("boltstore: backup: opening the snapshot: %w", err)
		}
		if sn.tx, err = sn.sdb.Begin(false); err != nil {
			return nil, fmt.Errorf("boltstore: backup: %w", err)
		}
	}
	sn.m.Database.SHA256 = hex.EncodeToString(h.Sum(nil))
	// Count the blobs, and check that each file is there: a backup that
	// lacks one must fail now, not after streaming the rest.
	err := sn.eachBlob(func(b kvstore.BlobFile) error {
		p, err := s.blobs.path(b.File)
		if err != nil {
			return err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("blob %q of space %q: its file is unreadable (%w); the data directory is damaged", b.ID, b.Space, err)
		}
		if fi.Size() != b.Size {
			return fmt.Errorf("blob %q of space %q: its file holds %d bytes, %d recorded; the data directory is damaged", b.ID, b.Space, fi.Size(), b.Size)
		}
		sn.m.Blobs.Count++
		sn.m.Blobs.Bytes += b.Size
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: backup: %w", err)
	}
	ok = true
	return sn, nil
}

// eachBlob calls fn for each blob of the snapshot in key order.
func (sn *snapshot) eachBlob(fn func(kvstore.BlobFile) error) error {
	b := sn.tx.Bucket(kvstore.BlobsBucket())
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		m, err := kvstore.DecodeBlob(k, v)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// Manifest returns the manifest the archive starts with.
func (sn *snapshot) Manifest() Manifest { return sn.m }

// WriteTo writes the archive. An error leaves w with an incomplete archive
// that Restore refuses.
func (sn *snapshot) WriteTo(w io.Writer) (int64, error) {
	if sn.written {
		return 0, errors.New("boltstore: backup: written already")
	}
	sn.written = true
	cw := &countWriter{w: w}
	err := sn.write(cw)
	if err != nil {
		err = fmt.Errorf("boltstore: backup: %w", err)
	}
	return cw.n, err
}

func (sn *snapshot) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	created := time.UnixMilli(sn.m.CreatedAt)
	mj, err := json.MarshalIndent(sn.m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(entry(ManifestName, int64(len(mj)), created, nil)); err != nil {
		return err
	}
	if _, err := tw.Write(mj); err != nil {
		return err
	}
	if err := tw.WriteHeader(entry(DBFile, sn.m.Database.Size, created, map[string]string{paxSHA256: sn.m.Database.SHA256})); err != nil {
		return err
	}
	h := sha256.New()
	dst := ctxWriter{sn.ctx, io.MultiWriter(tw, h)}
	var n int64
	if sn.tmp != "" {
		f, err := os.Open(sn.tmp)
		if err != nil {
			return err
		}
		n, err = io.Copy(dst, f)
		f.Close()
		if err != nil {
			return err
		}
	} else if n, err = sn.tx.WriteTo(dst); err != nil {
		return err
	}
	if n != sn.m.Database.Size || hex.EncodeToString(h.Sum(nil)) != sn.m.Database.SHA256 {
		return errors.New("the database snapshot changed while it was written")
	}
	buf := make([]byte, 256<<10)
	var count int64
	err = sn.eachBlob(func(b kvstore.BlobFile) error {
		count++
		if count > sn.m.Blobs.Count {
			return errors.New("more blobs than counted")
		}
		hdr := entry(blobPrefix+b.File[:2]+"/"+b.File, b.Size, time.UnixMilli(b.CreatedAt),
			map[string]string{paxSHA256: b.SHA256, paxSpace: b.Space, paxID: b.ID})
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		p, err := sn.blobs.path(b.File)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("blob %q of space %q: %w", b.ID, b.Space, err)
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.CopyBuffer(ctxWriter{sn.ctx, io.MultiWriter(tw, h)}, io.LimitReader(f, b.Size), buf)
		if err != nil {
			return fmt.Errorf("blob %q of space %q: %w", b.ID, b.Space, err)
		}
		if n != b.Size || hex.EncodeToString(h.Sum(nil)) != b.SHA256 {
			return fmt.Errorf("blob %q of space %q: its file no longer matches its recorded size and SHA-256; the data directory is damaged", b.ID, b.Space)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if count != sn.m.Blobs.Count {
		return errors.New("fewer blobs than counted")
	}
	return tw.Close()
}

func entry(name string, size int64, mod time.Time, pax map[string]string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600,
		ModTime: mod.Truncate(time.Second), PAXRecords: pax, Format: tar.FormatPAX}
}

// Close releases the snapshot: its copy of the database, and the held blob
// removals, which are done now.
func (sn *snapshot) Close() error {
	var err error
	sn.once.Do(func() {
		if sn.tx != nil {
			err = sn.tx.Rollback()
		}
		if sn.sdb != nil {
			if cerr := sn.sdb.Close(); err == nil {
				err = cerr
			}
		}
		if sn.tmp != "" {
			if rerr := os.Remove(sn.tmp); err == nil {
				err = rerr
			}
		}
		sn.release()
	})
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ctxWriter fails writes once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
