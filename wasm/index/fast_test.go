package index

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// The ASCII fast paths of the text and email normalisers must give exactly
// what the general paths give. TestASCIIFastPaths compares them on every
// ASCII string of up to 2 bytes, on every string of up to 4 bytes over an
// alphabet with one character of each class the normalisers treat apart, and
// of up to 7 bytes over the characters the e-mail rules look at;
// FuzzASCIIFastPaths on anything else.

// fastPaths are the fast paths and the general paths they stand for.
var fastPaths = []struct {
	name    string
	fast    func(string) (string, error)
	general func(string) (string, error)
}{
	{"text", func(s string) (string, error) { return normalizeText(s, Options{}) }, func(s string) (string, error) { return normalizeTextUnicode(s), nil }},
	{"email", func(s string) (string, error) { return normalizeEmail(s, Options{}) }, normalizeEmailUnicode},
}

func checkFastPaths(t *testing.T, s string) {
	t.Helper()
	for _, p := range fastPaths {
		got, gotErr := p.fast(s)
		want, wantErr := p.general(s)
		if got != want || gotErr != wantErr {
			t.Fatalf("%s(%q): fast path %q, %v; general path %q, %v", p.name, s, got, gotErr, want, wantErr)
		}
	}
}

// asciiClasses has a character of each class: lower and upper case letters
// (the first and last of each), a digit, "@", ".", U+0020, the other white
// space (\t … \r), controls (U+0000, U+001F, U+007F), and other punctuation.
const asciiClasses = "azAZ0@. \t\n\v\f\r\x00\x1f\x7f-+_~"

func TestASCIIFastPaths(t *testing.T) {
	n := 0
	check := func(s string) { checkFastPaths(t, s); n++ }
	check("")
	for a := range 128 {
		check(string(rune(a)))
		for b := range 128 {
			check(string([]byte{byte(a), byte(b)}))
		}
	}
	var rec func(prefix []byte, alphabet string, depth int)
	rec = func(prefix []byte, alphabet string, depth int) {
		if len(prefix) >= 3 {
			check(string(prefix))
		}
		if depth == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			rec(append(prefix, alphabet[i]), alphabet, depth-1)
		}
	}
	// The general paths are slower under js/wasm: shorter strings there.
	short := testing.Short() || runtime.GOARCH == "wasm"
	rec(nil, asciiClasses, cond(short, 3, 4))
	// Longer strings over the characters the e-mail rules look at.
	rec(nil, "aA@. \t\x00", cond(short, 5, 7))
	for _, s := range []string{
		"user.1.abcdef@example.com", "  Ada.Lovelace@Example.COM. ", "a@b..", "a@.b", "a@b.", "@b", "a@", "a@@b",
		"a@b@c", "a b@c", "a\x7fb@c", "\tAda\x0bLovelace\r", "  José  ", "x  y", " x", "x ", "A\x00B",
	} {
		check(s)
	}
	t.Logf("%d strings", n)
}

// TestASCIIFastPathsLong checks the fast paths on random strings of up to
// 40 bytes over the characters the e-mail rules look at
// (TestASCIIFastPaths's exhaustive strings are shorter).
func TestASCIIFastPathsLong(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const alphabet = "aaaaZA@@..  \t\x00\x7f\x80é"
	n := cond(testing.Short() || runtime.GOARCH == "wasm", 20_000, 200_000)
	b := make([]byte, 0, 40)
	for range n {
		b = b[:0]
		for range r.IntN(41) {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		checkFastPaths(t, string(b))
	}
}

func FuzzASCIIFastPaths(f *testing.F) {
	for _, v := range loadVectors[normVector](f, "normalize.json") {
		in, err := v.input()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(in)
	}
	f.Add("  Ada.Lovelace@Example.COM. ")
	f.Fuzz(func(t *testing.T, s string) {
		// Fold every byte into ASCII, so that each input exercises the fast paths.
		b := []byte(s)
		for i := range b {
			b[i] &= 0x7f
		}
		checkFastPaths(t, string(b))
	})
}

func cond[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
