package tinyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zkvault/zkvault/api"
)

// The shapes the module decodes and encodes: the api types, the bridge's
// option structs (their kinds), record field values.
type sealOpts struct {
	PrincipalID string     `json:"principalId"`
	Passphrase  *string    `json:"passphrase,omitempty"`
	Params      *params    `json:"params,omitempty"`
	Key         uint32     `json:"key,omitempty"`
	Group       *groupOpts `json:"group,omitempty"`
	Principal   *api.Principal
	Ignored     string `json:"-"`
	unexported  int
}

type params struct {
	KDF               string `json:"kdf,omitempty"`
	MemoryKiB         uint32 `json:"memoryKiB,omitempty"`
	Parallelism       uint8  `json:"parallelism,omitempty"`
	SaltSize          int    `json:"saltSize,omitempty"`
	Ratio             float64
	InsecureAllowWeak bool `json:"insecureAllowWeak,omitempty"`
}

type groupOpts struct {
	GroupID    string           `json:"groupId"`
	Recipients []map[string]any `json:"recipients"`
}

type recordItem struct {
	ID     string         `json:"id"`
	Fields map[string]any `json:"fields"`
	Errors map[string]any `json:"errors,omitempty"`
}

var targets = []struct {
	name string
	new  func() any
}{
	{"any", func() any { return new(any) }},
	{"string", func() any { return new(string) }},
	{"[]string", func() any { return new([]string) }},
	{"map[string]any", func() any { return new(map[string]any) }},
	{"[]json.RawMessage", func() any { return new([]json.RawMessage) }},
	{"json.RawMessage", func() any { return new(json.RawMessage) }},
	{"api.Record", func() any { return new(api.Record) }},
	{"api.Space", func() any { return new(api.Space) }},
	{"api.Schema", func() any { return new(api.Schema) }},
	{"[]api.Envelope", func() any { return new([]api.Envelope) }},
	{"sealOpts", func() any { return new(sealOpts) }},
	{"[]recordItem", func() any { return new([]recordItem) }},
	{"int8", func() any { return new(int8) }},
	{"*uint", func() any { return new(*uint) }},
	{"float32", func() any { return new(float32) }},
}

// errClass sorts errors into what callers tell apart.
func errClass(err error) string {
	var se1 *json.SyntaxError
	var se2 *SyntaxError
	var te1 *json.UnmarshalTypeError
	var te2 *UnmarshalTypeError
	var uf *UnknownFieldError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &se1), errors.As(err, &se2), err == io.EOF, err == io.ErrUnexpectedEOF:
		return "syntax"
	case errors.As(err, &te1), errors.As(err, &te2):
		return "type"
	case errors.As(err, &uf), strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field"
	}
	return "other: " + err.Error()
}

// checkDecode compares Unmarshal with json.Unmarshal, and Decode and More
// with a json.Decoder (with and without DisallowUnknownFields).
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	for _, mode := range []string{"Unmarshal", "Decode", "Decode strict"} {
		for _, tg := range targets {
			want, got := tg.new(), tg.new()
			var errWant, errGot error
			var moreWant, moreGot bool
			if mode == "Unmarshal" {
				errWant = json.Unmarshal(data, want)
				errGot = Unmarshal(data, got)
			} else {
				dec := json.NewDecoder(bytes.NewReader(data))
				if mode == "Decode strict" {
					dec.DisallowUnknownFields()
				}
				errWant = dec.Decode(want)
				rest, err := Decode(data, got, mode == "Decode strict")
				errGot = err
				if errWant == nil && errGot == nil {
					moreWant, moreGot = dec.More(), More(rest)
				}
			}
			if cw, cg := errClass(errWant), errClass(errGot); cw != cg {
				t.Fatalf("%s %q into %s: encoding/json %s (%v), tinyjson %s (%v)", mode, data, tg.name, cw, errWant, cg, errGot)
			}
			if moreWant != moreGot {
				t.Fatalf("%s %q into %s: More: encoding/json %v, tinyjson %v", mode, data, tg.name, moreWant, moreGot)
			}
			if errWant != nil && errClass(errWant) == "syntax" {
				continue // partial results differ, and callers drop them
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%s %q into %s:\nencoding/json %#v\ntinyjson      %#v", mode, data, tg.name, reflect.ValueOf(want).Elem(), reflect.ValueOf(got).Elem())
			}
			if errWant != nil {
				continue
			}
			checkEncode(t, reflect.ValueOf(want).Elem().Interface())
		}
	}
}

