// Crypto summary (records):
//
//   - An encrypted field holds the enc:v2 ciphertext (field.go) of its
//     value's compact JSON encoding, bound to (space, collection, record id,
//     field name, kid).
//   - A blind index value is index.Compute: HMAC-SHA256 under the index key
//     HKDF(S_v, none, tuple(LabelIndex, space id, collection, index name)) of
//     the normalised value(s), truncated to the index's bits. Queries are
//     computed under every version in the keyring.

package zkvault

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/zkvault/zkvault/api"
	"github.com/zkvault/zkvault/internal/tinyjson"
	"github.com/zkvault/zkvault/wasm/index"
)

// RecordOptions tune record sealing and index queries.
type RecordOptions struct {
	// Region is the default region (ISO 3166-1 alpha-2, "CH") of phone
	// numbers written without a country code, for the phone normaliser.
	Region string
}

func (o RecordOptions) index() index.Options { return index.Options{Region: o.Region} }

// maxTimeMillis is the largest |time| value: the range of JavaScript's Date,
// ±8.64e15 ms.
const maxTimeMillis = 8.64e15

// OpenedRecord is a record after OpenRecord: every field that opened, with
// its JSON value (string, float64, bool, []any, map[string]any; time as
// float64 milliseconds), and an error for each field that did not.
type OpenedRecord struct {
	ID     string
	Fields map[string]any
	// Errors holds, by field name, why a field could not be read:
	// ErrIncorrectKey, ErrUnknownKeyVersion, a *ParseError or a
	// *SchemaError. The dashboard shows "cannot decrypt" in its place.
	Errors map[string]error
}

// SealRecord makes the stored form of a record of schema: it checks the
// schema and every value against it (a field the schema does not name is an
// error: it would otherwise be stored in clear), encrypts every encrypted
// field (the JSON encoding of its value, padded if the field says Pad) under
// the current secret version, keeps plaintext fields as they are, and
// computes every blind index. A nil value is the same as an absent field.
//
// For an index over one field, every element of a multi field gives one
// value; values are normalised (index.Normalize), values that normalise to
// the empty string or that the normaliser rejects give none, and duplicates
// are dropped. A compound index gives one value from the normalised parts,
// none if every part is empty.
func (s *Space) SealRecord(ctx context.Context, schema api.Schema, id string, fields map[string]any, opts RecordOptions) (api.Record, error) {
	if err := ValidateSchema(schema); err != nil {
		return api.Record{}, err
	}
	if err := checkID("record id", id); err != nil {
		return api.Record{}, err
	}
	sv, err := s.version(0)
	if err != nil {
		return api.Record{}, err
	}
	aead, err := s.fieldAEAD(ctx, sv)
	if err != nil {
		return api.Record{}, err
	}
	rec := api.Record{ID: id, Fields: map[string]json.RawMessage{}}
	values := map[string]any{} // canonical JSON values, for the indexes
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names) // nonces are drawn in a fixed order
	for _, name := range names {
		f, ok := schema.Fields[name]
		if !ok {
			return api.Record{}, &SchemaError{Collection: schema.Collection, Field: name, Reason: "not in schema"}
		}
		if fields[name] == nil {
			continue
		}
		raw, err := tinyjson.Marshal(fields[name])
		if err != nil {
			return api.Record{}, &SchemaError{Collection: schema.Collection, Field: name, Reason: err.Error()}
		}
		v, err := decodeValue(schema.Collection, name, f, raw)
		if err != nil {
			return api.Record{}, err
		}
		values[name] = v
		if !f.Encrypted {
			rec.Fields[name] = raw
			continue
		}
		ct, err := s.sealField(ctx, aead, sv.kid, FieldRef{schema.Collection, id, name}, raw, f.Pad)
		if err != nil {
			return api.Record{}, fmt.Errorf("zkvault: field %q: %w", name, err)
		}
		rec.Fields[name] = tinyjson.AppendString(nil, ct)
	}
	ixNames := make([]string, 0, len(schema.Indexes))
	for name := range schema.Indexes {
		ixNames = append(ixNames, name)
	}
	slices.Sort(ixNames)
	for _, name := range ixNames {
		ix := schema.Indexes[name]
		parts := indexInputs(ix, values, opts)
		if len(parts) == 0 {
			continue
		}
		mac, err := s.indexMAC(ctx, sv, schema.Collection, name)
		if err != nil {
			return api.Record{}, err
		}
		var out []string
		for _, p := range parts {
			v, err := index.Compute(ctx, mac, ix.Bits, p...)
			if err != nil {
				return api.Record{}, fmt.Errorf("zkvault: index %q: %w", name, err)
			}
			out = append(out, v)
		}
		slices.Sort(out)
		out = slices.Compact(out)
		if rec.Index == nil {
			rec.Index = map[string][]string{}
		}
		rec.Index[name] = out
	}
	return rec, nil
}

