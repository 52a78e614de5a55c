package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zkvault/zkvault/api"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// DecodeJSON decodes one JSON value from r into v strictly: unknown fields,
// trailing data and wrong types are errors, and every error says what and
// where in words fit for a client.
func DecodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Invalid(jsonCode(err), "%s", describeJSON(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("invalid_json", "unexpected data after the JSON value")
	}
	return nil
}

func decodeStrict(raw []byte, v any) error {
	err := DecodeJSON(bytes.NewReader(raw), v)
	var e *Error
	if errors.As(err, &e) {
		return errors.New(e.Msg)
	}
	return err
}

func jsonCode(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return "wrong_type"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "unknown_field"
	}
	return "invalid_json"
}

func describeJSON(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		where := te.Field
		if where == "" {
			where = "the value"
		}
		return fmt.Sprintf("%s: want %s, got JSON %s", where, te.Type, te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF):
		return "empty body: want a JSON value"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return msg
}

// ---- fast paths
//
// A batch of records is most of what the server decodes. Its common form
// (no whitespace, records already in canonical form, as json.Marshal and
// JSON.stringify write them) is checked and split here in one pass; any
// other input, valid or not, takes the general path, so results and error
// messages are those of encoding/json.

// DecodeRecords decodes a batch body, {"records":[…]}, into its items. The
// common compact form is split in one pass; anything else goes through
// DecodeJSON, so results and errors are encoding/json's either way. The items
// alias body.
func DecodeRecords(body []byte) ([]json.RawMessage, error) {
	if list, ok := splitRawList(body, "records"); ok {
		return list, nil
	}
	var r struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := DecodeJSON(bytes.NewReader(body), &r); err != nil {
		return nil, err
	}
	return r.Records, nil
}

// splitRawList returns the items of data if it is exactly {"name":[v1,...]}
// without whitespace (trailing whitespace aside) and every vi is valid JSON;
// ok says whether it was. The items alias data.
func splitRawList(data []byte, name string) (list []json.RawMessage, ok bool) {
	i := 0
	if !lit(data, &i, `{"`) || !lit(data, &i, name) || !lit(data, &i, `":[`) {
		return nil, false
	}
	list = make([]json.RawMessage, 0, 64)
	if i < len(data) && data[i] == ']' {
		i++
	} else {
		for {
			end := skipValue(data, i, 0)
			if end < 0 {
				return nil, false
			}
			list = append(list, data[i:end:end])
			i = end
			if i < len(data) && data[i] == ',' {
				i++
				continue
			}
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			return nil, false
		}
	}
	if !lit(data, &i, "}") {
		return nil, false
	}
	for ; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return nil, false
		}
	}
	return list, true
}

func lit(data []byte, i *int, s string) bool {
	if len(data)-*i < len(s) || string(data[*i:*i+len(s)]) != s {
		return false
	}
	*i += len(s)
	return true
}

// validFastKey reports whether s is a key the fast paths read: letters,
// digits and '_' (nothing to unescape or fold).
func validFastKey(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// maxFastDepth bounds the nesting the fast path follows; deeper values take
// the general path.
const maxFastDepth = 64

// skipValue returns the end of the JSON value that starts at data[i], or -1
// if there is none there without whitespace (or it nests too deep).
func skipValue(data []byte, i, depth int) int {
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; {
	case c == '"':
		end, _ := skipString(data, i)
		return end
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(data, i)
	case c == 't':
		return skipLit(data, i, "true")
	case c == 'f':
		return skipLit(data, i, "false")
	case c == 'n':
		return skipLit(data, i, "null")
	case c == '[' || c == '{':
		if depth >= maxFastDepth {
			return -1
		}
		close := byte(']')
		if c == '{' {
			close = '}'
		}
		i++
		if i < len(data) && data[i] == close {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(data) || data[i] != '"' {
					return -1
				}
				end, _ := skipString(data, i)
				if end < 0 || end >= len(data) || data[end] != ':' {
					return -1
				}
				i = end + 1
			}
			i = skipValue(data, i, depth+1)
			if i < 0 || i >= len(data) {
				return -1
			}
			if data[i] == close {
				return i + 1
			}
			if data[i] != ',' {
				return -1
			}
			i++
		}
	}
	return -1
}

func skipLit(data []byte, i int, s string) int {
	if len(data)-i < len(s) || string(data[i:i+len(s)]) != s {
		return -1
	}
	return i + len(s)
}

// strPlain marks the bytes a string may hold as they are and that
// json.Marshal leaves as they are: not '"', '\\', control characters, '<',
// '>', '&' or 0xE2 (the first byte of U+2028 and U+2029).
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = true
	}
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xE2} {
		t[c] = false
	}
	return
}()

