package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/zkvault/zkvault/server
BenchmarkIngestHTTP-2     	      10	 100000000 ns/op	     20000 records/s
BenchmarkIngestBoltRaw-2  	      10	  50000000 ns/op	     50000 records/s
BenchmarkLookup/10k-2     	    1000	      1000 ns/op	    1.5 p99-ms
PASS
`

func f(v float64) *float64 { return &v }

func TestEvaluate(t *testing.T) {
	m := measurements{}
	if err := parseGoBench(strings.NewReader(sample), m); err != nil {
		t.Fatal(err)
	}
	const pkg = "github.com/zkvault/zkvault/server."
	if got := m[pkg+"BenchmarkLookup/10k"]["p99-ms"]; got != 1.5 {
		t.Fatalf("p99-ms = %v, want 1.5", got)
	}
	goals := []Goal{
		{Name: "ingest", Benchmark: pkg + "BenchmarkIngestHTTP", Metric: "records/s", Baseline: pkg + "BenchmarkIngestBoltRaw", Goal: &Threshold{RatioMin: f(0.5)}},
		{Name: "lookup", Benchmark: pkg + "BenchmarkLookup/10k", Metric: "p99-ms", Goal: &Threshold{ValueMax: f(1)}},
		{Name: "gone", Benchmark: pkg + "BenchmarkMissing", Metric: "ns/op"},
	}
	results, missing := evaluate(goals, m)
	if len(missing) != 1 || !strings.Contains(missing[0], "BenchmarkMissing") {
		t.Fatalf("missing = %v", missing)
	}
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	in := byName["ingest"]
	if in.Ratio == nil || *in.Ratio != 0.4 || in.Holds == nil || *in.Holds {
		t.Fatalf("ingest = %+v, want ratio 0.4 not holding", in)
	}
	lk := byName["lookup"]
	if lk.Holds == nil || *lk.Holds {
		t.Fatalf("lookup = %+v, want value 1.5 > 1 not holding", lk)
	}
	// Metrics no goal names are still reported.
	if _, ok := byName["server.BenchmarkIngestHTTP ns/op"]; !ok {
		t.Fatalf("unreferenced metric not reported: %v", byName)
	}
}
