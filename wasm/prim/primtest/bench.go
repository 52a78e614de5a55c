package primtest

import (
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

// PBKDF2BenchIterations is the iteration count of the PBKDF2 benchmark:
// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
const PBKDF2BenchIterations = 600000

// Benchmark measures p's primitives at the sizes zkvault uses, as
// sub-benchmarks with the same names for every provider, so that the
// providers can be compared operation by operation:
//
//	AESGCMSeal1KiB, AESGCMOpen1KiB, AESGCMSeal64KiB, AESGCMOpen64KiB (MB/s)
//	HMACSHA256_32B, HKDF_32B
//	PBKDF2_600k (also ms/op)
//	RSAOAEPEncrypt, RSAOAEPDecrypt (32-byte message, a label)
//	RSAGenerate (seconds per op; b.N stays small)
func Benchmark(b *testing.B, p prim.Provider) {
	for _, n := range []int{1 << 10, 64 << 10} {
		name := "1KiB"
		if n == 64<<10 {
			name = "64KiB"
		}
		b.Run("AESGCMSeal"+name, func(b *testing.B) { benchAEAD(b, p, n, false) })
		b.Run("AESGCMOpen"+name, func(b *testing.B) { benchAEAD(b, p, n, true) })
	}
	b.Run("HMACSHA256_32B", func(b *testing.B) {
		ctx := b.Context()
		m, err := p.NewMAC(ctx, seq(0, 32))
		if err != nil {
			b.Fatal(err)
		}
		msg := seq(0x20, 32)
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			if _, err := m.Sum(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("HKDF_32B", func(b *testing.B) {
		ctx := b.Context()
		secret, info := seq(0, 32), []byte("zkvault/v2/field")
		for b.Loop() {
			if _, err := p.HKDF(ctx, secret, nil, info, 32); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PBKDF2_600k", func(b *testing.B) {
		ctx := b.Context()
		pw, salt := []byte("correct horse battery staple"), seq(0, 16)
		for b.Loop() {
			if _, err := p.PBKDF2(ctx, pw, salt, PBKDF2BenchIterations, 32); err != nil {
				b.Fatal(err)
			}
		}
		reportMillis(b)
	})

	keys := Keys(b)
	b.Run("RSAOAEPEncrypt", func(b *testing.B) {
		ctx := b.Context()
		k, err := p.ImportRSAPrivate(ctx, keys[0], false)
		if err != nil {
			b.Fatal(err)
		}
		pub, msg, label := k.Public(), seq(0, 32), []byte("zkvault/v2/envelope/rsa")
		for b.Loop() {
			if _, err := pub.Encrypt(ctx, msg, label); err != nil {
				b.Fatal(err)
			}
		}
		reportMillis(b)
	})
	b.Run("RSAOAEPDecrypt", func(b *testing.B) {
		ctx := b.Context()
		k, err := p.ImportRSAPrivate(ctx, keys[0], false)
		if err != nil {
			b.Fatal(err)
		}
		label := []byte("zkvault/v2/envelope/rsa")
		c, err := k.Public().Encrypt(ctx, seq(0, 32), label)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := k.Decrypt(ctx, c, label); err != nil {
				b.Fatal(err)
			}
		}
		reportMillis(b)
	})
	b.Run("RSAGenerate", func(b *testing.B) {
		ctx := b.Context()
		for b.Loop() {
			if _, err := p.GenerateRSA(ctx, false); err != nil {
				b.Fatal(err)
			}
		}
		reportMillis(b)
	})
}

func benchAEAD(b *testing.B, p prim.Provider, n int, open bool) {
	ctx := b.Context()
	a, err := p.NewAEAD(ctx, seq(0, 32))
	if err != nil {
		b.Fatal(err)
	}
	nonce, pt, aad := seq(0xa0, 12), make([]byte, n), []byte("zkvault/v2/field")
	sealed, err := a.Seal(ctx, nonce, pt, aad)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		if open {
			_, err = a.Open(ctx, nonce, sealed, aad)
		} else {
			_, err = a.Seal(ctx, nonce, pt, aad)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// reportMillis adds ms/op, easier to read than ns/op for slow operations.
func reportMillis(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
	}
}