func checkEncode(t *testing.T, v any) {
	t.Helper()
	want, errWant := json.Marshal(v)
	got, errGot := Marshal(v)
	if (errWant == nil) != (errGot == nil) {
		t.Fatalf("Marshal(%#v): encoding/json %v, tinyjson %v", v, errWant, errGot)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("Marshal(%#v):\nencoding/json %s\ntinyjson      %s", v, want, got)
	}
}

var cases = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `tru`, `0`, `-0`, `01`, `-`, `1.`, `1.5e`, `1e+2`, `1E-7`,
	`-12.5e-3`, `1e400`, `-1e400`, `4e-400`, `123456789012345678901234567890`, `255`, `256`, `-129`, `-128`,
	`3.0`, `"x"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"\u12"`, `"\x"`,
	"\"\xff\xfe\"", "\"a\tb\"", `"<>&\u2028"`, `"\/\b\f\n\r\t\"\\"`, `[]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{,}`,
	`{"a":1,}`, `{"a" 1}`, `{1:2}`, `{"a":1}x`, `1 2`, ` [1, "a", null, true, {"b": [2.5]}] `,
	`["a","b"]`, `[null]`, `{"id":"r1","fields":{"a":"enc:v2:x","b":[1,2],"c":null},"index":{"i":["x"]}}`,
	`{"id":"r1","fields":{"a":1},"ID":"r2","Fields":{"b":2}}`, `{"fields":{"a":1},"fields":{"b":2}}`,
	`{"id":5}`, `{"id":"x","extra":1}`, `[{"id":"a","fields":{"x":1}},{"id":"b","fields":null,"errors":{}}]`,
	`[{"id":"a","fields":{"x":1}}]`, `{"principalId":"p","passphrase":"pw","params":{"kdf":"pbkdf2","memoryKiB":65536,"parallelism":300}}`,
	`{"principalId":"p","params":{"parallelism":4,"Ratio":0.5,"SaltSize":16.0}}`, `{"PRINCIPALID":"p","key":1,"Ignored":"x","unexported":1}`,
	`{"group":{"groupId":"g","recipients":[{"principal":"p","x":[1]}]},"Principal":{"id":"u","kind":"user","key_version":2}}`,
	`{"passphrase":null,"params":null,"key":null}`, `{"key":-1}`, `{"key":4294967296}`, `{"\u212aey":1}`, `{"ſ":1}`,
	`{"collection":"c","fields":{"f":{"type":"string","encrypted":true}},"indexes":{"i":{"fields":["f"],"normalizer":"exact","bits":16}}}`,
	`[{"kind":"passphrase","secret_version":1,"data":"abc"}]`, `{"a":{"b":{"c":[[[]]]}}}`, `"` + strings.Repeat("é", 40) + `"`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 100) + strings.Repeat("]", 100),
}

func TestDecodeLikeEncodingJSON(t *testing.T) {
	for _, c := range cases {
		checkDecode(t, []byte(c))
	}
}

