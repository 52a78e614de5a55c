package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/server/store/boltstore"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "backup")
	p.update(boltstore.Progress{Bytes: 10})
	if buf.Len() != 0 {
		t.Fatalf("drawn before its interval: %q", buf.String())
	}
	p.done()
	if buf.Len() != 0 {
		t.Fatalf("a short run drew: %q", buf.String())
	}
	p.every = 0
	p.update(boltstore.Progress{Bytes: 3 << 20, TotalBytes: 12 << 20, Blobs: 2, TotalBlobs: 8})
	p.done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "backup: 3.0 MiB of 12.0 MiB (25%), 2 of 8 blobs, ") || strings.Contains(buf.String(), "\r") {
		t.Fatalf("progress lines %q", lines)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 30: "5.0 GiB"} {
		if got := byteSize(n); got != want {
			t.Fatalf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
