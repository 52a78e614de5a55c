package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits the structural checks enforce. A server may enforce lower ones.
const (
	MaxIDLen          = 128
	MaxNameLen        = 64
	MaxFields         = 256     // fields in one schema
	MaxIndexes        = 64      // indexes in one schema
	MaxIndexFields    = 8       // fields of one compound index
	MaxIndexBits      = 256     // bits of a blind index value
	MaxIndexValues    = 256     // values of one multi-valued index in one record
	MaxSchemas        = 64      // collections of one space
	MaxRelations      = 64      // relations of one space
	MaxEnvelopes      = 256     // envelopes of one space
	MaxMeta           = 64      // metadata entries of one space
	MaxMetaKeyLen     = 64      // bytes
	MaxMetaValueLen   = 4096    // bytes
	MaxPlainStringLen = 65536   // bytes of one plaintext string value
	MaxFilterValueLen = 1024    // bytes of one filterable plaintext value (as JSON)
	MaxCiphertextLen  = 1572864 // decoded bytes of one enc:v2 payload (1.5 MiB)
	MinCiphertextLen  = 12 + 16 + 1
	MaxEnvelopeLen    = 73728 // decoded bytes of one envelope (72 KiB: a 64 KiB payload and its header)
	MaxPublicKeyLen   = 4096  // decoded bytes of a SubjectPublicKeyInfo DER
	MaxSealedKeyLen   = 73728 // decoded bytes of a sealed private key
	MaxMultiValues    = 1024  // elements of a plaintext multi field
)

// Error is a structural validation error: Code is a stable machine-readable
// reason, Field names where it was found (a JSON path such as
// "fields.text"), Msg says what is wrong in words.
type Error struct {
	Code  string
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func errf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Error codes.
const (
	CodeInvalidID         = "invalid_id"
	CodeInvalidName       = "invalid_name"
	CodeInvalidValue      = "invalid_value"
	CodeInvalidCiphertext = "invalid_ciphertext"
	CodeInvalidEnvelope   = "invalid_envelope"
	CodeInvalidBase64     = "invalid_base64"
	CodeInvalidHex        = "invalid_hex"
	CodeInvalidSchema     = "invalid_schema"
	CodeUnknownField      = "unknown_field"
	CodeTooLong           = "too_long"
	CodeTooMany           = "too_many"
	CodeCleartext         = "cleartext_refused"
)

// ValidID reports whether s is a valid space, record, blob or principal id:
// 1–128 bytes of A–Z a–z 0–9 . _ - : @ + =, not starting with '.'.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !idChar[s[i]] {
			return false
		}
	}
	return true
}

// ValidName reports whether s is a valid collection, field or index name:
// ^[A-Za-z][A-Za-z0-9_]{0,63}$.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// CheckID returns an *Error naming field if s is not a valid id.
func CheckID(field, s string) error {
	if !ValidID(s) {
		return errf(CodeInvalidID, field, "invalid id %s: want 1-128 bytes of A-Z a-z 0-9 . _ - : @ + =, not starting with '.'", quote(s))
	}
	return nil
}

// CheckName returns an *Error naming field if s is not a valid name.
func CheckName(field, s string) error {
	if !ValidName(s) {
		return errf(CodeInvalidName, field, "invalid name %s: want ^[A-Za-z][A-Za-z0-9_]{0,63}$", quote(s))
	}
	return nil
}

// quote shortens and quotes s for an error message.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.QuoteToASCII(s)
}

var idChar = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "._-:@+=" {
		t[c] = true
	}
	return
}()

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ParseKeyVersion parses a key version: a decimal integer 1…4294967295
// without leading zeros.
func ParseKeyVersion(s string) (uint32, bool) {
	if len(s) == 0 || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(v), true
}

// b64Val maps a base64url character to its value, or 0xff.
var b64Val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return
}()

// Base64URLLen checks that s is strict base64url without padding (only the
// 64 characters, no padding, zero trailing bits) and returns the decoded
// length, without allocating. It accepts exactly what
// base64.RawURLEncoding.Strict() decodes.
func Base64URLLen(s string) (int, bool) { return base64URLLen(s) }

// DecodeBase64URL decodes strict base64url without padding: it refuses
// padding, any byte outside A–Z a–z 0–9 - _ (encoding/base64 alone, even
// Strict, skips \r and \n) and non-canonical trailing bits, so that every
// byte string has exactly one accepted text. Every decoder of the formats'
// base64url uses it.
func DecodeBase64URL(s string) ([]byte, error) {
	// Strict decoding refuses every byte outside the alphabet but \r and \n,
	// which it skips: refusing those two first accepts exactly what
	// base64URLLen does, without a pass through its table (in WebAssembly
	// that pass cost more than the decoding).
	if strings.IndexByte(s, '\r') >= 0 || strings.IndexByte(s, '\n') >= 0 {
		return nil, errBase64URL
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errBase64URL
	}
	return b, nil
}

