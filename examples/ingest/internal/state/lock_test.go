//go:build unix

package state

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.state")
	key := []byte("id key of the vault, 32 bytes!!!")
	s, _, err := Open(path, "v", key)
	if err != nil {
		t.Fatal(err)
	}
	// A second import of the same vault (flock locks conflict between open
	// files even within one process) is refused, and leaves the first intact.
	if _, _, err := Open(path, "v", key); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := s.AddBlob("b-1", s.Digest([]byte("x"))); err != nil {
		t.Fatalf("first state after the refused Open: %v", err)
	}
	// Read (what status uses) needs no lock, sees what was acknowledged, and
	// cannot write.
	r, err := Read(path, "v", key)
	if err != nil {
		t.Fatalf("Read beside an open state: %v", err)
	}
	if _, ok := r.Blob("b-1"); !ok {
		t.Error("Read does not see b-1")
	}
	if err := r.AddBlob("b-2", r.Digest([]byte("y"))); err == nil {
		t.Error("a State from Read accepted a write")
	}
	if r, err := Read(path, "another vault", key); err != nil || len(r.blobs) != 0 {
		t.Errorf("Read of another vault's file: %v, %d blobs; want empty", err, len(r.blobs))
	}
	if r, err := Read(path+".missing", "v", key); err != nil || len(r.blobs) != 0 {
		t.Errorf("Read of a missing file: %v; want empty", err)
	}
	s.Close()
	s, _, err = Open(path, "v", key)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if _, ok := s.Blob("b-1"); !ok {
		t.Error("b-1 lost")
	}
	s.Close()
}

var held *State

// TestLockDiesWithProcess: a process killed while importing (SIGKILL, no
// Close) leaves no lock behind.
func TestLockDiesWithProcess(t *testing.T) {
	if path := os.Getenv("ZKVAULT_STATE_HOLD"); path != "" {
		s, _, err := Open(path, "v", []byte("id key of the vault, 32 bytes!!!"))
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		held = s // reachable: a collected *os.File closes its descriptor
		os.Stdout.WriteString("locked\n")
		select {}
	}
	path := filepath.Join(t.TempDir(), "v.state")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithProcess$")
	cmd.Env = append(os.Environ(), "ZKVAULT_STATE_HOLD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("child: %q", line)
	}
	if _, _, err := Open(path, "v", []byte("id key of the vault, 32 bytes!!!")); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while the child holds the state: %v, want ErrLocked", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	s, _, err := Open(path, "v", []byte("id key of the vault, 32 bytes!!!"))
	if err != nil {
		t.Fatalf("Open after the child was killed: %v", err)
	}
	s.Close()
}
