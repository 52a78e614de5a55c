package server_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestBackupEndpoint: a backup whose client reads slowly while every blob
// is replaced or deleted (each acknowledged) still holds every blob as of
// its snapshot, byte for byte; the files go once it is done. While it
// streams it holds one of --max-streams. The admin secret is in no log.
// startBackup asks for GET /api/v1/backup as the admin and returns the
// response with its body unread (the server streams it).
func startBackup(t *testing.T, a *authEnv) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", a.url+"/api/v1/backup", nil)
	req.Header.Set("Authorization", "Bearer "+a.admin)
	res, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBackupEndpoint(t *testing.T) {
	a := newAuthEnv(t, func(_ *service.Config, h *server.Config) { h.MaxStreams = 1 })
	a.must(201, "POST", "/api/v1/spaces", a.admin, api.Space{ID: "s", Kind: api.KindVault})
	want := map[string][]byte{}
	for i := range 8 {
		id := fmt.Sprintf("f%d", i)
		want[id] = randomBytes(uint64(i), 4<<20+i) // more than socket buffers hold: the server blocks
		a.must(201, "PUT", "/api/v1/spaces/s/blobs/"+id, a.admin, want[id])
	}
	res := startBackup(t, a)
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("backup: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var got bytes.Buffer
	if _, err := io.CopyN(&got, res.Body, 4096); err != nil {
		t.Fatal(err)
	}
	// The backup holds the only stream.
	if r := a.do("PUT", "/api/v1/spaces/s/blobs/other", a.admin, "x"); r.status != 429 || r.errCode(t) != "too_many_streams" {
		t.Fatalf("a blob upload during a backup with --max-streams 1: %d %s", r.status, r.body)
	}
	if r := a.do("GET", "/api/v1/backup", a.admin, nil); r.status != 429 {
		t.Fatalf("a second backup: %d %s", r.status, r.body)
	}
	// Now replace half the blobs and delete the others.
	for i := range 8 {
		id := fmt.Sprintf("f%d", i)
		if i%2 == 0 {
			a.must(204, "DELETE", "/api/v1/spaces/s/blobs/"+id, a.admin, nil)
		} else {
			// Through the store: the backup holds the only stream.
			if _, err := a.store.PutBlob(context.Background(), store.BlobMeta{Space: "s", ID: id}, strings.NewReader("replaced")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := a.store.HeldRemovals(); n != 8 {
		t.Fatalf("%d removals held during the backup, want 8", n)
	}
	if _, err := io.Copy(&got, res.Body); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The archive as of the snapshot.
	tr := tar.NewReader(bytes.NewReader(got.Bytes()))
	blobs := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Name, "blobs/") {
			continue
		}
		b, _ := io.ReadAll(tr)
		if id := h.PAXRecords["ZKVAULT.id"]; !bytes.Equal(b, want[id]) {
			t.Fatalf("blob %s: %d bytes, not the snapshot's", id, len(b))
		}
		blobs++
	}
	if blobs != 8 {
		t.Fatalf("%d blobs in the backup", blobs)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := boltstore.Restore(bytes.NewReader(got.Bytes()), dir, nil); err != nil {
		t.Fatal(err)
	}
	// Done: the removals are done too (the handler closes the snapshot
	// as it returns, just after the last byte).
	deadline := time.Now().Add(5 * time.Second)
	for a.store.HeldRemovals() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d removals still held after the backup", a.store.HeldRemovals())
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.must(404, "GET", "/api/v1/spaces/s/blobs/f0", a.admin, nil)
	if r := a.must(200, "GET", "/api/v1/spaces/s/blobs/f1", a.admin, nil); string(r.body) != "replaced" {
		t.Fatalf("f1 after the backup: %q", r.body)
	}
	if strings.Contains(a.logs.String(), a.admin) {
		t.Fatal("the admin secret is in the log")
	}
}

// TestBackupStalledClient: a client that stops reading is cut off at the
// stream timeout, and the blob removals its backup held are then done.
func TestBackupStalledClient(t *testing.T) {
	a := newAuthEnv(t, func(_ *service.Config, h *server.Config) { h.StreamTimeout = time.Second })
	a.must(201, "POST", "/api/v1/spaces", a.admin, api.Space{ID: "s", Kind: api.KindVault})
	// More than the socket buffers hold, so that the server blocks.
	for i := range 12 {
		a.must(201, "PUT", fmt.Sprintf("/api/v1/spaces/s/blobs/f%d", i), a.admin, randomBytes(uint64(i), 4<<20))
	}
	res := startBackup(t, a)
	defer res.Body.Close()
	a.must(204, "DELETE", "/api/v1/spaces/s/blobs/f0", a.admin, nil)
	if n := a.store.HeldRemovals(); n != 1 {
		t.Fatalf("%d removals held", n)
	}
	deadline := time.Now().Add(20 * time.Second)
	for a.store.HeldRemovals() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a stalled backup holds removals past its stream timeout")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// What the client gets is a truncated archive, which restore refuses.
	b, _ := io.ReadAll(res.Body)
	if _, err := boltstore.Verify(bytes.NewReader(b), t.TempDir(), nil); err == nil {
		t.Fatalf("the cut-off backup (%d bytes) verified", len(b))
	}
}
