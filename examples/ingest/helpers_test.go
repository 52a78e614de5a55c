package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkvault/zkvault/examples/ingest/internal/client"
	"github.com/zkvault/zkvault/server"
	"github.com/zkvault/zkvault/server/service"
	"github.com/zkvault/zkvault/server/store/boltstore"
)

// testPassphrase is the vault passphrase of the tests.
const testPassphrase = "correct horse battery staple 42"

var sampleDir = filepath.Join("testdata", "sample")

// testEnv is a real server (bbolt store in a temporary folder) and the
// environment the command runs in.
type testEnv struct {
	t        *testing.T
	dataDir  string
	stateDir string
	passFile string
	url      string
	token    string
	st       *boltstore.Store
	svc      *service.Service
	hs       *httptest.Server
	once     sync.Once
	env      map[string]string
	active   atomic.Int64 // requests being served
}

// idle waits until the server serves no request: the ones a client gave
// up on (an interrupted import) run to their end all the same.
func (e *testEnv) idle() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.active.Load() != 0 {
		if time.Now().After(deadline) {
			e.t.Fatal("the server is still serving requests")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dataDir: t.TempDir(), stateDir: t.TempDir()}
	secret, _, err := service.LoadOrCreateAdminSecret(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	e.token = secret
	e.st, err = boltstore.Open(e.dataDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = service.New(service.Config{Store: e.st, AdminSecret: secret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{Service: e.svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := srv.Handler()
	e.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.active.Add(1)
		defer e.active.Add(-1)
		h.ServeHTTP(w, r)
	}))
	e.url = e.hs.URL
	e.passFile = filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(e.passFile, []byte(testPassphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.env = map[string]string{
		"ZKVAULT_SERVER":          e.url,
		"ZKVAULT_TOKEN":           e.token,
		"ZKVAULT_VAULT":           "vault-test",
		"ZKVAULT_PASSPHRASE_FILE": e.passFile,
		"ZKVAULT_STATE_DIR":       e.stateDir,
	}
	t.Cleanup(e.close)
	return e
}

// close stops the server and closes the store (idempotent).
func (e *testEnv) close() {
	e.once.Do(func() {
		e.hs.Close()
		e.svc.Close()
		if err := e.st.Check(); err != nil {
			e.t.Errorf("bbolt check: %v", err)
		}
		e.st.Close()
	})
}

func (e *testEnv) client() *client.Client {
	c, err := client.New(e.url, e.token, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// result is one run of the command.
type result struct {
	stdout, stderr string
	err            error
	sum            *Summary
}

func (e *testEnv) newApp() (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return e.env[k] },
	}
	return a, &out, &errb
}

func (e *testEnv) run(args ...string) result {
	e.t.Helper()
	a, out, errb := e.newApp()
	err := a.run(context.Background(), args)
	return result{stdout: out.String(), stderr: errb.String(), err: err, sum: a.last}
}

func (e *testEnv) mustRun(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.err != nil {
		e.t.Fatalf("%v: %v\nstdout:\n%s\nstderr:\n%s", args, r.err, r.stdout, r.stderr)
	}
	return r
}
