package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWithServerBinary runs the ingest client against the zkvault binary,
// as a user would, with the server's write secret (issue 5): a credential
// that may create and write its vaults but read nothing. init keeps a copy
// of the vault's description, so import and open still work; status says
// it cannot count. The records are then checked with the admin secret.
func TestWithServerBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/zkvault")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zkvault")
	build := exec.Command("go", "build", "-o", bin, "github.com/zkvault/zkvault/cmd/zkvault")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/zkvault: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := filepath.Join(dir, "data")
	const writeSecret = "zkw_test-write-secret-of-the-ingest-client-0001"
	srv := exec.Command(bin, "serve", "--addr", addr, "--data", data)
	srv.Env = append(os.Environ(), "ZKVAULT_WRITE_SECRET="+writeSecret, "ZKVAULT_DASHBOARD_SECRET=zkd_test-dashboard-secret-000000000000000001")
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = nil
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			srv.Process.Signal(os.Interrupt)
			srv.Wait()
		}
	}
	t.Cleanup(stop)
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not start")
	}

	e := &testEnv{t: t, stateDir: t.TempDir(), url: "http://" + addr}
	e.passFile = filepath.Join(t.TempDir(), "passphrase")
	os.WriteFile(e.passFile, []byte(testPassphrase+"\n"), 0o600)
	e.env = map[string]string{
		"ZKVAULT_SERVER":          e.url,
		"ZKVAULT_TOKEN":           writeSecret,
		"ZKVAULT_VAULT":           "vault-test",
		"ZKVAULT_PASSPHRASE_FILE": e.passFile,
		"ZKVAULT_STATE_DIR":       e.stateDir,
	}
	if r := e.run("init"); r.err != nil {
		if strings.Contains(r.err.Error(), "401") {
			t.Skip("this server has no write secret (issue 5) yet")
		}
		t.Fatalf("init with the write secret: %v", r.err)
	}
	want, _ := sampleCounts(t)
	r := e.mustRun(append(importArgs, sampleDir)...)
	if tot := r.sum.Total(); tot.Inserted != total(want) || tot.Rejected != 0 {
		t.Errorf("import with the write secret: %+v\n%s", tot, r.stdout)
	}
	r = e.mustRun(append(importArgs, sampleDir)...)
	if tot := r.sum.Total(); tot.Inserted != 0 || tot.Unchanged != total(want) {
		t.Errorf("second import: %+v", tot)
	}
	if r := e.run("status"); r.err == nil || !strings.Contains(r.err.Error(), "read scope") {
		t.Errorf("status with the write secret: %v", r.err)
	}
	link := strings.TrimSpace(e.mustRun("open", "--print-url-only").stdout)

	// Read back with the admin secret.
	admin, err := os.ReadFile(filepath.Join(data, "admin.secret"))
	if err != nil {
		t.Fatal(err)
	}
	e.token = strings.TrimSpace(string(admin))
	space := checkOpenURL(t, e, link)
	ctx := context.Background()
	cl := e.client()
	checkRecords(t, ctx, cl, space, want)
	checkSearch(t, ctx, cl, space)
	checkBlobs(t, ctx, cl, space)
	stop()
	scanStorage(t, data, 6)
}
