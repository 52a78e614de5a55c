package hmac256

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// TestSHA256 checks the compression function and the padding against
// crypto/sha256 for every message length up to four blocks.
func TestSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 4*blockSize + 2 {
		for range 4 {
			msg := make([]byte, n)
			for i := range msg {
				msg[i] = byte(r.Uint32())
			}
			h := iv
			hash(&h, msg, 0)
			var got [Size]byte
			putState(&got, &h)
			if want := sha256.Sum256(msg); got != want {
				t.Fatalf("len %d: SHA-256 %x, want %x", n, got, want)
			}
		}
	}
}

// TestHMAC compares Sum with crypto/hmac on random keys (0 to 200 bytes,
// so shorter than, equal to and longer than a block) and messages (0 to 300
// bytes, across every padding case).
func TestHMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for _, kl := range []int{0, 1, 16, 32, 63, 64, 65, 100, 128, 200} {
		key := rnd(kl)
		k := New(key)
		ref := hmac.New(sha256.New, key)
		for n := range 300 {
			msg := rnd(n)
			ref.Reset()
			ref.Write(msg)
			want := ref.Sum(nil)
			got := k.Sum([]byte("prefix"), msg)
			if !bytes.Equal(got[:6], []byte("prefix")) || !bytes.Equal(got[6:], want) {
				t.Fatalf("key %d bytes, message %d bytes: %x, want prefix+%x", kl, n, got, want)
			}
		}
	}
	for range 2000 {
		key, msg := rnd(r.IntN(150)), rnd(r.IntN(200))
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		if got, want := New(key).Sum(nil, msg), m.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("key %x message %x: %x, want %x", key, msg, got, want)
		}
	}
}

// TestRFC4231 runs the HMAC-SHA256 test cases of RFC 4231 (case 5, a
// truncated output, is left out).
func TestRFC4231(t *testing.T) {
	rep := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	seq := func(from, to byte) []byte {
		var b []byte
		for c := from; c <= to; c++ {
			b = append(b, c)
		}
		return b
	}
	for i, c := range []struct {
		key, data []byte
		want      string
	}{
		{rep(0x0b, 20), []byte("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{[]byte("Jefe"), []byte("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{rep(0xaa, 20), rep(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{seq(1, 25), rep(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{rep(0xaa, 131), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{rep(0xaa, 131), []byte("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	} {
		if got := New(c.key).Sum(nil, c.data); bytesToHex(got) != c.want {
			t.Errorf("case %d: %x, want %s", i+1, got, c.want)
		}
	}
}

func bytesToHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestSumAllocs(t *testing.T) {
	k := New([]byte("key"))
	dst := make([]byte, 0, Size)
	msg := []byte("\x00\x00\x00\x17user.1.abcdef@example.com")
	if n := testing.AllocsPerRun(100, func() { k.Sum(dst[:0], msg) }); n != 0 {
		t.Errorf("Sum allocates %v times, want 0", n)
	}
}

// The message of a typical blind-index query: tuple("user.1.abcdef@example.com").
var benchMsg = []byte("\x00\x00\x00\x19user.123.abcdef@example.com")

func BenchmarkSum(b *testing.B) {
	k := New(bytes.Repeat([]byte{7}, 32))
	dst := make([]byte, 0, Size)
	for b.Loop() {
		dst = k.Sum(dst[:0], benchMsg)
	}
}

// BenchmarkCryptoHMAC is the same with crypto/hmac, its keyed state reset
// for each message (what prim.Native's MAC does).
func BenchmarkCryptoHMAC(b *testing.B) {
	h := hmac.New(sha256.New, bytes.Repeat([]byte{7}, 32))
	dst := make([]byte, 0, Size)
	for b.Loop() {
		h.Reset()
		h.Write(benchMsg)
		dst = h.Sum(dst[:0])
	}
}

// BenchmarkBlock is one compression; BenchmarkCryptoSHA256Block is
// crypto/sha256 of a 55-byte message, also one compression.
func BenchmarkBlock(b *testing.B) {
	h := iv
	var m [blockSize]byte
	for b.Loop() {
		block(&h, &m)
	}
}

func BenchmarkCryptoSHA256Block(b *testing.B) {
	var m [55]byte
	for b.Loop() {
		sha256.Sum256(m[:])
	}
}

// TestBlockOuter checks blockOuter against block on the block it stands for.
func TestBlockOuter(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		var h, d [8]uint32
		for i := range h {
			h[i], d[i] = r.Uint32(), r.Uint32()
		}
		var b [blockSize]byte
		putState((*[Size]byte)(b[:Size]), &d)
		b[Size] = 0x80
		b[blockSize-2], b[blockSize-1] = 0x03, 0x00 // (64 + 32) * 8 bits
		want, got := h, h
		block(&want, &b)
		blockOuter(&got, &d)
		if got != want {
			t.Fatalf("blockOuter(%x, %x) = %x, want %x", h, d, got, want)
		}
	}
}

// BenchmarkBlockGeneric is BenchmarkBlock with the Go compression function
// (the same as block except under GOARCH=wasm, where block is assembly).
func BenchmarkBlockGeneric(b *testing.B) {
	h := iv
	var m [blockSize]byte
	for b.Loop() {
		blockGeneric(&h, &m)
	}
}

func BenchmarkBlockOuter(b *testing.B) {
	h, d := iv, iv
	for b.Loop() {
		blockOuter(&h, &d)
	}
}

func BenchmarkBlockOuterGeneric(b *testing.B) {
	h, d := iv, iv
	for b.Loop() {
		blockOuterGeneric(&h, &d)
	}
}
