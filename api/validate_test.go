package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	good := []string{"a", "A-1", "user@example.com", "x:y+z=", "_x", strings.Repeat("a", 128), "a.b"}
	bad := []string{"", ".", "..", ".hidden", "a/b", `a\b`, "a b", "a\x00", "a\n", "é", strings.Repeat("a", 129), "a?b", "a%2Fb"}
	for _, s := range good {
		if !ValidID(s) {
			t.Errorf("ValidID(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
	if !ValidName("chat_Name1") || ValidName("1a") || ValidName("a-b") || ValidName(strings.Repeat("a", 65)) {
		t.Error("ValidName")
	}
}

func TestBase64URLLen(t *testing.T) {
	for n := 0; n < 70; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		s := base64.RawURLEncoding.EncodeToString(b)
		if got, ok := Base64URLLen(s); !ok || got != n {
			t.Fatalf("len %d: got %d %v", n, got, ok)
		}
	}
	// Go's decoders skip \r and \n even in Strict mode; the spec does not.
	for _, s := range []string{"AAAA\n", "AA\r\nAA", "\nAAAA"} {
		if _, ok := Base64URLLen(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
	for _, s := range []string{"A", "AB=", "AB==", "a+b/", "AB", "ABC", "A B", "AB_-"} {
		_, ok := Base64URLLen(s)
		_, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if ok != (err == nil) {
			t.Errorf("%q: ok %v, strict decode error %v", s, ok, err)
		}
	}
}

func TestCheckEncV2(t *testing.T) {
	p := base64.RawURLEncoding.EncodeToString(make([]byte, 29))
	good := []string{"enc:v2:1:" + p, "enc:v2:4294967295:" + p}
	bad := []string{"enc:v2:0:" + p, "enc:v2:01:" + p, "enc:v2:4294967296:" + p, "enc:v2::" + p, "enc:v2:1",
		"enc:v2:1:" + p[:len(p)-1], "enc:v2:1:" + p + "=", "enc:v1:1:" + p, "enc:v2:1:" + strings.Replace(p, "A", "/", 1),
		"enc:v2:1:" + base64.RawURLEncoding.EncodeToString(make([]byte, 28)), "plain", "",
		"enc:v2:1:" + base64.RawURLEncoding.EncodeToString(make([]byte, MaxCiphertextLen+1))}
	for _, s := range good {
		if err := CheckEncV2("f", s); err != nil {
			t.Errorf("%.40q: %v", s, err)
		}
	}
	for _, s := range bad {
		if err := CheckEncV2("f", s); err == nil {
			t.Errorf("%.40q accepted", s)
		}
	}
}

func envelopeData(kind byte, fp []byte, kv uint32) string {
	b := append([]byte(EnvelopeMagic), kind)
	if kind == 1 {
		b = append(b, fp...)
		b = append(b, byte(kv>>24), byte(kv>>16), byte(kv>>8), byte(kv))
	}
	return base64.RawURLEncoding.EncodeToString(append(b, "payload"...))
}

func TestValidateEnvelope(t *testing.T) {
	fp := make([]byte, 32)
	fp[0] = 0xab
	fph := "ab" + strings.Repeat("00", 31)
	ok := Envelope{Kind: RecipientPrincipal, Principal: "alice", Fingerprint: fph, KeyVersion: 3, SecretVersion: 1, Data: envelopeData(1, fp, 3)}
	if err := ValidateEnvelope("e", &ok); err != nil {
		t.Fatal(err)
	}
	pp := Envelope{Kind: RecipientPassphrase, SecretVersion: 1, Data: envelopeData(2, nil, 0)}
	if err := ValidateEnvelope("e", &pp); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(e *Envelope){
		"version mismatch":     func(e *Envelope) { e.KeyVersion = 4 },
		"fingerprint mismatch": func(e *Envelope) { e.Fingerprint = strings.Repeat("00", 32) },
		"kind mismatch":        func(e *Envelope) { e.Data = envelopeData(3, nil, 0) },
		"no secret version":    func(e *Envelope) { e.SecretVersion = 0 },
		"bad principal":        func(e *Envelope) { e.Principal = "a/b" },
		"unknown kind":         func(e *Envelope) { e.Kind = "rsa" },
		"bad base64":           func(e *Envelope) { e.Data = "***" },
		"truncated header":     func(e *Envelope) { e.Data = base64.RawURLEncoding.EncodeToString([]byte("ZKE\x02\x01abc")) },
		"passphrase fields":    func(e *Envelope) { *e = pp; e.Principal = "alice" },
	} {
		e := ok
		mod(&e)
		if err := ValidateEnvelope("e", &e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidateRecord(t *testing.T) {
	s := &Schema{Collection: "c", Fields: map[string]Field{
		"secret": {Type: TypeString, Encrypted: true},
		"tags":   {Type: TypeString, Multi: true},
		"n":      {Type: TypeNumber, Filter: true},
		"t":      {Type: TypeTime},
		"phones": {Type: TypeString, Encrypted: true, Multi: true},
	}, Indexes: map[string]Index{
		"one":  {Fields: []string{"secret"}, Normalizer: NormExact, Bits: 12},
		"many": {Fields: []string{"phones"}, Normalizer: NormPhone, Bits: 16},
	}, TimeField: "t"}
	if err := ValidateSchema(s); err != nil {
		t.Fatal(err)
	}
	p := base64.RawURLEncoding.EncodeToString(make([]byte, 40))
	rec := func(fields string, index map[string][]string) *Record {
		r := &Record{ID: "r1", Index: index}
		if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
			t.Fatal(err)
		}
		return r
	}
	good := rec(`{"secret":"enc:v2:1:`+p+`","tags":["a","b"],"n":-1.5e3,"t":1700000000000}`, map[string][]string{"one": {"0abc"}, "many": {"0001", "0002"}})
	if err := ValidateRecord(s, good, true); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*Record{
		"cleartext":        rec(`{"secret":"hi"}`, nil),
		"tags not array":   rec(`{"tags":"a"}`, nil),
		"tags wrong elem":  rec(`{"tags":[1]}`, nil),
		"time fraction":    rec(`{"t":1.5}`, nil),
		"number string":    rec(`{"n":"1"}`, nil),
		"unknown":          rec(`{"x":1}`, nil),
		"index upper":      rec(`{}`, map[string][]string{"one": {"0ABC"}}),
		"index short":      rec(`{}`, map[string][]string{"one": {"abc"}}),
		"index multi":      rec(`{}`, map[string][]string{"one": {"0abc", "0abd"}}),
		"index empty":      rec(`{}`, map[string][]string{"many": {}}),
		"index unknown":    rec(`{}`, map[string][]string{"zzz": {"00"}}),
		"null plain":       rec(`{"n":null}`, nil),
		"enc in clear bad": rec(`{"secret":"enc:v2:1:!"}`, nil),
	} {
		if err := ValidateRecord(s, r, true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A clear space accepts plaintext in an encrypted field, of its type.
	if err := ValidateRecord(s, rec(`{"secret":"hi"}`, nil), false); err != nil {
		t.Errorf("clear: %v", err)
	}
	if err := ValidateRecord(s, rec(`{"secret":5}`, nil), false); err == nil {
		t.Error("clear: wrong type accepted")
	}
}

func FuzzParseEnvelopeHeader(f *testing.F) {
	fp := make([]byte, 32)
	for _, s := range []string{envelopeData(1, fp, 1), envelopeData(2, nil, 0), envelopeData(3, nil, 0), "", "WktFAg"} {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseEnvelopeHeader(b)
		if err == nil && h.Kind == 1 && len(h.Fingerprint) != 64 {
			t.Fatalf("fingerprint %q", h.Fingerprint)
		}
		e := Envelope{Kind: RecipientPrincipal, Principal: "p", Fingerprint: h.Fingerprint, KeyVersion: h.KeyVersion, SecretVersion: 1, Data: base64.RawURLEncoding.EncodeToString(b)}
		ValidateEnvelope("e", &e)
	})
}

func FuzzCheckEncV2(f *testing.F) {
	for _, s := range []string{"enc:v2:1:" + base64.RawURLEncoding.EncodeToString(make([]byte, 29)), "enc:v2:01:AAAA", "enc:v1:a:b:c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckEncV2("f", s)
		if err == nil {
			rest := strings.TrimPrefix(s, "enc:v2:")
			_, payload, _ := strings.Cut(rest, ":")
			if _, derr := base64.RawURLEncoding.Strict().DecodeString(payload); derr != nil {
				t.Fatalf("accepted %q whose payload does not decode: %v", s, derr)
			}
		}
	})
}

func TestDecodeBase64URLStrict(t *testing.T) {
	if b, err := DecodeBase64URL("aGVsbG8"); err != nil || string(b) != "hello" {
		t.Fatalf("DecodeBase64URL(aGVsbG8) = %q, %v", b, err)
	}
	// encoding/base64 alone (even Strict) accepts the line-broken forms.
	for _, bad := range []string{"aGVs\nbG8", "aGVs\r\nbG8", "aGVsbG8=", "aGVsbG9", "aGVs+G8", "aGVs/G8", "a"} {
		if _, err := DecodeBase64URL(bad); err == nil {
			t.Errorf("DecodeBase64URL(%q) accepted", bad)
		}
	}
}

// decodeBase64URLTwoPass is DecodeBase64URL as it was: base64URLLen's check,
// then the decoding.
func decodeBase64URLTwoPass(s string) ([]byte, error) {
	if _, ok := base64URLLen(s); !ok {
		return nil, errBase64URL
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

var base64URLSeeds = []string{
	"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "AAAAA", "AQ", "AR", "AQI", "AQJ",
	"AA\n", "A\nA", "\rAAA", "AA==", "AAA=", "AA+/", "AA-_", "AA A", "AA\x00A",
	"aGVsbG8", "aGVsbG8=", "aGVsbG9", "_-_-", "////", "AAAA\r\n", "\xffAAA",
}

func FuzzDecodeBase64URL(f *testing.F) {
	for _, s := range base64URLSeeds {
		f.Add(s)
	}
	if len(base64URLSeeds) == 0 {
		f.Fatal("no seeds")
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := DecodeBase64URL(s)
		want, wantErr := decodeBase64URLTwoPass(s)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("DecodeBase64URL(%q) = %x, %v; the two-pass check gives %x, %v", s, got, err, want, wantErr)
		}
		if err != nil && err != errBase64URL {
			t.Fatalf("DecodeBase64URL(%q): error %v", s, err)
		}
	})
}

// BenchmarkDecodeBase64URL: the body of an enc:v2 field of 1 KiB, in one pass
// and as it was (two passes); run it in WebAssembly too (GOOS=js GOARCH=wasm).
func BenchmarkDecodeBase64URL(b *testing.B) {
	s := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xa5, 0x17, 0x3c}, 1052/3+1))
	for _, bc := range []struct {
		name string
		f    func(string) ([]byte, error)
	}{{"OnePass", DecodeBase64URL}, {"TwoPass", decodeBase64URLTwoPass}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if _, err := bc.f(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
