// Package state is the ingest client's local memory of what a vault's
// server has acknowledged: which records (by collection and id) and which
// blobs were stored, each with a keyed digest of the plaintext it was made
// from. A second import of the same files finds every item here with the
// same digest and sends nothing; an interrupted import resumes where the
// last acknowledged batch ended.
//
// # Format
//
// A text file, mode 0600, appended to after every acknowledged batch and
// synced:
//
//	zkvault-ingest-state v1 <space id> <check>
//	r <collection> <record id> <digest>
//	b <blob id> <digest>
//
// digest is 32 lowercase hex digits: the first 16 bytes of
// HMAC-SHA256(K, the length-prefixed parts the caller digests), where
// K = HMAC-SHA256(id key, "zkvault-ingest/v1/state") and the id key is the
// space's (zkvault.Space.IDKey). check is the first 16 bytes of
// HMAC-SHA256(K, "zkvault-ingest/v1/check" || space id), so that a state
// file written for another vault, or for a vault of the same name created
// again with a new secret, is recognised and set aside. A line that does
// not parse (the tail of a write cut short) is ignored; a later line for
// the same record or blob replaces an earlier one.
//
// # Security
//
// The file holds no plaintext and no key: collection names, record and
// blob ids (which the server sees too, and which are keyed), and keyed
// digests that cannot be checked against a guess without the vault's
// secret.
package state

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Domain-separation labels.
const (
	labelKey   = "zkvault-ingest/v1/state"
	labelCheck = "zkvault-ingest/v1/check"
	magic      = "zkvault-ingest-state v1"
)

// DigestSize is the size of a digest in bytes.
const DigestSize = 16

// Digest is a keyed digest of an item's plaintext.
type Digest [DigestSize]byte

// State is the acknowledged records and blobs of one vault. It is safe for
// concurrent use.
type State struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	key     []byte
	lock    *os.File          // path + ".lock", locked while open
	records map[string]Digest // collection + "\x00" + id
	blobs   map[string]Digest
	perColl map[string]int
}

// ErrLocked is returned by Open when another process has the state open:
// two imports of one vault at once would each send what the other is
// sending, and their appends to the file would interleave.
var ErrLocked = errors.New("another import of this vault is running (its state file is locked); wait for it to finish")

// Open reads the state file at path for space spaceID with the space's id
// key, creating it (and its folder, mode 0700) if needed. A file written
// for another space or secret is renamed to path + ".stale" and a fresh
// one started; reset reports that. The state is locked (path + ".lock",
// an advisory lock the system drops when the process ends) until Close;
// while another process holds it, Open fails with ErrLocked.
func Open(path, spaceID string, idKey []byte) (s *State, reset bool, err error) {
	if len(idKey) == 0 {
		return nil, false, errors.New("state: no id key")
	}
	m := hmac.New(sha256.New, idKey)
	m.Write([]byte(labelKey))
	s = &State{path: path, key: m.Sum(nil), records: map[string]Digest{}, blobs: map[string]Digest{}, perColl: map[string]int{}}
	header := magic + " " + spaceID + " " + s.check(spaceID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	lk, err := lock(path + ".lock")
	if err != nil {
		return nil, false, err
	}
	defer func() {
		if err != nil {
			lk.Close()
		}
	}()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	ok, err := s.load(f, header)
	if err != nil {
		f.Close()
		return nil, false, err
	}
	if !ok {
		// Empty, or another vault's: start afresh.
		info, _ := f.Stat()
		f.Close()
		if info != nil && info.Size() > 0 {
			if err := os.Rename(path, path+".stale"); err != nil {
				return nil, false, err
			}
			reset = true
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, false, err
		}
		if _, err := f.WriteString(header + "\n"); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, false, err
		}
		s.records, s.blobs, s.perColl = map[string]Digest{}, map[string]Digest{}, map[string]int{}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, false, err
	}
	_ = f.Chmod(0o600)
	s.f = f
	s.lock = lk
	return s, reset, nil
}

