package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkvault/zkvault/examples/ingest/internal/client"
	"github.com/zkvault/zkvault/examples/ingest/source"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/legacy"
	"github.com/zkvault/zkvault/wasm/prim"
)

const legacyPassphrase = "old vault passphrase"

// legacyFixture writes the sample as the JSON export of a legacy vault
// (enc:v1 values, CTXE images, hex blind indexes) and returns its path and
// the plain records it holds, by collection and legacy id.
func legacyFixture(t *testing.T) (string, map[string]map[string]source.Record) {
	t.Helper()
	ctx := context.Background()
	keys, err := legacy.DeriveKeys(ctx, prim.Native(), legacyPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(s string) string {
		v, err := keys.EncryptString(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	index := func(n string) string {
		v, err := keys.Index(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	plain := map[string]map[string]source.Record{}
	export := map[string][]map[string]any{}
	ins, _, err := inputsOf(sampleDir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		opts := source.Options{Me: "Alice Zephyrine", Location: time.UTC}
		if in.kind == source.KindJSON {
			opts.Collection = in.coll
		}
		err := source.ReadPath(in.path, opts, schemaOf, source.Sink{Record: func(r source.Record) error {
			sc, _ := zkvault.Schema(r.Collection)
			row := map[string]any{"id": r.ID}
			for k, v := range r.Fields {
				f := sc.Fields[k]
				switch {
				case f.Blob:
					b, err := os.ReadFile(r.Blob.Path)
					if err != nil {
						t.Fatal(err)
					}
					if r.Collection == source.Screenshots {
						ct, err := keys.EncryptBinary(ctx, b)
						if err != nil {
							t.Fatal(err)
						}
						row[legacyImageColumn] = base64.StdEncoding.EncodeToString(ct)
					} else {
						ct, err := keys.EncryptBytes(ctx, b)
						if err != nil {
							t.Fatal(err)
						}
						row[legacyFileColumn] = ct
					}
				case !f.Encrypted:
					row[k] = v
				case f.Multi:
					j, _ := json.Marshal(v)
					row[k] = enc(string(j))
				case f.Type == "number":
					row[k] = enc(strconv.FormatFloat(toFloat(v), 'g', -1, 64))
				default:
					s := v.(string)
					if r.Collection == source.WhatsAppMessages && (k == "senderJid" || k == "chatId") {
						row[k] = s // plaintext in the legacy table
						continue
					}
					row[k] = enc(s)
					switch k {
					case "senderPhoneNumber":
						row[k+"Index"] = index(legacy.NormalizePhone(s))
					case "chatName", "senderName":
						row[k+"Index"] = index(legacy.NormalizeName(s))
					}
				}
			}
			if r.Collection == source.Screenshots {
				row["createdAt"] = row["takenAt"] // the legacy column name
				delete(row, "takenAt")
			}
			export[r.Collection] = append(export[r.Collection], row)
			if plain[r.Collection] == nil {
				plain[r.Collection] = map[string]source.Record{}
			}
			plain[r.Collection][r.ID] = r
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The collections are members of one object, beside members that
	// are not migrated.
	out := map[string]any{"version": 1, "write_logs": []any{}}
	for k, v := range export {
		out[k] = v
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "legacy-export.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, plain
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

func TestMigrate(t *testing.T) {
	e := newTestEnv(t)
	export, plain := legacyFixture(t)
	oldPass := filepath.Join(t.TempDir(), "old")
	os.WriteFile(oldPass, []byte(legacyPassphrase+"\n"), 0o600)
	e.env["ZKVAULT_LEGACY_PASSPHRASE_FILE"] = oldPass
	e.mustRun("init")

	start := time.Now()
	r := e.mustRun("migrate", "--region", "US", "--quiet", export)
	t.Logf("migrate: %v\n%s", time.Since(start), r.stdout)
	n := 0
	for _, m := range plain {
		n += len(m)
	}
	tot := r.sum.Total()
	if tot.Inserted != n || tot.Rejected != 0 {
		t.Errorf("migrate: %+v, want %d inserted", tot, n)
	}
	if strings.Contains(r.stdout, "did not match") {
		t.Errorf("legacy indexes did not verify:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "write_logs") {
		t.Errorf("summary does not name the member left out:\n%s", r.stdout)
	}

	// Again: nothing new.
	r = e.mustRun("migrate", "--quiet", "--region", "US", export)
	if tot := r.sum.Total(); tot.Inserted != 0 || tot.Unchanged != n {
		t.Errorf("second migrate: %+v, want %d unchanged", tot, n)
	}

	// Every record opens with the vault's key and holds the legacy
	// plaintext.
	link := strings.TrimSpace(e.mustRun("open", "--print-url-only").stdout)
	space := checkOpenURL(t, e, link)
	ctx := context.Background()
	cl := e.client()
	imessageIDs := map[string]bool{}
	legacyIDs := map[string]map[string]string{} // collection → new id → legacy id
	idKey, _ := space.IDKey(ctx)
	m := &migrator{idKey: idKey}
	for coll, rows := range plain {
		legacyIDs[coll] = map[string]string{}
		for id := range rows {
			legacyIDs[coll][m.deriveID(coll+".legacy", id)] = id
		}
	}
	for _, coll := range source.Collections {
		sc, _ := zkvault.Schema(coll)
		page, err := cl.Records(ctx, "vault-test", coll, client.Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != len(plain[coll]) {
			t.Errorf("%s: %d records, want %d", coll, len(page.Records), len(plain[coll]))
		}
		for _, rec := range page.Records {
			if coll == source.IMessages {
				imessageIDs[rec.ID] = true
			}
			op, err := space.OpenRecord(ctx, sc, rec)
			if err != nil || len(op.Errors) != 0 {
				t.Fatalf("%s/%s: %v %v", coll, rec.ID, err, op.Errors)
			}
			lid, ok := legacyIDs[coll][rec.ID]
			if !ok {
				t.Errorf("%s/%s: no legacy row has this id", coll, rec.ID)
				continue
			}
			want := map[string]any{}
			for k, v := range plain[coll][lid].Fields {
				if !sc.Fields[k].Blob && !(coll == source.IMessageAttachments && k == "messageId") {
					want[k] = v
				}
			}
			got := map[string]any{}
			for k, v := range op.Fields {
				if !sc.Fields[k].Blob && !(coll == source.IMessageAttachments && k == "messageId") {
					got[k] = v
				}
			}
			if !sameFields(want, got) {
				t.Errorf("%s/%s: opened\n%v\nwant\n%v", coll, rec.ID, got, want)
			}
		}
	}
	// Attachments point at their messages' new ids.
	page, _ := cl.Records(ctx, "vault-test", source.IMessageAttachments, client.Query{})
	sc, _ := zkvault.Schema(source.IMessageAttachments)
	for _, rec := range page.Records {
		op, _ := space.OpenRecord(ctx, sc, rec)
		if mid, _ := op.Fields["messageId"].(string); !imessageIDs[mid] {
			t.Errorf("attachment %s: messageId %q is no migrated message", rec.ID, mid)
		}
	}
	checkSearch(t, ctx, cl, space)
	checkBlobs(t, ctx, cl, space)
	e.close()
	scanStorage(t, e.dataDir, 6)
}

// TestMigrateWrongPassphrase: every encrypted row is rejected, nothing is
// stored in clear, and the command fails.
func TestMigrateWrongPassphrase(t *testing.T) {
	e := newTestEnv(t)
	export, _ := legacyFixture(t)
	oldPass := filepath.Join(t.TempDir(), "old")
	os.WriteFile(oldPass, []byte("not the old passphrase\n"), 0o600)
	e.env["ZKVAULT_LEGACY_PASSPHRASE_FILE"] = oldPass
	e.mustRun("init")
	r := e.run("migrate", "--quiet", export)
	if r.err == nil || !strings.Contains(r.err.Error(), "did not decrypt") {
		t.Fatalf("migrate with a wrong passphrase: %v", r.err)
	}
	if tot := r.sum.Total(); tot.Inserted != 0 || tot.Rejected == 0 {
		t.Errorf("%+v", tot)
	}
	if strings.Contains(r.stdout, "enc:v1") {
		t.Errorf("summary shows values:\n%s", r.stdout)
	}
}
