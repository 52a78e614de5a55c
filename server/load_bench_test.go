package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

// Load test parameters.
const (
	loadClients  = 64
	loadDuration = 3 * time.Second
	loadRecords  = 5000
)

// BenchmarkLoad: loadClients concurrent clients on loopback, each with its
// own read-write token and its own client address (through a trusted
// proxy), run for loadDuration per iteration against the rate limits the
// command sets by default: 70 % blind-index lookups, 15 % record reads,
// 10 % time-range queries, 5 % batches of 10 records. It reports
// throughput, p50 and p99 latency and the share of 429s; any status other
// than 2xx, or a 429 that is not a rate limit, fails it.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	admin, _, err := service.LoadOrCreateAdminSecret(dir)
	if err != nil {
		b.Fatal(err)
	}
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := service.New(service.Config{Store: st, AdminSecret: admin})
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(server.Config{Service: svc,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		RateLimit:      server.RateLimit{PerAddr: 100, AddrBurst: 200, PerCredential: 100, CredentialBurst: 200}})
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Start()
	defer func() {
		hs.Close()
		svc.Close()
		st.Close()
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: loadClients, MaxConnsPerHost: loadClients}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	do := func(method, path, token, addr string, body []byte) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, hs.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		if addr != "" {
			req.Header.Set("X-Forwarded-For", addr)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		out, err := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, out, err
	}
	must := func(method, path, token string, v any) []byte {
		body, _ := json.Marshal(v)
		st, out, err := do(method, path, token, "", body)
		if err != nil || st/100 != 2 {
			b.Fatalf("%s %s: %d %s %v", method, path, st, out, err)
		}
		return out
	}
	must("POST", "/api/v1/principals", admin, api.Principal{ID: "owner", Kind: api.PrincipalUser})
	must("POST", "/api/v1/spaces", admin, api.Space{ID: "v", Kind: api.KindVault, Encrypted: true, SecretVersion: 1,
		Relations: []api.Relation{{Role: api.RoleOwner, Principal: "owner"}},
		Envelopes: []api.Envelope{passphraseEnvelope(1)}, Schemas: []api.Schema{messages}})
	for i := 0; i < loadRecords; i += 500 {
		var recs []any
		for j := i; j < i+500; j++ {
			recs = append(recs, msg(fmt.Sprintf("r%05d", j), int64(j), "chat", idx32(j%1000)))
		}
		must("POST", "/api/v1/spaces/v/collections/messages/records", admin, map[string]any{"records": recs})
	}
	tokens := make([]string, loadClients)
	for i := range tokens {
		var tv service.TokenView
		json.Unmarshal(must("POST", "/api/v1/tokens", admin, service.TokenRequest{Principal: "owner", Scopes: []string{"read", "write"}}), &tv)
		tokens[i] = tv.Token
	}

	var total, limited int64
	var lat, wlat []time.Duration // all successful requests; the writes
	var elapsed time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		var mu sync.Mutex
		var fail atomic.Value
		stop := time.Now().Add(loadDuration)
		start := time.Now()
		var wg sync.WaitGroup
		for c := 0; c < loadClients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), uint64(it)))
				addr := fmt.Sprintf("198.18.0.%d", c+1)
				var mine, mineW []time.Duration
				var n, l int64
				for k := 0; time.Now().Before(stop); k++ {
					var method, path string
					var body []byte
					switch p := rng.IntN(100); {
					case p < 70:
						method, path = "GET", "/api/v1/spaces/v/collections/messages/records?index=senderPhoneIndex&value="+idx32(rng.IntN(1000))
					case p < 85:
						method, path = "GET", fmt.Sprintf("/api/v1/spaces/v/collections/messages/records/r%05d", rng.IntN(loadRecords))
					case p < 95:
						from := rng.IntN(loadRecords)
						method, path = "GET", fmt.Sprintf("/api/v1/spaces/v/collections/messages/records?from=%d&to=%d&limit=20", from, from+20)
					default:
						var recs []any
						for j := 0; j < 10; j++ {
							recs = append(recs, msg(fmt.Sprintf("c%02d-%d-%d-%d", c, it, k, j), int64(loadRecords+k), "load", idx32(rng.IntN(1000))))
						}
						body, _ = json.Marshal(map[string]any{"records": recs})
						method, path = "POST", "/api/v1/spaces/v/collections/messages/records"
					}
					t0 := time.Now()
					st, out, err := do(method, path, tokens[c], addr, body)
					d := time.Since(t0)
					n++
					switch {
					case err != nil:
						fail.Store(fmt.Sprintf("%s %s: %v", method, path, err))
						return
					case st == http.StatusTooManyRequests:
						if !bytes.Contains(out, []byte(`"rate_limited"`)) {
							fail.Store(fmt.Sprintf("%s %s: 429 that is not a rate limit: %s", method, path, out))
							return
						}
						l++
						time.Sleep(10 * time.Millisecond) // a client that honours the limit backs off
					case st/100 != 2:
						fail.Store(fmt.Sprintf("%s %s: %d %s", method, path, st, out))
						return
					default:
						mine = append(mine, d)
						if method == "POST" {
							mineW = append(mineW, d)
						}
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				wlat = append(wlat, mineW...)
				total += n
				limited += l
				mu.Unlock()
			}()
		}
		wg.Wait()
		elapsed += time.Since(start)
		if f := fail.Load(); f != nil {
			b.Fatal(f)
		}
	}
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no request succeeded")
	}
	slices.Sort(lat)
	slices.Sort(wlat)
	pctOf := func(l []time.Duration, p float64) float64 {
		if len(l) == 0 {
			return 0
		}
		return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000
	}
	pct := func(p float64) float64 { return pctOf(lat, p) }
	b.ReportMetric(float64(total)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(int64(len(lat)))/elapsed.Seconds(), "ok-req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pctOf(wlat, 0.99), "p99-write-ms")
	b.ReportMetric(100*float64(limited)/float64(total), "429-%")
	b.ReportMetric(0, "ns/op")
}
