package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/api"
)

// readAllSamples reads every sample input.
func readAllSamples(t *testing.T, opts Options) []Record {
	t.Helper()
	var all []Record
	for _, in := range sampleInputs {
		r := readSample(t, in, opts)
		if len(r.rejected()) != 0 {
			t.Fatalf("%s: rejected %v", in, r.rejected())
		}
		if len(r.recs) == 0 {
			t.Fatalf("%s: no records", in)
		}
		all = append(all, r.recs...)
	}
	return all
}

func TestIDsStable(t *testing.T) {
	a := readAllSamples(t, Options{})
	b := readAllSamples(t, Options{})
	keyed := readAllSamples(t, Options{IDKey: []byte("k")})
	if len(a) != len(b) || len(a) != len(keyed) {
		t.Fatalf("%d, %d, %d records", len(a), len(b), len(keyed))
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("%s record %d: id %s then %s", a[i].Collection, i, a[i].ID, b[i].ID)
		}
		if a[i].ID == keyed[i].ID {
			t.Errorf("%s record %d: IDKey does not change the id", a[i].Collection, i)
		}
		if !api.ValidID(a[i].ID) {
			t.Errorf("invalid id %q", a[i].ID)
		}
		k := a[i].Collection + "/" + a[i].ID
		if seen[k] {
			t.Errorf("duplicate id %s", k)
		}
		seen[k] = true
		if a[i].Blob != nil && (!api.ValidID(a[i].Blob.ID) || a[i].Blob.ID != b[i].Blob.ID) {
			t.Errorf("blob id %q / %q", a[i].Blob.ID, b[i].Blob.ID)
		}
	}
}

// TestSchemaAlignment checks every sample record against the shipped
// schema of its collection: field names, types, and the blob field.
func TestSchemaAlignment(t *testing.T) {
	for _, rec := range readAllSamples(t, Options{}) {
		s := loadSchema(t, rec.Collection)
		for name, v := range rec.Fields {
			f, ok := s.Fields[name]
			if !ok {
				t.Errorf("%s: field %q is not in the schema", rec.Collection, name)
				continue
			}
			if err := checkType(f, v); err != nil {
				t.Errorf("%s.%s: %v", rec.Collection, name, err)
			}
			if f.Blob != (rec.Blob != nil && rec.Blob.Field == name) {
				t.Errorf("%s.%s: blob field and BlobRef disagree", rec.Collection, name)
			}
			if !f.Encrypted {
				if b, _ := json.Marshal(v); f.Filter && len(b) > api.MaxFilterValueLen {
					t.Errorf("%s.%s: filter value too long", rec.Collection, name)
				}
			}
		}
	}
	// Every field a reader writes exists (a schema rename shows here).
	for coll, names := range map[string][]string{
		WhatsAppMessages: {waText, waChatName, waSenderName, waSenderPhone, waSenderJid, waChatID, waMessageID, waTimestamp, waIsFromMe, waIsGroupChat},
		Contacts:         {ctFirstName, ctLastName, ctOrganization, ctEmails, ctPhoneNumbers, ctContactID},
		Screenshots:      {ssImage, ssWidth, ssHeight, ssFileSize, ssTakenAt},
	} {
		s := loadSchema(t, coll)
		for _, n := range names {
			if _, ok := s.Fields[n]; !ok {
				t.Errorf("%s: the reader writes %q, not in the schema", coll, n)
			}
		}
	}
}

func checkType(f api.Field, v any) error {
	if f.Multi {
		ss, ok := v.([]string)
		if !ok || f.Type != api.TypeString {
			return fmt.Errorf("multi %s holds %T", f.Type, v)
		}
		_ = ss
		return nil
	}
	ok := false
	switch f.Type {
	case api.TypeString:
		_, ok = v.(string)
	case api.TypeBool:
		_, ok = v.(bool)
	case api.TypeTime:
		_, ok = v.(int64)
	case api.TypeNumber:
		switch v.(type) {
		case int64, float64:
			ok = true
		}
	case api.TypeJSON:
		ok = true
	}
	if !ok {
		return fmt.Errorf("%s holds %T", f.Type, v)
	}
	return nil
}

// TestPlaintexts checks the sentinel list of the end-to-end test: every
// string of PLAINTEXTS.txt is in an encrypted field or a blob of the
// sample records, and in no plaintext field. The end-to-end test then
// looks for each in the server's storage and must find none.
func TestPlaintexts(t *testing.T) {
	sentinels := readLines(t, filepath.Join(sampleDir, "PLAINTEXTS.txt"))
	if len(sentinels) < 20 {
		t.Fatalf("%d sentinels", len(sentinels))
	}
	var secret, plain bytes.Buffer
	for _, rec := range readAllSamples(t, Options{Me: "Alice Zephyrine"}) {
		s := loadSchema(t, rec.Collection)
		for name, v := range rec.Fields {
			b, _ := json.Marshal(v)
			if s.Fields[name].Encrypted {
				fmt.Fprintf(&secret, "%s %v\n", b, v)
			} else {
				fmt.Fprintf(&plain, "%s %v\n", b, v)
			}
		}
		if rec.Blob != nil {
			b, err := os.ReadFile(rec.Blob.Path)
			if err != nil {
				t.Fatal(err)
			}
			secret.Write(b)
		}
	}
	for _, s := range sentinels {
		if !strings.Contains(secret.String(), s) {
			t.Errorf("sentinel %q is in no encrypted field or blob", s)
		}
		if strings.Contains(plain.String(), s) {
			t.Errorf("sentinel %q is in a plaintext field", s)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadPathKinds(t *testing.T) {
	var r result
	if err := ReadPath(filepath.Join(sampleDir, "PLAINTEXTS.txt"), Options{}, nil, r.sink()); err == nil {
		t.Error("no error for a .txt file that is not a chat export")
	}
	if _, err := KindOf(filepath.Join(sampleDir, "attachments", "boarding-pass.pdf")); err == nil {
		t.Error("KindOf(.pdf) has no error")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "export.json")
	if err := os.WriteFile(p, []byte("[]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ReadPath(p, Options{}, schemaOf(t), r.sink()); err == nil {
		t.Error("no error for a JSON file of unknown collection")
	}
	if err := ReadPath(p, Options{Collection: Locations}, schemaOf(t), r.sink()); err != nil {
		t.Errorf("with Collection: %v", err)
	}
}
