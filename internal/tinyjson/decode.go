package tinyjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// A SyntaxError is malformed JSON: the message says what, Offset where.
type SyntaxError struct {
	msg    string
	Offset int64 // bytes read before the error
}

func (e *SyntaxError) Error() string { return e.msg }

// An UnmarshalTypeError is a JSON value that does not fit the Go value it is
// decoded into. Field is the path of JSON keys that lead to it.
type UnmarshalTypeError struct {
	Value string       // "string", "number 1.5", "object", …
	Type  reflect.Type // the Go type it could not be stored in
	Field string       // dotted path of keys, "" at the top level
}

func (e *UnmarshalTypeError) Error() string {
	if e.Field != "" {
		return "json: cannot unmarshal " + e.Value + " into Go struct field " + e.Field + " of type " + e.Type.String()
	}
	return "json: cannot unmarshal " + e.Value + " into Go value of type " + e.Type.String()
}

// An UnknownFieldError is a key that names no field of the struct it is
// decoded into, with DisallowUnknownFields.
type UnknownFieldError struct{ Key string }

func (e *UnknownFieldError) Error() string { return "json: unknown field " + strconv.Quote(e.Key) }

// An InvalidUnmarshalError is a destination that is not a non-nil pointer.
type InvalidUnmarshalError struct{ Type reflect.Type }

func (e *InvalidUnmarshalError) Error() string {
	if e.Type == nil {
		return "json: Unmarshal(nil)"
	}
	return "json: Unmarshal(non-pointer or nil " + e.Type.String() + ")"
}

// An UnsupportedTypeError is a Go type outside this package's subset.
type UnsupportedTypeError struct{ Type reflect.Type }

func (e *UnsupportedTypeError) Error() string {
	return "tinyjson: unsupported type " + e.Type.String()
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	numberType     = reflect.TypeFor[json.Number]() // encoded only

	codecInterfaces = []reflect.Type{
		reflect.TypeFor[json.Marshaler](), reflect.TypeFor[json.Unmarshaler](),
		reflect.TypeFor[encoding.TextMarshaler](), reflect.TypeFor[encoding.TextUnmarshaler](),
	}
)

// hasCodecMethods reports whether t has its own JSON or text encoding
// (MarshalJSON, UnmarshalText, …), which this package does not call: such a
// type is an *UnsupportedTypeError instead of different bytes. Types of the
// language and unnamed types have no methods.
func hasCodecMethods(t reflect.Type) bool {
	if t.PkgPath() == "" || t.Kind() == reflect.Interface || t == rawMessageType {
		return false
	}
	pt := reflect.PointerTo(t)
	if pt.NumMethod() == 0 {
		return false
	}
	for _, it := range codecInterfaces {
		if t.Implements(it) || pt.Implements(it) {
			return true
		}
	}
	return false
}

// validNumber reports whether s is a JSON number.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	d := decoder{data: []byte(s)}
	_, err := d.number()
	return err == nil && d.i == len(s)
}

// Unmarshal decodes data, one JSON value with optional white space around
// it, into the value v points to, as json.Unmarshal does.
func Unmarshal(data []byte, v any) error {
	d, err := decode(data, v, false)
	if err != nil {
		return err
	}
	d.space()
	if d.i < len(d.data) {
		return d.syntax("invalid character " + quoteChar(d.data[d.i]) + " after top-level value")
	}
	return d.err
}

// Decode decodes the first JSON value of data into the value v points to
// and returns the bytes after it, as json.Decoder's Decode does (and its
// DisallowUnknownFields with strict). Use More on rest to refuse trailing
// data as json.Decoder's More would.
func Decode(data []byte, v any, strict bool) (rest []byte, err error) {
	d, err := decode(data, v, strict)
	if err != nil {
		return nil, err
	}
	return d.data[d.i:], d.err
}

