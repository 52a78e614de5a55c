package zkvault

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/internal/tinyjson"
	"github.com/zkvault/zkvault/wasm/index"
)

// ValidateSchema checks a collection schema as a client must before it
// seals a record with it: the structural rules of api.ValidateSchema (names,
// known types, json fields encrypted, encrypted fields neither filter nor
// blob, only encrypted fields padded, blob fields single strings, index
// fields exist, known normaliser, TimeField a single plaintext time field),
// and the rules that make an index meaningful: every index field is a
// distinct encrypted string field (a plaintext field is filtered, not
// indexed), a compound index has no multi field, and the bits are valid for
// index.Compute (index.ValidBits).
func ValidateSchema(s api.Schema) error {
	if err := api.ValidateSchema(&s); err != nil {
		return &SchemaError{Collection: s.Collection, Reason: err.Error()}
	}
	for name, ix := range s.Indexes {
		bad := func(format string, args ...any) error {
			return &SchemaError{Collection: s.Collection, Field: name, Reason: fmt.Sprintf(format, args...)}
		}
		if len(ix.Fields) > index.MaxParts {
			return bad("index over %d fields, at most %d", len(ix.Fields), index.MaxParts)
		}
		for i, fn := range ix.Fields {
			f := s.Fields[fn]
			if slices.Contains(ix.Fields[:i], fn) {
				return bad("index field %q named twice", fn)
			}
			if f.Type != api.TypeString {
				return bad("index field %q is not a string", fn)
			}
			if !f.Encrypted {
				return bad("index field %q is plaintext (use filter)", fn)
			}
			if f.Multi && len(ix.Fields) > 1 {
				return bad("compound index over multi field %q", fn)
			}
		}
		if err := index.ValidBits(ix.Bits); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

//go:embed schemas/*.json
var schemaFS embed.FS

// Schemas returns the schemas zkvault ships, sorted by collection: the six
// collections of the personal vault (screenshots, imessages,
// imessage_attachments, contacts, locations, whatsapp_messages) and the
// follow-ups' messages. Each call returns fresh copies.
func Schemas() []api.Schema {
	entries, err := schemaFS.ReadDir("schemas") // sorted by name
	if err != nil {
		panic(err) // embedded at build time
	}
	var out []api.Schema
	for _, e := range entries {
		s, ok := Schema(strings.TrimSuffix(e.Name(), ".json"))
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// Schema returns the shipped schema of collection name.
func Schema(name string) (api.Schema, bool) {
	if !api.ValidName(name) {
		return api.Schema{}, false
	}
	b, err := schemaFS.ReadFile(path.Join("schemas", name+".json"))
	if err != nil {
		return api.Schema{}, false
	}
	var s api.Schema
	if err := tinyjson.Unmarshal(b, &s); err != nil {
		panic(fmt.Sprintf("zkvault: shipped schema %s: %v", name, err)) // caught by TestShippedSchemas
	}
	return s, true
}
