package legacy

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/zkvault/zkvault/wasm/prim"
)

// testdata/vectors.json is written by testdata/gen-vectors.mjs, an
// independent implementation in Node WebCrypto of the legacy JavaScript. It
// is frozen: these tests read it and never run Node.

type vectorFile struct {
	Keys map[string]struct {
		Passphrase    string `json:"passphrase"`
		EncryptionKey string `json:"encryption_key"`
		SearchKey     string `json:"search_key"`
	} `json:"keys"`
	Text   []textVector   `json:"text"`
	Binary []binaryVector `json:"binary"`
	Index  []indexVector  `json:"index"`
}

type textVector struct {
	Name         string  `json:"name"`
	Kind         string  `json:"kind"` // "text" or "bytes" (an attachment)
	Passphrase   string  `json:"passphrase"`
	IV           string  `json:"iv"` // set when value is the writer's output for this IV
	Value        string  `json:"value"`
	Result       string  `json:"result"`
	PlaintextHex string  `json:"plaintext_hex"`
	Plaintext    *string `json:"plaintext"`
}

type binaryVector struct {
	Name         string `json:"name"`
	Passphrase   string `json:"passphrase"`
	IV           string `json:"iv"`
	ValueHex     string `json:"value_hex"`
	Result       string `json:"result"`
	PlaintextHex string `json:"plaintext_hex"`
}

type indexVector struct {
	Normaliser string `json:"normaliser"`
	Passphrase string `json:"passphrase"`
	Input      string `json:"input"`
	Normalised string `json:"normalised"`
	Index      string `json:"index"`
}

// The outcomes a vector can name.
const (
	outcomeSuccess      = "success"
	outcomeNotEncrypted = "not encrypted"
	outcomeMalformed    = "malformed"
	outcomeDecrypt      = "decrypt error"
)

var (
	vectorsOnce sync.Once
	vectors     vectorFile
	vectorsErr  error
)

func loadVectors(tb testing.TB) *vectorFile {
	tb.Helper()
	vectorsOnce.Do(func() {
		var b []byte
		b, vectorsErr = os.ReadFile("testdata/vectors.json")
		if vectorsErr == nil {
			vectorsErr = json.Unmarshal(b, &vectors)
		}
	})
	if vectorsErr != nil {
		tb.Fatalf("reading vectors: %v", vectorsErr)
	}
	if len(vectors.Text) == 0 || len(vectors.Binary) == 0 || len(vectors.Index) == 0 || len(vectors.Keys) == 0 {
		tb.Fatal("vectors.json has an empty section")
	}
	return &vectors
}

// rawKeys are a passphrase's derived key bytes, kept by the tests only so
// that each passphrase costs its two 100,000-iteration PBKDF2 runs once per
// test binary, whatever the number of tests and providers.
type rawKeys struct{ enc, search []byte }

var (
	rawKeysMu sync.Mutex
	rawKeysBy = map[string]rawKeys{}
)

// keyBytes derives the key bytes of the vectors' passphrase id and checks
// them against the vectors.
func keyBytes(tb testing.TB, id string) rawKeys {
	tb.Helper()
	rawKeysMu.Lock()
	defer rawKeysMu.Unlock()
	if k, ok := rawKeysBy[id]; ok {
		return k
	}
	vk, ok := loadVectors(tb).Keys[id]
	if !ok {
		tb.Fatalf("no passphrase %q in vectors", id)
	}
	ctx := context.Background()
	// The last provider is the fastest where it matters: WebCrypto's PBKDF2
	// under js/wasm.
	ps := providers(tb)
	p := ps[len(ps)-1]
	enc, err := p.PBKDF2(ctx, []byte(vk.Passphrase), []byte(encryptionSalt), iterations, keySize)
	if err != nil {
		tb.Fatal(err)
	}
	search, err := p.PBKDF2(ctx, []byte(vk.Passphrase), []byte(searchSalt), iterations, keySize)
	if err != nil {
		tb.Fatal(err)
	}
	if got := hex.EncodeToString(enc); got != vk.EncryptionKey {
		tb.Fatalf("%s: encryption key %s, want %s", id, got, vk.EncryptionKey)
	}
	if got := hex.EncodeToString(search); got != vk.SearchKey {
		tb.Fatalf("%s: search key %s, want %s", id, got, vk.SearchKey)
	}
	k := rawKeys{enc, search}
	rawKeysBy[id] = k
	return k
}

// fixedIV is a provider whose Random returns a fixed IV, so that an
// encryption can be compared with the vectors byte for byte.
type fixedIV struct {
	prim.Provider
	iv []byte
}

func (f fixedIV) Random(b []byte) error {
	if len(b) != len(f.iv) {
		return errors.New("fixedIV: unexpected length")
	}
	copy(b, f.iv)
	return nil
}