// indexInputs returns the normalised inputs of index ix over values: one
// slice of parts per index value.
func indexInputs(ix api.Index, values map[string]any, opts RecordOptions) [][]string {
	norm := func(s string) string {
		n, err := index.Normalize(ix.Normalizer, s, opts.index())
		if err != nil {
			return ""
		}
		return n
	}
	if len(ix.Fields) == 1 {
		var out [][]string
		for _, s := range stringsOf(values[ix.Fields[0]]) {
			if n := norm(s); n != "" && !slices.ContainsFunc(out, func(p []string) bool { return p[0] == n }) {
				out = append(out, []string{n})
			}
		}
		return out
	}
	parts := make([]string, len(ix.Fields))
	empty := true
	for i, fn := range ix.Fields {
		if s, ok := values[fn].(string); ok {
			parts[i] = norm(s)
			empty = empty && parts[i] == ""
		}
	}
	if empty {
		return nil
	}
	return [][]string{parts}
}

// stringsOf returns a string value, or the strings of a multi value.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// decodeValue decodes raw JSON and checks it against field f.
func decodeValue(collection, name string, f api.Field, raw []byte) (any, error) {
	var v any
	// As json.Decoder's Decode and More (docs/spec/06, "JSON encoding").
	if rest, err := tinyjson.Decode(raw, &v, false); err != nil || tinyjson.More(rest) {
		return nil, &SchemaError{Collection: collection, Field: name, Reason: "not a JSON value"}
	}
	if err := checkValue(f, v); err != nil {
		return nil, &SchemaError{Collection: collection, Field: name, Reason: err.Error()}
	}
	return v, nil
}

func checkValue(f api.Field, v any) error {
	if f.Multi {
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want an array of %s", f.Type)
		}
		for _, e := range arr {
			if err := checkScalar(f.Type, e); err != nil {
				return err
			}
		}
		return nil
	}
	return checkScalar(f.Type, v)
}

func checkScalar(typ string, v any) error {
	ok := false
	switch typ {
	case api.TypeString:
		_, ok = v.(string)
	case api.TypeNumber:
		_, ok = v.(float64)
	case api.TypeBool:
		_, ok = v.(bool)
	case api.TypeTime:
		n, isNum := v.(float64)
		ok = isNum && n == math.Trunc(n) && math.Abs(n) <= maxTimeMillis
	case api.TypeJSON:
		ok = true
	}
	if !ok {
		return fmt.Errorf("want a %s", typ)
	}
	return nil
}

