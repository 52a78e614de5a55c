package service

import (
	"testing"

	"github.com/zkvault/zkvault/server/store"
)

func TestCoalesceReads(t *testing.T) {
	q := func(space string, n int, tok string) store.LogEntry {
		return store.LogEntry{Kind: store.LogRead, Type: "records.query", Count: n, TokenPrefix: tok, Metadata: map[string]string{"space": space}}
	}
	w := store.LogEntry{Kind: store.LogWrite, Type: "records.upsert", Count: 3}
	out := coalesceReads([]store.LogEntry{q("a", 1, "t1"), w, q("a", 2, "t1"), q("b", 5, "t1"), q("a", 4, "t2"), w, q("a", 3, "t1")})
	if len(out) != 5 {
		t.Fatalf("%d entries: %+v", len(out), out)
	}
	if out[0].Count != 6 || out[0].Metadata["requests"] != "3" || out[0].Metadata["space"] != "a" {
		t.Fatalf("merged %+v", out[0])
	}
	if out[1].Kind != store.LogWrite || out[4].Kind != store.LogWrite {
		t.Fatalf("writes are kept one per request: %+v", out)
	}
	if out[2].Count != 5 || out[2].Metadata["requests"] != "" || out[3].TokenPrefix != "t2" {
		t.Fatalf("distinct reads merged: %+v", out)
	}
}
