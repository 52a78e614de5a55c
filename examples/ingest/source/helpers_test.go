package source

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/api"
)

// sampleDir holds the sample data of the end-to-end tests.
var sampleDir = filepath.Join("..", "testdata", "sample")

const sampleChat = "WhatsApp Chat with Lighthouse Hikers.txt"

// schemaDir holds the shipped schemas; tests read them as files, so that
// this package does not depend on the crypto core.
var schemaDir = filepath.Join("..", "..", "..", "wasm", "schemas")

func loadSchema(t testing.TB, collection string) api.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(schemaDir, collection+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var s api.Schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Collection != collection {
		t.Fatalf("schema file %s names collection %q", collection, s.Collection)
	}
	return s
}

func schemaOf(t testing.TB) func(string) (api.Schema, bool) {
	return func(c string) (api.Schema, bool) {
		if _, err := os.Stat(filepath.Join(schemaDir, c+".json")); err != nil {
			return api.Schema{}, false
		}
		return loadSchema(t, c), true
	}
}

// result is what a reader sent to its sink.
type result struct {
	recs    []Record
	rejects []*ItemError
}

func (r *result) sink() Sink {
	return Sink{
		Record: func(rec Record) error { r.recs = append(r.recs, rec); return nil },
		Reject: func(e *ItemError) error { r.rejects = append(r.rejects, e); return nil },
	}
}

// rejected returns the rejections that are not skips.
func (r *result) rejected() []*ItemError {
	var out []*ItemError
	for _, e := range r.rejects {
		if !errors.Is(e, ErrSkipped) {
			out = append(out, e)
		}
	}
	return out
}

func readWA(t testing.TB, input string, opts Options) *result {
	t.Helper()
	var r result
	if opts.ChatName == "" {
		opts.ChatName = "Test chat"
	}
	if err := ReadWhatsApp(strings.NewReader(input), "chat.txt", opts, r.sink()); err != nil {
		t.Fatal(err)
	}
	return &r
}

func readSample(t testing.TB, name string, opts Options) *result {
	t.Helper()
	var r result
	if opts.Me == "" {
		opts.Me = "Alice Zephyrine"
	}
	if err := ReadPath(filepath.Join(sampleDir, name), opts, schemaOf(t), r.sink()); err != nil {
		t.Fatal(err)
	}
	return &r
}

// sampleInputs are the sample files and folders, one per collection.
var sampleInputs = []string{sampleChat, "contacts.vcf", "imessages.ndjson", "imessage_attachments.json", "locations.ndjson", "screenshots"}
