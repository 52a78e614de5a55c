//go:build !js

package hmac256

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate: block_unrolled.go and block_wasm.s are what
// gen_block.go and gen_block_wasm.go write now, so that an edit to either
// side cannot drift from the other unseen.
func TestGeneratedUpToDate(t *testing.T) {
	dir := t.TempDir()
	// Not .go or .s: go run would take them for source files.
	outGo, outS := filepath.Join(dir, "block_unrolled.go.txt"), filepath.Join(dir, "block_wasm.s.txt")
	if b, err := exec.Command("go", "run", "gen_block.go", "gen_block_wasm.go", outGo, outS).CombinedOutput(); err != nil {
		t.Fatalf("go run gen_block.go gen_block_wasm.go: %v\n%s", err, b)
	}
	for file, out := range map[string]string{"block_unrolled.go": outGo, "block_wasm.s": outS} {
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the generators write: run `go run gen_block.go gen_block_wasm.go` in wasm/internal/hmac256", file)
		}
	}
}