// OpenRecord reads a stored record of schema. A field that cannot be read
// (wrong key, unknown version, tampered, not in the schema, wrong type) is
// reported in Errors and the other fields still open. The error result is
// for what makes the whole record unreadable: an invalid schema or record
// id.
func (s *Space) OpenRecord(ctx context.Context, schema api.Schema, rec api.Record) (*OpenedRecord, error) {
	if err := ValidateSchema(schema); err != nil {
		return nil, err
	}
	if err := checkID("record id", rec.ID); err != nil {
		return nil, err
	}
	out := &OpenedRecord{ID: rec.ID, Fields: map[string]any{}, Errors: map[string]error{}}
	for name, raw := range rec.Fields {
		if string(raw) == "null" {
			continue // as SealRecord: null is absent
		}
		v, err := s.openValue(ctx, schema, rec.ID, name, raw)
		if err != nil {
			out.Errors[name] = err
			continue
		}
		out.Fields[name] = v
	}
	return out, nil
}

func (s *Space) openValue(ctx context.Context, schema api.Schema, id, name string, raw json.RawMessage) (any, error) {
	f, ok := schema.Fields[name]
	if !ok {
		return nil, &SchemaError{Collection: schema.Collection, Field: name, Reason: "not in schema"}
	}
	if !f.Encrypted {
		return decodeValue(schema.Collection, name, f, raw)
	}
	var ct string
	if err := tinyjson.Unmarshal(raw, &ct); err != nil {
		return nil, parseErr("enc:v2 field", "not a JSON string")
	}
	plain, err := s.OpenField(ctx, FieldRef{schema.Collection, id, name}, ct)
	if err != nil {
		return nil, err
	}
	return decodeValue(schema.Collection, name, f, plain)
}

// IndexValues returns the blind-index values to query index indexName of
// schema for a value (one raw value per field of the index, in order): one
// per secret version in the keyring, so that records sealed before a
// rotation are found too. The server returns records whose index holds any
// of them; filter false positives with Matches after opening. For many
// queries, an IndexQuerier does the same work once per batch.
func (s *Space) IndexValues(ctx context.Context, schema api.Schema, indexName string, value []string, opts RecordOptions) ([]string, error) {
	b, err := s.NewIndexQuerier(schema, opts).AppendValues(ctx, nil, indexName, value)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return strings.Split(string(b), ","), nil
}

// An IndexQuerier computes the blind-index queries of one schema in bulk:
// what IndexValues computes, with the keyring's versions read once, each
// index's MACs looked up once, and buffers reused, so that a query costs its
// normaliser and one HMAC per version, and (with the native provider) no
// allocation beyond what the normaliser needs.
//
// It sees the keyring's versions as they were when it was made, holds the
// index MACs it used until it is dropped (make one per batch, do not keep
// it), and is not safe for concurrent use.
type IndexQuerier struct {
	s        *Space
	schema   api.Schema
	opts     index.Options
	versions []uint32
	indexes  map[string]*queryIndex
	last     *queryIndex // the previous query's index: a batch usually queries one
	parts    [api.MaxIndexFields]string
}

// queryIndex is an index of the querier's schema and its computers, one per
// version (nil until the first query of the index: a query that does not
// normalise derives no key).
type queryIndex struct {
	name  string
	ix    api.Index
	comps []*index.Computer
}

// NewIndexQuerier returns an IndexQuerier for schema. The options apply to
// every query (as IndexValues's).
func (s *Space) NewIndexQuerier(schema api.Schema, opts RecordOptions) *IndexQuerier {
	return &IndexQuerier{s: s, schema: schema, opts: opts.index(), versions: s.Versions()}
}