// skipString returns the end of the JSON string that starts at data[i] (a
// '"'), or -1 if it is not one. canon reports whether json.Marshal of a
// RawMessage holding it writes it unchanged.
func skipString(data []byte, i int) (end int, canon bool) {
	canon = true
	i++
	for {
		for i < len(data) && strPlain[data[i]] {
			i++
		}
		if i >= len(data) {
			return -1, false
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, canon
		case c == '\\':
			if i+1 >= len(data) {
				return -1, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(data)-i < 6 || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		default: // '<', '>', '&', 0xE2: valid, but json.Marshal may escape
			canon = false
			i++
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// skipNumber returns the end of the JSON number that starts at data[i], or
// -1.
func skipNumber(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return -1
	}
	switch {
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		i++
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == j {
			return -1
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == j {
			return -1
		}
	}
	return i
}

// canonicalRecord parses raw if it is an api.Record in canonical form,
// byte for byte what json.Marshal writes for the record encoding/json
// decodes from it (after UpsertRecords sorts and compacts index values):
//
//	{"id":"…","fields":{"a":…,"b":…},"index":{"x":["…","…"]}}
//
// no whitespace, field and index names in strictly ascending order, field
// values strings, numbers, true or false that json.Marshal leaves alone,
// index values non-empty, strictly ascending, of letters and digits, and
// "index" absent rather than empty. It reports false for anything else,
// which is then decoded and re-encoded in full. Fields alias raw.
//
// names holds the strings to use for field and index names (to share them
// rather than allocate each); it may be nil.
func canonicalRecord(raw []byte, names map[string]string) (api.Record, bool) {
	return canonicalRecordIn(raw, names, nil)
}

// recordScratch is what canonicalRecordIn fills a record with, cleared and
// used again for the next record: the caller is done with a record (its
// Fields and Index) before it parses the next.
type recordScratch struct {
	fields map[string]json.RawMessage
	index  map[string][]string
	vals   []string
}

// canonicalRecordIn is canonicalRecord with the record's maps and index
// value slices taken from m (if not nil) rather than allocated.
func canonicalRecordIn(raw []byte, names map[string]string, m *recordScratch) (api.Record, bool) {
	var r api.Record
	i := 0
	if !lit(raw, &i, `{"id":"`) {
		return r, false
	}
	j := bytes.IndexByte(raw[i:], '"')
	if j < 0 || !api.ValidID(string(raw[i:i+j])) {
		return r, false
	}
	r.ID = string(raw[i : i+j])
	i += j + 1
	if !lit(raw, &i, `,"fields":{`) {
		return r, false
	}
	switch {
	case m == nil:
		r.Fields = make(map[string]json.RawMessage, 8)
	case m.fields == nil:
		m.fields = make(map[string]json.RawMessage, 8)
		r.Fields = m.fields
	default:
		clear(m.fields)
		r.Fields = m.fields
	}
	var prev []byte
	if i < len(raw) && raw[i] == '}' {
		i++
	} else {
		for {
			name, ok := fastName(raw, &i, prev)
			if !ok || i >= len(raw) {
				return r, false
			}
			prev = name
			start := i
			switch c := raw[i]; {
			case c == '"':
				end, canon := skipString(raw, i)
				if end < 0 || !canon {
					return r, false
				}
				i = end
			case c == '-' || c >= '0' && c <= '9':
				i = skipNumber(raw, i)
			case c == 't':
				i = skipLit(raw, i, "true")
			case c == 'f':
				i = skipLit(raw, i, "false")
			default: // null, arrays, objects: the general path
				return r, false
			}
			if i < 0 || i >= len(raw) {
				return r, false
			}
			r.Fields[intern(names, name)] = json.RawMessage(raw[start:i:i])
			if raw[i] == '}' {
				i++
				break
			}
			if raw[i] != ',' {
				return r, false
			}
			i++
		}
	}
	if i < len(raw) && raw[i] == ',' {
		i++
		if !lit(raw, &i, `"index":{`) {
			return r, false
		}
		switch {
		case m == nil:
			r.Index = make(map[string][]string, 2)
		case m.index == nil:
			m.index = make(map[string][]string, 2)
			r.Index = m.index
		default:
			clear(m.index)
			r.Index = m.index
		}
		var scratch []string
		if m != nil {
			scratch = m.vals[:0]
		}
		prev = nil
		for {
			name, ok := fastName(raw, &i, prev)
			if !ok || !lit(raw, &i, `[`) {
				return r, false
			}
			prev = name
			start := len(scratch)
			var pv []byte
			for {
				if !lit(raw, &i, `"`) {
					return r, false
				}
				j := i
				for i < len(raw) && (raw[i] >= '0' && raw[i] <= '9' || raw[i] >= 'a' && raw[i] <= 'z' || raw[i] >= 'A' && raw[i] <= 'Z') {
					i++
				}
				v := raw[j:i]
				if !lit(raw, &i, `"`) || pv != nil && bytes.Compare(pv, v) >= 0 {
					return r, false
				}
				pv = v
				scratch = append(scratch, string(v))
				if i < len(raw) && raw[i] == ',' {
					i++
					continue
				}
				if !lit(raw, &i, "]") {
					return r, false
				}
				break
			}
			r.Index[intern(names, name)] = scratch[start:len(scratch):len(scratch)]
			if i < len(raw) && raw[i] == ',' {
				i++
				continue
			}
			if !lit(raw, &i, "}") {
				return r, false
			}
			break
		}
		if m != nil {
			m.vals = scratch
		}
	}
	if !lit(raw, &i, "}") || i != len(raw) {
		return r, false
	}
	return r, true
}

func intern(names map[string]string, b []byte) string {
	if s, ok := names[string(b)]; ok {
		return s
	}
	return string(b)
}

// schemaNames maps the field and index names of sc to themselves.
func schemaNames(sc *api.Schema) map[string]string {
	m := make(map[string]string, len(sc.Fields)+len(sc.Indexes))
	for n := range sc.Fields {
		m[n] = n
	}
	for n := range sc.Indexes {
		m[n] = n
	}
	return m
}

// fastName reads `"name":` at raw[*i] where name is a fastKey after prev.
func fastName(raw []byte, i *int, prev []byte) ([]byte, bool) {
	if !lit(raw, i, `"`) {
		return nil, false
	}
	j := bytes.IndexByte(raw[*i:], '"')
	if j < 0 {
		return nil, false
	}
	name := raw[*i : *i+j]
	*i += j + 1
	if !validFastKey(name) || prev != nil && bytes.Compare(prev, name) >= 0 || !lit(raw, i, ":") {
		return nil, false
	}
	return name, true
}
