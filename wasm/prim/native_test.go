package prim_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/prim/primtest"
)

func TestNative(t *testing.T) {
	primtest.TestProvider(t, prim.Native())
}

func TestNativeWycheproof(t *testing.T) {
	primtest.TestWycheproof(t, prim.Native())
}

// TestNativeInconsistentPrivateKey checks what crypto/x509 validates for us
// on import: a PKCS #8 key whose parts do not fit together is refused. (Not
// in primtest: WebCrypto implementations differ in how much they check.)
func TestNativeInconsistentPrivateKey(t *testing.T) {
	ctx := t.Context()
	der := primtest.Keys(t)[0]
	for name, mutate := range map[string]func(*rsa.PrivateKey){
		"unchanged": func(*rsa.PrivateKey) {},
		"d changed": func(k *rsa.PrivateKey) { k.D.Xor(k.D, big.NewInt(2)) },
		"p changed": func(k *rsa.PrivateKey) { k.Primes[0].Add(k.Primes[0], big.NewInt(2)) },
		"n changed": func(k *rsa.PrivateKey) { k.N.Add(k.N, big.NewInt(2)) },
	} {
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		rk := k.(*rsa.PrivateKey)
		mutate(rk)
		// Encode by hand: MarshalPKCS8PrivateKey would refuse or repair.
		bad, err := asn1.Marshal(pkcs8{
			Algo:       pkix.AlgorithmIdentifier{Algorithm: oidRSA, Parameters: asn1.NullRawValue},
			PrivateKey: pkcs1(rk),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = prim.Native().ImportRSAPrivate(ctx, bad, true)
		if name == "unchanged" {
			// The control: the hand encoding itself is right.
			if err != nil || !bytes.Equal(bad, der) {
				t.Fatalf("unchanged key, encoded by hand: %v (same bytes: %v)", err, bytes.Equal(bad, der))
			}
			continue
		}
		if !errors.Is(err, prim.ErrInvalidKey) {
			t.Errorf("%s: ImportRSAPrivate err = %v, want prim.ErrInvalidKey", name, err)
		}
	}
}

var oidRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}

type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// pkcs1 encodes k as RFC 8017 RSAPrivateKey from its fields as they are,
// without validating or recomputing anything.
func pkcs1(k *rsa.PrivateKey) []byte {
	der, err := asn1.Marshal(struct {
		Version      int
		N            *big.Int
		E            int
		D, P, Q      *big.Int
		Dp, Dq, Qinv *big.Int
	}{0, k.N, k.E, k.D, k.Primes[0], k.Primes[1], k.Precomputed.Dp, k.Precomputed.Dq, k.Precomputed.Qinv})
	if err != nil {
		panic(err)
	}
	return der
}

// TestNativeContext checks that cheap calls still honour a cancelled
// context where the provider says it does.
func TestNativeContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := prim.Native()
	k, err := p.ImportRSAPrivate(t.Context(), primtest.Keys(t)[0], false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Decrypt(ctx, make([]byte, prim.RSACiphertextSize), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Decrypt with a cancelled context: %v", err)
	}
	if _, err := k.Public().Encrypt(ctx, []byte("x"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Encrypt with a cancelled context: %v", err)
	}
}

// FuzzImportRSAPublic checks that ImportRSAPublic never panics and that
// whatever it accepts it gives back byte for byte: one key, one encoding,
// one fingerprint.
func FuzzImportRSAPublic(f *testing.F) {
	seeds := primtest.PublicKeys(f)
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spki []byte) {
		k, err := prim.Native().ImportRSAPublic(t.Context(), spki)
		if err != nil {
			if !errors.Is(err, prim.ErrInvalidKey) {
				t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
			}
			return
		}
		if got := k.SPKI(); !bytes.Equal(got, spki) {
			t.Fatalf("accepted %x but re-exports %x", spki, got)
		}
	})
}

// BenchmarkNative runs the shared provider benchmarks against Native. The
// WebCrypto provider runs the same sub-benchmarks, so that the two can be
// compared operation by operation.
func BenchmarkNative(b *testing.B) {
	primtest.Benchmark(b, prim.Native())
}

// TestNativeAppendAEAD: SealTo and OpenTo give what Seal and Open give, in
// place and appended to a prefix; a failed OpenTo is ErrDecrypt and leaves
// no plaintext in the buffer.
func TestNativeAppendAEAD(t *testing.T) {
	ctx := t.Context()
	key := bytes.Repeat([]byte{7}, 32)
	a, err := prim.Native().NewAEAD(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	app, ok := a.(prim.AppendAEAD)
	if !ok {
		t.Fatal("the native AEAD is not an AppendAEAD")
	}
	nonce := make([]byte, prim.GCMNonceSize)
	pt := []byte("sixteen byte msg and then some more")
	ad := []byte("ad")
	want, err := a.Seal(ctx, nonce, pt, ad)
	if err != nil {
		t.Fatal(err)
	}
	// In place: the buffer has room for the tag.
	buf := make([]byte, len(pt), len(pt)+prim.GCMTagSize)
	copy(buf, pt)
	got, err := app.SealTo(ctx, buf[:0], nonce, buf, ad)
	if err != nil || !bytes.Equal(got, want) || &got[0] != &buf[0] {
		t.Fatalf("SealTo in place: %x, %v (same memory: %v)", got, err, err == nil && &got[0] == &buf[0])
	}
	opened, err := app.OpenTo(ctx, got[:0], nonce, got, ad)
	if err != nil || !bytes.Equal(opened, pt) {
		t.Fatalf("OpenTo in place: %q, %v", opened, err)
	}
	// Appended after a prefix.
	got, err = app.SealTo(ctx, []byte("prefix"), nonce, pt, ad)
	if err != nil || string(got[:6]) != "prefix" || !bytes.Equal(got[6:], want) {
		t.Fatalf("SealTo after a prefix: %x, %v", got, err)
	}
	// Tampered: ErrDecrypt itself, and the buffer holds no plaintext.
	bad := bytes.Clone(want)
	bad[0] ^= 1
	out, err := app.OpenTo(ctx, bad[:0], nonce, bad, ad)
	if err != prim.ErrDecrypt || out != nil {
		t.Fatalf("OpenTo of a tampered ciphertext: %q, %v", out, err)
	}
	if bytes.Contains(bad, pt[:8]) {
		t.Error("a failed OpenTo left plaintext in the buffer")
	}
	for _, n := range [][]byte{nil, make([]byte, 8)} {
		if _, err := app.OpenTo(ctx, nil, n, want, ad); err != prim.ErrDecrypt {
			t.Errorf("OpenTo with a %d-byte nonce: %v", len(n), err)
		}
		if _, err := app.SealTo(ctx, nil, n, pt, ad); err == nil {
			t.Errorf("SealTo with a %d-byte nonce succeeded", len(n))
		}
	}
	if _, err := app.OpenTo(ctx, nil, nonce, want[:prim.GCMTagSize-1], ad); err != prim.ErrDecrypt {
		t.Errorf("OpenTo of a ciphertext shorter than the tag: %v", err)
	}
}