var errBase64URL = errors.New("not strict base64url without padding")

func base64URLLen[T string | []byte](s T) (int, bool) {
	n := len(s)
	switch n % 4 {
	case 1:
		return 0, false
	case 2:
		if b64Val[s[n-1]]&0x0f != 0 {
			return 0, false
		}
	case 3:
		if b64Val[s[n-1]]&0x03 != 0 {
			return 0, false
		}
	}
	for i := 0; i < n; i++ {
		if b64Val[s[i]] == 0xff {
			return 0, false
		}
	}
	return n/4*3 + [4]int{0, 0, 1, 2}[n%4], true
}

// CheckBase64URL returns an *Error naming field unless s is strict base64url
// whose decoded length is within [min, max].
func CheckBase64URL(field, s string, min, max int) error {
	n, ok := Base64URLLen(s)
	if !ok {
		return errf(CodeInvalidBase64, field, "not strict base64url without padding")
	}
	if n < min {
		return errf(CodeInvalidValue, field, "decodes to %d bytes, want at least %d", n, min)
	}
	if n > max {
		return errf(CodeTooLong, field, "decodes to %d bytes, want at most %d", n, max)
	}
	return nil
}

// ValidLowerHex reports whether s is lowercase hex of exactly n characters.
func ValidLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckEncV2 checks the form of an enc:v2 field ciphertext,
// enc:v2:<kid>:<payload>: kid a key version, payload strict base64url
// decoding to MinCiphertextLen…MaxCiphertextLen bytes (nonce, ciphertext,
// tag). It says nothing about whether the ciphertext decrypts.
func CheckEncV2(field, s string) error { return checkEncV2(fieldPath{name: field}, s) }

// fieldPath is prefix+name, joined only for an error.
type fieldPath struct{ prefix, name string }

func (p fieldPath) String() string { return p.prefix + p.name }

// checkEncV2 is CheckEncV2 of a string or of its bytes (so that a value in a
// JSON document is checked without a copy).
func checkEncV2[T string | []byte](field fieldPath, s T) error {
	if len(s) < 7 || string(s[:7]) != "enc:v2:" {
		if len(s) >= 4 && string(s[:4]) == "enc:" {
			return errf(CodeInvalidCiphertext, field.String(), "unsupported ciphertext form %s: want enc:v2:<kid>:<base64url>", quote(string(s)))
		}
		return errf(CodeInvalidCiphertext, field.String(), "not a ciphertext: want enc:v2:<kid>:<base64url>")
	}
	rest := s[7:]
	colon := -1
	for i := 0; i < len(rest); i++ {
		if rest[i] == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return errf(CodeInvalidCiphertext, field.String(), "enc:v2 value has no payload")
	}
	kid, payload := rest[:colon], rest[colon+1:]
	if _, ok := ParseKeyVersion(string(kid)); !ok {
		return errf(CodeInvalidCiphertext, field.String(), "enc:v2 key id %s is not 1-4294967295 without leading zeros", quote(string(kid)))
	}
	n, ok := base64URLLen(payload)
	if !ok {
		return errf(CodeInvalidCiphertext, field.String(), "enc:v2 payload is not strict base64url without padding")
	}
	if n < MinCiphertextLen {
		return errf(CodeInvalidCiphertext, field.String(), "enc:v2 payload is %d bytes, shorter than nonce+tag+1 (%d)", n, MinCiphertextLen)
	}
	if n > MaxCiphertextLen {
		return errf(CodeTooLong, field.String(), "enc:v2 payload is %d bytes, more than %d", n, MaxCiphertextLen)
	}
	return nil
}

