package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// interruptedImport runs an import of the sample in batches of 4, with
// inFlight batches at once, and cancels it once two batches are
// acknowledged; it returns the app (a.last is its summary) and its output.
func interruptedImport(t *testing.T, e *testEnv, inFlight int) (*app, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, out, _ := e.newApp()
	a.afterBatch = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	err := a.run(ctx, append(importArgs, "--batch-size", "4", "--workers", "2", "--in-flight", strconv.Itoa(inFlight), sampleDir))
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("interrupted import: %v\n%s", err, out)
	}
	return a, out.String()
}

// TestResume interrupts an import after two batches, then runs it again:
// the second run sends only what the first did not get acknowledged, and
// the server ends with every record once. The interrupted run sends one
// batch at a time, so that it stops with exactly two acknowledged (with
// more in flight, those sent when it stops may or may not have been
// stored: TestResumeInFlight).
func TestResume(t *testing.T) {
	e := newTestEnv(t)
	want, _ := sampleCounts(t)
	e.mustRun("init")

	a, out := interruptedImport(t, e, 1)
	first := a.last.Total()
	if a.last.Batches != 2 || first.Inserted != 8 {
		t.Fatalf("interrupted import: %d batches, %+v; want 2 batches of 4", a.last.Batches, first)
	}
	t.Logf("interrupted:\n%s", out)

	r := e.mustRun(append(importArgs, sampleDir)...)
	second := r.sum.Total()
	if second.Inserted != total(want)-first.Inserted || second.Unchanged != first.Inserted || second.Updated != 0 {
		t.Errorf("resumed import: %+v; want %d inserted, %d unchanged", second, total(want)-first.Inserted, first.Inserted)
	}
	cl := e.client()
	for coll, n := range want {
		got, err := countRecords(context.Background(), cl, "vault-test", coll)
		if err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s: %d records on the server, want %d", coll, got, n)
		}
	}

	// Without the state (another computer), the same import updates the
	// records in place: same ids, no duplicates.
	e.env["ZKVAULT_STATE_DIR"] = t.TempDir()
	r = e.mustRun(append(importArgs, sampleDir)...)
	third := r.sum.Total()
	// (Screenshots have no encrypted field: sealed again, they are the
	// same bytes, and the server counts them unchanged.)
	if third.Inserted != 0 || third.Updated+third.Unchanged != total(want) || third.Updated < total(want)-want["screenshots"] {
		t.Errorf("import without state: %+v; want all %d updated or unchanged", third, total(want))
	}
	for coll, n := range want {
		if got, _ := countRecords(context.Background(), cl, "vault-test", coll); got != n {
			t.Errorf("%s: %d records on the server, want %d", coll, got, n)
		}
	}
}
