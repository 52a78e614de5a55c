// Package primtest is the conformance kit every prim.Provider must pass, and
// the RSA-4096 test keys that other packages' tests use instead of generating
// keys.
//
// A provider's test calls TestProvider (round trips, known answers computed
// outside Go, tampering, size and key checks, extractability) and
// TestWycheproof (Project Wycheproof vectors read from the folder named by
// ZKVAULT_WYCHEPROOF). The package builds on every platform, js/wasm
// included, so that the WebCrypto provider runs the same suite in Node.
package primtest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

// TestProvider runs the conformance suite against p. It generates RSA keys
// once (two keys, concurrently) unless testing.Short().
func TestProvider(t *testing.T, p prim.Provider) {
	if p.Name() == "" {
		t.Error("Name() is empty")
	}
	t.Run("Random", func(t *testing.T) { testRandom(t, p) })
	t.Run("SHA256", func(t *testing.T) { testSHA256(t, p) })
	t.Run("AEAD", func(t *testing.T) { testAEAD(t, p) })
	t.Run("MAC", func(t *testing.T) { testMAC(t, p) })
	t.Run("HKDF", func(t *testing.T) { testHKDF(t, p) })
	t.Run("PBKDF2", func(t *testing.T) { testPBKDF2(t, p) })
	t.Run("RSA", func(t *testing.T) { testRSA(t, p) })
	t.Run("GenerateRSA", func(t *testing.T) { testGenerateRSA(t, p) })
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test vector: %v", err)
	}
	return b
}

// wantDecryptErr fails unless err is prim.ErrDecrypt itself: not wrapped,
// not annotated, so that failures cannot be told apart.
func wantDecryptErr(t testing.TB, what string, out []byte, err error) {
	t.Helper()
	if err != prim.ErrDecrypt { //nolint:errorlint // identity is the point
		t.Errorf("%s: err = %v, want exactly prim.ErrDecrypt", what, err)
	}
	if out != nil {
		t.Errorf("%s: returned %d bytes alongside the error", what, len(out))
	}
}

func wantInvalidKey(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, prim.ErrInvalidKey) {
		t.Errorf("%s: err = %v, want prim.ErrInvalidKey", what, err)
	}
}

func flip(b []byte, bit int) []byte {
	c := bytes.Clone(b)
	c[bit/8] ^= 1 << (bit % 8)
	return c
}

func testRandom(t *testing.T, p prim.Provider) {
	if err := p.Random(nil); err != nil {
		t.Errorf("Random(nil) = %v", err)
	}
	a, b := make([]byte, 64), make([]byte, 64)
	if err := p.Random(a); err != nil {
		t.Fatal(err)
	}
	if err := p.Random(b); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 64)) {
		t.Errorf("Random returned repeated or zero output: %x, %x", a, b)
	}
	// WebCrypto's getRandomValues takes at most 65536 bytes per call; a
	// provider must hide that limit.
	big := make([]byte, 200000)
	if err := p.Random(big); err != nil {
		t.Fatalf("Random(200000 bytes) = %v", err)
	}
	if bytes.Equal(big[len(big)-64:], make([]byte, 64)) {
		t.Error("Random left the tail of a large buffer zero")
	}
}

func testSHA256(t *testing.T, p prim.Provider) {
	for _, v := range shaKATs {
		got, err := p.SHA256(t.Context(), v.msg)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if hex.EncodeToString(got[:]) != v.digest {
			t.Errorf("%s: SHA256 = %x, want %s", v.name, got, v.digest)
		}
	}
}

