package source

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readJSON(t testing.TB, collection, name, in string) *result {
	t.Helper()
	var r result
	if err := ReadJSON(strings.NewReader(in), name, loadSchema(t, collection), Options{}, r.sink()); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestNDJSONBadLines(t *testing.T) {
	in := `{"timestamp": 1710601200000, "latitude": 47.1, "longitude": 8.5, "accuracy": 5}
{"timestamp": 1710601260000, "latitude": 47.2,
{"timestamp": "2024-03-16T15:02:00Z", "latitude": 47.3, "longitude": 8.5, "altitude": 400}

{"timestamp": "yesterday", "latitude": 47.4, "longitude": 8.5}
{"timestamp": 1710601440000, "latitude": "47.5", "longitude": 8.5}
[1, 2]
{"timestamp": 1710601500.5, "latitude": 47.6, "longitude": 8.5}
{"timestamp": "2024-03-16T16:05:00+01:00", "latitude": 47.7, "longitude": 8.5, "accuracy": 12.5}
`
	r := readJSON(t, Locations, "locations.ndjson", in)
	if len(r.recs) != 2 {
		t.Fatalf("%d records, want 2", len(r.recs))
	}
	want := map[string]any{"timestamp": int64(1710601500000), "latitude": 47.7, "longitude": 8.5, "accuracy": 12.5}
	if got := r.recs[1].Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	var lines []int
	for _, e := range r.rejects {
		lines = append(lines, e.Line)
		if e.File != "locations.ndjson" {
			t.Errorf("file %q", e.File)
		}
	}
	if !reflect.DeepEqual(lines, []int{2, 3, 5, 6, 7, 8}) {
		t.Errorf("rejected lines %v, want [2 3 5 6 7 8]: %v", lines, r.rejects)
	}
	if msg := r.rejects[1].Error(); !strings.Contains(msg, `unknown field "altitude"`) || !strings.HasPrefix(msg, "locations.ndjson:3: ") {
		t.Errorf("message %q", msg)
	}
}

func TestJSONArray(t *testing.T) {
	in := "[\n" +
		`  {"id": "a1", "text": "one", "date": "2024-03-10T18:04:11Z", "isFromMe": true},` + "\n" +
		`  {"id": 2, "text": "two", "date": 1710094020000, "unknown": 1},` + "\n" +
		`  {` + "\n" + `    "text": "three", "isRead": "yes"` + "\n" + `  },` + "\n" +
		`  {"text": "four", "service": "SMS"}` + "\n" +
		"]\n"
	r := readJSON(t, IMessages, "imessages.json", in)
	if len(r.recs) != 2 || r.recs[0].Fields["text"] != "one" || r.recs[1].Fields["service"] != "SMS" {
		t.Fatalf("records %v", r.recs)
	}
	if r.recs[0].Fields["date"] != int64(1710093851000) || r.recs[0].Fields["isFromMe"] != true {
		t.Errorf("fields %v", r.recs[0].Fields)
	}
	if len(r.rejects) != 2 || r.rejects[0].Line != 3 || r.rejects[1].Line != 4 {
		t.Errorf("rejects %v, want lines 3 and 4", r.rejects)
	}

	// A syntax error ends the array and is reported.
	r = readJSON(t, IMessages, "imessages.json", "[\n{\"text\": \"ok\"},\n{\"text\": \"x\" \"y\"},\n{\"text\": \"never\"}]")
	if len(r.recs) != 1 || len(r.rejects) != 1 || r.rejects[0].Line != 3 {
		t.Errorf("records %v, rejects %v", r.recs, r.rejects)
	}
	// Empty input, and an empty array.
	for _, in := range []string{"", " \n", "[]", "\ufeff[ ]"} {
		r = readJSON(t, IMessages, "x.json", in)
		if len(r.recs)+len(r.rejects) != 0 {
			t.Errorf("%q: %v %v", in, r.recs, r.rejects)
		}
	}
}

func TestJSONBlobs(t *testing.T) {
	r := readSample(t, "imessage_attachments.json", Options{})
	if len(r.recs) != 2 || len(r.rejects) != 0 {
		t.Fatalf("%d records, rejects %v", len(r.recs), r.rejects)
	}
	pdf := r.recs[0]
	if pdf.Blob == nil || pdf.Fields["file"] != pdf.Blob.ID || pdf.Fields["filename"] != "boarding-pass-ferry-lighthouse.pdf" ||
		pdf.Fields["mimeType"] != "application/pdf" || pdf.Fields["fileSize"] != pdf.Blob.Size {
		t.Errorf("pdf %v %+v", pdf.Fields, pdf.Blob)
	}
	msgs := readSample(t, "imessages.ndjson", Options{})
	if pdf.Fields["messageId"] != msgs.recs[2].ID {
		t.Errorf("attachment's messageId %v, want the record id of im-1003 %v", pdf.Fields["messageId"], msgs.recs[2].ID)
	}
	txt := r.recs[1]
	if txt.Fields["filename"] != "packing-list.txt" || txt.Fields["mimeType"] != "text/plain" || txt.Fields["fileSize"] != int64(47) {
		t.Errorf("defaults %v", txt.Fields)
	}
	b, err := os.ReadFile(txt.Blob.Path)
	if err != nil || len(b) != 47 {
		t.Errorf("blob path %s: %d bytes, %v", txt.Blob.Path, len(b), err)
	}

	var r2 result
	dir := t.TempDir()
	if err := ReadJSON(strings.NewReader(`{"file": "missing.pdf"}`+"\n"+`{"file": 3}`+"\n"), filepath.Join(dir, "a.ndjson"), loadSchema(t, IMessageAttachments), Options{}, r2.sink()); err != nil {
		t.Fatal(err)
	}
	if len(r2.recs) != 0 || len(r2.rejects) != 2 || !errors.Is(r2.rejects[0], os.ErrNotExist) {
		t.Errorf("rejects %v", r2.rejects)
	}
}

func TestCollectionFromName(t *testing.T) {
	for name, want := range map[string]string{
		"whatsapp_messages.ndjson":       WhatsAppMessages,
		"/a/b/imessage_attachments.json": IMessageAttachments,
		"imessages.jsonl":                IMessages,
		"locations-2024.json":            Locations,
		"Contacts.json":                  Contacts,
		"imessagesx.json":                "",
		"export.json":                    "",
	} {
		if got := CollectionFromName(name); got != want {
			t.Errorf("CollectionFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSinkStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	sink := Sink{Record: func(Record) error { n++; return stop }}
	err := ReadPath(filepath.Join(sampleDir, "locations.ndjson"), Options{}, schemaOf(t), sink)
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d records", err, n)
	}
	n = 0
	err = ReadPath(filepath.Join(sampleDir, sampleChat), Options{}, nil, sink)
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("whatsapp: err %v after %d records", err, n)
	}
}

func FuzzJSON(f *testing.F) {
	n := 0
	for _, name := range []string{"imessages.ndjson", "locations.ndjson", "imessage_attachments.json"} {
		b, err := os.ReadFile(filepath.Join(sampleDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
		n++
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	f.Add("[{\"date\": 1e400}, {\"text\": [\"a\"]}]")
	schema := loadSchema(f, IMessages)
	f.Fuzz(func(t *testing.T, in string) {
		var r result
		_ = ReadJSON(strings.NewReader(in), "fuzz.json", schema, Options{}, r.sink())
		for _, rec := range r.recs {
			if _, err := json.Marshal(rec.Fields); err != nil {
				t.Fatal(err)
			}
		}
	})
}
