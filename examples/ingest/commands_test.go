package main

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

func TestCheckPassphrase(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"correct horse battery staple", true},
		{testPassphrase, true},
		{"Tr0ub4dor&3xyz!", true},
		{"k7#q", false},
		{"hunter2hunter2", false},
		{"aaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"abcdefghijklmnopqrstuvwx", false},
		{"123456789012", false},
		{"abababababababab", false},
		{"password1234", false},
	} {
		err := checkPassphrase(tc.p)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok %v", tc.p, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), tc.p) {
			t.Errorf("%q: the message repeats the passphrase", tc.p)
		}
	}
}

func TestHelp(t *testing.T) {
	e := &testEnv{t: t, env: map[string]string{}}
	for _, cmd := range []string{"init", "import", "migrate", "open", "status"} {
		a, out, errb := e.newApp()
		if err := a.run(t.Context(), []string{cmd, "--help"}); err != nil {
			t.Errorf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(errb.String(), "usage: zkvault-ingest "+cmd) || !strings.Contains(errb.String(), "--server [ZKVAULT_SERVER]") {
			t.Errorf("%s --help:\n%s%s", cmd, out, errb)
		}
	}
	a, _, errb := e.newApp()
	if err := a.run(t.Context(), []string{"frobnicate"}); !errors.Is(err, errUsage) || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: %v %s", err, errb)
	}
	a, _, _ = e.newApp()
	if err := a.run(t.Context(), []string{"import", "--region", "usa", "x"}); err == nil {
		t.Error("--region usa accepted")
	}
}

func TestInitRefusals(t *testing.T) {
	e := newTestEnv(t)
	weak := filepath.Join(t.TempDir(), "weak")
	os.WriteFile(weak, []byte("hunter2hunter2\n"), 0o600)
	if r := e.run("init", "--passphrase-file", weak); r.err == nil || !strings.Contains(r.err.Error(), "passphrase too") {
		t.Errorf("weak passphrase: %v", r.err)
	}
	e.env["ZKVAULT_TOKEN"] = "zka_not-the-secret-0000000000000000000000000"
	if r := e.run("init"); r.err == nil || !strings.Contains(r.err.Error(), "401") || strings.Contains(r.err.Error(), "zka_not") {
		t.Errorf("wrong credential: %v", r.err)
	}
	delete(e.env, "ZKVAULT_TOKEN")
	if r := e.run("init"); r.err == nil || !strings.Contains(r.err.Error(), "no credential") {
		t.Errorf("no credential: %v", r.err)
	}
}

func TestOpenWrongPassphrase(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("init")
	other := filepath.Join(t.TempDir(), "other")
	os.WriteFile(other, []byte("a different but strong passphrase\n"), 0o600)
	r := e.run("open", "--passphrase-file", other)
	if r.err == nil || !strings.Contains(r.err.Error(), "wrong passphrase") || r.stdout != "" {
		t.Errorf("open with a wrong passphrase: %v, %q", r.err, r.stdout)
	}
	e.env["ZKVAULT_VAULT"] = "no-such-vault"
	if r := e.run("open"); r.err == nil || !strings.Contains(r.err.Error(), "run init") {
		t.Errorf("open a missing vault: %v", r.err)
	}
}

// TestRejects: items that do not fit are counted with file and line and
// a reason that shows no value; the good ones are imported.
func TestRejects(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("init")
	dir := t.TempDir()
	in := filepath.Join(dir, "locations.ndjson")
	os.WriteFile(in, []byte(`{"timestamp":1710601200000,"latitude":37.5,"longitude":-122.4}
{"timestamp":1710601260000,"latitude":"secret-sauce-4711","longitude":-122.4}
{"timestamp":1710601320000,"latitude":37.6,"longitude":-122.5,"colour":"mauve-secret-99"}
not json at all
{"timestamp":1710601380000,"latitude":37.7,"longitude":-122.6}
`), 0o600)
	r := e.mustRun("import", "--quiet", in)
	tot := r.sum.Total()
	if tot.Inserted != 2 || tot.Rejected != 3 {
		t.Errorf("%+v, want 2 inserted, 3 rejected\n%s", tot, r.stdout)
	}
	for _, want := range []string{"locations.ndjson:2:", "locations.ndjson:3:", "locations.ndjson:4:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{"secret-sauce-4711", "mauve-secret-99"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("summary shows the value %q:\n%s", secret, r.stdout)
		}
	}
}

// TestDashboardURL: an id with characters a fragment parser could change
// survives, and the key is only in the fragment.
func TestDashboardURL(t *testing.T) {
	ctx := t.Context()
	space, err := zkvault.NewSpace(ctx, prim.Native(), "me@home+1=a:b")
	if err != nil {
		t.Fatal(err)
	}
	link, err := dashboardURL(ctx, "https://vault.example/prefix", space)
	if err != nil {
		t.Fatal(err)
	}
	before, frag, _ := strings.Cut(link, "#")
	if before != "https://vault.example/prefix/" {
		t.Errorf("%q", link)
	}
	q, _ := url.ParseQuery(frag)
	got, err := zkvault.OpenHandover(ctx, prim.Native(), q.Get("space"), q.Get("key"))
	if err != nil || got.ID() != space.ID() {
		t.Errorf("%q: %v", link, err)
	}
}
