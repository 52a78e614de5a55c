package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkvault/zkvault/examples/ingest/internal/client"
	"github.com/zkvault/zkvault/examples/ingest/source"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

// importArgs import the whole sample folder as the end-to-end test does.
var importArgs = []string{"import", "--region", "US", "--me", "Alice Zephyrine", "--tz", "UTC", "--quiet"}

// sampleCounts reads the sample with the source readers: records per
// collection, and skipped items.
func sampleCounts(t *testing.T) (map[string]int, int) {
	t.Helper()
	ins, _, err := inputsOf(sampleDir, "")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	skipped := 0
	for _, in := range ins {
		opts := source.Options{Me: "Alice Zephyrine", Location: time.UTC}
		if in.kind == source.KindJSON {
			opts.Collection = in.coll
		}
		err := source.ReadPath(in.path, opts, schemaOf, source.Sink{
			Record: func(r source.Record) error { counts[r.Collection]++; return nil },
			Reject: func(e *source.ItemError) error {
				if !errors.Is(e, source.ErrSkipped) {
					t.Errorf("sample rejected: %v", e)
				}
				skipped++
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return counts, skipped
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestEndToEnd(t *testing.T) {
	e := newTestEnv(t)
	want, wantSkipped := sampleCounts(t)
	if len(want) != 6 {
		t.Fatalf("sample fills %d collections, want 6: %v", len(want), want)
	}
	// The sample as documented: 29 messages, 5 contacts, 20 locations,
	// 3 screenshots, 2 attachments, 2 system notices skipped.
	for c, n := range map[string]int{"whatsapp_messages": 29, "contacts": 5, "locations": 20, "screenshots": 3, "imessage_attachments": 2} {
		if want[c] != n {
			t.Errorf("sample %s: %d records, want %d", c, want[c], n)
		}
	}

	start := time.Now()
	e.mustRun("init")
	t.Logf("init: %v", time.Since(start))
	if r := e.run("init"); r.err == nil || !strings.Contains(r.err.Error(), "exists") {
		t.Fatalf("second init: %v", r.err)
	}

	// First import: everything inserted.
	start = time.Now()
	var outputs []string
	r := e.mustRun(append(importArgs, "--batch-size", "7", sampleDir)...)
	outputs = append(outputs, r.stdout, r.stderr)
	t.Logf("first import: %v\n%s", time.Since(start), r.stdout)
	tot := r.sum.Total()
	if tot.Inserted != total(want) || tot.Updated != 0 || tot.Unchanged != 0 || tot.Rejected != 0 || tot.Skipped != wantSkipped {
		t.Errorf("first import: %+v, want %d inserted, %d skipped", tot, total(want), wantSkipped)
	}
	for c, n := range want {
		if got := r.sum.Collections[c]; got == nil || got.Inserted != n {
			t.Errorf("%s: %+v, want %d inserted", c, got, n)
		}
	}
	if r.sum.BlobsUploaded != 5 {
		t.Errorf("%d blobs uploaded, want 5", r.sum.BlobsUploaded)
	}
	if !strings.Contains(r.stdout, "PLAINTEXTS.txt: not read") {
		t.Errorf("summary does not note the file left alone:\n%s", r.stdout)
	}

	// Second import: nothing new.
	start = time.Now()
	r = e.mustRun(append(slices.Clone(importArgs[:len(importArgs)-1]), sampleDir)...) // with progress
	outputs = append(outputs, r.stdout, r.stderr)
	t.Logf("second import: %v", time.Since(start))
	tot = r.sum.Total()
	if tot.Inserted != 0 || tot.Updated != 0 || tot.Unchanged != total(want) || r.sum.Batches != 0 || r.sum.BlobsUploaded != 0 {
		t.Errorf("second import: %+v, %d batches, %d blobs; want all %d unchanged", tot, r.sum.Batches, r.sum.BlobsUploaded, total(want))
	}

	// status counts what the server holds.
	r = e.mustRun("status")
	outputs = append(outputs, r.stdout, r.stderr)
	for c, n := range want {
		if !regexpLine(r.stdout, c, n) {
			t.Errorf("status: no line %s %d:\n%s", c, n, r.stdout)
		}
	}

	// open: the key only in the fragment; the fragment unlocks the vault.
	r = e.mustRun("open", "--print-url-only")
	if r.stderr != "" {
		t.Errorf("--print-url-only wrote to stderr: %q", r.stderr)
	}
	link := strings.TrimSpace(r.stdout)
	space := checkOpenURL(t, e, link)

	cl := e.client()
	ctx := context.Background()
	checkRecords(t, ctx, cl, space, want)
	checkSearch(t, ctx, cl, space)
	checkBlobs(t, ctx, cl, space)

	// Nothing of the sample reaches the server's storage in clear.
	e.close()
	scanStorage(t, e.dataDir, 6)

	// The local state holds no plaintext either, and is private.
	scanStorage(t, e.stateDir, 1)
	ents, _ := os.ReadDir(e.stateDir)
	for _, d := range ents {
		if info, _ := d.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", d.Name(), info.Mode())
		}
	}
	// Nothing printed shows the passphrase or the key, except open's
	// address.
	key := link[strings.Index(link, "key=")+4:]
	for _, out := range outputs {
		if strings.Contains(out, testPassphrase) || strings.Contains(out, key) {
			t.Errorf("output shows a secret:\n%s", out)
		}
	}
}

func regexpLine(out, coll string, n int) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == coll && f[1] == strconv.Itoa(n) {
			return true
		}
	}
	return false
}

// checkOpenURL checks the dashboard address and returns the space its
// fragment unlocks.
func checkOpenURL(t *testing.T, e *testEnv, link string) *zkvault.Space {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	before, frag, ok := strings.Cut(link, "#")
	if !ok || !strings.HasPrefix(before, e.url) || u.RawQuery != "" || strings.Contains(before, "key") {
		t.Fatalf("open: %q: want %s/#space=…&key=… with nothing but the fragment after the host", link, e.url)
	}
	q, err := url.ParseQuery(frag)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("space") != "vault-test" || q.Get("key") == "" || len(q) != 2 {
		t.Fatalf("open: fragment %q", frag)
	}
	space, err := zkvault.OpenHandover(context.Background(), prim.Native(), q.Get("space"), q.Get("key"))
	if err != nil {
		t.Fatalf("OpenHandover: %v", err)
	}
	return space
}

// checkRecords opens every record with the handed-over space and compares
// it with what the source readers make of the sample.
func checkRecords(t *testing.T, ctx context.Context, cl *client.Client, space *zkvault.Space, want map[string]int) {
	t.Helper()
	idKey, err := space.IDKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain := map[string]map[string]any{} // collection/id → fields
	ins, _, _ := inputsOf(sampleDir, "")
	for _, in := range ins {
		opts := source.Options{IDKey: idKey, Me: "Alice Zephyrine", Location: time.UTC}
		if in.kind == source.KindJSON {
			opts.Collection = in.coll
		}
		source.ReadPath(in.path, opts, schemaOf, source.Sink{Record: func(r source.Record) error {
			plain[r.Collection+"/"+r.ID] = r.Fields
			return nil
		}})
	}
	for coll, n := range want {
		sc, _ := zkvault.Schema(coll)
		page, err := cl.Records(ctx, "vault-test", coll, client.Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != n {
			t.Errorf("%s: %d records on the server, want %d", coll, len(page.Records), n)
		}
		for _, rec := range page.Records {
			op, err := space.OpenRecord(ctx, sc, rec)
			if err != nil || len(op.Errors) != 0 {
				t.Fatalf("%s/%s: %v %v", coll, rec.ID, err, op.Errors)
			}
			p, ok := plain[coll+"/"+rec.ID]
			if !ok {
				t.Errorf("%s/%s: not a record of the sample", coll, rec.ID)
				continue
			}
			if !sameFields(p, op.Fields) {
				t.Errorf("%s/%s: opened %v, want %v", coll, rec.ID, op.Fields, p)
			}
		}
	}
}

// sameFields compares plain reader values with opened JSON values.
func sameFields(plain map[string]any, opened map[string]any) bool {
	norm := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			switch v := v.(type) {
			case int64:
				out[k] = float64(v)
			case []string:
				a := make([]any, len(v))
				for i, s := range v {
					a[i] = s
				}
				out[k] = a
			default:
				out[k] = v
			}
		}
		return out
	}
	return reflect.DeepEqual(norm(plain), norm(opened))
}

// checkSearch finds the phone number written two ways through the blind
// indexes, as the dashboard will.
func checkSearch(t *testing.T, ctx context.Context, cl *client.Client, space *zkvault.Space) {
	t.Helper()
	for _, tc := range []struct {
		coll, index, query string
		min                int
	}{
		{"whatsapp_messages", "senderPhoneNumber", "+1 (415) 555-0100", 1},
		{"whatsapp_messages", "senderPhoneNumber", "4155550100", 1},
		{"contacts", "phoneNumbers", "+1 (415) 555-0100", 1},
		{"contacts", "phoneNumbers", "4155550100", 1},
		{"imessages", "contactPhone", "(415) 555-0100", 1},
	} {
		sc, _ := zkvault.Schema(tc.coll)
		opts := zkvault.RecordOptions{Region: "US"}
		vals, err := space.IndexValues(ctx, sc, tc.index, []string{tc.query}, opts)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, v := range vals {
			page, err := cl.Records(ctx, "vault-test", tc.coll, client.Query{Index: tc.index, Value: v, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range page.Records {
				op, err := space.OpenRecord(ctx, sc, rec)
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := zkvault.Matches(sc, tc.index, op, []string{tc.query}, opts); ok {
					found++
				}
			}
		}
		if found < tc.min {
			t.Errorf("search %s.%s for %q: %d records, want at least %d", tc.coll, tc.index, tc.query, found, tc.min)
		} else {
			t.Logf("search %s.%s for %q: %d records", tc.coll, tc.index, tc.query, found)
		}
	}
}

// checkBlobs downloads every screenshot and attachment and compares it with
// its file.
func checkBlobs(t *testing.T, ctx context.Context, cl *client.Client, space *zkvault.Space) {
	t.Helper()
	files := map[string]bool{} // sha256 of sample files
	filepath.WalkDir(sampleDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			files[string(b)] = true
		}
		return nil
	})
	n := 0
	for coll, field := range map[string]string{"screenshots": "image", "imessage_attachments": "file"} {
		sc, _ := zkvault.Schema(coll)
		page, err := cl.Records(ctx, "vault-test", coll, client.Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range page.Records {
			op, _ := space.OpenRecord(ctx, sc, rec)
			id, _ := op.Fields[field].(string)
			enc, err := cl.Blob(ctx, "vault-test", id, 1<<30)
			if err != nil {
				t.Fatalf("%s/%s blob %s: %v", coll, rec.ID, id, err)
			}
			pr, err := space.DecryptBlob(ctx, id, bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(pr)
			if err != nil {
				t.Fatal(err)
			}
			if !files[string(b)] {
				t.Errorf("%s/%s: blob is not a sample file", coll, rec.ID)
			}
			if coll == "screenshots" {
				if sz, _ := op.Fields["fileSize"].(float64); int(sz) != len(b) {
					t.Errorf("%s/%s: fileSize %v, blob %d bytes", coll, rec.ID, op.Fields["fileSize"], len(b))
				}
			}
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d blobs checked, want 5", n)
	}
}

// scanStorage looks for every line of PLAINTEXTS.txt in every file of the
// server's data folder (the bbolt database and the blobs).
func scanStorage(t *testing.T, dir string, minFiles int) {
	t.Helper()
	f, err := os.Open(filepath.Join(sampleDir, "PLAINTEXTS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var needles []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			needles = append(needles, l)
		}
	}
	if len(needles) < 30 {
		t.Fatalf("only %d plaintexts", len(needles))
	}
	files := 0
	var scanned int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files++
		scanned += int64(len(b))
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s holds sample plaintext %q", p, n)
			}
			// JSON escapes (non-ASCII as \u00fc) and lower case.
			if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(n))) {
				t.Errorf("%s holds sample plaintext %q (case folded)", p, n)
			}
		}
		return nil
	})
	if files < minFiles {
		t.Errorf("scanned only %d files", files)
	}
	t.Logf("scanned %d files, %d bytes, for %d plaintexts", files, scanned, len(needles))
}
