//go:build !js

package hmac256

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate: block_unrolled.go is what gen_block.go writes now,
// so that an edit to either cannot drift from the other unseen.
func TestGeneratedUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "block_unrolled.txt") // not .go: go run would take it for a source file
	if b, err := exec.Command("go", "run", "gen_block.go", out).CombinedOutput(); err != nil {
		t.Fatalf("go run gen_block.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("block_unrolled.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("block_unrolled.go differs from what gen_block.go writes: run `go run gen_block.go` in wasm/internal/hmac256")
	}
}
