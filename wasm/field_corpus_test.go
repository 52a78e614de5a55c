package zkvault

// The enc:v2 differential corpus: valid fields and every kind of damage,
// each with the outcome Go gives for it (OpenField, and OpenFields in one
// batch, which must agree). The JS package opens field batches with a
// second implementation of this format (jsbridge/js/src/fieldopen.js); its
// node:test and browser suites open this corpus through that code and check
// every item against Go's outcome:
//
//	go test ./wasm -run '^TestFieldCorpus$' -args -fieldcorpus.out=FILE
//
// writes it (jsbridge/js/test/fieldcorpus.js runs that itself).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

var fieldCorpusOut = flag.String("fieldcorpus.out", "", "write the enc:v2 differential corpus (JSON) to this file")

// corpusField is one item: where it lives, its text, and Go's outcome:
// Value (standard base64 of the plaintext) or Code (the JS error code).
type corpusField struct {
	Name       string  `json:"name"`
	Collection string  `json:"collection"`
	RecordID   string  `json:"recordId"`
	Field      string  `json:"field"`
	Ciphertext string  `json:"ciphertext"`
	Value      *string `json:"value,omitempty"`
	Code       string  `json:"code,omitempty"`
}

type fieldCorpus struct {
	SpaceID  string        `json:"spaceId"`
	Handover string        `json:"handover"` // the keyring (zk.openHandover)
	Fields   []corpusField `json:"fields"`
}

// corpusCode is the code the JS bridge gives err (jsbridge/errors.go).
func corpusCode(err error) string {
	var pe *ParseError
	switch {
	case errors.Is(err, ErrUnknownKeyVersion):
		return "unknown_key_version"
	case errors.Is(err, ErrIncorrectKey):
		return "incorrect_key"
	case errors.As(err, &pe):
		return "parse"
	}
	return "unexpected: " + err.Error()
}

