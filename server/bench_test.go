package server_test

// Benchmarks of the storage server; make bench reports their custom metrics
// against bench/goals/server.json.
//
//	BenchmarkIngestHTTP     records/s: batches of 500 records of 1 KiB through
//	                        HTTP on loopback into bbolt (validation, canonical
//	                        JSON, indexes, fsync'd transactions), posted three
//	                        at a time as the ingest client does (batches
//	                        ready together share a transaction), index
//	                        merges included (they run in the timed loop)
//	BenchmarkIngestBoltRaw  records/s: the same records as raw bbolt puts, one
//	                        transaction per batch of 500
//	BenchmarkIngestBoltRawIndexed  records/s: the same, plus the blind index,
//	                        filter and time keys the server writes (the storage
//	                        cost of the key layout alone)
//	BenchmarkIndexLookup    p50-ms, p99-ms: blind-index lookups over HTTP at
//	                        10 k and 1 M records, index merged (the databases
//	                        are built once and cached under os.TempDir()), and
//	                        at 10 k with 63 index runs pending
//	BenchmarkBlob1GiB       upload-MB/s, download-MB/s, peak-RSS-MiB: a 1 GiB
//	                        blob through a child server process; the peak is
//	                        the child's VmHWM from /proc (Linux)

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/internal/benchdata"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
	"github.com/zkvault/zkvault/server/store/kvstore"
)

const benchBatch = benchdata.Batch

type benchServer struct {
	url, admin string
	st         *boltstore.Store
	svc        *service.Service
	close      func()
}

func newBenchServer(b *testing.B, dir string, o *boltstore.Options) *benchServer {
	secret, _, err := service.LoadOrCreateAdminSecret(dir)
	if err != nil {
		b.Fatal(err)
	}
	st, err := boltstore.Open(dir, o)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, AdminSecret: secret})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(server.New(server.Config{Service: svc}).Handler())
	return &benchServer{url: hs.URL, admin: secret, st: st, svc: svc, close: func() {
		hs.Close()
		svc.Close()
		st.Close()
	}}
}

func (s *benchServer) post(b *testing.B, path string, body []byte) []byte {
	req, _ := http.NewRequest("POST", s.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		b.Fatalf("POST %s: %d %s", path, res.StatusCode, out)
	}
	return out
}

func (s *benchServer) createSpace(b *testing.B) {
	sp := api.Space{ID: "bench", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Envelopes: []api.Envelope{passphraseEnvelope(1)}, Schemas: []api.Schema{benchdata.Schema}}
	body, _ := json.Marshal(sp)
	s.post(b, "/api/v1/spaces", body)
}

// benchInFlight is the number of batches BenchmarkIngestHTTP keeps in
// flight: the ingest client's default (examples/ingest, --in-flight; a
// test there keeps the two the same).
const benchInFlight = 3

// benchChunk is the number of batches BenchmarkIngestHTTP prepares, clock
// stopped, before it posts them, clock running.
const benchChunk = 64