// testKeys returns Keys for the vectors' passphrase id under p.
func testKeys(tb testing.TB, p prim.Provider, id string) *Keys {
	tb.Helper()
	raw := keyBytes(tb, id)
	k, err := newKeys(context.Background(), p, raw.enc, raw.search)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// checkOutcome fails unless err is exactly the named outcome.
func checkOutcome(t *testing.T, err error, want string) {
	t.Helper()
	got := outcomeSuccess
	switch {
	case err == nil:
	case errors.Is(err, ErrNotEncrypted):
		got = outcomeNotEncrypted
	case errors.Is(err, ErrMalformed):
		got = outcomeMalformed
	case errors.Is(err, ErrDecrypt):
		got = outcomeDecrypt
		if err != ErrDecrypt || !errors.Is(err, prim.ErrDecrypt) {
			t.Errorf("decryption failure %q says more than ErrDecrypt", err)
		}
	default:
		got = "unexpected error: " + err.Error()
	}
	if got != want {
		t.Fatalf("outcome %q (err %v), want %q", got, err, want)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTextVectors(t *testing.T) {
	ctx := context.Background()
	for _, p := range providers(t) {
		for _, v := range loadVectors(t).Text {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				k := testKeys(t, p, v.Passphrase)

				pt, err := k.DecryptBytes(ctx, v.Value)
				checkOutcome(t, err, v.Result)
				s, serr := k.DecryptString(ctx, v.Value)
				if v.Result != outcomeSuccess {
					checkOutcome(t, serr, v.Result)
					return
				}
				want := mustHex(t, v.PlaintextHex)
				if !bytes.Equal(pt, want) {
					t.Fatalf("DecryptBytes = %x, want %x", pt, want)
				}
				if utf8.Valid(want) {
					if serr != nil || s != string(want) {
						t.Fatalf("DecryptString = %q, %v; want %q", s, serr, want)
					}
				} else if !errors.Is(serr, ErrNotUTF8) || s != "" {
					t.Fatalf("DecryptString of non-UTF-8 bytes = %q, %v; want ErrNotUTF8", s, serr)
				}
				if v.Plaintext != nil && s != *v.Plaintext {
					t.Fatalf("DecryptString = %q, want %q", s, *v.Plaintext)
				}

				if v.IV == "" {
					return
				}
				ek := testKeys(t, fixedIV{p, mustHex(t, v.IV)}, v.Passphrase)
				var got string
				if v.Kind == "bytes" {
					got, err = ek.EncryptBytes(ctx, want)
				} else {
					got, err = ek.EncryptString(ctx, string(want))
				}
				if err != nil || got != v.Value {
					t.Fatalf("encrypting with the vector's IV = %q, %v; want %q", got, err, v.Value)
				}
			})
		}
	}
}

func TestBinaryVectors(t *testing.T) {
	ctx := context.Background()
	for _, p := range providers(t) {
		for _, v := range loadVectors(t).Binary {
			t.Run(p.Name()+"/"+v.Name, func(t *testing.T) {
				k := testKeys(t, p, v.Passphrase)
				value := mustHex(t, v.ValueHex)
				orig := bytes.Clone(value)

				pt, err := k.DecryptBinary(ctx, value)
				if !bytes.Equal(value, orig) {
					t.Fatal("DecryptBinary modified its input")
				}
				checkOutcome(t, err, v.Result)
				if v.Result != outcomeSuccess {
					return
				}
				want := mustHex(t, v.PlaintextHex)
				if !bytes.Equal(pt, want) {
					t.Fatalf("DecryptBinary = %x, want %x", pt, want)
				}

				if v.IV == "" {
					return
				}
				ek := testKeys(t, fixedIV{p, mustHex(t, v.IV)}, v.Passphrase)
				got, err := ek.EncryptBinary(ctx, want)
				if err != nil || !bytes.Equal(got, value) {
					t.Fatalf("encrypting with the vector's IV = %x, %v; want %x", got, err, value)
				}
			})
		}
	}
}

var normalisers = map[string]func(string) string{
	"phone":   NormalizePhone,
	"name":    NormalizeName,
	"contact": NormalizeContact,
	"none":    func(s string) string { return s },
}

func TestIndexVectors(t *testing.T) {
	ctx := context.Background()
	for _, p := range providers(t) {
		for _, v := range loadVectors(t).Index {
			t.Run(p.Name()+"/"+v.Normaliser+"/"+v.Input, func(t *testing.T) {
				normalise, ok := normalisers[v.Normaliser]
				if !ok {
					t.Fatalf("unknown normaliser %q", v.Normaliser)
				}
				if got := normalise(v.Input); got != v.Normalised {
					t.Fatalf("normalised %q = %q (%+q), want %q (%+q)", v.Input, got, got, v.Normalised, v.Normalised)
				}
				k := testKeys(t, p, v.Passphrase)
				got, err := k.Index(ctx, v.Normalised)
				if err != nil || got != v.Index {
					t.Fatalf("Index(%q) = %q, %v; want %q", v.Normalised, got, err, v.Index)
				}
				if ok, err := k.VerifyIndex(ctx, v.Normalised, v.Index); !ok || err != nil {
					t.Fatalf("VerifyIndex of the vector's index = %v, %v", ok, err)
				}
				for _, wrong := range wrongIndexes(v.Index) {
					if ok, err := k.VerifyIndex(ctx, v.Normalised, wrong); ok || err != nil {
						t.Fatalf("VerifyIndex(%q) = %v, %v; want false", wrong, ok, err)
					}
				}
			})
		}
	}
}

// wrongIndexes are near misses of index that VerifyIndex must refuse.
func wrongIndexes(index string) []string {
	if index == "" {
		return []string{"0", strings.Repeat("0", 64)}
	}
	flipped := []byte(index)
	flipped[len(flipped)-1] ^= 1
	wrong := []string{"", index[:32], index + "0", string(flipped)}
	if up := strings.ToUpper(index); up != index {
		wrong = append(wrong, up)
	}
	return wrong
}

func TestDeriveKeys(t *testing.T) {
	ctx := context.Background()
	v := loadVectors(t)
	k, err := DeriveKeys(ctx, prim.Native(), v.Keys["main"].Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	// The first vectors of each kind are the main passphrase's successes.
	tv, iv := v.Text[0], v.Index[0]
	if tv.Passphrase != "main" || tv.Result != outcomeSuccess || iv.Passphrase != "main" {
		t.Fatal("vectors.json: the first text and index vectors must use the main passphrase")
	}
	if s, err := k.DecryptString(ctx, tv.Value); err != nil || s != *tv.Plaintext {
		t.Fatalf("DecryptString = %q, %v; want %q", s, err, *tv.Plaintext)
	}
	if got, err := k.Index(ctx, iv.Normalised); err != nil || got != iv.Index {
		t.Fatalf("Index = %q, %v; want %q", got, err, iv.Index)
	}

	if _, err := DeriveKeys(ctx, prim.Native(), ""); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty passphrase: %v, want ErrEmptyPassphrase", err)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, p := range providers(t) {
		k := testKeys(t, p, "main")
		for _, pt := range []string{"x", "Olá 👋", strings.Repeat("ab", 5000)} {
			a, err := k.EncryptString(ctx, pt)
			if err != nil {
				t.Fatal(err)
			}
			b, err := k.EncryptString(ctx, pt)
			if err != nil {
				t.Fatal(err)
			}
			if a == b {
				t.Fatal("two encryptions are equal: the IV is not random")
			}
			if got, err := k.DecryptString(ctx, a); err != nil || got != pt {
				t.Fatalf("round trip = %q, %v", got, err)
			}
			bin, err := k.EncryptBinary(ctx, []byte(pt))
			if err != nil {
				t.Fatal(err)
			}
			if !IsEncryptedBinary(bin) || len(bin) != binaryHeaderSize+len(pt) {
				t.Fatalf("EncryptBinary gave %d bytes", len(bin))
			}
			if got, err := k.DecryptBinary(ctx, bin); err != nil || string(got) != pt {
				t.Fatalf("binary round trip = %q, %v", got, err)
			}
		}
		if s, err := k.EncryptString(ctx, ""); s != "" || err != nil {
			t.Fatalf("EncryptString(\"\") = %q, %v", s, err)
		}
		if s, err := k.EncryptBytes(ctx, nil); s != "" || err != nil {
			t.Fatalf("EncryptBytes(nil) = %q, %v", s, err)
		}
		if b, err := k.EncryptBinary(ctx, nil); len(b) != 0 || err != nil {
			t.Fatalf("EncryptBinary(nil) = %x, %v", b, err)
		}
		// A value encrypted under one vault's keys fails under another's.
		other := testKeys(t, p, "wrong")
		v, _ := k.EncryptString(ctx, "secret")
		if _, err := other.DecryptString(ctx, v); err != ErrDecrypt {
			t.Fatalf("other passphrase: %v, want ErrDecrypt", err)
		}
	}
}

func TestIsEncrypted(t *testing.T) {
	for _, v := range loadVectors(t).Text {
		want := v.Result == outcomeMalformed || v.Result == outcomeDecrypt ||
			v.Result == outcomeSuccess && v.Value != ""
		if got := IsEncrypted(v.Value); got != want {
			t.Errorf("%s: IsEncrypted = %v, want %v", v.Name, got, want)
		}
	}
}
