package stream

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// testProvider is the provider every test runs on: the pure-Go one
// natively, WebCrypto under js/wasm (provider_js_test.go).
var testProvider = prim.Native()

// newAEAD returns the test provider's AES-256-GCM under key.
func newAEAD(t testing.TB, key []byte) prim.AEAD {
	t.Helper()
	a, err := testProvider.NewAEAD(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// countingAEAD counts Seal and Open calls.
type countingAEAD struct {
	prim.AEAD
	seals, opens atomic.Int64
}

func (c *countingAEAD) Seal(ctx context.Context, nonce, pt, ad []byte) ([]byte, error) {
	c.seals.Add(1)
	return c.AEAD.Seal(ctx, nonce, pt, ad)
}

func (c *countingAEAD) Open(ctx context.Context, nonce, ct, ad []byte) ([]byte, error) {
	c.opens.Add(1)
	return c.AEAD.Open(ctx, nonce, ct, ad)
}

// testKey returns 32 deterministic bytes named by seed.
func testKey(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func testHeader(chunkSize int) Header {
	h := Header{KeyVersion: 1, ChunkSize: chunkSize}
	for i := range h.Salt {
		h.Salt[i] = byte(0xa0 + i)
	}
	return h
}

// pattern returns n deterministic plaintext bytes.
func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// encrypt runs NewWriter over pt written in one call.
func encrypt(t testing.TB, aead prim.AEAD, h Header, pt []byte, opts ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(context.Background(), aead, h, &buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pt); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decryptStream parses the header of blob and reads it all with NewReader.
func decryptStream(aead prim.AEAD, blob []byte, opts ...Option) ([]byte, error) {
	src := bytes.NewReader(blob)
	h, _, err := ReadHeader(src)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(NewReader(context.Background(), aead, h, src, opts...))
}

// decryptAt parses the header of blob and reads it all with ReaderAt.
func decryptAt(aead prim.AEAD, blob []byte, opts ...Option) ([]byte, error) {
	h, err := ParseHeader(blob[:min(len(blob), HeaderSize)])
	if err != nil {
		return nil, err
	}
	r, err := NewReaderAt(context.Background(), aead, h, bytes.NewReader(blob), int64(len(blob)), opts...)
	if err != nil {
		return nil, err
	}
	out := make([]byte, r.Size())
	n, err := r.ReadAt(out, 0)
	if err != nil && !(err == io.EOF && n == len(out)) {
		return out[:n], err
	}
	return out, nil
}

// refChunk is one chunk for refSeal: its plaintext, the counter and flag of
// its nonce.
type refChunk struct {
	pt    []byte
	index uint64
	final bool
}

// refSeal builds a blob straight from crypto/cipher, independent of the
// package's writer, so that tests can make blobs the writer never would.
func refSeal(key []byte, hdr []byte, chunks []refChunk) []byte {
	gcm := refGCM(key)
	out := bytes.Clone(hdr)
	for _, c := range chunks {
		var nonce [12]byte
		binary.BigEndian.PutUint64(nonce[3:11], c.index)
		if c.final {
			nonce[11] = 1
		}
		out = gcm.Seal(out, nonce[:], c.pt, nil)
	}
	return out
}

// refCanonical is the canonical chunking of pt.
func refCanonical(pt []byte, chunkSize int) []refChunk {
	var cs []refChunk
	for i := 0; ; i++ {
		n := min(chunkSize, len(pt))
		final := len(pt) <= chunkSize
		cs = append(cs, refChunk{pt[:n], uint64(i), final})
		pt = pt[n:]
		if final {
			return cs
		}
	}
}

// refOpen is a straight-line decoder written from the spec, independent of
// the package's readers, for differential tests.
func refOpen(key, blob []byte) ([]byte, error) {
	bad := errors.New("ref: invalid")
	if len(blob) < HeaderSize || string(blob[:4]) != "ZKB\x02" {
		return nil, bad
	}
	kv := binary.BigEndian.Uint32(blob[4:8])
	cs := int(binary.BigEndian.Uint32(blob[8:12]))
	if kv == 0 || cs < 1024 || cs > 16<<20 || bytes.Equal(blob[12:44], make([]byte, 32)) {
		return nil, bad
	}
	gcm := refGCM(key)
	body := blob[HeaderSize:]
	var out []byte
	for i := uint64(0); ; i++ {
		n := min(len(body), cs+16)
		final := n == len(body)
		if n < 16 || (final && i > 0 && n == 16) {
			return nil, bad
		}
		var nonce [12]byte
		binary.BigEndian.PutUint64(nonce[3:11], i)
		if final {
			nonce[11] = 1
		}
		pt, err := gcm.Open(nil, nonce[:], body[:n], nil)
		if err != nil {
			return nil, bad
		}
		out = append(out, pt...)
		body = body[n:]
		if final {
			return out, nil
		}
	}
}

func refGCM(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

// deriveBlobKey mimics the core's blob key derivation, so that tests can
// show that a changed header changes the key.
func deriveBlobKey(t testing.TB, secret []byte, hdr []byte) []byte {
	t.Helper()
	salt := hdr[12:44]
	info := tuple.Append(nil, []byte("zkvault/v2/blob"), []byte("space-1"), []byte("blob-1"), hdr)
	k, err := hkdf.Key(sha256.New, secret, salt, string(info), 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