// More reports whether rest, what follows a value, holds another one as
// json.Decoder's More does: its first byte after white space is not ']' or
// '}'. (So `"a"]` and `1}}` read as one value, a quirk docs/spec/06 names.)
func More(rest []byte) bool {
	d := decoder{data: rest}
	d.space()
	return d.i < len(d.data) && d.data[d.i] != ']' && d.data[d.i] != '}'
}

// decode decodes the first value of data into v: the error result is a
// syntax error or an unusable v; a type error or an unknown key is in d.err.
func decode(data []byte, v any, strict bool) (*decoder, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, &InvalidUnmarshalError{reflect.TypeOf(v)}
	}
	d := &decoder{data: data, strict: strict}
	d.space()
	if err := d.value(rv.Elem()); err != nil {
		return nil, err
	}
	return d, nil
}

// Valid reports whether data is one JSON value with optional white space.
func Valid(data []byte) bool {
	d := decoder{data: data}
	d.space()
	if d.skip() != nil {
		return false
	}
	d.space()
	return d.i == len(d.data)
}

type decoder struct {
	data   []byte
	i      int
	strict bool
	depth  int
	err    error    // the first type error or unknown key; decoding goes on
	path   []string // keys to the value being decoded, for type errors
}

func (d *decoder) syntax(msg string) error {
	return &SyntaxError{msg: msg, Offset: int64(d.i)}
}

func (d *decoder) eof() error { return d.syntax("unexpected end of JSON input") }

func (d *decoder) unexpected(context string) error {
	if d.i >= len(d.data) {
		return d.eof()
	}
	return d.syntax("invalid character " + quoteChar(d.data[d.i]) + " " + context)
}

func (d *decoder) typeError(what string, t reflect.Type) {
	if d.err == nil {
		d.err = &UnmarshalTypeError{Value: what, Type: t, Field: strings.Join(d.path, ".")}
	}
}

func (d *decoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i into v. The error result is a syntax
// error, which ends decoding; type errors are kept in d.err.
func (d *decoder) value(v reflect.Value) error {
	if d.i >= len(d.data) {
		return d.eof()
	}
	if t := v.Type(); t == numberType || hasCodecMethods(t) {
		return &UnsupportedTypeError{t}
	} else if t == rawMessageType {
		start := d.i
		if err := d.skip(); err != nil {
			return err
		}
		v.SetBytes(append(json.RawMessage(nil), d.data[start:d.i]...))
		return nil
	}
	switch c := d.data[d.i]; c {
	case 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return nil
	case '{':
		return d.object(v)
	case '[':
		return d.array(v)
	}
	v = indirect(v)
	switch c := d.data[d.i]; {
	case c == 't' || c == 'f':
		b := c == 't'
		lit := "false"
		if b {
			lit = "true"
		}
		if err := d.literal(lit); err != nil {
			return err
		}
		switch v.Kind() {
		case reflect.Bool:
			v.SetBool(b)
		case reflect.Interface:
			if v.NumMethod() != 0 {
				d.typeError("bool", v.Type())
				return nil
			}
			v.Set(reflect.ValueOf(b))
		default:
			d.typeError("bool", v.Type())
		}
		return nil
	case c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		switch v.Kind() {
		case reflect.String:
			v.SetString(s)
		case reflect.Interface:
			if v.NumMethod() != 0 {
				d.typeError("string", v.Type())
				return nil
			}
			v.Set(reflect.ValueOf(s))
		default:
			d.typeError("string", v.Type())
		}
		return nil
	case c == '-' || c >= '0' && c <= '9':
		s, err := d.number()
		if err != nil {
			return err
		}
		d.storeNumber(s, v)
		return nil
	}
	return d.unexpected("looking for beginning of value")
}

// indirect allocates nil pointers on the way to a non-pointer value.
func indirect(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	return v
}

func (d *decoder) storeNumber(s string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.typeError("number", v.Type())
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.typeError("number "+s, reflect.TypeFor[float64]())
			return
		}
		v.Set(reflect.ValueOf(f))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(n) {
			d.typeError("number "+s, v.Type())
			return
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v.OverflowUint(n) {
			d.typeError("number "+s, v.Type())
			return
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil || v.OverflowFloat(n) {
			d.typeError("number "+s, v.Type())
			return
		}
		v.SetFloat(n)
	default:
		d.typeError("number", v.Type())
	}
}

func (d *decoder) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if d.i >= len(d.data) {
			return d.eof()
		}
		if d.data[d.i] != lit[k] {
			return d.unexpected("in literal " + lit + " (expecting " + quoteChar(lit[k]) + ")")
		}
		d.i++
	}
	return nil
}

