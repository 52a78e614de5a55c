package zkvault

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/zkvault/zkvault/wasm/stream"
)

// A caller that runs the chunks itself (the browser bridge) gets the header
// and the AEAD from NewBlobKey and BlobKey; what it makes with them is the
// same blob EncryptBlob and DecryptBlob make and read.
func TestBlobKeyForOwnChunkLoop(t *testing.T) {
	s := testSpace(t, "vault-1")
	plain := bytes.Repeat([]byte("zkvault"), stream.DefaultChunkSize/3)

	h, header, a, err := s.NewBlobKey(bg, "blob-1")
	if err != nil {
		t.Fatal(err)
	}
	if h.ChunkSize != stream.DefaultChunkSize || h.KeyVersion != s.CurrentVersion() || len(header) != stream.HeaderSize {
		t.Fatalf("header %+v, %d bytes", h, len(header))
	}
	var blob bytes.Buffer
	w, err := stream.NewWriter(bg, a, h, &blob)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(blob.Bytes()[:stream.HeaderSize], header) {
		t.Fatal("the writer's header is not the one NewBlobKey returned")
	}
	r, err := s.DecryptBlob(bg, "blob-1", bytes.NewReader(blob.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("DecryptBlob: %v", err)
	}

	h2, a2, err := s.BlobKey(bg, "blob-1", header)
	if err != nil || h2 != h {
		t.Fatalf("BlobKey: %+v, %v", h2, err)
	}
	got, err := io.ReadAll(stream.NewReader(bg, a2, h2, bytes.NewReader(blob.Bytes()[stream.HeaderSize:])))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("BlobKey's AEAD: %v", err)
	}

	// A header that does not parse is corrupt; a version not in the keyring is
	// ErrUnknownKeyVersion; a bad blob id is refused before any work.
	if _, _, err := s.BlobKey(bg, "blob-1", header[:stream.HeaderSize-1]); !errors.Is(err, stream.ErrCorrupt) {
		t.Fatalf("short header: %v", err)
	}
	v9 := bytes.Clone(header)
	v9[7] = 9
	if _, _, err := s.BlobKey(bg, "blob-1", v9); !errors.Is(err, ErrUnknownKeyVersion) {
		t.Fatalf("version 9: %v", err)
	}
	if _, _, _, err := s.NewBlobKey(bg, "bad id!"); err == nil {
		t.Fatal("NewBlobKey accepted a bad blob id")
	}
	if _, _, err := s.BlobKey(bg, "bad id!", header); err == nil {
		t.Fatal("BlobKey accepted a bad blob id")
	}
}
