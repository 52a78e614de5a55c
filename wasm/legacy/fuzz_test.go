package legacy

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/zkvault/zkvault/wasm/prim"
)

// knownError fails unless err is nil or one of the errors decryption may
// return.
func knownError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrNotEncrypted) && !errors.Is(err, ErrMalformed) && err != ErrDecrypt {
		t.Fatalf("unexpected error: %v", err)
	}
}

func FuzzDecryptString(f *testing.F) {
	seeds := 0
	for _, v := range loadVectors(f).Text {
		f.Add(v.Value)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds in testdata/vectors.json")
	}
	k := testKeys(f, prim.Native(), "main")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, v string) {
		pt, err := k.DecryptBytes(ctx, v)
		knownError(t, err)
		s, serr := k.DecryptString(ctx, v)
		if err != nil {
			if serr == nil || serr.Error() != err.Error() {
				t.Fatalf("DecryptString: %v, DecryptBytes: %v", serr, err)
			}
			return
		}
		switch {
		case utf8.Valid(pt):
			if serr != nil || s != string(pt) {
				t.Fatalf("DecryptString = %q, %v; DecryptBytes = %q", s, serr, pt)
			}
		case !errors.Is(serr, ErrNotUTF8):
			t.Fatalf("DecryptString of non-UTF-8 bytes: %v", serr)
		}
	})
}

func FuzzDecryptBinary(f *testing.F) {
	seeds := 0
	for _, v := range loadVectors(f).Binary {
		b, err := hex.DecodeString(v.ValueHex)
		if err != nil {
			f.Fatalf("%s: %v", v.Name, err)
		}
		f.Add(b)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds in testdata/vectors.json")
	}
	k := testKeys(f, prim.Native(), "main")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		_, err := k.DecryptBinary(ctx, b)
		knownError(t, err)
		if !bytes.Equal(b, orig) {
			t.Fatal("DecryptBinary modified its input")
		}
	})
}

// FuzzNormalize checks that the normalisers never panic, produce only what
// they promise, and are idempotent.
func FuzzNormalize(f *testing.F) {
	seeds := 0
	for _, v := range loadVectors(f).Index {
		f.Add(v.Input)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds in testdata/vectors.json")
	}
	f.Fuzz(func(t *testing.T, s string) {
		phone := NormalizePhone(s)
		if phone != "" && !isPlusDigits(phone) {
			t.Fatalf("NormalizePhone(%q) = %q", s, phone)
		}
		name := NormalizeName(s)
		for i := 0; i < len(name); i++ {
			if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				t.Fatalf("NormalizeName(%q) = %q", s, name)
			}
		}
		contact := NormalizeContact(s)
		for _, c := range []struct {
			name string
			f    func(string) string
			out  string
		}{{"NormalizePhone", NormalizePhone, phone}, {"NormalizeName", NormalizeName, name}, {"NormalizeContact", NormalizeContact, contact}} {
			if again := c.f(c.out); again != c.out {
				t.Fatalf("%s is not idempotent: %q → %q → %q", c.name, s, c.out, again)
			}
		}
	})
}

func isPlusDigits(s string) bool {
	if len(s) < 2 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
