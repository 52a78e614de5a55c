package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func oldCheckEncV2(field, s string) error {
	rest, ok := strings.CutPrefix(s, "enc:v2:")
	if !ok {
		if strings.HasPrefix(s, "enc:") {
			return errf(CodeInvalidCiphertext, field, "unsupported ciphertext form %s: want enc:v2:<kid>:<base64url>", quote(s))
		}
		return errf(CodeInvalidCiphertext, field, "not a ciphertext: want enc:v2:<kid>:<base64url>")
	}
	kid, payload, ok := strings.Cut(rest, ":")
	if !ok {
		return errf(CodeInvalidCiphertext, field, "enc:v2 value has no payload")
	}
	if _, ok := ParseKeyVersion(kid); !ok {
		return errf(CodeInvalidCiphertext, field, "enc:v2 key id %s is not 1-4294967295 without leading zeros", quote(kid))
	}
	n, ok := Base64URLLen(payload)
	if !ok {
		return errf(CodeInvalidCiphertext, field, "enc:v2 payload is not strict base64url without padding")
	}
	if n < MinCiphertextLen {
		return errf(CodeInvalidCiphertext, field, "enc:v2 payload is %d bytes, shorter than nonce+tag+1 (%d)", n, MinCiphertextLen)
	}
	if n > MaxCiphertextLen {
		return errf(CodeTooLong, field, "enc:v2 payload is %d bytes, more than %d", n, MaxCiphertextLen)
	}
	return nil
}

func errStr(e error) string {
	if e == nil {
		return ""
	}
	ae := e.(*Error)
	return ae.Code + "|" + ae.Field + "|" + ae.Msg
}

func FuzzEncV2Same(f *testing.F) {
	for _, s := range []string{"", "enc:", "enc:v1:x", "enc:v2:", "enc:v2:1", "enc:v2:1:", "enc:v2:01:AAAA", "enc:v2:1:" + strings.Repeat("A", 40), "enc:v2:1:" + strings.Repeat("A", 39), "enc:v2:1:AB=", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := errStr(oldCheckEncV2("fields.x", s))
		if got := errStr(CheckEncV2("fields.x", s)); got != want {
			t.Fatalf("%q: %s vs %s", s, got, want)
		}
		if got := errStr(checkEncV2(fieldPath{"fields.", "x"}, []byte(s))); got != want {
			t.Fatalf("bytes %q: %s vs %s", s, got, want)
		}
		// And through ValidateRecord.
		sc := &Schema{Collection: "c", Fields: map[string]Field{"x": {Type: TypeString, Encrypted: true}}}
		raw, _ := json.Marshal(s)
		ds, _, _ := jsonString(raw)
		for _, enc := range []bool{true, false} {
			err := ValidateRecord(sc, &Record{ID: "a", Fields: map[string]json.RawMessage{"x": raw}}, enc)
			// Old path: jsonString then CheckEncV2 or plaintext checks.
			var want error
			if strings.HasPrefix(ds, "enc:") {
				want = oldCheckEncV2("fields.x", ds)
			} else if enc {
				want = errf(CodeCleartext, "fields.x", "field %s must be an enc:v2 ciphertext: the space is encrypted", quote("x"))
			} else {
				want = checkPlain(fieldPath{"fields.", "x"}, Field{Type: TypeString, Encrypted: true}, raw)
			}
			if errStr(err) != errStr(want) {
				t.Fatalf("record %q enc=%v: %s vs %s", s, enc, errStr(err), errStr(want))
			}
		}
	})
}
