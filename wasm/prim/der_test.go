package prim_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/prim/primtest"
)

// The reference: what the providers accepted when they parsed keys with
// crypto/x509, which der.go replaces so that the WebAssembly module does
// not link it.

func x509Private(der []byte) (*rsa.PrivateKey, bool) {
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &outer); err != nil || len(rest) != 0 {
		return nil, false
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, false
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || len(rk.Primes) != 2 || rk.N.BitLen() != prim.RSABits || rk.E != prim.RSAPublicExp {
		return nil, false
	}
	return rk, true
}

func x509Public(spki []byte) (*rsa.PublicKey, bool) {
	k, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return nil, false
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != prim.RSABits || pub.E != prim.RSAPublicExp {
		return nil, false
	}
	canonical, err := x509.MarshalPKIXPublicKey(pub)
	return pub, err == nil && bytes.Equal(canonical, spki)
}

// comparePrivate fails t unless ParseRSAPrivateKey accepts der exactly
// when the crypto/x509 path does, with the same key.
func comparePrivate(t *testing.T, der []byte) (accepted bool) {
	t.Helper()
	want, wantOK := x509Private(der)
	got, err := prim.ParseRSAPrivateKey(der)
	if err != nil && !errors.Is(err, prim.ErrInvalidKey) {
		t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
	}
	if (err == nil) != wantOK {
		t.Fatalf("ParseRSAPrivateKey(%x): err = %v, crypto/x509 accepts: %v", der, err, wantOK)
	}
	if wantOK && !got.Equal(want) {
		t.Fatalf("ParseRSAPrivateKey(%x): a different key from crypto/x509's", der)
	}
	// The WebCrypto provider's check (no crypto/rsa) accepts the same keys.
	spki, err := prim.RSAPrivateKeySPKI(der)
	if err != nil && !errors.Is(err, prim.ErrInvalidKey) {
		t.Fatalf("RSAPrivateKeySPKI: error does not wrap ErrInvalidKey: %v", err)
	}
	if (err == nil) != wantOK {
		t.Fatalf("RSAPrivateKeySPKI(%x): err = %v, crypto/x509 accepts: %v", der, err, wantOK)
	}
	if wantOK {
		if wantSPKI, _ := x509.MarshalPKIXPublicKey(&want.PublicKey); !bytes.Equal(spki, wantSPKI) {
			t.Fatalf("RSAPrivateKeySPKI(%x) = %x, crypto/x509 %x", der, spki, wantSPKI)
		}
	}
	return wantOK
}

func comparePublic(t *testing.T, spki []byte) (accepted bool) {
	t.Helper()
	want, wantOK := x509Public(spki)
	got, err := prim.ParseRSAPublicKey(spki)
	if err != nil && !errors.Is(err, prim.ErrInvalidKey) {
		t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
	}
	if (err == nil) != wantOK {
		t.Fatalf("ParseRSAPublicKey(%x): err = %v, crypto/x509 accepts: %v", spki, err, wantOK)
	}
	if wantOK && !got.Equal(want) {
		t.Fatalf("ParseRSAPublicKey(%x): a different key from crypto/x509's", spki)
	}
	return wantOK
}

