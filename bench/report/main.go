// Command report turns benchmark output into zkvault's benchmark results: a
// table on standard output and one JSON file per result under -out.
//
// It reads `go test -bench` text output (-in, repeatable) and result files
// written by other runners (-json, repeatable: a JSON array of
// {"benchmark","metric","value"} measurements, as the browser benchmarks
// write them), and the goal files in -goals (see bench/goals/README.md).
// Every goal compares a value with a baseline measured in the same run, as a
// ratio, because these machines are too noisy for absolute timings.
//
// It exits non-zero when a goal's benchmark or baseline is missing from the
// input, so that a renamed benchmark cannot silently drop a goal. A goal that
// does not hold is reported, not fatal: the table says so.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Goal is one entry of a bench/goals/*.json file.
type Goal struct {
	Name      string     `json:"name"`
	Benchmark string     `json:"benchmark"`
	Metric    string     `json:"metric"`
	Baseline  string     `json:"baseline,omitempty"`
	Goal      *Threshold `json:"goal,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// Threshold bounds a ratio (value ÷ baseline) or a value.
type Threshold struct {
	RatioMin *float64 `json:"ratio_min,omitempty"`
	RatioMax *float64 `json:"ratio_max,omitempty"`
	ValueMin *float64 `json:"value_min,omitempty"`
	ValueMax *float64 `json:"value_max,omitempty"`
}

func (t *Threshold) String() string {
	if t == nil {
		return "report only"
	}
	var parts []string
	f := func(p *float64, s string) {
		if p != nil {
			parts = append(parts, fmt.Sprintf(s, *p))
		}
	}
	f(t.RatioMin, "ratio ≥ %g")
	f(t.RatioMax, "ratio ≤ %g")
	f(t.ValueMin, "value ≥ %g")
	f(t.ValueMax, "value ≤ %g")
	return strings.Join(parts, ", ")
}

// Result is what one JSON file under -out holds.
type Result struct {
	Name          string   `json:"name"`
	Benchmark     string   `json:"benchmark"`
	Unit          string   `json:"unit"`
	Value         float64  `json:"value"`
	BaselineName  string   `json:"baseline_name,omitempty"`
	BaselineValue *float64 `json:"baseline_value,omitempty"`
	Ratio         *float64 `json:"ratio,omitempty"`
	Goal          string   `json:"goal"`
	Holds         *bool    `json:"holds"`
	Note          string   `json:"note,omitempty"`
}

// measurements maps benchmark → metric → value.
type measurements map[string]map[string]float64

func (m measurements) add(bench, metric string, v float64) {
	if m[bench] == nil {
		m[bench] = map[string]float64{}
	}
	m[bench][metric] = v
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parseGoBench reads `go test -bench` output. A benchmark line is its name,
// the iteration count, then value/unit pairs.
func parseGoBench(r io.Reader, m measurements) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		if pkg != "" {
			name = pkg + "." + name
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: bad value %q", name, f[i])
			}
			m.add(name, f[i+1], v)
		}
	}
	return sc.Err()
}

func parseJSON(r io.Reader, m measurements) error {
	var rows []struct {
		Benchmark string  `json:"benchmark"`
		Metric    string  `json:"metric"`
		Value     float64 `json:"value"`
	}
	if err := json.NewDecoder(r).Decode(&rows); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Benchmark == "" || r.Metric == "" {
			return errors.New("measurement without benchmark or metric")
		}
		m.add(r.Benchmark, r.Metric, r.Value)
	}
	return nil
}

func loadGoals(dir string) ([]Goal, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var all []Goal
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var gs []Goal
		if err := json.Unmarshal(b, &gs); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, g := range gs {
			if g.Name == "" || g.Benchmark == "" || g.Metric == "" {
				return nil, fmt.Errorf("%s: goal needs name, benchmark and metric", f)
			}
		}
		all = append(all, gs...)
	}
	return all, nil
}

// evaluate builds the results: one per goal, and one per measured benchmark
// and metric no goal names. Missing lists goals whose inputs were not run.
func evaluate(goals []Goal, m measurements) (results []Result, missing []string) {
	used := map[string]bool{}
	for _, g := range goals {
		v, ok := m[g.Benchmark][g.Metric]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s: no %s for %s", g.Name, g.Metric, g.Benchmark))
			continue
		}
		used[g.Benchmark+"\x00"+g.Metric] = true
		r := Result{Name: g.Name, Benchmark: g.Benchmark, Unit: g.Metric, Value: v, Goal: g.Goal.String(), Note: g.Note}
		if g.Baseline != "" {
			bv, ok := m[g.Baseline][g.Metric]
			if !ok {
				missing = append(missing, fmt.Sprintf("%s: no %s for baseline %s", g.Name, g.Metric, g.Baseline))
				continue
			}
			used[g.Baseline+"\x00"+g.Metric] = true
			r.BaselineName, r.BaselineValue = g.Baseline, &bv
			if bv != 0 {
				ratio := v / bv
				r.Ratio = &ratio
			}
		}
		if g.Goal != nil {
			holds := check(g.Goal, v, r.Ratio)
			r.Holds = &holds
		}
		results = append(results, r)
	}
	var rest []Result
	for bench, metrics := range m {
		for metric, v := range metrics {
			if used[bench+"\x00"+metric] {
				continue
			}
			rest = append(rest, Result{Name: shortName(bench) + " " + metric, Benchmark: bench, Unit: metric, Value: v, Goal: "report only"})
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].Name < rest[j].Name })
	return append(results, rest...), missing
}

func check(t *Threshold, v float64, ratio *float64) bool {
	ok := true
	if t.RatioMin != nil || t.RatioMax != nil {
		if ratio == nil || math.IsNaN(*ratio) {
			return false
		}
		if t.RatioMin != nil && *ratio < *t.RatioMin {
			ok = false
		}
		if t.RatioMax != nil && *ratio > *t.RatioMax {
			ok = false
		}
	}
	if t.ValueMin != nil && v < *t.ValueMin {
		ok = false
	}
	if t.ValueMax != nil && v > *t.ValueMax {
		ok = false
	}
	return ok
}

func shortName(bench string) string {
	if i := strings.LastIndex(bench, "/"); i >= 0 && strings.Contains(bench[i:], ".Benchmark") {
		return bench[i+1:]
	}
	return strings.TrimPrefix(bench, "github.com/zkvault/zkvault/")
}

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func write(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, r := range results {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		name := strings.Trim(unsafeFile.ReplaceAllString(r.Name, "_"), "_") + ".json"
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func table(w io.Writer, results []Result) {
	fmt.Fprintf(w, "\n%-44s %14s %-10s %10s  %-20s %s\n", "result", "value", "unit", "ratio", "goal", "holds")
	for _, r := range results {
		ratio := "—"
		if r.Ratio != nil {
			ratio = fmt.Sprintf("%.3g×", *r.Ratio)
		}
		holds := "—"
		if r.Holds != nil {
			holds = map[bool]string{true: "yes", false: "NO"}[*r.Holds]
		}
		fmt.Fprintf(w, "%-44s %14.4g %-10s %10s  %-20s %s\n", trunc(r.Name, 44), r.Value, trunc(r.Unit, 10), ratio, r.Goal, holds)
	}
}

func trunc(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var ins, jsons multi
	flag.Var(&ins, "in", "go test -bench output file (repeatable)")
	flag.Var(&jsons, "json", "JSON measurements file (repeatable)")
	goalsDir := flag.String("goals", "bench/goals", "folder of goal files")
	out := flag.String("out", "bench/results", "folder for result files")
	flag.Parse()

	m := measurements{}
	read := func(path string, parse func(io.Reader, measurements) error) {
		f, err := os.Open(path)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		if err := parse(f, m); err != nil {
			fatal(fmt.Errorf("%s: %w", path, err))
		}
	}
	for _, p := range ins {
		read(p, parseGoBench)
	}
	for _, p := range jsons {
		read(p, parseJSON)
	}
	goals, err := loadGoals(*goalsDir)
	if err != nil {
		fatal(err)
	}
	results, missing := evaluate(goals, m)
	if err := write(*out, results); err != nil {
		fatal(err)
	}
	table(os.Stdout, results)
	fmt.Printf("\n%d results written to %s\n", len(results), *out)
	if len(missing) > 0 {
		fmt.Fprintln(os.Stderr, "\ngoals whose benchmarks did not run:")
		for _, s := range missing {
			fmt.Fprintln(os.Stderr, "  "+s)
		}
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(2)
}