// AppendValues appends to dst the index values of a query of index
// indexName for value (one raw value per field of the index), as
// IndexValues returns them, separated by commas (an index value is hex and
// never holds one), and returns the extended slice. On error, dst is
// returned unchanged; the error is IndexValues's.
func (q *IndexQuerier) AppendValues(ctx context.Context, dst []byte, indexName string, value []string) ([]byte, error) {
	qi := q.last
	if qi == nil || qi.name != indexName {
		var err error
		if qi, err = q.index(indexName); err != nil {
			return dst, err
		}
		q.last = qi
	}
	parts, err := normalizeQuery(q.schema, indexName, qi.ix, value, q.opts, q.parts[:0])
	if err != nil {
		return dst, err
	}
	if qi.comps == nil {
		comps := make([]*index.Computer, len(q.versions))
		for i, v := range q.versions {
			sv, err := q.s.version(v)
			if err != nil {
				return dst, err
			}
			mac, err := q.s.indexMAC(ctx, sv, q.schema.Collection, qi.name)
			if err != nil {
				return dst, err
			}
			if comps[i], err = index.NewComputer(mac, qi.ix.Bits); err != nil {
				return dst, err
			}
		}
		qi.comps = comps
	}
	start, n := len(dst), index.ValueLen(qi.ix.Bits)
	out := dst
	for _, c := range qi.comps {
		at := len(out)
		if at > start {
			out = append(out, ',')
		}
		from := len(out)
		if out, err = c.Append(ctx, out, parts...); err != nil {
			return dst, err
		}
		// Versions whose keys give the same value (none in practice) give it once.
		for prev := start; prev < from-1; prev += n + 1 {
			if string(out[prev:prev+n]) == string(out[from:]) {
				out = out[:at]
				break
			}
		}
	}
	return out, nil
}

// index returns the querier's state for index name of its schema.
func (q *IndexQuerier) index(name string) (*queryIndex, error) {
	if qi, ok := q.indexes[name]; ok {
		return qi, nil
	}
	ix, ok := q.schema.Indexes[name]
	if !ok {
		return nil, &SchemaError{Collection: q.schema.Collection, Field: name, Reason: "no such index"}
	}
	if q.last != nil && q.indexes == nil {
		// A second index: from now on, keep them all.
		q.indexes = map[string]*queryIndex{q.last.name: q.last}
	}
	// The name is kept (and becomes a key of the space's MAC cache): a
	// copy, not a substring of the caller's batch of plaintexts.
	qi := &queryIndex{name: strings.Clone(name), ix: ix}
	if q.indexes != nil {
		q.indexes[name] = qi
	}
	return qi, nil
}

// queryParts normalises a query value for index indexName.
func queryParts(schema api.Schema, indexName string, value []string, opts RecordOptions) (api.Index, []string, error) {
	ix, ok := schema.Indexes[indexName]
	if !ok {
		return ix, nil, &SchemaError{Collection: schema.Collection, Field: indexName, Reason: "no such index"}
	}
	parts, err := normalizeQuery(schema, indexName, ix, value, opts.index(), nil)
	return ix, parts, err
}

// normalizeQuery appends the normalised parts of a query value for index ix
// (named indexName) to parts.
func normalizeQuery(schema api.Schema, indexName string, ix api.Index, value []string, opts index.Options, parts []string) ([]string, error) {
	if len(value) != len(ix.Fields) {
		return parts, &SchemaError{Collection: schema.Collection, Field: indexName, Reason: fmt.Sprintf("query has %d parts, index has %d fields", len(value), len(ix.Fields))}
	}
	empty := true
	for _, v := range value {
		n, err := index.Normalize(ix.Normalizer, v, opts)
		if err != nil {
			return parts, err
		}
		parts = append(parts, n)
		empty = empty && n == ""
	}
	if empty {
		return parts, &SchemaError{Collection: schema.Collection, Field: indexName, Reason: "query normalises to nothing"}
	}
	return parts, nil
}

// Matches reports whether an opened record really has value for index
// indexName (the blind index is truncated, so the server's answer holds
// false positives): it compares the normalised query with the normalised
// field values, as SealRecord computed them: pass the options the record
// was sealed with (a phone number written without a country code normalises
// only with its region).
func Matches(schema api.Schema, indexName string, rec *OpenedRecord, value []string, opts RecordOptions) (bool, error) {
	ix, parts, err := queryParts(schema, indexName, value, opts)
	if err != nil {
		return false, err
	}
	for _, p := range indexInputs(ix, rec.Fields, opts) {
		if slices.Equal(p, parts) {
			return true, nil
		}
	}
	return false, nil
}