func testAEAD(t *testing.T, p prim.Provider) {
	ctx := t.Context()
	t.Run("KnownAnswer", func(t *testing.T) {
		for _, v := range aeadKATs {
			a, err := p.NewAEAD(ctx, v.key)
			if err != nil {
				t.Fatalf("%s: NewAEAD: %v", v.name, err)
			}
			pt := bytes.Clone(v.plaintext)
			sealed, err := a.Seal(ctx, v.nonce, pt, v.aad)
			if err != nil {
				t.Fatalf("%s: Seal: %v", v.name, err)
			}
			if !bytes.Equal(pt, v.plaintext) {
				t.Errorf("%s: Seal modified its plaintext", v.name)
			}
			got := hex.EncodeToString(sealed)
			if v.sealedSHA256 {
				d := sha256.Sum256(sealed)
				got = hex.EncodeToString(d[:])
			}
			if got != v.sealed {
				t.Errorf("%s: Seal = %s, want %s", v.name, got, v.sealed)
			}
			if len(sealed) != len(v.plaintext)+prim.GCMTagSize {
				t.Errorf("%s: sealed is %d bytes, want %d", v.name, len(sealed), len(v.plaintext)+prim.GCMTagSize)
			}
			opened, err := a.Open(ctx, v.nonce, sealed, v.aad)
			if err != nil || !bytes.Equal(opened, v.plaintext) {
				t.Errorf("%s: Open = %x, %v; want the plaintext", v.name, opened, err)
			}
		}
	})

	key := seq(0x40, 32)
	a, err := p.NewAEAD(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	nonce := seq(0x70, 12)

	t.Run("RoundTrip", func(t *testing.T) {
		for _, n := range []int{0, 1, 15, 16, 17, 1024, 65536 + 5} {
			pt := make([]byte, n)
			if err := p.Random(pt); err != nil {
				t.Fatal(err)
			}
			for _, aad := range [][]byte{nil, []byte("aad"), seq(0, 300)} {
				sealed, err := a.Seal(ctx, nonce, pt, aad)
				if err != nil {
					t.Fatalf("Seal(%d bytes): %v", n, err)
				}
				opened, err := a.Open(ctx, nonce, sealed, aad)
				if err != nil || !bytes.Equal(opened, pt) {
					t.Fatalf("Open(Seal(%d bytes)) = %v; want the plaintext", n, err)
				}
			}
		}
		// nil and empty associated data are the same thing.
		s1, err1 := a.Seal(ctx, nonce, []byte("x"), nil)
		s2, err2 := a.Seal(ctx, nonce, []byte("x"), []byte{})
		if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) {
			t.Errorf("Seal with nil and empty associated data differ: %x, %x (%v, %v)", s1, s2, err1, err2)
		}
	})

	t.Run("Tamper", func(t *testing.T) {
		pt, aad := []byte("attack at dawn"), []byte("zkvault/v2/test")
		sealed, err := a.Seal(ctx, nonce, pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		for bit := range len(sealed) * 8 {
			out, err := a.Open(ctx, nonce, flip(sealed, bit), aad)
			wantDecryptErr(t, fmt.Sprintf("bit %d of ciphertext flipped", bit), out, err)
		}
		for bit := range len(nonce) * 8 {
			out, err := a.Open(ctx, flip(nonce, bit), sealed, aad)
			wantDecryptErr(t, fmt.Sprintf("bit %d of nonce flipped", bit), out, err)
		}
		for n := range len(sealed) {
			out, err := a.Open(ctx, nonce, sealed[:n], aad)
			wantDecryptErr(t, fmt.Sprintf("truncated to %d bytes", n), out, err)
		}
		out, err := a.Open(ctx, nonce, append(bytes.Clone(sealed), 0), aad)
		wantDecryptErr(t, "byte appended", out, err)
		out, err = a.Open(ctx, nonce, sealed, nil)
		wantDecryptErr(t, "associated data dropped", out, err)
		out, err = a.Open(ctx, nonce, sealed, append(bytes.Clone(aad), 0))
		wantDecryptErr(t, "associated data extended", out, err)
		out, err = a.Open(ctx, nonce, sealed, flip(aad, 3))
		wantDecryptErr(t, "associated data modified", out, err)
		other, err := p.NewAEAD(ctx, flip(key, 0))
		if err != nil {
			t.Fatal(err)
		}
		out, err = other.Open(ctx, nonce, sealed, aad)
		wantDecryptErr(t, "wrong key", out, err)
	})

	t.Run("Sizes", func(t *testing.T) {
		for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
			_, err := p.NewAEAD(ctx, make([]byte, n))
			wantInvalidKey(t, fmt.Sprintf("NewAEAD(%d-byte key)", n), err)
		}
		_, err := p.NewAEAD(ctx, nil)
		wantInvalidKey(t, "NewAEAD(nil)", err)
		sealed, err := a.Seal(ctx, nonce, []byte("x"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 8, 11, 13, 16, 32} {
			if _, err := a.Seal(ctx, make([]byte, n), []byte("x"), nil); err == nil {
				t.Errorf("Seal accepted a %d-byte nonce", n)
			}
			out, err := a.Open(ctx, make([]byte, n), sealed, nil)
			wantDecryptErr(t, fmt.Sprintf("Open with a %d-byte nonce", n), out, err)
		}
		out, err := a.Open(ctx, nonce, nil, nil)
		wantDecryptErr(t, "Open(nil ciphertext)", out, err)
	})

	t.Run("Concurrent", func(t *testing.T) {
		concurrently(t, 8, func(i int) error {
			pt := []byte(strconv.Itoa(i))
			n := seq(byte(i), 12)
			for range 20 {
				s, err := a.Seal(ctx, n, pt, pt)
				if err != nil {
					return err
				}
				o, err := a.Open(ctx, n, s, pt)
				if err != nil || !bytes.Equal(o, pt) {
					return fmt.Errorf("round trip failed: %v", err)
				}
			}
			return nil
		})
	})
}

func testMAC(t *testing.T, p prim.Provider) {
	ctx := t.Context()
	for _, v := range macKATs {
		m, err := p.NewMAC(ctx, v.key)
		if err != nil {
			t.Fatalf("%s: NewMAC: %v", v.name, err)
		}
		got, err := m.Sum(ctx, v.msg)
		if err != nil {
			t.Fatalf("%s: Sum: %v", v.name, err)
		}
		if hex.EncodeToString(got) != v.tag {
			t.Errorf("%s: Sum = %x, want %s", v.name, got, v.tag)
		}
		// The result is the caller's: changing it changes nothing else.
		got[0] ^= 0xff
		again, err := m.Sum(ctx, v.msg)
		if err != nil || hex.EncodeToString(again) != v.tag {
			t.Errorf("%s: second Sum = %x, %v; want %s", v.name, again, err, v.tag)
		}
	}
	_, err := p.NewMAC(ctx, nil)
	wantInvalidKey(t, "NewMAC(empty key)", err)

	m, err := p.NewMAC(ctx, seq(0, 32))
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Sum(ctx, []byte("zkvault"))
	if err != nil {
		t.Fatal(err)
	}
	concurrently(t, 8, func(int) error {
		for range 50 {
			got, err := m.Sum(ctx, []byte("zkvault"))
			if err != nil {
				return err
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("concurrent Sum = %x, want %x", got, want)
			}
		}
		return nil
	})
}

func testHKDF(t *testing.T, p prim.Provider) {
	ctx := t.Context()
	for _, v := range hkdfKATs {
		got, err := p.HKDF(ctx, v.secret, v.salt, v.info, v.length)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if len(got) != v.length {
			t.Fatalf("%s: got %d bytes, want %d", v.name, len(got), v.length)
		}
		s := hex.EncodeToString(got)
		if v.okmSHA256 {
			d := sha256.Sum256(got)
			s = hex.EncodeToString(d[:])
		}
		if s != v.okm {
			t.Errorf("%s: HKDF = %s, want %s", v.name, s, v.okm)
		}
	}
	for _, n := range []int{-1, 0, prim.MaxDeriveLength + 1, 1 << 20} {
		if out, err := p.HKDF(ctx, seq(0, 32), nil, nil, n); err == nil {
			t.Errorf("HKDF accepted length %d (returned %d bytes)", n, len(out))
		}
	}
}

func testPBKDF2(t *testing.T, p prim.Provider) {
	ctx := t.Context()
	for _, v := range pbkdf2KATs {
		got, err := p.PBKDF2(ctx, v.password, v.salt, v.iterations, len(v.dk)/2)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if hex.EncodeToString(got) != v.dk {
			t.Errorf("%s: PBKDF2 = %x, want %s", v.name, got, v.dk)
		}
	}
	pw, salt := []byte("password"), seq(0, 16)
	for _, n := range []int{-1, 0} {
		if _, err := p.PBKDF2(ctx, pw, salt, n, 32); err == nil {
			t.Errorf("PBKDF2 accepted %d iterations", n)
		}
	}
	// Only where int can hold it (not on 32-bit platforms).
	if n := int64(prim.MaxPBKDF2Iterations) + 1; int64(int(n)) == n {
		if _, err := p.PBKDF2(ctx, pw, salt, int(n), 32); err == nil {
			t.Errorf("PBKDF2 accepted %d iterations", n)
		}
	}
	for _, n := range []int{-1, 0, prim.MaxDeriveLength + 1} {
		if _, err := p.PBKDF2(ctx, pw, salt, 1, n); err == nil {
			t.Errorf("PBKDF2 accepted key length %d", n)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.PBKDF2(cctx, pw, salt, 600000, 32); !errors.Is(err, context.Canceled) {
		t.Errorf("PBKDF2 with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func testRSA(t *testing.T, p prim.Provider) {
	ctx := t.Context()
	keys, pubs := Keys(t), PublicKeys(t)
	privs := make([]prim.PrivateKey, len(keys))

	t.Run("Import", func(t *testing.T) {
		for i := range keys {
			k, err := p.ImportRSAPrivate(ctx, keys[i], true)
			if err != nil {
				t.Fatalf("key %d: ImportRSAPrivate: %v", i, err)
			}
			privs[i] = k
			spki := k.Public().SPKI()
			if !bytes.Equal(spki, pubs[i]) {
				t.Errorf("key %d: SPKI differs from OpenSSL's:\n got %x\nwant %x", i, spki, pubs[i])
			}
			fp := sha256.Sum256(spki)
			if hex.EncodeToString(fp[:]) != keyFingerprints[i] {
				t.Errorf("key %d: fingerprint %x, want %s", i, fp, keyFingerprints[i])
			}
			spki[0] ^= 0xff // the caller's copy
			if !bytes.Equal(k.Public().SPKI(), pubs[i]) {
				t.Errorf("key %d: SPKI changed after the caller modified a returned copy", i)
			}
			der, err := k.ExportPKCS8(ctx)
			if err != nil {
				t.Fatalf("key %d: ExportPKCS8 of an extractable key: %v", i, err)
			}
			if !bytes.Equal(der, keys[i]) {
				t.Errorf("key %d: ExportPKCS8 is not the canonical PKCS #8 it was imported from", i)
			}
			k2, err := p.ImportRSAPrivate(ctx, der, true)
			if err != nil {
				t.Fatalf("key %d: re-import of the export: %v", i, err)
			}
			if !bytes.Equal(k2.Public().SPKI(), pubs[i]) {
				t.Errorf("key %d: re-imported key has another SPKI", i)
			}

			pub, err := p.ImportRSAPublic(ctx, pubs[i])
			if err != nil {
				t.Fatalf("key %d: ImportRSAPublic: %v", i, err)
			}
			if !bytes.Equal(pub.SPKI(), pubs[i]) || !bytes.Equal(pub.SPKI(), pub.SPKI()) {
				t.Errorf("key %d: ImportRSAPublic(spki).SPKI() != spki", i)
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("NotExtractable", func(t *testing.T) {
		k, err := p.ImportRSAPrivate(ctx, keys[0], false)
		if err != nil {
			t.Fatal(err)
		}
		der, err := k.ExportPKCS8(ctx)
		if !errors.Is(err, prim.ErrNotExtractable) || der != nil {
			t.Errorf("ExportPKCS8 of a non-extractable key = %d bytes, %v; want prim.ErrNotExtractable", len(der), err)
		}
		if !bytes.Equal(k.Public().SPKI(), pubs[0]) {
			t.Error("non-extractable key has another SPKI")
		}
		// It still decrypts.
		v := rsaKATs[0]
		out, err := k.Decrypt(ctx, unhex(t, v.ciphertext), v.label)
		if err != nil || !bytes.Equal(out, v.msg) {
			t.Errorf("non-extractable Decrypt = %x, %v", out, err)
		}
	})

	t.Run("KnownAnswer", func(t *testing.T) {
		for _, v := range rsaKATs {
			out, err := privs[v.key].Decrypt(ctx, unhex(t, v.ciphertext), v.label)
			if err != nil || !bytes.Equal(out, v.msg) {
				t.Errorf("%s: Decrypt = %x, %v; want %x", v.name, out, err, v.msg)
			}
			if v.label == nil {
				out, err := privs[v.key].Decrypt(ctx, unhex(t, v.ciphertext), []byte{})
				if err != nil || !bytes.Equal(out, v.msg) {
					t.Errorf("%s: Decrypt with an empty (not nil) label = %x, %v", v.name, out, err)
				}
			}
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		pub, err := p.ImportRSAPublic(ctx, pubs[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 32, prim.RSAOAEPMaxMessage} {
			for _, label := range [][]byte{nil, []byte("zkvault/v2/envelope/rsa")} {
				msg := seq(byte(n), n)
				c1, err := pub.Encrypt(ctx, msg, label)
				if err != nil {
					t.Fatalf("Encrypt(%d bytes): %v", n, err)
				}
				c2, err := privs[1].Public().Encrypt(ctx, msg, label)
				if err != nil {
					t.Fatalf("Encrypt(%d bytes): %v", n, err)
				}
				if len(c1) != prim.RSACiphertextSize || len(c2) != prim.RSACiphertextSize {
					t.Fatalf("ciphertexts are %d and %d bytes, want %d", len(c1), len(c2), prim.RSACiphertextSize)
				}
				if bytes.Equal(c1, c2) {
					t.Error("two encryptions of one message are equal: OAEP must be randomised")
				}
				for _, c := range [][]byte{c1, c2} {
					out, err := privs[1].Decrypt(ctx, c, label)
					if err != nil || !bytes.Equal(out, msg) {
						t.Errorf("Decrypt(Encrypt(%d bytes)) = %v", n, err)
					}
				}
			}
		}
		for _, n := range []int{prim.RSAOAEPMaxMessage + 1, 512, 4096} {
			if _, err := pub.Encrypt(ctx, make([]byte, n), nil); err == nil {
				t.Errorf("Encrypt accepted a %d-byte message", n)
			}
		}
	})

	t.Run("Tamper", func(t *testing.T) {
		label := []byte("zkvault/v2/test-label")
		c, err := privs[2].Public().Encrypt(ctx, []byte("key"), label)
		if err != nil {
			t.Fatal(err)
		}
		try := func(what string, k prim.PrivateKey, c, label []byte) {
			t.Helper()
			out, err := k.Decrypt(ctx, c, label)
			wantDecryptErr(t, what, out, err)
		}
		try("wrong label", privs[2], c, []byte("zkvault/v2/test-labem"))
		try("label dropped", privs[2], c, nil)
		try("wrong key", privs[0], c, label)
		for _, bit := range []int{0, 7, 8, 1000, 2048, 4095} {
			try(fmt.Sprintf("bit %d flipped", bit), privs[2], flip(c, bit), label)
		}
		try("empty", privs[2], nil, label)
		try("truncated", privs[2], c[:511], label)
		try("byte appended", privs[2], append(bytes.Clone(c), 0), label)
		try("byte prepended", privs[2], append([]byte{0}, c...), label)
		try("all zero", privs[2], make([]byte, 512), label)
		try("all 0xff (not below the modulus)", privs[2], rep(0xff, 512), label)
	})

	t.Run("Refuse", func(t *testing.T) { testRefuse(t, p, keys, pubs) })

	t.Run("Concurrent", func(t *testing.T) {
		v := rsaKATs[0]
		c := unhex(t, v.ciphertext)
		concurrently(t, 4, func(int) error {
			for range 3 {
				out, err := privs[v.key].Decrypt(ctx, c, v.label)
				if err != nil || !bytes.Equal(out, v.msg) {
					return fmt.Errorf("concurrent Decrypt = %x, %v", out, err)
				}
			}
			return nil
		})
	})
}

func testRefuse(t *testing.T, p prim.Provider, keys, pubs [][]byte) {
	ctx := t.Context()
	for _, name := range []string{"reject-rsa2048", "reject-rsa4096-e3", "reject-rsa4096-3primes", "reject-p256"} {
		der := readPEM(t, name+".pk8.pem", "PRIVATE KEY")
		for _, ext := range []bool{true, false} {
			_, err := p.ImportRSAPrivate(ctx, der, ext)
			wantInvalidKey(t, "ImportRSAPrivate("+name+")", err)
		}
	}
	for _, name := range []string{"reject-rsa2048", "reject-rsa4096-e3", "reject-p256"} {
		_, err := p.ImportRSAPublic(ctx, readPEM(t, name+".spki.pem", "PUBLIC KEY"))
		wantInvalidKey(t, "ImportRSAPublic("+name+")", err)
	}
	// The public half of a three-prime key is an ordinary public key.
	if _, err := p.ImportRSAPublic(ctx, spkiOf(t, "reject-rsa4096-3primes")); err != nil {
		t.Errorf("ImportRSAPublic(public half of a three-prime key) = %v", err)
	}

	// Public keys with the wrong size or exponent, spelled canonically.
	parsed, err := x509.ParsePKIXPublicKey(pubs[0])
	if err != nil {
		t.Fatal(err)
	}
	n := parsed.(*rsa.PublicKey).N
	bad := map[string]*rsa.PublicKey{
		"4097-bit modulus": {N: new(big.Int).Lsh(n, 1), E: 65537},
		"4095-bit modulus": {N: new(big.Int).Rsh(n, 1), E: 65537},
		"e = 3":            {N: n, E: 3},
		"e = 65539":        {N: n, E: 65539},
		"e = 1":            {N: n, E: 1},
	}
	for what, k := range bad {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.ImportRSAPublic(ctx, der)
		wantInvalidKey(t, "ImportRSAPublic("+what+")", err)
	}

	// Other spellings of a good key: one key, one encoding, one fingerprint.
	c := pubs[0]
	const algID = "300d06092a864886f70d0101010500"
	if len(c) != 550 || hex.EncodeToString(c[:4]) != "30820222" || hex.EncodeToString(c[4:19]) != algID {
		t.Fatalf("test key 0's SPKI has an unexpected layout: %x", c[:24])
	}
	noNull := append(unhex(t, "30820220300b"), c[6:17]...)
	noNull = append(noNull, c[19:]...)
	longLen := append(unhex(t, "3083000222"), c[4:]...)
	spellings := map[string][]byte{
		"AlgorithmIdentifier without NULL": noNull,
		"non-minimal length":               longLen,
		"trailing byte":                    append(bytes.Clone(c), 0),
		"truncated":                        c[:len(c)-1],
		"empty":                            nil,
		"garbage":                          rep(0x30, 64),
		"PKCS #8 private key":              keys[0],
		"PKCS #1 public key":               c[24:],
	}
	for what, der := range spellings {
		_, err := p.ImportRSAPublic(ctx, der)
		wantInvalidKey(t, "ImportRSAPublic("+what+")", err)
	}

	k0, err := x509.ParsePKCS8PrivateKey(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	privSpellings := map[string][]byte{
		"trailing byte":       append(bytes.Clone(keys[0]), 0),
		"truncated":           keys[0][:len(keys[0])-1],
		"empty":               nil,
		"garbage":             rep(0x30, 64),
		"SPKI public key":     pubs[0],
		"PKCS #1 private key": x509.MarshalPKCS1PrivateKey(k0.(*rsa.PrivateKey)),
	}
	for what, der := range privSpellings {
		for _, ext := range []bool{true, false} {
			_, err := p.ImportRSAPrivate(ctx, der, ext)
			wantInvalidKey(t, "ImportRSAPrivate("+what+")", err)
		}
	}
}

func spkiOf(t testing.TB, name string) []byte {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(readPEM(t, name+".pk8.pem", "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.(*rsa.PrivateKey).Public())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func testGenerateRSA(t *testing.T, p prim.Provider) {
	ctx := t.Context()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.GenerateRSA(cctx, true); !errors.Is(err, context.Canceled) {
		t.Errorf("GenerateRSA with a cancelled context: err = %v, want context.Canceled", err)
	}
	if testing.Short() {
		t.Skip("RSA-4096 generation takes seconds; skipped in -short")
	}

	var keys [2]prim.PrivateKey
	var errs [2]error
	var wg sync.WaitGroup
	for i, ext := range []bool{true, false} {
		wg.Go(func() { keys[i], errs[i] = p.GenerateRSA(ctx, ext) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("GenerateRSA(extractable=%v): %v", i == 0, err)
		}
	}
	ext, nonExt := keys[0], keys[1]

	for i, k := range keys {
		spki := k.Public().SPKI()
		pk, err := x509.ParsePKIXPublicKey(spki)
		if err != nil {
			t.Fatalf("key %d: SPKI does not parse: %v", i, err)
		}
		rk, ok := pk.(*rsa.PublicKey)
		if !ok || rk.N.BitLen() != prim.RSABits || rk.E != prim.RSAPublicExp {
			t.Fatalf("key %d: not RSA-4096 with e = 65537: %T", i, pk)
		}
		pub, err := p.ImportRSAPublic(ctx, spki)
		if err != nil || !bytes.Equal(pub.SPKI(), spki) {
			t.Fatalf("key %d: ImportRSAPublic(SPKI()) = %v, or another SPKI", i, err)
		}
		c, err := pub.Encrypt(ctx, []byte("space secret"), []byte("label"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := k.Decrypt(ctx, c, []byte("label"))
		if err != nil || string(out) != "space secret" {
			t.Errorf("key %d: Decrypt(Encrypt(msg)) = %q, %v", i, out, err)
		}
	}
	if bytes.Equal(ext.Public().SPKI(), nonExt.Public().SPKI()) {
		t.Error("two generated keys are equal")
	}

	if der, err := nonExt.ExportPKCS8(ctx); !errors.Is(err, prim.ErrNotExtractable) || der != nil {
		t.Errorf("ExportPKCS8 of a key generated non-extractable = %d bytes, %v; want prim.ErrNotExtractable", len(der), err)
	}
	der, err := ext.ExportPKCS8(ctx)
	if err != nil {
		t.Fatalf("ExportPKCS8 of a key generated extractable: %v", err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
		t.Errorf("exported PKCS #8 does not parse: %v", err)
	}
	back, err := p.ImportRSAPrivate(ctx, der, false)
	if err != nil {
		t.Fatalf("ImportRSAPrivate(exported key): %v", err)
	}
	if !bytes.Equal(back.Public().SPKI(), ext.Public().SPKI()) {
		t.Error("export → import changed the public key")
	}
	if _, err := back.ExportPKCS8(ctx); !errors.Is(err, prim.ErrNotExtractable) {
		t.Errorf("re-imported non-extractable key: ExportPKCS8 err = %v", err)
	}
}

// concurrently runs f(0..n-1) in n goroutines and reports their errors.
func concurrently(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
}
