package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStripLinesRuns builds testdata/prog for js/wasm, rewrites it with and
// without the line tables, and runs both in Node: the same results, and
// only the stripped one without file and line.
func TestStripLinesRuns(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	execJS := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec_node.js")
	dir := t.TempDir()
	wasm := filepath.Join(dir, "prog.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "./testdata/prog")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	in, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	run := func(strip bool) string {
		out, err := rewrite(in, maxGap, strip)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "out.wasm")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := exec.Command("node", execJS, p).CombinedOutput()
		if err != nil {
			t.Fatalf("strip %v: %v\n%s", strip, err, res)
		}
		return string(res)
	}
	plain, stripped := run(false), run(true)
	const want = "sum 8006 map 10000 9999\nrecovered: assignment to entry in nil map\n"
	for _, out := range []string{plain, stripped} {
		if !strings.HasPrefix(out, want) || !strings.Contains(out, "stack names main.main: true") {
			t.Fatalf("output:\n%s", out)
		}
	}
	if !strings.Contains(plain, "caller: github.com/zkvault/zkvault/internal/wasmdata/testdata/prog/main.go ") {
		t.Errorf("unstripped module lost its lines:\n%s", plain)
	}
	if !strings.Contains(stripped, "caller: ? 0\n") {
		t.Errorf("stripped module still has lines:\n%s", stripped)
	}

	// Damaged pclntab or moduledata: an error or a result, never a panic
	// (the test fails on a panic).
	segs, err := parseData(dataSection(t, in))
	if err != nil {
		t.Fatal(err)
	}
	base := segs[0].offset
	last := segs[len(segs)-1]
	mem := make([]byte, last.offset+uint32(len(last.data))-base)
	for _, s := range segs {
		copy(mem[s.offset-base:], s.data)
	}
	h, err := findPCHeader(mem, base)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		m := append([]byte(nil), mem...)
		for range 1 + r.IntN(4) {
			var at int
			switch r.IntN(3) {
			case 0: // the header
				at = h.at + r.IntN(72)
			case 1: // moduledata's first slices
				at = h.moduledata + r.IntN(8*20)
			default: // anywhere in the function table
				at = h.pclntab + r.IntN(h.sliceLen(mem, 4))
			}
			m[at] = byte(r.Uint32())
		}
		_ = stripLines(m, base)
	}
}

// dataSection returns the body of mod's data section.
func dataSection(t *testing.T, mod []byte) []byte {
	t.Helper()
	for i := 8; i < len(mod); {
		size, n, err := uleb(mod[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		if mod[i] == dataSectionID {
			return mod[i+1+n : i+1+n+int(size)]
		}
		i += 1 + n + int(size)
	}
	t.Fatal("no data section")
	return nil
}
