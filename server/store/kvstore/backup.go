package kvstore

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/zkvault/zkvault/server/store"
)

// Backups need the blob files their snapshot references to stay until they
// have read them. Files are never rewritten in place (a blob's new bytes go
// to a new file), so the only hazard is a removal: while a backup holds
// them, removals are queued and done when the last holder releases.

// HoldRemovals defers every blob file removal until release is called (by
// every holder; release is idempotent). Take it before the snapshot's
// transaction begins: a removal the snapshot could see done was done
// before, and any later one waits.
func (s *Store) HoldRemovals() (release func()) {
	s.rmMu.Lock()
	s.rmHolds++
	s.rmMu.Unlock()
	released := false
	return func() {
		s.rmMu.Lock()
		if released {
			s.rmMu.Unlock()
			return
		}
		released = true
		s.rmHolds--
		var queue []string
		if s.rmHolds == 0 {
			queue, s.rmQueue = s.rmQueue, nil
		}
		s.rmMu.Unlock()
		for _, name := range queue {
			s.files.Remove(name)
		}
	}
}

// HeldRemovals returns the number of file removals waiting for holders.
func (s *Store) HeldRemovals() int {
	s.rmMu.Lock()
	defer s.rmMu.Unlock()
	return len(s.rmQueue)
}

// removeFile removes the file of a blob whose metadata a committed
// transaction replaced or deleted, or queues it while removals are held.
func (s *Store) removeFile(name string) {
	s.rmMu.Lock()
	if s.rmHolds > 0 {
		s.rmQueue = append(s.rmQueue, name)
		s.rmMu.Unlock()
		return
	}
	s.rmMu.Unlock()
	s.files.Remove(name)
}

// BlobsBucket returns the name of the bucket of blob metadata (for tools
// that read a database directly: backups, restores).
func BlobsBucket() []byte { return bytes.Clone(bBlobs) }

// BlobFile is a blob's metadata and the name of its file in Files.
type BlobFile struct {
	store.BlobMeta
	File string `json:"file"`
}

// DecodeBlob decodes an entry (key k, value v) of the blobs bucket and
// checks that the key is the blob's space and id.
func DecodeBlob(k, v []byte) (BlobFile, error) {
	var m blobMeta
	if err := json.Unmarshal(v, &m); err != nil {
		return BlobFile{}, fmt.Errorf("kvstore: corrupt blob metadata: %w", err)
	}
	if !bytes.Equal(k, key(false, m.Space, m.ID)) {
		return BlobFile{}, fmt.Errorf("kvstore: blob metadata under the wrong key (%q, %q)", m.Space, m.ID)
	}
	if m.File == "" || m.Size < 0 || len(m.SHA256) != 64 {
		return BlobFile{}, fmt.Errorf("kvstore: incomplete metadata of blob (%q, %q)", m.Space, m.ID)
	}
	return BlobFile(m), nil
}

// BlobKey returns the key of blob (space, id) in the blobs bucket.
func BlobKey(space, id string) []byte { return key(false, space, id) }