// number reads a number with the grammar of RFC 8259.
func (d *decoder) number() (string, error) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.data[d.i] == '-' {
		d.i++
	}
	if d.i >= len(d.data) {
		return "", d.eof()
	}
	switch c := d.data[d.i]; {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		digits()
	default:
		return "", d.unexpected("in numeric literal")
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", d.unexpected("after decimal point in numeric literal")
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", d.unexpected("in exponent of numeric literal")
		}
	}
	return string(d.data[start:d.i]), nil
}

// str reads a string; d.i is at its opening quote.
func (d *decoder) str() (string, error) {
	d.i++
	start := d.i
	// Fast path: printable ASCII without escapes.
	for d.i < len(d.data) {
		c := d.data[d.i]
		if c == '"' {
			s := string(d.data[start:d.i])
			d.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.i++
	}
	b := make([]byte, d.i-start, d.i-start+16)
	copy(b, d.data[start:d.i])
	for {
		if d.i >= len(d.data) {
			return "", d.eof()
		}
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
		case c < 0x20:
			return "", d.unexpected("in string literal")
		case c == '\\':
			d.i++
			if d.i >= len(d.data) {
				return "", d.eof()
			}
			switch e := d.data[d.i]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				d.i++
				r, err := d.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					// A pair, or U+FFFD for a lone half.
					r2 := rune(-1)
					if d.i+1 < len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						if r2, err = d.hex4(); err != nil {
							return "", err
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							continue
						}
						d.i = save
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", d.unexpected("in string escape code")
			}
			d.i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.data[d.i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, d.data[d.i:d.i+size]...)
			}
			d.i += size
		}
	}
}

func (d *decoder) hex4() (rune, error) {
	var r rune
	for k := 0; k < 4; k++ {
		if d.i >= len(d.data) {
			return 0, d.eof()
		}
		c := d.data[d.i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, d.unexpected("in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
		d.i++
	}
	return r, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.syntax("exceeded max depth")
	}
	return nil
}

// object decodes an object into v (a struct, a map with string keys, or an
// empty interface); d.i is at '{'.
func (d *decoder) object(v reflect.Value) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.i++
	v = indirect(v)
	var fields *structFields
	var m map[string]any // for an empty interface
	var mapElem reflect.Value
	skip := false
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.typeError("object", v.Type())
			skip = true
			break
		}
		m = map[string]any{}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return &UnsupportedTypeError{v.Type()}
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		mapElem = reflect.New(v.Type().Elem()).Elem()
	case reflect.Struct:
		var err error
		if fields, err = cachedFields(v.Type()); err != nil {
			return err
		}
	default:
		d.typeError("object", v.Type())
		skip = true
	}
	d.space()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		if m != nil {
			v.Set(reflect.ValueOf(m))
		}
		return nil
	}
	for {
		if d.i >= len(d.data) {
			return d.eof()
		}
		if d.data[d.i] != '"' {
			return d.unexpected("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.data) {
			return d.eof()
		}
		if d.data[d.i] != ':' {
			return d.unexpected("after object key")
		}
		d.i++
		d.space()
		switch {
		case skip:
			err = d.skip()
		case m != nil:
			var x any
			d.path = append(d.path, key)
			err = d.value(reflect.ValueOf(&x).Elem())
			d.path = d.path[:len(d.path)-1]
			m[key] = x
		case fields != nil:
			f := fields.find(key)
			if f == nil {
				if d.strict && d.err == nil {
					d.err = &UnknownFieldError{key}
				}
				err = d.skip()
				break
			}
			d.path = append(d.path, f.name)
			err = d.value(v.Field(f.index))
			d.path = d.path[:len(d.path)-1]
		default:
			mapElem.SetZero()
			d.path = append(d.path, key)
			err = d.value(mapElem)
			d.path = d.path[:len(d.path)-1]
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), mapElem)
		}
		if err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.data) {
			return d.eof()
		}
		switch d.data[d.i] {
		case ',':
			d.i++
			d.space()
			continue
		case '}':
			d.i++
			d.depth--
			if m != nil {
				v.Set(reflect.ValueOf(m))
			}
			return nil
		}
		return d.unexpected("after object key:value pair")
	}
}

