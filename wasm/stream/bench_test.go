package stream

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"testing"
)

const benchSize = 64 << 20

func benchBlob(b *testing.B) (Header, []byte, []byte) {
	h := testHeader(DefaultChunkSize)
	pt := pattern(benchSize, 1)
	return h, pt, encrypt(b, newAEAD(b, testKey(1)), h, pt)
}

func benchEncrypt(b *testing.B, conc int) {
	aead := newAEAD(b, testKey(1))
	h := testHeader(DefaultChunkSize)
	pt := pattern(benchSize, 1)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		w, err := NewWriter(ctx, aead, h, io.Discard, WithConcurrency(conc))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(pt); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecrypt(b *testing.B, conc int) {
	aead := newAEAD(b, testKey(1))
	h, _, blob := benchBlob(b)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		r := NewReader(ctx, aead, h, bytes.NewReader(blob[HeaderSize:]), WithConcurrency(conc))
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkEncrypt64MiB encrypts 64 MiB in 64 KiB chunks with the native
// provider and the default pipeline.
func BenchmarkEncrypt64MiB(b *testing.B) { benchEncrypt(b, DefaultConcurrency) }

// BenchmarkDecrypt64MiB decrypts it with NewReader.
func BenchmarkDecrypt64MiB(b *testing.B) { benchDecrypt(b, DefaultConcurrency) }

// BenchmarkEncrypt64MiBSequential and BenchmarkDecrypt64MiBSequential run
// the same with one chunk in flight, to show what the pipeline adds.
func BenchmarkEncrypt64MiBSequential(b *testing.B) { benchEncrypt(b, 1) }
func BenchmarkDecrypt64MiBSequential(b *testing.B) { benchDecrypt(b, 1) }

// BenchmarkReadAt64KiB decrypts one random-access 64 KiB range spanning two
// chunks.
func BenchmarkReadAt64KiB(b *testing.B) {
	aead := newAEAD(b, testKey(1))
	h, _, blob := benchBlob(b)
	ra, err := NewReaderAt(context.Background(), aead, h, bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 64<<10)
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ra.ReadAt(p, 10<<20+1000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineGCM64MiB is the floor the stream is measured against:
// crypto/cipher AES-256-GCM sealing the same 64 KiB chunks one after
// another into a reused buffer, with no pipeline, no copies and no I/O.
func BenchmarkBaselineGCM64MiB(b *testing.B) {
	block, _ := aes.NewCipher(testKey(1))
	gcm, _ := cipher.NewGCM(block)
	pt := pattern(benchSize, 1)
	dst := make([]byte, 0, DefaultChunkSize+TagSize)
	var nonce [12]byte
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		for i := 0; i < benchSize; i += DefaultChunkSize {
			nonce[10] = byte(i >> 16) // a distinct nonce per chunk, as the stream has
			dst = gcm.Seal(dst[:0], nonce[:], pt[i:i+DefaultChunkSize], nil)
		}
	}
}