// BenchmarkIngestHTTP posts batches as the ingest client does: benchInFlight
// at a time, each sent as soon as one is answered, on kept-alive
// connections. The server overlaps the preparation of a batch with the
// commit of others and commits batches that are ready together in one
// transaction (kvstore/group.go); every batch is acknowledged only once
// durable. The bodies are made with the clock stopped, benchChunk batches
// at a time (the pipeline drains at the end of each chunk, which the
// figure pays for).
//
// It counts the index merges in: the server stores a transaction's index,
// filter and time entries as a pending run and folds runs into the main
// index later (kvstore/runs.go). Here the merger does not run in the
// background, where it could work while the clock is stopped: whenever as
// many runs are pending as wake the merger of a serving store, the poster
// that sees it merges (while the others go on posting), and once more at
// the end, clock running.
func BenchmarkIngestHTTP(b *testing.B) {
	s := newBenchServer(b, b.TempDir(), &boltstore.Options{MergeRuns: -1})
	defer s.close()
	s.createSpace(b)
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchInFlight}}
	defer cl.CloseIdleConnections()
	post := func(body []byte) error {
		req, _ := http.NewRequest("POST", s.url+"/api/v1/spaces/bench/collections/messages/records", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.admin)
		res, err := cl.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		var r service.UpsertResult
		if err := json.Unmarshal(out, &r); err != nil || res.StatusCode != 200 || r.Inserted != benchBatch {
			return fmt.Errorf("batch: %d %.300s", res.StatusCode, out)
		}
		if s.st.PendingRuns() >= kvstore.DefaultMergeRuns {
			return s.st.Merge()
		}
		return nil
	}
	n := 0
	st0 := s.st.Bolt().Stats()
	var cpu time.Duration
	b.ResetTimer()
	for n < b.N*benchBatch {
		b.StopTimer()
		bodies := make([][]byte, min(benchChunk, b.N-n/benchBatch))
		for j := range bodies {
			bodies[j], _ = benchdata.Body(n + j*benchBatch)
		}
		b.SetBytes(int64(len(bodies[0])))
		c0 := cpuTime()
		b.StartTimer()
		var next atomic.Int64
		errs := make(chan error, benchInFlight)
		for range min(benchInFlight, len(bodies)) {
			go func() {
				for {
					j := int(next.Add(1)) - 1
					if j >= len(bodies) {
						errs <- nil
						return
					}
					if err := post(bodies[j]); err != nil {
						next.Store(int64(len(bodies)))
						errs <- err
						return
					}
				}
			}()
		}
		for range min(benchInFlight, len(bodies)) {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime() - c0
		n += len(bodies) * benchBatch
	}
	c0 := cpuTime()
	if err := s.st.Merge(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu += cpuTime() - c0
	b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/batch")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	reportPages(b, s.st.Bolt(), st0)
}

// reportPages reports the database pages written per batch since st0 (the
// storage cost the records/s figures hide: each page is one write).
func reportPages(b *testing.B, db *bolt.DB, st0 bolt.Stats) {
	st := db.Stats()
	d := st.Sub(&st0)
	b.ReportMetric(float64(d.TxStats.GetPageAlloc())/float64(db.Info().PageSize)/float64(b.N), "pages/batch")
}

func BenchmarkIngestBoltRaw(b *testing.B) { benchBoltRaw(b, false) }

// BenchmarkIngestBoltRawIndexed puts the same records with the same blind
// index, filter and time keys the server keeps, straight into bbolt: the
// storage cost of the key layout, without HTTP, JSON or validation.
func BenchmarkIngestBoltRawIndexed(b *testing.B) { benchBoltRaw(b, true) }

func benchBoltRaw(b *testing.B, indexed bool) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("records")
	extra := [][]byte{[]byte("rindex"), []byte("rfilter"), []byte("rtime")}
	db.Update(func(tx *bolt.Tx) error {
		for _, n := range append(extra, bucket) {
			if _, err := tx.CreateBucketIfNotExists(n); err != nil {
				return err
			}
		}
		return nil
	})
	n := 0
	var cpu time.Duration
	st0 := db.Stats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body, recs := benchdata.Body(i * benchBatch)
		b.SetBytes(int64(len(body)))
		vals := make([][]byte, len(recs))
		for j := range recs {
			vals[j], _ = json.Marshal(recs[j])
		}
		c0 := cpuTime()
		b.StartTimer()
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucket)
			for j, r := range recs {
				if err := bk.Put([]byte("bench\x00messages\x00"+r.ID), vals[j]); err != nil {
					return err
				}
				if !indexed {
					continue
				}
				var t8 [8]byte
				ts, _ := strconv.ParseUint(string(r.Fields["timestamp"]), 10, 64)
				binary.BigEndian.PutUint64(t8[:], ts^(1<<63))
				keys := [][]byte{
					[]byte("bench\x00messages\x00senderPhoneIndex\x00" + r.Index["senderPhoneIndex"][0] + "\x00" + r.ID),
					[]byte("bench\x00messages\x00chatId\x00" + string(r.Fields["chatId"]) + "\x00" + string(t8[:]) + r.ID),
					[]byte("bench\x00messages\x00" + string(t8[:]) + r.ID),
				}
				for k, key := range keys {
					if err := tx.Bucket(extra[k]).Put(key, []byte{}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		n += benchBatch
	}
	b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/batch")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	reportPages(b, db, st0)
}

// lookupDB returns a data directory holding a space with n records and the
// index values it holds, built once and cached under os.TempDir(), its
// index merged (a server at rest).
func lookupDB(b *testing.B, n int) (string, []string) {
	const version = "v3" // v3: index entries in blocks, pending runs
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("zkvault-bench-lookup-%s-%d", version, n))
	valuesFile := filepath.Join(dir, "values.txt")
	if raw, err := os.ReadFile(valuesFile); err == nil {
		return dir, strings.Fields(string(raw))
	}
	os.RemoveAll(dir)
	start := time.Now()
	s := newBenchServer(b, dir, nil)
	s.createSpace(b)
	values := make([]string, 0, 10000)
	const chunk = 100000
	for first := 0; first < n; first += chunk {
		writes := make([]store.RecordWrite, 0, chunk)
		for i := first; i < min(first+chunk, n); i++ {
			r := benchdata.Record(i, 300)
			data, _ := json.Marshal(r)
			v := r.Index["senderPhoneIndex"][0]
			if len(values) < cap(values) && mrand.IntN(max(1, n/cap(values))) == 0 {
				values = append(values, v)
			}
			ts, _ := strconv.ParseInt(string(r.Fields["timestamp"]), 10, 64)
			writes = append(writes, store.RecordWrite{ID: r.ID, Data: data, Index: []store.IndexEntry{{Name: "senderPhoneIndex", Value: v}},
				Filters: []store.FilterEntry{{Field: "chatId", Value: string(r.Fields["chatId"])}}, Time: ts, HasTime: true})
		}
		if _, err := s.st.UpsertRecords(context.Background(), "bench", "messages", writes); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.st.Merge(); err != nil {
		b.Fatal(err)
	}
	s.close()
	if err := os.WriteFile(valuesFile, []byte(strings.Join(values, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d records in %v (cached in %s)", n, time.Since(start), dir)
	return dir, values
}

// BenchmarkIndexLookup/10k-63runs looks up with 63 runs pending (one less
// than wakes the merger): a lookup also reads each pending run.
func BenchmarkIndexLookup(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		runs int
	}{{"10k", 10_000, 0}, {"1M", 1_000_000, 0}, {"10k-63runs", 10_000, kvstore.DefaultMergeRuns - 1}} {
		b.Run(tc.name, func(b *testing.B) {
			dir, values := lookupDB(b, tc.n)
			if tc.runs > 0 {
				dir = copyDataDir(b, dir)
			}
			// A serving database is in the page cache: read it once so that
			// the lookups measure the index, not the first touch of the disk.
			if f, err := os.Open(filepath.Join(dir, boltstore.DBFile)); err == nil {
				io.Copy(io.Discard, f)
				f.Close()
			}
			s := newBenchServer(b, dir, &boltstore.Options{MergeRuns: -1})
			defer s.close()
			for r := 0; r < tc.runs; r++ {
				writes := make([]store.RecordWrite, 0, 100)
				for i := 0; i < cap(writes); i++ {
					rec := benchdata.Record(tc.n+r*cap(writes)+i, 300)
					data, _ := json.Marshal(rec)
					writes = append(writes, store.RecordWrite{ID: rec.ID, Data: data,
						Index: []store.IndexEntry{{Name: "senderPhoneIndex", Value: values[mrand.IntN(len(values))]}}})
				}
				if _, err := s.st.UpsertRecords(context.Background(), "bench", "messages", writes); err != nil {
					b.Fatal(err)
				}
			}
			if s.st.PendingRuns() != tc.runs {
				b.Fatalf("%d runs pending, want %d", s.st.PendingRuns(), tc.runs)
			}
			client := &http.Client{}
			get := func(v string) {
				req, _ := http.NewRequest("GET", s.url+"/api/v1/spaces/bench/collections/messages/records?index=senderPhoneIndex&value="+v, nil)
				req.Header.Set("Authorization", "Bearer "+s.admin)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || !bytes.Contains(body, []byte(v)) {
					b.Fatalf("lookup %s: %d %.200s", v, res.StatusCode, body)
				}
			}
			// Warm up: the page cache and the connection.
			for i := 0; i < 200; i++ {
				get(values[mrand.IntN(len(values))])
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				get(values[mrand.IntN(len(values))])
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e6
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}

// copyDataDir copies the database and the admin secret of data directory
// dir to a new temporary one.
func copyDataDir(b *testing.B, dir string) string {
	to := b.TempDir()
	for _, name := range []string{boltstore.DBFile, service.AdminSecretFile} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), raw, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return to
}

// BenchmarkBlob1GiB streams a 1 GiB blob up to and down from a child server
// process and reports the child's peak resident memory (VmHWM).
func BenchmarkBlob1GiB(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	bin := filepath.Join(b.TempDir(), "zkvault")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/zkvault/zkvault/cmd/zkvault").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	const size = 1 << 30
	var up, down time.Duration
	var peak float64
	for i := 0; i < b.N; i++ {
		data := b.TempDir()
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			b.Fatal("server did not start")
		}
		go io.Copy(io.Discard, stdout)
		addr := sc.Text()[strings.LastIndex(sc.Text(), " ")+1:]
		secret, _ := os.ReadFile(filepath.Join(data, service.AdminSecretFile))
		auth := "Bearer " + strings.TrimSpace(string(secret))
		do := func(method, path string, body io.Reader, n int64) *http.Response {
			req, _ := http.NewRequest(method, addr+path, body)
			req.Header.Set("Authorization", auth)
			if n > 0 {
				req.ContentLength = n
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			return res
		}
		sp, _ := json.Marshal(api.Space{ID: "s", Kind: api.KindVault})
		do("POST", "/api/v1/spaces", bytes.NewReader(sp), int64(len(sp))).Body.Close()

		t0 := time.Now()
		res := do("PUT", "/api/v1/spaces/s/blobs/big", io.LimitReader(&pattern{}, size), size)
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 201 || !bytes.Contains(out, []byte(fmt.Sprintf(`"size":%d`, size))) {
			b.Fatalf("upload: %d %s", res.StatusCode, out)
		}
		up += time.Since(t0)

		t0 = time.Now()
		res = do("GET", "/api/v1/spaces/s/blobs/big", nil, 0)
		n, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil || n != size {
			b.Fatalf("download: %d bytes, %v", n, err)
		}
		down += time.Since(t0)

		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				peak = max(peak, kb/1024)
			}
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/up.Seconds(), "upload-MB/s")
	b.ReportMetric(mb/down.Seconds(), "download-MB/s")
	b.ReportMetric(peak, "peak-RSS-MiB")
}

// pattern is an endless cheap stream of pseudo-random bytes.
type pattern struct{ off int }

var patternBuf = func() []byte {
	b := make([]byte, 1<<20+7)
	rand.Read(b)
	return b
}()

func (p *pattern) Read(b []byte) (int, error) {
	n := copy(b, patternBuf[p.off:])
	p.off = (p.off + n) % (len(patternBuf) - 1)
	return n, nil
}

// cpuTime is the CPU time (user and system) the process has used: the
// server's, the client's and the garbage collector's alike.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
