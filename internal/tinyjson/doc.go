// Package tinyjson is the JSON codec of the WebAssembly module: the subset of
// encoding/json that the crypto core (wasm/) and the JavaScript bridge
// (jsbridge/) use, with encoding/json's results, in a fraction of its size.
//
// Why: encoding/json costs the module about 100 KB brotli (its decoder and
// encoder state machines, the Marshaler and TextMarshaler machinery, the
// time.Time parsing it keeps reachable), a ninth of the 900 KB budget of
// issue 3. The server and the tools keep encoding/json; only code that is
// compiled into zkvault.wasm uses this package. Its types stay
// encoding/json's: a json.RawMessage is decoded and encoded as encoding/json
// does (this package names the type only, which links none of
// encoding/json's code).
//
// # Subset
//
// Decoding: booleans, strings, integers of every size, float32 and float64,
// pointers, structs (exported fields, `json:"name"` and `json:"name,omitempty"`
// tags, `json:"-"`; no embedded structs), maps with string keys, slices,
// json.RawMessage and the empty interface (nil, bool, float64, string, []any,
// map[string]any). As encoding/json: keys match field names exactly or else
// case-insensitively (strings.EqualFold), null leaves a non-pointer value
// alone, a value of the wrong type is an *UnmarshalTypeError after the rest
// is decoded, invalid UTF-8 and lone surrogates become U+FFFD, and nesting
// stops at 10,000 levels. Unlike encoding/json's Decoder, there is no
// streaming: one value, then only white space.
//
// Encoding: the same kinds, with encoding/json's bytes: struct fields in
// order, omitempty, map keys sorted, HTML-safe string escapes (<, >, &,
// U+2028, U+2029), invalid UTF-8 as \ufffd, encoding/json's float format,
// nil slices and maps as null, a json.RawMessage compacted.
//
// Any other type (arrays, []byte, channels, non-string map keys, types with
// MarshalJSON or MarshalText methods other than json.RawMessage) is an
// *UnsupportedTypeError rather than a silent difference. The tests compare
// both directions with encoding/json on the shapes the module uses and on
// fuzzed input.
package tinyjson