func TestEncodeLikeEncodingJSON(t *testing.T) {
	s := "x"
	for _, v := range []any{
		nil, true, "a<b>&c\u2028\u2029\x00\x1f\x7f\"\\\b\f\n\r\t", "\xff\xc3", 0.0, math.Copysign(0, -1), 1e21, 1e20,
		1e-6, 1e-7, 123456.789, -5e-324, math.MaxFloat64, float32(1e-7), float32(3.4e38), float32(0.1), 1e-10,
		int8(-3), uint64(math.MaxUint64), []any{}, []string(nil), map[string]any{"b": 1.0, "a": []any{"x", nil}, "": false},
		map[string]any(nil), json.RawMessage(` { "a" : [ 1 , "<\u2028 x" ] } `), json.RawMessage(nil),
		api.Record{ID: "r", Fields: map[string]json.RawMessage{"f": json.RawMessage(`"enc:v2:a"`), "n": json.RawMessage(`null`)}},
		api.Space{ID: "s", Kind: "user", Meta: map[string]string{"k": "v"}, Envelopes: []api.Envelope{{Kind: "passphrase", Data: "d"}}},
		sealOpts{Passphrase: &s, Params: &params{}, Principal: &api.Principal{ID: "p"}},
		[]recordItem{{ID: "a"}, {ID: "b", Fields: map[string]any{"x": 1.5}, Errors: map[string]any{}}},
		map[string]any{"record": api.Record{ID: "x"}, "error": map[string]any{"code": "parse", "message": "m"}},
		json.Number("12.5e3"), json.Number(""), map[string]any{"n": []any{json.Number("-0")}},
	} {
		checkEncode(t, v)
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), []byte("x"), map[int]string{1: "a"}, [2]int{}, json.RawMessage(`{`),
		json.Number("1x"), time.Unix(0, 0), struct{ T time.Time }{}, &netip.Addr{}} {
		if _, err := Marshal(bad); err == nil {
			t.Errorf("Marshal(%#v): no error", bad)
		}
	}
}

func TestUnsupported(t *testing.T) {
	var b []byte
	if err := Unmarshal([]byte(`[1]`), &b); err == nil {
		t.Error("[]byte: no error")
	}
	var m map[int]string
	if err := Unmarshal([]byte(`{"1":"a"}`), &m); err == nil {
		t.Error("map[int]string: no error")
	}
	var tm struct{ T *time.Time }
	if err := Unmarshal([]byte(`{"T":"2006-01-02T15:04:05Z"}`), &tm); err == nil {
		t.Error("time.Time: no error")
	}
	var n json.Number
	if err := Unmarshal([]byte(`1`), &n); err == nil {
		t.Error("json.Number: no error")
	}
	type embedded struct{ api.Field }
	if _, err := Marshal(embedded{}); err == nil {
		t.Error("embedded struct: no error")
	}
	var x int
	if _, err := Decode([]byte(`1`), x, false); err == nil {
		t.Error("non-pointer: no error")
	}
}

// seeds are the frozen vectors and the shipped schemas: real JSON of the
// shapes the module reads.
func seeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, pattern := range []string{"../../wasm/testdata/*.json", "../../wasm/schemas/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
			// And the values inside, one level down.
			var top any
			if json.Unmarshal(b, &top) != nil {
				continue
			}
			var walk func(v any, depth int)
			walk = func(v any, depth int) {
				if depth > 3 {
					return
				}
				switch v := v.(type) {
				case map[string]any:
					for _, e := range v {
						walk(e, depth+1)
					}
				case []any:
					for _, e := range v {
						walk(e, depth+1)
					}
				default:
					return
				}
				if b, err := json.Marshal(v); err == nil && len(b) < 4096 {
					out = append(out, b)
				}
			}
			walk(top, 0)
		}
	}
	for _, c := range cases {
		out = append(out, []byte(c))
	}
	if len(out) < len(cases)+10 {
		t.Fatalf("only %d seeds: the vectors in wasm/testdata are missing", len(out))
	}
	return out
}

func TestVectorsLikeEncodingJSON(t *testing.T) {
	for _, s := range seeds(t) {
		checkDecode(t, s)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		if len(s) <= 4096 { // whole vector files make slow mutations
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}

func FuzzEncodeString(f *testing.F) {
	for _, s := range []string{"", "a", "<>&", "\u2028\u2029", "\xff", "é\x00\x1f\x7f", "\"\\/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEncode(t, s)
		checkEncode(t, map[string]any{s: s})
		checkEncode(t, json.RawMessage(AppendString(nil, s)))
	})
}

func FuzzEncodeFloat(f *testing.F) {
	for _, x := range []float64{0, 1, -1, 1e21, 1e-6, 1e-7, 0.1, 123456789, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		checkEncode(t, x)
		checkEncode(t, float32(x))
	})
}
