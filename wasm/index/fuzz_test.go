package index

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zkvault/zkvault/api"
)

// FuzzNormalize runs every normaliser on inputs seeded from the known-answer
// vectors: no panic, valid UTF-8 out, and idempotence.
func FuzzNormalize(f *testing.F) {
	seeds := 0
	for _, v := range loadVectors[normVector](f, "normalize.json") {
		in, err := v.input()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(in, v.Region)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds")
	}
	normalizers := []string{api.NormPhone, api.NormEmail, api.NormText, api.NormExact}
	f.Fuzz(func(t *testing.T, in, region string) {
		for _, n := range normalizers {
			out, err := Normalize(n, in, Options{Region: region})
			if err != nil {
				if out != "" {
					t.Errorf("%s(%q): output %q with error %v", n, in, out, err)
				}
				continue
			}
			if !utf8.ValidString(out) {
				t.Errorf("%s(%q) = %q: invalid UTF-8", n, in, out)
			}
			again, err := Normalize(n, out, Options{Region: region})
			if err != nil || again != out {
				t.Errorf("%s not idempotent: %q -> %q -> %q, %v", n, in, out, again, err)
			}
		}
	})
}

// TestIdempotentEdges covers inputs the fuzzer reaches rarely: long runs of
// combining marks (where normalisation inserts U+034F), expanding
// compatibility characters, ypogegrammeni.
func TestIdempotentEdges(t *testing.T) {
	for _, s := range []string{
		"a" + strings.Repeat("\u0301", 40), "и" + strings.Repeat("\u0301", 40),
		"и" + strings.Repeat("\u0301\u0316", 40), strings.Repeat("\u0301", 100),
		"x@и" + strings.Repeat("\u0301", 70) + ".com", "ﷺ", strings.Repeat("ﷺ", 4000),
		"и\u034f\u0301", "a \u0301b", "e\u200b\u0301", "\u0345", "ΐ\u0345", "ᾈ", "Ω\u0345\u0301",
	} {
		for _, n := range []string{api.NormEmail, api.NormText} {
			out, err := Normalize(n, s, Options{})
			if err != nil {
				continue
			}
			if again, err := Normalize(n, out, Options{}); again != out || err != nil {
				t.Errorf("%s(%+q): %+q, then %+q, %v", n, s, out, again, err)
			}
		}
	}
	if _, err := Normalize(api.NormText, strings.Repeat("ﷺ", 4000), Options{}); !errors.Is(err, ErrInputTooLong) {
		t.Errorf("a result longer than MaxInput: %v", err)
	}
}