// array decodes an array into v (a slice or an empty interface); d.i is at
// '['.
func (d *decoder) array(v reflect.Value) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.i++
	v = indirect(v)
	var list []any // for an empty interface
	isAny := false
	skip := false
	switch v.Kind() {
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.typeError("array", v.Type())
			skip = true
			break
		}
		isAny = true
		list = []any{}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return &UnsupportedTypeError{v.Type()}
		}
	default:
		d.typeError("array", v.Type())
		skip = true
	}
	d.space()
	n := 0
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		d.endArray(v, isAny, list, n, skip)
		return nil
	}
	for {
		var err error
		switch {
		case skip:
			err = d.skip()
		case isAny:
			var x any
			err = d.value(reflect.ValueOf(&x).Elem())
			list = append(list, x)
		default:
			// As encoding/json: into the slice's own elements, grown as
			// needed (a repeated key decodes over the first one's).
			if n >= v.Cap() {
				v.Grow(1)
			}
			if n >= v.Len() {
				v.SetLen(n + 1)
			}
			err = d.value(v.Index(n))
		}
		n++
		if err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.data) {
			return d.eof()
		}
		switch d.data[d.i] {
		case ',':
			d.i++
			d.space()
			continue
		case ']':
			d.i++
			d.depth--
			d.endArray(v, isAny, list, n, skip)
			return nil
		}
		return d.unexpected("after array element")
	}
}

func (d *decoder) endArray(v reflect.Value, isAny bool, list []any, n int, skip bool) {
	switch {
	case skip:
	case isAny:
		v.Set(reflect.ValueOf(list))
	case n == 0:
		v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // [] is an empty slice, not nil
	case n < v.Len():
		v.SetLen(n)
	}
}

// skip reads over one value, checking its syntax.
func (d *decoder) skip() error {
	if d.i >= len(d.data) {
		return d.eof()
	}
	switch c := d.data[d.i]; {
	case c == '{' || c == '[':
		var x any
		if c == '{' {
			return d.object(reflect.ValueOf(&x).Elem())
		}
		return d.array(reflect.ValueOf(&x).Elem())
	case c == '"':
		_, err := d.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return d.unexpected("looking for beginning of value")
}

// structFields are the JSON fields of a struct type.
type structFields struct {
	list   []field
	byName map[string]int
}

type field struct {
	name      string
	index     int
	omitEmpty bool
}

func (fs *structFields) find(key string) *field {
	if i, ok := fs.byName[key]; ok {
		return &fs.list[i]
	}
	for i := range fs.list {
		if strings.EqualFold(fs.list[i].name, key) {
			return &fs.list[i]
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → *structFields

func cachedFields(t reflect.Type) (*structFields, error) {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields), nil
	}
	fs := &structFields{byName: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, &UnsupportedTypeError{t}
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := field{name: name, index: i}
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			switch o {
			case "omitempty":
				f.omitEmpty = true
			default:
				return nil, &UnsupportedTypeError{t}
			}
		}
		if _, dup := fs.byName[name]; dup {
			return nil, &UnsupportedTypeError{t}
		}
		fs.byName[name] = len(fs.list)
		fs.list = append(fs.list, f)
	}
	fieldCache.Store(t, fs)
	return fs, nil
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
