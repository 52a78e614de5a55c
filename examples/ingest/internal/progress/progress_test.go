package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, false, "import")
	now := b.start
	b.now = func() time.Time { return now }
	b.SetTotal(100, 10<<20)
	for i := 0; i < 50; i++ {
		now = now.Add(100 * time.Millisecond)
		b.Add(1, 100<<10)
	}
	b.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 2 || len(lines) > 4 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "/100 items") || !strings.Contains(lines[0], "ETA") || strings.Contains(buf.String(), "\r") {
		t.Errorf("line %q", lines[0])
	}
	if !strings.HasPrefix(lines[len(lines)-1], "import 50/100 items (50%), 4.9 MiB/10.0 MiB") {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	var nb *Bar
	nb.Add(1, 1) // a nil bar does nothing
	nb.Done()
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