// Read reads the state file at path for space spaceID without locking it
// or writing to it, for counting while an import may be running: a missing
// file, or one of another vault, reads as empty. The State it returns
// cannot be added to.
func Read(path, spaceID string, idKey []byte) (*State, error) {
	if len(idKey) == 0 {
		return nil, errors.New("state: no id key")
	}
	m := hmac.New(sha256.New, idKey)
	m.Write([]byte(labelKey))
	s := &State{path: path, key: m.Sum(nil), records: map[string]Digest{}, blobs: map[string]Digest{}, perColl: map[string]int{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ok, err := s.load(f, magic+" "+spaceID+" "+s.check(spaceID))
	if err != nil {
		return nil, err
	}
	if !ok {
		s.records, s.blobs, s.perColl = map[string]Digest{}, map[string]Digest{}, map[string]int{}
	}
	return s, nil
}

func (s *State) check(spaceID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(labelCheck))
	m.Write([]byte(spaceID))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// load reads f; it reports false if f does not start with header.
func (s *State) load(f *os.File, header string) (bool, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<16)
	if !sc.Scan() {
		return false, sc.Err()
	}
	if sc.Text() != header {
		return false, nil
	}
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		switch {
		case len(parts) == 4 && parts[0] == "r":
			if d, ok := parseDigest(parts[3]); ok {
				s.setRecord(parts[1], parts[2], d)
			}
		case len(parts) == 3 && parts[0] == "b":
			if d, ok := parseDigest(parts[2]); ok {
				s.blobs[parts[1]] = d
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return false, err
	}
	return true, nil
}

func parseDigest(s string) (Digest, bool) {
	var d Digest
	if len(s) != 2*DigestSize {
		return d, false
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, false
	}
	return d, true
}

func (s *State) setRecord(coll, id string, d Digest) {
	k := coll + "\x00" + id
	if _, had := s.records[k]; !had {
		s.perColl[coll]++
	}
	s.records[k] = d
}

// Path returns the file's path.
func (s *State) Path() string { return s.path }

// Digest returns the keyed digest of parts (length-prefixed, so that no
// two lists of parts collide).
func (s *State) Digest(parts ...[]byte) Digest {
	m := hmac.New(sha256.New, s.key)
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		m.Write(p)
	}
	var d Digest
	copy(d[:], m.Sum(nil))
	return d
}

// Record returns the digest acknowledged for a record.
func (s *State) Record(coll, id string) (Digest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.records[coll+"\x00"+id]
	return d, ok
}

// Blob returns the digest acknowledged for a blob.
func (s *State) Blob(id string) (Digest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.blobs[id]
	return d, ok
}

// Entry is one acknowledged record.
type Entry struct {
	ID     string
	Digest Digest
}

// AddRecords records acknowledged records of a collection, durably.
func (s *State) AddRecords(coll string, es []Entry) error {
	if len(es) == 0 {
		return nil
	}
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "r %s %s %x\n", coll, e.ID, e.Digest[:])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(b.String()); err != nil {
		return err
	}
	for _, e := range es {
		s.setRecord(coll, e.ID, e.Digest)
	}
	return nil
}

// AddBlob records an acknowledged blob, durably.
func (s *State) AddBlob(id string, d Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(fmt.Sprintf("b %s %x\n", id, d[:])); err != nil {
		return err
	}
	s.blobs[id] = d
	return nil
}

func (s *State) append(lines string) error {
	if s.f == nil {
		return errors.New("state: closed")
	}
	if _, err := s.f.WriteString(lines); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// Counts returns the number of acknowledged records per collection, and
// of blobs.
func (s *State) Counts() (records map[string]int, blobs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.perColl))
	for k, v := range s.perColl {
		out[k] = v
	}
	return out, len(s.blobs)
}

// Close closes the file and releases the lock.
func (s *State) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if s.lock != nil {
		s.lock.Close() // closing the descriptor releases the lock
		s.lock = nil
	}
	return err
}