// derSeeds returns every PEM key in the test data (the primtest keys, the
// keys it refuses, the core's test keys) and hand-made variants of the
// first key that exercise the corners of the grammar.
func derSeeds(t testing.TB) (private, public [][]byte) {
	t.Helper()
	var files []string
	for _, glob := range []string{"primtest/testdata/*.pem", "../testdata/*.pem"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(b)
		if block == nil {
			t.Fatalf("%s: no PEM block", f)
		}
		if strings.Contains(block.Type, "PRIVATE") {
			private = append(private, block.Bytes)
		} else {
			public = append(public, block.Bytes)
		}
	}
	if len(private) < primtest.NumKeys || len(public) < primtest.NumKeys {
		t.Fatalf("found %d private and %d public keys, want at least %d of each", len(private), len(public), primtest.NumKeys)
	}

	k, err := x509.ParsePKCS8PrivateKey(primtest.Keys(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	rk := k.(*rsa.PrivateKey)
	one := big.NewInt(1)
	wrap := func(pkcs1 []byte, params asn1.RawValue) []byte {
		der, err := asn1.Marshal(pkcs8{Algo: pkix.AlgorithmIdentifier{Algorithm: oidRSA, Parameters: params}, PrivateKey: pkcs1})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	seq := func(fields ...any) []byte {
		var body []byte
		for _, f := range fields {
			b, err := asn1.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			body = append(body, b...)
		}
		der, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	add := func(x *big.Int, y int64) *big.Int { return new(big.Int).Add(x, big.NewInt(y)) }
	n, e, d, p, q := rk.N, rk.E, rk.D, rk.Primes[0], rk.Primes[1]
	dp, dq, qi := rk.Precomputed.Dp, rk.Precomputed.Dq, rk.Precomputed.Qinv
	null := asn1.NullRawValue
	emptySeq := asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true}
	octets := asn1.RawValue{Tag: asn1.TagOctetString, Bytes: []byte{1}}
	attrs := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true}
	for _, pkcs1 := range [][]byte{
		seq(0, n, e, d, p, q, dp, dq, qi),                   // the key itself
		seq(0, n, e, d, p, q),                               // no CRT values
		seq(0, n, e, d, p, q, dp),                           // some
		seq(0, n, e, d, p, q, dp, dq, qi, emptySeq),         // empty otherPrimeInfos
		seq(0, n, e, d, p, q, dp, dq, qi, octets),           // something else after
		seq(0, n, e, d, p, q, octets, dp, dq, qi),           // ... or before
		seq(0, n, e, d, p, q, dp, dq, qi, seq(p, one, one)), // another prime
		seq(1, n, e, d, p, q, dp, dq, qi),                   // version 1
		seq(2, n, e, d, p, q, dp, dq, qi),                   // version 2
		seq(-1, n, e, d, p, q, dp, dq, qi),                  // version -1
		seq(0, n, 3, d, p, q, dp, dq, qi),                   // another exponent
		seq(0, n, e, d, p, q, dq, dp, qi),                   // CRT values swapped
		seq(0, n, e, d, q, p, dq, dp, qi),                   // primes swapped
		seq(0, n, e, d, p, q, dp, dq, new(big.Int).Neg(qi)), // negative
		seq(0, n, e, d, p, q, dp, dq, new(big.Int)),         // zero
		seq(0, n, e, d, p, q, dp, dq),                       // no qInv
		// Inconsistent values (rsacheck.go against crypto/rsa's Validate).
		seq(0, n, e, add(d, 2), p, q, dp, dq, qi),              // d
		seq(0, n, e, add(d, 2), p, q),                          // d, no CRT values
		seq(0, n, e, n, p, q),                                  // d = N
		seq(0, n, e, d, p, q, add(dp, 2), dq, qi),              // dP
		seq(0, n, e, d, p, q, dp, add(dq, 2), qi),              // dQ
		seq(0, n, e, d, p, q, dp, dq, add(qi, 1)),              // qInv
		seq(0, n, e, d, p, q, dp, dq, new(big.Int).Add(qi, p)), // qInv + p
		seq(0, n, e, d, p, q, new(big.Int).Add(dp, p), dq, qi), // dP + p
		seq(0, n, e, d, add(p, 2), q, dp, dq, qi),              // p
		seq(0, n, e, d, add(p, 2), q),                          // p, no CRT values
		seq(0, n, e, d, p, add(q, 2)),                          // q, no CRT values
		seq(0, n, e, d, p, p, dp, dp, qi),                      // q = p
		seq(0, n, e, d, one, n, dp, dq, qi),                    // p = 1
		seq(0, add(n, 2), e, d, p, q, dp, dq, qi),              // N
		seq(0, n, e, d, p, q, add(dp, -1), dq, qi),             // dP - 1
		seq(0, n, e, d, p, q, dp, dq, add(qi, -1)),             // qInv - 1
	} {
		private = append(private,
			wrap(pkcs1, null),
			wrap(pkcs1, asn1.RawValue{}),
			wrap(pkcs1, octets),
			append(wrap(pkcs1, null), 0),
		)
	}
	// Attributes and unknown fields after privateKey, the AlgorithmIdentifier
	// with more in it, non-minimal and indefinite lengths.
	good := primtest.Keys(t)[0]
	body := good[4:]
	private = append(private,
		seqOf(append(append([]byte(nil), body...), mustMarshal(t, attrs)...)),
		seqOf(append(append([]byte(nil), body...), 0x05, 0x00)),
		append([]byte{0x30, 0x83, 0x00}, good[2:]...),
		append([]byte{0x30, 0x80}, append(append([]byte(nil), body...), 0, 0)...),
	)
	return private, public
}

func seqOf(body []byte) []byte {
	der, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		panic(err)
	}
	return der
}

func mustMarshal(t testing.TB, v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutate returns b changed in a few random places: bytes set, bits
// flipped, bytes inserted and deleted, the end cut or extended, lengths
// nudged.
func mutate(r *rand.Rand, b []byte) []byte {
	b = bytes.Clone(b)
	for range 1 + r.IntN(3) {
		if len(b) == 0 {
			return append(b, byte(r.IntN(256)))
		}
		i := r.IntN(len(b))
		switch r.IntN(8) {
		case 0:
			b[i] = byte(r.IntN(256))
		case 1:
			b[i] ^= 1 << r.IntN(8)
		case 2:
			b = append(b[:i], append([]byte{byte(r.IntN(256))}, b[i:]...)...)
		case 3:
			b = append(b[:i], b[i+1:]...)
		case 4:
			b = b[:i]
		case 5:
			b = append(b, byte(r.IntN(256)))
		case 6:
			b[i]++
		case 7:
			// A byte near the start, where the headers are.
			j := r.IntN(min(len(b), 48))
			b[j] = []byte{0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x1f, 0x30, 0x7f, 0x80, 0x81, 0x82, 0x83, 0xff}[r.IntN(14)]
		}
	}
	return b
}

// TestDERAgainstX509 checks that ParseRSAPrivateKey and ParseRSAPublicKey
// accept exactly what the crypto/x509 path accepts, on the test keys,
// hand-made variants and random mutations of them.
func TestDERAgainstX509(t *testing.T) {
	private, public := derSeeds(t)
	accepted := 0
	for _, der := range private {
		if comparePrivate(t, der) {
			accepted++
		}
	}
	if accepted < 8 {
		t.Fatalf("only %d seed keys accepted: the variants do not test what they should", accepted)
	}
	for _, der := range public {
		comparePublic(t, der)
	}
	r := rand.New(rand.NewPCG(1, 2))
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	for range rounds {
		comparePrivate(t, mutate(r, private[r.IntN(len(private))]))
	}
	for range 20 * rounds {
		comparePublic(t, mutate(r, public[r.IntN(len(public))]))
	}
	// Every prefix and every single-byte deletion of one key.
	good := primtest.Keys(t)[0]
	for i := range len(good) {
		comparePrivate(t, good[:i])
		if i < 64 {
			comparePrivate(t, append(bytes.Clone(good[:i]), good[i+1:]...))
		}
	}
}

// TestDERMarshalAgainstX509 checks that the encoders give crypto/x509's
// bytes.
func TestDERMarshalAgainstX509(t *testing.T) {
	private, _ := derSeeds(t)
	for _, der := range private {
		want, ok := x509Private(der)
		if !ok {
			continue
		}
		spki, err := prim.MarshalRSAPublicKey(&want.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if wantSPKI, _ := x509.MarshalPKIXPublicKey(&want.PublicKey); !bytes.Equal(spki, wantSPKI) {
			t.Errorf("MarshalRSAPublicKey = %x, crypto/x509 %x", spki, wantSPKI)
		}
		k, err := prim.Native().ImportRSAPrivate(t.Context(), der, true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.ExportPKCS8(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if wantDER, _ := x509.MarshalPKCS8PrivateKey(want); !bytes.Equal(got, wantDER) {
			t.Errorf("ExportPKCS8 = %x, crypto/x509 %x", got, wantDER)
		}
	}
	if _, err := prim.MarshalRSAPublicKey(&rsa.PublicKey{N: big.NewInt(3), E: 3}); !errors.Is(err, prim.ErrInvalidKey) {
		t.Errorf("MarshalRSAPublicKey of a small key: %v", err)
	}
}

// FuzzParseRSAPrivateKey checks ParseRSAPrivateKey against crypto/x509.
func FuzzParseRSAPrivateKey(f *testing.F) {
	private, _ := derSeeds(f)
	if len(private) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range private {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, der []byte) { comparePrivate(t, der) })
}

// FuzzParseRSAPublicKey checks ParseRSAPublicKey against crypto/x509.
func FuzzParseRSAPublicKey(f *testing.F) {
	_, public := derSeeds(f)
	if len(public) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range public {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, der []byte) { comparePublic(t, der) })
}