func corpusRand(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func buildFieldCorpus(t testing.TB) fieldCorpus {
	ctx := context.Background()
	const spaceID = "corpus-space"
	s := newSpaceWithSecrets(native, spaceID, map[uint32][]byte{
		1: corpusRand(SecretSize), 2: corpusRand(SecretSize), 4294967295: corpusRand(SecretSize),
	})
	s.current = 2
	other := newSpaceWithSecrets(native, "corpus-other", map[uint32][]byte{1: corpusRand(SecretSize)})
	ref := FieldRef{Collection: "messages", RecordID: "m-1", Field: "text"}
	var fields []corpusField
	add := func(name string, r FieldRef, ct string) {
		fields = append(fields, corpusField{Name: name, Collection: r.Collection, RecordID: r.RecordID, Field: r.Field, Ciphertext: ct})
	}
	seal := func(sp *Space, v uint32, r FieldRef, value []byte, padded bool) string {
		sv, err := sp.version(v)
		if err != nil {
			t.Fatal(err)
		}
		a, err := sp.fieldAEAD(ctx, sv)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := sp.sealField(ctx, a, sv.kid, r, value, padded)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	// sealInner seals an inner plaintext as it is (no padding added): bad
	// padding, values over the maximum.
	sealInner := func(v uint32, r FieldRef, inner []byte) string {
		sv, _ := s.version(v)
		a, err := s.fieldAEAD(ctx, sv)
		if err != nil {
			t.Fatal(err)
		}
		nonce := corpusRand(prim.GCMNonceSize)
		sealed, err := a.Seal(ctx, nonce, inner, fieldAAD(s.id, r, sv.kid))
		if err != nil {
			t.Fatal(err)
		}
		return FieldPrefix + sv.kid + ":" + base64.RawURLEncoding.EncodeToString(append(nonce, sealed...))
	}
	body := func(ct string) string { return ct[strings.LastIndexByte(ct, ':')+1:] }

	// Valid fields.
	for _, v := range []uint32{1, 2, 4294967295} {
		for _, padded := range []bool{false, true} {
			add(fmt.Sprintf("empty v%d pad=%v", v, padded), ref, seal(s, v, ref, nil, padded))
			add(fmt.Sprintf("json v%d pad=%v", v, padded), ref, seal(s, v, ref, []byte(`"Hello, world"`), padded))
		}
	}
	for n := 0; n <= 40; n++ {
		add(fmt.Sprintf("length %d", n), ref, seal(s, 1, ref, corpusRand(n), n%2 == 0))
	}
	for _, n := range []int{1023, 1024, 1025, 4096, 65536} {
		add(fmt.Sprintf("length %d padded", n), ref, seal(s, 2, ref, bytes.Repeat([]byte("k"), n), true))
	}
	add("non-ASCII", ref, seal(s, 2, ref, []byte("héllo ✓ 😀 \u2028 日本"), false))
	add("invalid UTF-8", ref, seal(s, 2, ref, []byte{0xff, 0xfe, 'a', 0xc3, 0x80, 0xe2, 0x82}, true))
	add("byte order mark", ref, seal(s, 2, ref, []byte("\ufeffbom"), false))
	add("ends in 00 and 80", ref, seal(s, 2, ref, []byte{'a', 0x80, 0x00, 0x80, 0x00}, false))
	add("all 80", ref, seal(s, 2, ref, bytes.Repeat([]byte{0x80}, 17), true))
	add("max value padded", ref, seal(s, 1, ref, bytes.Repeat([]byte("m"), MaxFieldValue), true))
	add("max value", ref, seal(s, 2, ref, corpusRand(MaxFieldValue), false))
	longRef := FieldRef{Collection: "C" + strings.Repeat("a_9", 21), RecordID: "=" + strings.Repeat("aZ09._-:@+", 12) + "=+@:-_.", Field: "f"}
	add("longest names and id", longRef, seal(s, 1, longRef, []byte("x"), true))

	good := seal(s, 1, ref, []byte("a value to damage, long enough for all of it"), false)
	goodBody := body(good)
	good2 := seal(s, 2, ref, []byte("version two"), true)

	// Refs.
	for _, r := range []FieldRef{
		{"", "m-1", "text"}, {"1messages", "m-1", "text"}, {"bad name", "m-1", "text"}, {"messages", "m-1", ""},
		{strings.Repeat("c", 65), "m-1", "text"}, {"messages", "", "text"}, {"messages", ".m", "text"},
		{"messages", strings.Repeat("r", 129), "text"}, {"messages", "a/b", "text"}, {"messages", "é", "text"},
		{"messages", "m-1", "te-xt"}, {"messagés", "m-1", "text"}, {"messages", "m 1", "text"},
	} {
		add(fmt.Sprintf("bad ref %q %q %q", r.Collection, r.RecordID, r.Field), r, good)
	}
	// Prefix and key id.
	for _, ct := range []string{
		"", "enc:v2", "enc:v2:", "enc:v2:1", "enc:v2:1:", "enc:v1:1:" + goodBody, "ENC:v2:1:" + goodBody,
		"xenc:v2:1:" + goodBody, " enc:v2:1:" + goodBody, "enc:v2:01:" + goodBody, "enc:v2::" + goodBody,
		"enc:v2:0:" + goodBody, "enc:v2:4294967296:" + goodBody, "enc:v2:99999999999:" + goodBody,
		"enc:v2:+1:" + goodBody, "enc:v2:-1:" + goodBody, "enc:v2:1a:" + goodBody, "enc:v2:١:" + goodBody,
		"enc:v2: 1:" + goodBody, "enc:v2:1 :" + goodBody, "enc:v2:1:" + goodBody + ":", "enc:v2:1:1:" + goodBody,
	} {
		add(fmt.Sprintf("text %.40q", ct), ref, ct)
	}
	add("unknown version 3", ref, "enc:v2:3:"+goodBody)
	add("unknown version 4294967294", ref, "enc:v2:4294967294:"+goodBody)
	add("relabelled as version 2", ref, "enc:v2:2:"+goodBody)
	// Base64.
	last := goodBody[len(goodBody)-1]
	trail := func(c byte) string { return goodBody[:len(goodBody)-1] + string(c) }
	for name, b := range map[string]string{
		"padding =":           goodBody + "=",
		"padding ==":          goodBody + "==",
		"padding inside":      goodBody[:8] + "=" + goodBody[9:],
		"plus":                goodBody[:5] + "+" + goodBody[6:],
		"slash":               goodBody[:5] + "/" + goodBody[6:],
		"space":               goodBody[:5] + " " + goodBody[5:],
		"space replacing":     goodBody[:5] + " " + goodBody[6:],
		"LF":                  goodBody[:5] + "\n" + goodBody[5:],
		"CR LF":               goodBody[:5] + "\r\n" + goodBody[5:],
		"tab":                 goodBody[:5] + "\t" + goodBody[5:],
		"form feed":           goodBody[:5] + "\f" + goodBody[5:],
		"trailing LF":         goodBody + "\n",
		"dot":                 goodBody[:5] + "." + goodBody[6:],
		"non-ASCII":           goodBody[:5] + "é" + goodBody[6:],
		"NUL":                 goodBody[:5] + "\x00" + goodBody[6:],
		"one more character":  goodBody + "A",
		"one character less":  goodBody[:len(goodBody)-1],
		"two characters less": goodBody[:len(goodBody)-2],
		"trailing bit 1":      trail(last + 1),
		"trailing bits 2":     trail(last + 2),
		"trailing bits 3":     trail(last + 3),
	} {
		add("body "+name, ref, "enc:v2:1:"+b)
	}
	// Lengths.
	raw, _ := base64.RawURLEncoding.DecodeString(goodBody)
	for _, n := range []int{0, 1, 12, 28, 29, 30} {
		add(fmt.Sprintf("truncated to %d bytes", n), ref, "enc:v2:1:"+base64.RawURLEncoding.EncodeToString(raw[:n]))
	}
	inner := maxFieldInner + 1
	over := base64.RawURLEncoding.EncodeToString(corpusRand(prim.GCMNonceSize + inner + prim.GCMTagSize))
	add("inner over the maximum", ref, "enc:v2:1:"+over)
	add("inner over the maximum, unknown version", ref, "enc:v2:7:"+over)
	add("inner at the maximum, random", ref, "enc:v2:1:"+base64.RawURLEncoding.EncodeToString(corpusRand(prim.GCMNonceSize+maxFieldInner+prim.GCMTagSize)))
	add("text over the maximum", ref, "enc:v2:1:"+over+strings.Repeat("A", maxFieldText))
	// Place (associated data).
	for _, r := range []FieldRef{
		{"messages", "m-2", "text"}, {"messages", "m-1", "text2"}, {"notes", "m-1", "text"}, {"messages", "m-1", "Text"},
	} {
		add(fmt.Sprintf("moved to %s/%s/%s", r.Collection, r.RecordID, r.Field), r, good)
	}
	add("other space", ref, seal(other, 1, ref, []byte("elsewhere"), false))
	add("version 2 relabelled as 1", ref, "enc:v2:1:"+body(good2))
	add("version 2 relabelled as 4294967295", ref, "enc:v2:4294967295:"+body(good2))
	// Flipped bits.
	for _, at := range []int{0, 11, 12, len(raw) - 17, len(raw) - 16, len(raw) - 1} {
		b := bytes.Clone(raw)
		b[at] ^= 0x01
		add(fmt.Sprintf("bit flipped at %d", at), ref, "enc:v2:1:"+base64.RawURLEncoding.EncodeToString(b))
	}
	// Padding.
	add("inner all zeros", ref, sealInner(1, ref, make([]byte, 16)))
	add("inner one zero", ref, sealInner(1, ref, []byte{0}))
	add("inner one 80", ref, sealInner(1, ref, []byte{0x80}))
	add("inner ends in 81", ref, sealInner(1, ref, []byte("abc\x81")))
	add("inner ends in 80 01", ref, sealInner(1, ref, []byte("abc\x80\x01")))
	add("inner without marker, zeros", ref, sealInner(1, ref, []byte("abc\x00\x00")))
	add("value over the maximum", ref, sealInner(1, ref, append(bytes.Repeat([]byte("o"), MaxFieldValue+1), 0x80)))
	add("value at the maximum, padded by hand", ref, sealInner(1, ref, append(append(bytes.Repeat([]byte("o"), MaxFieldValue), 0x80), make([]byte, maxFieldInner-MaxFieldValue-1)...)))

	// Outcomes: OpenField one by one, and OpenFields in one batch, agree.
	in := make([]FieldCiphertext, len(fields))
	for i, f := range fields {
		in[i] = FieldCiphertext{Ref: FieldRef{f.Collection, f.RecordID, f.Field}, Ciphertext: f.Ciphertext}
	}
	vals, errs := s.OpenFields(ctx, in)
	for i := range fields {
		f := &fields[i]
		v, err := s.OpenField(ctx, in[i].Ref, f.Ciphertext)
		if (err == nil) != (errs[i] == nil) || err != nil && corpusCode(err) != corpusCode(errs[i]) || !bytes.Equal(v, vals[i]) {
			t.Fatalf("%s: OpenField gives %v, OpenFields %v", f.Name, err, errs[i])
		}
		if err != nil {
			f.Code = corpusCode(err)
			if strings.HasPrefix(f.Code, "unexpected") {
				t.Fatalf("%s: %v", f.Name, err)
			}
			continue
		}
		enc := base64.StdEncoding.EncodeToString(v)
		f.Value = &enc
	}
	h, err := s.HandoverKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return fieldCorpus{SpaceID: spaceID, Handover: h, Fields: fields}
}

// TestFieldCorpus builds the corpus and checks that it has every kind of
// outcome; with -fieldcorpus.out it writes it for the JS suites.
func TestFieldCorpus(t *testing.T) {
	c := buildFieldCorpus(t)
	count := map[string]int{}
	for _, f := range c.Fields {
		if f.Value != nil {
			count["ok"]++
		} else {
			count[f.Code]++
		}
	}
	for _, k := range []string{"ok", "parse", "unknown_key_version", "incorrect_key"} {
		if count[k] < 3 {
			t.Errorf("corpus has %d items of outcome %s, want at least 3: %v", count[k], k, count)
		}
	}
	if *fieldCorpusOut == "" {
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*fieldCorpusOut, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
