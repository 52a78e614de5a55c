package zkvault

import (
	_ "embed" // the shipped schemas
	"fmt"
	"slices"

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

// The shipped schemas, one embedded string each rather than an embed.FS,
// which would link embed, path and io/fs into the WebAssembly module
// (TestShippedSchemas checks the list against schemas/).
var (
	//go:embed schemas/contacts.json
	schemaContacts string
	//go:embed schemas/imessage_attachments.json
	schemaImessageAttachments string
	//go:embed schemas/imessages.json
	schemaImessages string
	//go:embed schemas/locations.json
	schemaLocations string
	//go:embed schemas/messages.json
	schemaMessages string
	//go:embed schemas/screenshots.json
	schemaScreenshots string
	//go:embed schemas/whatsapp_messages.json
	schemaWhatsappMessages string
)

// shipped lists the schemas by collection, sorted.
var shipped = []struct{ name, json string }{
	{"contacts", schemaContacts},
	{"imessage_attachments", schemaImessageAttachments},
	{"imessages", schemaImessages},
	{"locations", schemaLocations},
	{"messages", schemaMessages},
	{"screenshots", schemaScreenshots},
	{"whatsapp_messages", schemaWhatsappMessages},
}

// Schemas returns the schemas zkvault ships, sorted by collection: the six
// collections of the personal vault (screenshots, imessages,
// imessage_attachments, contacts, locations, whatsapp_messages) and the
// follow-ups' messages. Each call returns fresh copies.
func Schemas() []api.Schema {
	out := make([]api.Schema, 0, len(shipped))
	for _, e := range shipped {
		s, _ := Schema(e.name)
		out = append(out, s)
	}
	return out
}

// Schema returns the shipped schema of collection name.
func Schema(name string) (api.Schema, bool) {
	if !api.ValidName(name) {
		return api.Schema{}, false
	}
	i := slices.IndexFunc(shipped, func(e struct{ name, json string }) bool { return e.name == name })
	if i < 0 {
		return api.Schema{}, false
	}
	var s api.Schema
	if err := tinyjson.Unmarshal([]byte(shipped[i].json), &s); err != nil {
		panic(fmt.Sprintf("zkvault: shipped schema %s: %v", name, err)) // caught by TestShippedSchemas
	}
	return s, true
}
