package index

import (
	"context"
	"testing"

	"github.com/zkvault/zkvault/api"
)

func BenchmarkCompute(b *testing.B) {
	ctx := context.Background()
	mac := testMAC(b, "0123456789abcdef0123456789abcdef")
	v := "+441632960958000" // 16 bytes
	if len(v) != 16 {
		b.Fatal(len(v))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(ctx, mac, DefaultBits, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	opts := Options{Region: "GB"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize(api.NormPhone, "+44 (0)20 7946 0958", opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeText(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize(api.NormText, "  José  Álvarez-Núñez ", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeEmail(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize(api.NormEmail, "user.1234.k3j9x2@example.com", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeTextASCII(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize(api.NormText, "  Ada  Lovelace ", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComputer is BenchmarkCompute through a reused Computer and buffer.
func BenchmarkComputer(b *testing.B) {
	ctx := context.Background()
	c, err := NewComputer(testMAC(b, "0123456789abcdef0123456789abcdef"), DefaultBits)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = c.Append(ctx, buf[:0], "+441632960958000"); err != nil {
			b.Fatal(err)
		}
	}
}