// ValidateSchema checks a collection schema's structure.
func ValidateSchema(s *Schema) error {
	if err := CheckName("collection", s.Collection); err != nil {
		return err
	}
	if len(s.Fields) == 0 {
		return errf(CodeInvalidSchema, "fields", "a schema needs at least one field")
	}
	if len(s.Fields) > MaxFields {
		return errf(CodeTooMany, "fields", "%d fields, at most %d", len(s.Fields), MaxFields)
	}
	for name, f := range s.Fields {
		p := "fields." + name
		if err := CheckName(p, name); err != nil {
			return err
		}
		switch f.Type {
		case TypeString, TypeNumber, TypeBool, TypeTime:
		case TypeJSON:
			if !f.Encrypted {
				return errf(CodeInvalidSchema, p, "type json is for encrypted fields only")
			}
		default:
			return errf(CodeInvalidSchema, p+".type", "unknown type %s", quote(f.Type))
		}
		if f.Encrypted && (f.Filter || f.Blob) {
			return errf(CodeInvalidSchema, p, "an encrypted field cannot be a filter or a blob reference")
		}
		if f.Pad && !f.Encrypted {
			return errf(CodeInvalidSchema, p, "pad applies to encrypted fields only")
		}
		if f.Blob && (f.Type != TypeString || f.Multi) {
			return errf(CodeInvalidSchema, p, "a blob reference is a single string field")
		}
		if f.Filter && f.Multi {
			return errf(CodeInvalidSchema, p, "a filter field cannot be multi-valued")
		}
	}
	if len(s.Indexes) > MaxIndexes {
		return errf(CodeTooMany, "indexes", "%d indexes, at most %d", len(s.Indexes), MaxIndexes)
	}
	for name, ix := range s.Indexes {
		p := "indexes." + name
		if err := CheckName(p, name); err != nil {
			return err
		}
		if len(ix.Fields) == 0 || len(ix.Fields) > MaxIndexFields {
			return errf(CodeInvalidSchema, p+".fields", "an index covers 1 to %d fields", MaxIndexFields)
		}
		for _, fn := range ix.Fields {
			if _, ok := s.Fields[fn]; !ok {
				return errf(CodeInvalidSchema, p+".fields", "field %s is not in the schema", quote(fn))
			}
		}
		switch ix.Normalizer {
		case NormPhone, NormEmail, NormText, NormExact:
		default:
			return errf(CodeInvalidSchema, p+".normalizer", "unknown normalizer %s", quote(ix.Normalizer))
		}
		if ix.Bits < 1 || ix.Bits > MaxIndexBits {
			return errf(CodeInvalidSchema, p+".bits", "bits %d out of range 1-%d", ix.Bits, MaxIndexBits)
		}
	}
	if s.TimeField != "" {
		f, ok := s.Fields[s.TimeField]
		if !ok || f.Type != TypeTime || f.Encrypted || f.Multi {
			return errf(CodeInvalidSchema, "time_field", "time_field %s must name a plaintext single field of type time", quote(s.TimeField))
		}
	}
	return nil
}

// IndexHexLen is the length in hex characters of a value of ix.
func IndexHexLen(ix Index) int { return 2 * ((ix.Bits + 7) / 8) }

// IndexMulti reports whether ix covers a multi-valued field, so that a record
// may carry several values for it.
func IndexMulti(s *Schema, ix Index) bool {
	for _, fn := range ix.Fields {
		if s.Fields[fn].Multi {
			return true
		}
	}
	return false
}

// ValidateRecord checks r against schema s. If mustEncrypt, every field the
// schema marks encrypted must be an enc:v2 ciphertext (fail closed);
// otherwise an encrypted field may also hold a plaintext value of its type
// (a space created in clear).
func ValidateRecord(s *Schema, r *Record, mustEncrypt bool) error {
	if err := CheckID("id", r.ID); err != nil {
		return err
	}
	if len(r.Fields) > MaxFields {
		return errf(CodeTooMany, "fields", "%d fields, at most %d", len(r.Fields), MaxFields)
	}
	for name, raw := range r.Fields {
		f, ok := s.Fields[name]
		if !ok {
			return errf(CodeUnknownField, "fields."+name, "field %s is not in the schema of collection %s", quote(name), s.Collection)
		}
		if f.Encrypted {
			// The common case, a ciphertext string without escapes, is
			// checked in place.
			if b, ok := plainJSONString(raw); ok && len(b) >= 4 && string(b[:4]) == "enc:" {
				if err := checkEncV2(fieldPath{"fields.", name}, b); err != nil {
					return err
				}
				continue
			}
		}
		fp := fieldPath{"fields.", name}
		if f.Encrypted {
			p := fp.String()
			str, isStr, err := jsonString(raw)
			if err != nil {
				return errf(CodeInvalidValue, p, "%v", err)
			}
			if isStr && strings.HasPrefix(str, "enc:") {
				if err := CheckEncV2(p, str); err != nil {
					return err
				}
				continue
			}
			if mustEncrypt {
				return errf(CodeCleartext, p, "field %s must be an enc:v2 ciphertext: the space is encrypted", quote(name))
			}
			if f.Type == TypeJSON {
				if err := checkDepth(raw, 32); err != nil {
					return errf(CodeInvalidValue, p, "%v", err)
				}
				continue
			}
		}
		if err := checkPlain(fp, f, raw); err != nil {
			return err
		}
	}
	if len(r.Index) > len(s.Indexes) {
		return errf(CodeTooMany, "index", "%d index entries, schema has %d", len(r.Index), len(s.Indexes))
	}
	for name, vals := range r.Index {
		ix, ok := s.Indexes[name]
		p := fieldPath{"index.", name}
		if !ok {
			return errf(CodeUnknownField, p.String(), "index %s is not in the schema of collection %s", quote(name), s.Collection)
		}
		if len(vals) == 0 {
			return errf(CodeInvalidValue, p.String(), "no values: omit the index instead")
		}
		if len(vals) > 1 && !IndexMulti(s, ix) {
			return errf(CodeTooMany, p.String(), "%d values for an index over single-valued fields", len(vals))
		}
		if len(vals) > MaxIndexValues {
			return errf(CodeTooMany, p.String(), "%d values, at most %d", len(vals), MaxIndexValues)
		}
		want := IndexHexLen(ix)
		for _, v := range vals {
			if !ValidLowerHex(v, want) {
				return errf(CodeInvalidHex, p.String(), "value %s is not %d lowercase hex characters", quote(v), want)
			}
		}
	}
	return nil
}

