package hmac256

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// checkBlock compares block with blockGeneric, and blockOuter with
// blockOuterGeneric and with block of the block it stands for, from state h
// on message m (and the inner hash d). Under GOARCH=wasm block and
// blockOuter are the assembly of block_wasm.s; elsewhere this compares the
// Go code with itself and with the padding.
func checkBlock(t *testing.T, h [8]uint32, m [blockSize]byte, d [8]uint32) {
	t.Helper()
	got, want := h, h
	block(&got, &m)
	blockGeneric(&want, &m)
	if got != want {
		t.Fatalf("block(%x, %x) = %x, blockGeneric %x", h, m, got, want)
	}
	var b [blockSize]byte
	putState((*[Size]byte)(b[:Size]), &d)
	b[Size] = 0x80
	b[blockSize-2], b[blockSize-1] = 0x03, 0x00 // (64 + 32) * 8 bits
	got, want = h, h
	blockOuter(&got, &d)
	blockOuterGeneric(&want, &d)
	if got != want {
		t.Fatalf("blockOuter(%x, %x) = %x, blockOuterGeneric %x", h, d, got, want)
	}
	want = h
	block(&want, &b)
	if got != want {
		t.Fatalf("blockOuter(%x, %x) = %x, block of its padded block %x", h, d, got, want)
	}
}

// TestBlockDifferential runs checkBlock on random states, messages and
// inner hashes, and on the all-zero and all-one words (carries, rotations).
func TestBlockDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := range 3000 {
		var h, d [8]uint32
		var m [blockSize]byte
		for i := range h {
			h[i], d[i] = r.Uint32(), r.Uint32()
		}
		for i := range m {
			m[i] = byte(r.Uint32())
		}
		switch n {
		case 0: // all zero
			h, d, m = [8]uint32{}, [8]uint32{}, [blockSize]byte{}
		case 1: // all ones
			for i := range h {
				h[i], d[i] = ^uint32(0), ^uint32(0)
			}
			for i := range m {
				m[i] = 0xff
			}
		}
		checkBlock(t, h, m, d)
	}
}

// TestBlockSHA256 checks block from the initial hash value against
// crypto/sha256 on random one-block messages (the message, then the
// padding, in one block: up to 55 bytes).
func TestBlockSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		n := r.IntN(56)
		var m [blockSize]byte
		for i := range n {
			m[i] = byte(r.Uint32())
		}
		m[n] = 0x80
		binary.BigEndian.PutUint64(m[blockSize-8:], uint64(n)*8)
		h := iv
		block(&h, &m)
		var got [Size]byte
		putState(&got, &h)
		if want := sha256.Sum256(m[:n]); got != want {
			t.Fatalf("SHA-256 of %x: %x, want %x", m[:n], got, want)
		}
	}
}

// FuzzBlock is checkBlock on fuzzed inputs: 32 bytes of state, 64 of
// message and 32 of inner hash, shorter inputs zero-padded.
func FuzzBlock(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 128))
	f.Add([]byte("abc"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var buf [Size + blockSize + Size]byte
		copy(buf[:], in)
		var h, d [8]uint32
		var m [blockSize]byte
		for i := range h {
			h[i] = binary.LittleEndian.Uint32(buf[4*i:])
			d[i] = binary.LittleEndian.Uint32(buf[Size+blockSize+4*i:])
		}
		copy(m[:], buf[Size:])
		checkBlock(t, h, m, d)
	})
}
