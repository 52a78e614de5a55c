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
	for _, c := range []struct{ gen, file string }{
		{"gen_block.go", "block_unrolled.go"},
		{"gen_block_wasm.go", "block_wasm.s"},
	} {
		out := filepath.Join(t.TempDir(), c.file+".txt") // not .go or .s: go run would take it for a source file
		if b, err := exec.Command("go", "run", c.gen, out).CombinedOutput(); err != nil {
			t.Fatalf("go run %s: %v\n%s", c.gen, err, b)
		}
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what %s writes: run `go run %s` in wasm/internal/hmac256", c.file, c.gen, c.gen)
		}
	}
}