// checkPlain checks a plaintext value against its field's type.
func checkPlain(fp fieldPath, f Field, raw json.RawMessage) error {
	p := fp.String // the path, made only for an error
	raw = bytes.TrimSpace(raw)
	if f.Multi {
		var elems []json.RawMessage
		if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
			return errf(CodeInvalidValue, p(), "want an array of %s", f.Type)
		}
		if len(elems) > MaxMultiValues {
			return errf(CodeTooMany, p(), "%d values, at most %d", len(elems), MaxMultiValues)
		}
		one := f
		one.Multi = false
		for i, e := range elems {
			if err := checkPlain(fieldPath{p(), fmt.Sprintf("[%d]", i)}, one, e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(raw) == 0 {
		return errf(CodeInvalidValue, p(), "empty value")
	}
	switch f.Type {
	case TypeString:
		// A string without escapes (jsonString's fast path) is checked
		// in place, without a copy.
		var s string
		b, plain := plainJSONString(raw)
		n := len(b)
		if !plain {
			var ok bool
			var err error
			if s, ok, err = jsonString(raw); err != nil || !ok {
				return errf(CodeInvalidValue, p(), "want a string")
			}
			n = len(s)
		}
		if n > MaxPlainStringLen {
			return errf(CodeTooLong, p(), "%d bytes, at most %d", n, MaxPlainStringLen)
		}
		if f.Blob {
			if plain {
				s = string(b)
			}
			return CheckID(p(), s)
		}
		if f.Filter && len(raw) > MaxFilterValueLen {
			return errf(CodeTooLong, p(), "a filter value is at most %d bytes of JSON", MaxFilterValueLen)
		}
	case TypeNumber:
		if !isNumber(raw) {
			return errf(CodeInvalidValue, p(), "want a number")
		}
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
			return errf(CodeInvalidValue, p(), "number out of range")
		}
	case TypeBool:
		if string(raw) != "true" && string(raw) != "false" {
			return errf(CodeInvalidValue, p(), "want true or false")
		}
	case TypeTime:
		if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
			return errf(CodeInvalidValue, p(), "want an integer number of milliseconds since the Unix epoch")
		}
	default:
		return errf(CodeInvalidValue, p(), "type %s cannot hold a plaintext value", f.Type)
	}
	return nil
}

// TimeValue returns the integer value of a time field.
func TimeValue(raw json.RawMessage) (int64, bool) {
	v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	return v, err == nil
}

func isNumber(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	c := raw[0]
	return c == '-' || isDigit(c)
}

// plainJSONString returns the bytes of raw between its quotes if raw is a
// JSON string without escapes (what jsonString's fast path takes), without
// copying them.
func plainJSONString(raw json.RawMessage) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' || bytes.IndexByte(raw[1:len(raw)-1], '\\') >= 0 {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
}

// jsonString decodes raw if it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false, nil
	}
	// Fast path: no escapes.
	if len(raw) >= 2 && raw[len(raw)-1] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("invalid string")
	}
	return s, true, nil
}

// checkDepth refuses JSON nested deeper than max.
func checkDepth(raw []byte, max int) error {
	depth := 0
	inStr, esc := false, false
	for _, c := range raw {
		switch {
		case esc:
			esc = false
		case inStr:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				return fmt.Errorf("nested deeper than %d", max)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}
