package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "h-v.state")
	key := []byte("id key of the vault, 32 bytes!!!")
	s, reset, err := Open(path, "v", key)
	if err != nil || reset {
		t.Fatal(err, reset)
	}
	d1 := s.Digest([]byte("a"), []byte("bc"))
	if d1 == s.Digest([]byte("ab"), []byte("c")) {
		t.Fatal("digest parts collide")
	}
	if err := s.AddRecords("contacts", []Entry{{"id-1", d1}, {"id-2", d1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBlob("blob-1", d1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A write cut short leaves a partial line: ignored.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("r contacts id-3 0011")
	f.Close()

	s, reset, err = Open(path, "v", key)
	if err != nil || reset {
		t.Fatal(err, reset)
	}
	if d, ok := s.Record("contacts", "id-2"); !ok || d != d1 {
		t.Error("id-2 not remembered")
	}
	if _, ok := s.Record("contacts", "id-3"); ok {
		t.Error("partial line read")
	}
	if _, ok := s.Blob("blob-1"); !ok {
		t.Error("blob not remembered")
	}
	counts, blobs := s.Counts()
	if counts["contacts"] != 2 || blobs != 1 {
		t.Errorf("counts %v %d", counts, blobs)
	}
	s.Close()
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), string(key)) {
		t.Error("the key is in the file")
	}

	// Another secret (a vault created again under the same name): set
	// aside, fresh start.
	s, reset, err = Open(path, "v", []byte("another id key"))
	if err != nil || !reset {
		t.Fatal(err, reset)
	}
	if _, ok := s.Record("contacts", "id-1"); ok {
		t.Error("another vault's state read")
	}
	s.Close()
	if _, err := os.Stat(path + ".stale"); err != nil {
		t.Error(err)
	}
}
