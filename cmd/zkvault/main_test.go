package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds zkvault once for the tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "zkvault-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "zkvault")
		out, err := exec.Command(goTool(), "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// goTool is the go command that runs these tests.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type child struct {
	cmd    *exec.Cmd
	addr   string
	secret string
	stderr *bytes.Buffer
	done   chan error
}

// start runs `zkvault serve` on a free loopback port.
func start(t *testing.T, data string, env ...string) *child {
	t.Helper()
	return startArgs(t, data, []string{"--addr", "127.0.0.1:0", "--data", data}, env...)
}

func startArgs(t *testing.T, data string, args []string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	go func() { c.done <- cmd.Wait() }()
	select {
	case l, ok := <-line:
		if !ok {
			t.Fatalf("server did not start: %s", c.stderr)
		}
		c.addr = strings.TrimSpace(l[strings.LastIndex(l, " ")+1:])
		c.addr = strings.TrimPrefix(strings.TrimPrefix(c.addr, "http://"), "https://")
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start in time: %s", c.stderr)
	}
	b, err := os.ReadFile(filepath.Join(data, service.AdminSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	c.secret = strings.TrimSpace(string(b))
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *child) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, "http://"+c.addr+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

var schema = api.Schema{Collection: "items", Fields: map[string]api.Field{
	"body": {Type: api.TypeString, Encrypted: true},
	"n":    {Type: api.TypeNumber, Filter: true},
}}

// TestCrash kills the server with SIGKILL in the middle of a long ingest,
// many times, and checks after each kill that the database opens clean and
// holds every record whose write was acknowledged. Four writers keep a
// batch in flight each, as an ingest client with several in flight does:
// the server writes batches that arrive together in one transaction, and
// must acknowledge none before that transaction is durable.
func TestCrash(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 3
	}
	data := t.TempDir()
	var acked []string
	var pending []int
	payload := strings.Repeat("x", 900)
	for round := 0; round < rounds; round++ {
		// As fast as it goes: no rate limits (they are not what this tests).
		c := start(t, data, "ZKVAULT_RATE_LIMIT=0", "ZKVAULT_CREDENTIAL_RATE_LIMIT=0")
		if round == 0 {
			st, b, err := c.do("POST", "/api/v1/spaces", api.Space{ID: "s", Kind: api.KindVault, Schemas: []api.Schema{schema}})
			if err != nil || st != 201 {
				t.Fatalf("create space: %d %s %v", st, b, err)
			}
		}
		killAt := time.Duration(100+rand.IntN(400)) * time.Millisecond
		stop := make(chan struct{})
		var mu sync.Mutex
		var roundAcked []string
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := 0; ; b++ {
					select {
					case <-stop:
						return
					default:
					}
					var ids []string
					var recs []api.Record
					for i := 0; i < 100; i++ {
						id := fmt.Sprintf("r%d-w%d-b%d-%d", round, w, b, i)
						ids = append(ids, id)
						recs = append(recs, api.Record{ID: id, Fields: map[string]json.RawMessage{
							"body": json.RawMessage(`"` + payload + `"`), "n": json.RawMessage(fmt.Sprint(i))}})
					}
					st, body, err := c.do("POST", "/api/v1/spaces/s/collections/items/records", map[string]any{"records": recs})
					if err != nil {
						return // killed
					}
					var res service.UpsertResult
					if st != 200 || json.Unmarshal(body, &res) != nil || res.Inserted != len(recs) {
						t.Errorf("batch: %d %s", st, body)
						return
					}
					mu.Lock()
					roundAcked = append(roundAcked, ids...)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(killAt)
		c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
		close(stop)
		wg.Wait()
		acked = append(acked, roundAcked...)
		if len(roundAcked) == 0 {
			t.Logf("round %d: nothing acknowledged before the kill at %v", round, killAt)
		}

		// The database opens clean and holds every acknowledged record.
		st, err := boltstore.Open(data, &boltstore.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if err := st.Check(); err != nil {
			t.Fatalf("round %d: check: %v", round, err)
		}
		for _, id := range acked {
			if _, err := st.Record(context.Background(), "s", "items", id); err != nil {
				t.Fatalf("round %d: acknowledged record %s lost: %v", round, id, err)
			}
		}
		// Their filter entries too, pending or merged (the kill may have
		// come during a merge), and no hit without its record.
		for _, n := range []string{"0", "57", "99"} {
			found := map[string]bool{}
			q := store.Query{Space: "s", Collection: "items", Field: "n", FieldValue: n, Limit: store.MaxPageSize}
			for {
				recs, next, err := st.QueryRecords(context.Background(), q)
				if err != nil {
					t.Fatalf("round %d: query n=%s: %v", round, n, err)
				}
				for _, r := range recs {
					var v struct{ ID string }
					json.Unmarshal(r, &v)
					found[v.ID] = true
				}
				if q.Cursor = next; next == "" {
					break
				}
			}
			for _, id := range acked {
				if strings.HasSuffix(id, "-"+n) && !found[id] {
					t.Fatalf("round %d: acknowledged record %s missing from the query n=%s", round, id, n)
				}
			}
		}
		pending = append(pending, st.PendingRuns())
		st.Close()
	}
	t.Logf("%d rounds, %d acknowledged records, all present; index runs pending at each reopen: %v", rounds, len(acked), pending)
	if len(acked) == 0 {
		t.Fatal("no write was ever acknowledged")
	}
}

// TestGracefulShutdown: SIGTERM lets a request in flight finish.
func TestGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	c := start(t, data)
	if st, b, err := c.do("POST", "/api/v1/spaces", api.Space{ID: "s", Kind: api.KindVault}); err != nil || st != 201 {
		t.Fatalf("create space: %d %s %v", st, b, err)
	}
	pr, pw := io.Pipe()
	type result struct {
		status int
		body   []byte
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		st, b, err := c.do("PUT", "/api/v1/spaces/s/blobs/slow", pr)
		resc <- result{st, b, err}
	}()
	chunk := bytes.Repeat([]byte("z"), 64<<10)
	pw.Write(chunk)
	time.Sleep(200 * time.Millisecond)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		pw.Write(chunk)
	}
	pw.Close()
	r := <-resc
	if r.err != nil || r.status != 201 || !bytes.Contains(r.body, []byte(`"size":393216`)) {
		t.Fatalf("upload in flight: %d %s %v", r.status, r.body, r.err)
	}
	select {
	case err := <-c.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, c.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit")
	}
}

func TestHelpAndEnv(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "ZKVAULT_ADDR") {
		t.Fatalf("--help: %d %s", code, out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"serve", "--help"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "ZKVAULT_DATA") || !strings.Contains(errb.String(), "127.0.0.1:8080") {
		t.Fatalf("serve --help: %d %s", code, errb.String())
	}
	if code := run([]string{"bogus"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	// The environment sets the flags; a flag wins over it.
	data := t.TempDir()
	c := startArgs(t, data, nil, "ZKVAULT_DATA="+data, "ZKVAULT_ADDR=127.0.0.1:0")
	if st, _, err := c.do("GET", "/healthz", nil); err != nil || st != 200 {
		t.Fatalf("healthz: %d %v", st, err)
	}
	for _, f := range []string{boltstore.DBFile, service.AdminSecretFile} {
		fi, err := os.Stat(filepath.Join(data, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	other := filepath.Join(t.TempDir(), "flag")
	c2 := startArgs(t, other, []string{"--data", other}, "ZKVAULT_DATA="+data, "ZKVAULT_ADDR=127.0.0.1:0")
	if st, _, err := c2.do("GET", "/api/v1/settings", nil); err != nil || st != 200 {
		t.Fatalf("settings: %d %v", st, err)
	}
}

// TestSecrets: the first run prints the generated dashboard and write
// secrets once; they work; a later run prints nothing; secrets from the
// environment and from files replace the stored ones.
func TestSecrets(t *testing.T) {
	data := t.TempDir()
	c := start(t, data)
	time.Sleep(100 * time.Millisecond)
	out := c.stderr.String()
	dash := regexp.MustCompile(`dashboard secret[^:]*:\s+(zkd_\S+)`).FindStringSubmatch(out)
	write := regexp.MustCompile(`write secret[^:]*:\s+(zkw_\S+)`).FindStringSubmatch(out)
	if dash == nil || write == nil {
		t.Fatalf("no secrets printed:\n%s", out)
	}
	login := func(c *child, secret string) int {
		t.Helper()
		res, err := http.Post("http://"+c.addr+"/api/v1/session", "application/json", strings.NewReader(`{"secret":"`+secret+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := login(c, dash[1]); st != 200 {
		t.Fatalf("login with the printed secret: %d", st)
	}
	c.secret = write[1]
	if st, b, err := c.do("POST", "/api/v1/spaces", api.Space{ID: "v", Kind: api.KindVault, Relations: []api.Relation{{Role: api.RoleOwner, Principal: "owner"}}}); err != nil || st != 201 {
		t.Fatalf("write secret: %d %s %v", st, b, err)
	}
	if st, _, _ := c.do("GET", "/api/v1/spaces/v", nil); st != 403 {
		t.Fatalf("write secret reads: %d", st)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	<-c.done
	c = start(t, data)
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(c.stderr.String(), dash[1]) || strings.Contains(c.stderr.String(), "secret (") {
		t.Fatalf("second run prints secrets:\n%s", c.stderr)
	}
	if st := login(c, dash[1]); st != 200 {
		t.Fatalf("login after restart: %d", st)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	<-c.done
	file := filepath.Join(t.TempDir(), "dash")
	os.WriteFile(file, []byte("a dashboard secret from a file\n"), 0o600)
	c = startArgs(t, data, []string{"--addr", "127.0.0.1:0", "--data", data, "--dashboard-secret-file", file}, "ZKVAULT_WRITE_SECRET=write secret from the environment")
	if st := login(c, dash[1]); st != 401 {
		t.Fatalf("old secret after replacement: %d", st)
	}
	if st := login(c, "a dashboard secret from a file"); st != 200 {
		t.Fatalf("secret from file: %d", st)
	}
	c.secret = "write secret from the environment"
	if st, b, _ := c.do("POST", "/api/v1/spaces/v/collections", schema); st != 201 {
		t.Fatalf("write secret from env: %d %s", st, b)
	}
	for _, f := range []string{service.SessionKeyFile, boltstore.DBFile} {
		if fi, err := os.Stat(filepath.Join(data, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// TestTLS: with --tls-cert and --tls-key the server speaks HTTPS, its
// session cookie is Secure and it sends HSTS.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	data := t.TempDir()
	c := startArgs(t, data, []string{"--addr", "127.0.0.1:0", "--data", data, "--tls-cert", certFile, "--tls-key", keyFile},
		"ZKVAULT_DASHBOARD_SECRET=the dashboard secret for tls")
	pool := x509.NewCertPool()
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Post("https://"+c.addr+"/api/v1/session", "application/json", strings.NewReader(`{"secret":"the dashboard secret for tls"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" || len(res.Cookies()) == 0 || !res.Cookies()[0].Secure {
		t.Fatalf("over TLS: %d %v", res.StatusCode, res.Header)
	}
	if _, err := http.Get("http://" + c.addr + "/healthz"); err == nil {
		// Plain HTTP on the TLS port gets a 400 from the TLS stack at
		// best, never the API.
		res, _ := http.Get("http://" + c.addr + "/api/v1/openapi.json")
		if res != nil && res.StatusCode == 200 {
			t.Fatal("plain HTTP served")
		}
	}
}
