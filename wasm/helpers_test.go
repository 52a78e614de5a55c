package zkvault

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/prim/primtest"
	"github.com/zkvault/zkvault/wasm/stream"
)

var native = prim.Native()

// providers are the providers the known-answer vectors run against: the
// pure-Go one, and WebCrypto under js/wasm (providers_js_test.go).
var providers = []prim.Provider{native}

// fastArgon2id and fastPBKDF2 keep tests fast. Only TestDefaultParams and
// the vectors use the defaults.
var (
	fastArgon2id = PassphraseParams{KDF: KDFArgon2id, MemoryKiB: 64, Time: 1, Parallelism: 1, InsecureAllowWeak: true}
	fastPBKDF2   = PassphraseParams{KDF: KDFPBKDF2, Iterations: 1000, InsecureAllowWeak: true}
)

// testKeyHolders returns key holders of the pre-generated test keys of
// primtest (extractable).
func testKeyHolders(t testing.TB) []*KeyHolder {
	t.Helper()
	var out []*KeyHolder
	for _, der := range primtest.Keys(t) {
		k, err := native.ImportRSAPrivate(context.Background(), der, true)
		if err != nil {
			t.Fatal(err)
		}
		h, err := NewKeyHolder(context.Background(), native, k, 1)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// vectorKey returns the key holder of testdata/<name>.pk8.pem, the fixed
// keys of the known-answer vectors.
func vectorKey(t testing.TB, name string) *KeyHolder {
	t.Helper()
	return vectorKeyWith(t, native, name)
}

func vectorKeyWith(t testing.TB, p prim.Provider, name string) *KeyHolder {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".pk8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := ImportPEM(context.Background(), p, b, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func vectorPKCS8(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".pk8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("testdata/%s.pk8.pem: no PEM block", name)
	}
	return block.Bytes
}

// outcome names the result of an operation as the vectors do.
func outcome(err error) string {
	var pe *ParseError
	var se *SchemaError
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, ErrIncorrectKey):
		return "incorrect key"
	case errors.Is(err, ErrWorkFactor):
		return "work factor too high"
	case errors.Is(err, ErrUnknownKeyVersion):
		return "unknown key version"
	case errors.As(err, &pe):
		return "parse error"
	case errors.As(err, &se):
		return "schema error"
	case errors.Is(err, stream.ErrCorrupt):
		return "corrupt blob"
	}
	return "unexpected error: " + err.Error()
}

// withRand makes random() return the bytes of r until the test ends.
func withRand(t testing.TB, r []byte) *bytes.Reader {
	t.Helper()
	br := bytes.NewReader(r)
	testRand = br
	t.Cleanup(func() { testRand = nil })
	return br
}

func testSpace(t testing.TB, id string) *Space {
	t.Helper()
	s, err := NewSpace(context.Background(), native, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
