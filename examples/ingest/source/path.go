package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zkvault/zkvault/api"
)

// Kinds of input ReadPath recognises.
const (
	KindScreenshots = "screenshots" // a folder of images
	KindVCard       = "vcard"       // .vcf, .vcard
	KindWhatsApp    = "whatsapp"    // .txt: a WhatsApp chat export
	KindJSON        = "json"        // .json, .ndjson, .jsonl
)

// KindOf returns the kind of input at path, by its type and extension.
func KindOf(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if info.IsDir() {
		return KindScreenshots, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".vcf", ".vcard":
		return KindVCard, nil
	case ".txt":
		return KindWhatsApp, nil
	case ".json", ".ndjson", ".jsonl":
		return KindJSON, nil
	}
	return "", fmt.Errorf("%s: unknown kind of file (want a folder of screenshots, .vcf, WhatsApp .txt, .json, .ndjson or .jsonl)", path)
}

// ReadPath reads the input at path with the reader its kind calls for. A
// JSON or NDJSON file's collection is opts.Collection, or inferred from
// its name, and its schema comes from schemaOf (the command passes the
// shipped schemas: zkvault.Schema).
func ReadPath(path string, opts Options, schemaOf func(collection string) (api.Schema, bool), sink Sink) error {
	kind, err := KindOf(path)
	if err != nil {
		return err
	}
	switch kind {
	case KindScreenshots:
		return ReadScreenshots(path, opts, sink)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	switch kind {
	case KindVCard:
		return ReadVCard(f, path, opts, sink)
	case KindWhatsApp:
		return ReadWhatsApp(f, path, opts, sink)
	}
	coll := opts.Collection
	if coll == "" {
		coll = CollectionFromName(path)
	}
	if coll == "" {
		return fmt.Errorf("%s: cannot tell the collection from the file name: give it (one of %s)", path, strings.Join(Collections, ", "))
	}
	if schemaOf == nil {
		return fmt.Errorf("%s: no schemas", path)
	}
	schema, ok := schemaOf(coll)
	if !ok {
		return fmt.Errorf("%s: unknown collection %q", path, coll)
	}
	return ReadJSON(f, path, schema, opts, sink)
}
