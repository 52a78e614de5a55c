package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/examples/ingest/internal/client"
	zkvault "github.com/zkvault/zkvault/wasm"
)

// stateRecords reads the records the state file of the test vault holds:
// collection NUL id to digest, the last line of each winning.
func stateRecords(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(e.stateDir, "*.state"))
	if len(paths) != 1 {
		t.Fatalf("state files: %v", paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p := strings.Fields(sc.Text()); len(p) == 4 && p[0] == "r" {
			out[p[1]+"\x00"+p[2]] = p[3]
		}
	}
	return out
}

// TestResumeInFlight interrupts an import that keeps three batches in
// flight after two were acknowledged. The state file holds exactly the
// records of the acknowledged batches; the server holds them and perhaps
// those of batches it stored but whose answer came too late. The second
// run sends only what the state does not hold, and the server ends with
// every record once.
func TestResumeInFlight(t *testing.T) {
	e := newTestEnv(t)
	want, _ := sampleCounts(t)
	e.mustRun("init")

	a, _ := interruptedImport(t, e, 3)
	first := a.last.Total()
	acked := stateRecords(t, e)
	// Every batch the summary counts was acknowledged, and its records are
	// in the state: no more, no fewer.
	if a.last.Batches < 2 || first.Inserted != len(acked) || first.Updated != 0 || first.Unchanged != 0 {
		t.Fatalf("interrupted import: %d batches, %+v, %d records in the state", a.last.Batches, first, len(acked))
	}
	// Requests the import gave up on may still be stored: count once the
	// server is done with them.
	e.idle()
	cl := e.client()
	stored := 0
	for coll := range want {
		n, err := countRecords(context.Background(), cl, "vault-test", coll)
		if err != nil {
			t.Fatal(err)
		}
		stored += n
	}
	if stored < len(acked) || stored > len(acked)+2*4 {
		t.Fatalf("%d records on the server, %d acknowledged: want those and at most two batches more", stored, len(acked))
	}

	r := e.mustRun(append(importArgs, sampleDir)...)
	second := r.sum.Total()
	// Not in the state: sent again, inserted, or updated if the server had
	// stored them (sealed again, the ciphertext differs); screenshots have
	// no encrypted field and come out the same, unchanged.
	if second.Inserted+second.Updated+second.Unchanged != total(want) || second.Unchanged < len(acked) ||
		second.Inserted != total(want)-stored || second.Updated > stored-len(acked) {
		t.Errorf("resumed import: %+v; want %d inserted, %d unchanged at least (%d acknowledged, %d stored)", second, total(want)-stored, len(acked), len(acked), stored)
	}
	for coll, n := range want {
		if got, _ := countRecords(context.Background(), cl, "vault-test", coll); got != n {
			t.Errorf("%s: %d records on the server, want %d", coll, got, n)
		}
	}
	if got := stateRecords(t, e); len(got) != total(want) {
		t.Errorf("state: %d records, want %d", len(got), total(want))
	}
}

// TestInFlightOrder imports a file in which each record comes three times,
// one line after another, in three versions, one record a batch, many
// batches in flight. A batch waits for the answer of an earlier one that
// holds the same record, so the server stores the last version read and the
// state remembers that version's digest.
func TestInFlightOrder(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("init")
	dir := t.TempDir()
	var lines []string
	for i := 0; i < 10; i++ {
		for v := 1; v <= 3; v++ {
			lines = append(lines, fmt.Sprintf(`{"id":"p%d","timestamp":%d,"latitude":1.5,"longitude":2.5,"accuracy":%d}`, i, 1710601200000+i, v))
		}
	}
	file := filepath.Join(dir, "locations.ndjson")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// One sealing worker: records reach the batcher in the file's order.
	r := e.mustRun("import", "--quiet", "--batch-size", "1", "--workers", "1", "--in-flight", "8", file)
	if tot := r.sum.Total(); tot.Inserted != 10 || tot.Updated != 20 || r.sum.Batches != 30 {
		t.Fatalf("import: %+v in %d batches; want 10 inserted, 20 updated in 30", tot, r.sum.Batches)
	}
	space := checkOpenURL(t, e, strings.TrimSpace(e.mustRun("open", "--print-url-only").stdout))
	sc, _ := zkvault.Schema("locations")
	page, err := e.client().Records(context.Background(), "vault-test", "locations", client.Query{Limit: 100})
	if err != nil || len(page.Records) != 10 {
		t.Fatalf("records: %d, %v", len(page.Records), err)
	}
	for _, rec := range page.Records {
		op, err := space.OpenRecord(context.Background(), sc, rec)
		if err != nil || len(op.Errors) != 0 {
			t.Fatal(err, op.Errors)
		}
		if acc, _ := strconv.ParseFloat(fmt.Sprint(op.Fields["accuracy"]), 64); acc != 3 {
			t.Errorf("record %s: accuracy %v, want the last version's 3", rec.ID, op.Fields["accuracy"])
		}
	}
	// The state holds the last version's digest: importing only the last
	// versions again sends nothing.
	var last []string
	for i := 2; i < len(lines); i += 3 {
		last = append(last, lines[i])
	}
	if err := os.WriteFile(file, []byte(strings.Join(last, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.mustRun("import", "--quiet", file)
	if tot := r.sum.Total(); tot.Unchanged != 10 || r.sum.Batches != 0 {
		t.Fatalf("import of the last versions: %+v in %d batches; want 10 unchanged, none sent", tot, r.sum.Batches)
	}
}

// TestBenchInFlight: the server's ingest benchmark posts as many batches at
// once as this client does by default (bench/goals/server.json says so).
func TestBenchInFlight(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "server", "bench_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const benchInFlight = (\d+)$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("server/bench_test.go: no const benchInFlight")
	}
	if n, _ := strconv.Atoi(string(m[1])); n != defaultInFlight {
		t.Fatalf("server/bench_test.go posts %d batches at once; the client's default is %d", n, defaultInFlight)
	}
}
