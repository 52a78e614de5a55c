package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/iotest"
)

func TestRoundTrip(t *testing.T) {
	key := testKey(1)
	aead := newAEAD(t, key)
	for _, cs := range []int{MinChunkSize, 1025, 4096} {
		sizes := []int{0, 1, cs - 1, cs, cs + 1, 2 * cs, 3 * cs, 3*cs + 7}
		r := rand.New(rand.NewPCG(uint64(cs), 1))
		for range 5 {
			sizes = append(sizes, r.IntN(10*cs))
		}
		for _, conc := range []int{0, 1, 2, DefaultConcurrency, 9} {
			for _, size := range sizes {
				t.Run(fmt.Sprintf("chunk=%d/conc=%d/size=%d", cs, conc, size), func(t *testing.T) {
					h := testHeader(cs)
					pt := pattern(size, uint64(size))
					opt := WithConcurrency(conc)

					// Written in one call and in random pieces: the same blob.
					blob := encrypt(t, aead, h, pt, opt)
					var buf bytes.Buffer
					w, err := NewWriter(context.Background(), aead, h, &buf, opt)
					if err != nil {
						t.Fatal(err)
					}
					for rest := pt; len(rest) > 0; {
						n := min(len(rest), r.IntN(2*cs)+1)
						if _, err := w.Write(rest[:n]); err != nil {
							t.Fatal(err)
						}
						rest = rest[n:]
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(buf.Bytes(), blob) {
						t.Fatal("piecewise writes made a different blob")
					}

					hdr, _ := h.MarshalBinary()
					if want := refSeal(key, hdr, refCanonical(pt, cs)); !bytes.Equal(blob, want) {
						t.Fatal("blob differs from the reference encoding")
					}
					es, err := EncryptedSize(int64(size), cs)
					if err != nil || es != int64(len(blob)) {
						t.Fatalf("EncryptedSize = %d, %v; blob is %d bytes", es, err, len(blob))
					}
					ps, err := PlaintextSize(int64(len(blob)), cs)
					if err != nil || ps != int64(size) {
						t.Fatalf("PlaintextSize = %d, %v; want %d", ps, err, size)
					}

					got, err := decryptStream(aead, blob, opt)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("NewReader: %v (equal %v)", err, bytes.Equal(got, pt))
					}
					got, err = decryptAt(aead, blob, opt)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("ReaderAt: %v (equal %v)", err, bytes.Equal(got, pt))
					}
				})
			}
		}
	}
}

// TestReadFrom checks that io.Copy into the writer, which uses ReadFrom,
// makes the same blob as Write, whatever pieces the source returns.
func TestReadFrom(t *testing.T) {
	key := testKey(1)
	aead := newAEAD(t, key)
	for _, cs := range []int{1024, 1500} {
		h := testHeader(cs)
		hdr, _ := h.MarshalBinary()
		for _, size := range []int{0, 1, cs - 1, cs, cs + 1, 3 * cs, 7*cs + 3} {
			pt := pattern(size, 9)
			want := refSeal(key, hdr, refCanonical(pt, cs))
			for name, wrap := range map[string]func(io.Reader) io.Reader{
				"onebyte": iotest.OneByteReader,
				"half":    iotest.HalfReader,
				"dataerr": iotest.DataErrReader,
				"plain":   func(r io.Reader) io.Reader { return struct{ io.Reader }{r} }, // hide WriteTo
			} {
				var buf bytes.Buffer
				w, err := NewWriter(context.Background(), aead, h, &buf, WithConcurrency(2))
				if err != nil {
					t.Fatal(err)
				}
				// Half through ReadFrom, then Write, then ReadFrom again.
				a, b := size/3, 2*size/3
				if n, err := io.Copy(w, wrap(bytes.NewReader(pt[:a]))); err != nil || n != int64(a) {
					t.Fatalf("io.Copy = %d, %v", n, err)
				}
				w.Write(pt[a:b])
				if n, err := io.Copy(w, wrap(bytes.NewReader(pt[b:]))); err != nil || n != int64(size-b) {
					t.Fatalf("io.Copy = %d, %v", n, err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("chunk %d size %d %s: ReadFrom made a different blob", cs, size, name)
				}
			}
		}
	}
	t.Run("source error is not sticky", func(t *testing.T) {
		h := testHeader(1024)
		pt := pattern(3000, 1)
		var buf bytes.Buffer
		w, _ := NewWriter(context.Background(), aead, h, &buf)
		fail := errors.New("read failed")
		_, err := w.(io.ReaderFrom).ReadFrom(io.MultiReader(bytes.NewReader(pt[:2000]), iotest.ErrReader(fail)))
		if !errors.Is(err, fail) {
			t.Fatalf("err = %v", err)
		}
		w.Write(pt[2000:])
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got, err := decryptStream(aead, buf.Bytes()); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip after a source error: %v", err)
		}
	})
}

// TestReaderContract runs testing/iotest over both readers, with sources
// that return one byte or half the request at a time.
func TestReaderContract(t *testing.T) {
	aead := newAEAD(t, testKey(1))
	h := testHeader(MinChunkSize)
	pt := pattern(5*MinChunkSize+100, 3)
	blob := encrypt(t, aead, h, pt)
	body := blob[HeaderSize:]
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(context.Background(), aead, h, wrap(bytes.NewReader(body)))
			if err := iotest.TestReader(r, pt); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("ReaderAt", func(t *testing.T) {
		ra, err := NewReaderAt(context.Background(), aead, h, bytes.NewReader(blob), int64(len(blob)))
		if err != nil {
			t.Fatal(err)
		}
		if err := iotest.TestReader(io.NewSectionReader(ra, 0, ra.Size()), pt); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WriteTo", func(t *testing.T) {
		var out bytes.Buffer
		n, err := io.Copy(&out, NewReader(context.Background(), aead, h, bytes.NewReader(body)))
		if err != nil || n != int64(len(pt)) || !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("io.Copy = %d, %v", n, err)
		}
	})
}

// TestTamper checks that every kind of damage is detected by both readers
// and reported as ErrCorrupt, and that the reference decoder agrees.
func TestTamper(t *testing.T) {
	const cs = MinChunkSize
	key, otherKey := testKey(1), testKey(2)
	aead := newAEAD(t, key)
	h := testHeader(cs)
	hdr, _ := h.MarshalBinary()
	pt := pattern(2500, 7) // chunks of 1024, 1024, 452
	blob := encrypt(t, aead, h, pt)
	other := encrypt(t, newAEAD(t, otherKey), h, pattern(2500, 8))
	full := cs + TagSize
	chunk := func(b []byte, i int) []byte {
		return b[HeaderSize+i*full : min(len(b), HeaderSize+(i+1)*full)]
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(off int) []byte {
		b := bytes.Clone(blob)
		b[off] ^= 0x01
		return b
	}
	c0, c1, c2 := chunk(blob, 0), chunk(blob, 1), chunk(blob, 2)

	cases := map[string][]byte{
		"truncate/header only":           blob[:HeaderSize],
		"truncate/drop final chunk":      cat(hdr, c0, c1),
		"truncate/inside final chunk":    blob[:len(blob)-1],
		"truncate/inside final tag":      blob[:len(blob)-10],
		"truncate/inside middle chunk":   blob[:HeaderSize+full+500],
		"truncate/to tag of final chunk": blob[:len(blob)-len(c2)+TagSize],
		"truncate/one byte of chunk 0":   blob[:HeaderSize+1],
		"extend/one trailing byte":       cat(blob, []byte{0}),
		"extend/trailing tag-sized":      cat(blob, make([]byte, TagSize)),
		"extend/final chunk repeated":    cat(blob, c2),
		"extend/full chunk appended":     cat(blob, c0),
		"reorder/swap chunks 0 and 1":    cat(hdr, c1, c0, c2),
		"duplicate/chunk 0 twice":        cat(hdr, c0, c0, c1, c2),
		"duplicate/chunk 0 for chunk 1":  cat(hdr, c0, c0, c2),
		"drop/middle chunk":              cat(hdr, c0, c2),
		"swap/chunk 1 from another blob": cat(hdr, c0, chunk(other, 1), c2),
		"swap/final from another blob":   cat(hdr, c0, c1, chunk(other, 2)),
		"flip/first ciphertext byte":     flip(HeaderSize),
		"flip/middle chunk":              flip(HeaderSize + full + 77),
		"flip/tag of chunk 0":            flip(HeaderSize + full - 1),
		"flip/last byte":                 flip(len(blob) - 1),
		"wrong key":                      encrypt(t, newAEAD(t, otherKey), h, pt),
		// Blobs the writer never makes, sealed under the right key.
		"final flag on chunk 0 of 3": refSeal(key, hdr, []refChunk{
			{pt[:cs], 0, true}, {pt[cs : 2*cs], 1, false}, {pt[2*cs:], 2, true}}),
		"no final flag": refSeal(key, hdr, []refChunk{
			{pt[:cs], 0, false}, {pt[cs : 2*cs], 1, false}, {pt[2*cs:], 2, false}}),
		"empty final chunk after full": refSeal(key, hdr, []refChunk{
			{pt[:cs], 0, false}, {pt[cs : 2*cs], 1, false}, {nil, 2, true}}),
		"counter skips": refSeal(key, hdr, []refChunk{
			{pt[:cs], 0, false}, {pt[cs : 2*cs], 2, false}, {pt[2*cs:], 3, true}}),
		"short non-final chunk": refSeal(key, hdr, []refChunk{
			{pt[:cs], 0, false}, {pt[cs : 2*cs-1], 1, false}, {pt[2*cs-1:], 2, true}}),
		"header/chunk size changed": func() []byte {
			h2 := h
			h2.ChunkSize = cs + 1
			hdr2, _ := h2.MarshalBinary()
			return cat(hdr2, blob[HeaderSize:])
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := refOpen(key, b); err == nil {
				t.Fatal("reference decoder accepted it: bad test case")
			}
			out, err := decryptStream(aead, b)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("NewReader: err = %v, want ErrCorrupt", err)
			}
			if !bytes.HasPrefix(pt, out) && len(out) > 0 {
				t.Fatal("NewReader released plaintext that is not the blob's")
			}
			if _, err := decryptAt(aead, b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ReaderAt: err = %v, want ErrCorrupt", err)
			}
		})
	}

	// A changed header changes the key the core derives from it, so every
	// header field is authenticated.
	secret := testKey(9)
	good := encrypt(t, newAEAD(t, deriveBlobKey(t, secret, hdr)), h, pt)
	for name, edit := range map[string]func(*Header){
		"key version": func(h *Header) { h.KeyVersion++ },
		"salt":        func(h *Header) { h.Salt[31] ^= 1 },
		"chunk size":  func(h *Header) { h.ChunkSize = 2048 },
	} {
		t.Run("wrong header/"+name, func(t *testing.T) {
			h2 := h
			edit(&h2)
			hdr2, _ := h2.MarshalBinary()
			b := cat(hdr2, good[HeaderSize:])
			aead2 := newAEAD(t, deriveBlobKey(t, secret, hdr2))
			if _, err := decryptStream(aead2, b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("NewReader: err = %v, want ErrCorrupt", err)
			}
			if _, err := decryptAt(aead2, b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ReaderAt: err = %v, want ErrCorrupt", err)
			}
		})
	}
	t.Run("wrong header/ReaderAt given another header", func(t *testing.T) {
		h2 := h
		h2.KeyVersion = 2
		_, err := NewReaderAt(context.Background(), aead, h2, bytes.NewReader(blob), int64(len(blob)))
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
	})
}

// TestNoUnauthenticatedPlaintext checks that a reader hands out nothing of a
// chunk whose tag fails, even when the damage is in the chunk's last byte.
func TestNoUnauthenticatedPlaintext(t *testing.T) {
	aead := newAEAD(t, testKey(1))
	h := testHeader(MinChunkSize)
	pt := pattern(3*MinChunkSize+10, 1)
	blob := encrypt(t, aead, h, pt)
	for _, i := range []int{0, 1, 2} {
		b := bytes.Clone(blob)
		b[HeaderSize+(i+1)*(MinChunkSize+TagSize)-1] ^= 0x80 // last tag byte of chunk i
		for _, conc := range []int{1, 4} {
			src := bytes.NewReader(b[HeaderSize:])
			out, err := io.ReadAll(iotest.OneByteReader(NewReader(context.Background(), aead, h, src, WithConcurrency(conc))))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("chunk %d: err = %v", i, err)
			}
			if len(out) != i*MinChunkSize || !bytes.Equal(out, pt[:len(out)]) {
				t.Fatalf("chunk %d damaged, conc %d: released %d bytes, want %d", i, conc, len(out), i*MinChunkSize)
			}
		}
	}
}

func TestReadAtRandom(t *testing.T) {
	aead := newAEAD(t, testKey(1))
	for _, size := range []int{0, 1, 1024, 2500, 3 * 1024, 20000} {
		h := testHeader(1024)
		pt := pattern(size, 2)
		blob := encrypt(t, aead, h, pt)
		ra, err := NewReaderAt(context.Background(), aead, h, bytes.NewReader(blob), int64(len(blob)), WithConcurrency(3))
		if err != nil {
			t.Fatal(err)
		}
		if ra.Size() != int64(size) {
			t.Fatalf("Size = %d, want %d", ra.Size(), size)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(size), uint64(g)))
				for range 200 {
					off := r.IntN(size + 11)
					n := r.IntN(size + 11)
					p := make([]byte, n)
					got, err := ra.ReadAt(p, int64(off))
					want := 0
					if off < size {
						want = min(n, size-off)
					}
					if got != want {
						t.Errorf("size %d ReadAt(%d, %d) = %d, want %d", size, n, off, got, want)
						return
					}
					if !bytes.Equal(p[:got], pt[min(off, size):min(off, size)+got]) {
						t.Errorf("size %d ReadAt(%d, %d): wrong bytes", size, n, off)
						return
					}
					if (got < n) != (err == io.EOF) || (got == n && err != nil) {
						t.Errorf("size %d ReadAt(%d, %d) = %d, %v", size, n, off, got, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if _, err := ra.ReadAt(make([]byte, 1), -1); err == nil {
			t.Fatal("negative offset accepted")
		}
	}
}

// TestReadAtOpensOnlyNeeded counts AEAD.Open calls.
func TestReadAtOpensOnlyNeeded(t *testing.T) {
	const cs = 1024
	ca := &countingAEAD{AEAD: newAEAD(t, testKey(1))}
	h := testHeader(cs)
	pt := pattern(10*cs+300, 4) // chunks 0…10, chunk 10 final
	blob := encrypt(t, ca, h, pt)
	ra, err := NewReaderAt(context.Background(), ca, h, bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	if n := ca.opens.Load(); n != 1 {
		t.Fatalf("NewReaderAt opened %d chunks, want 1 (the final one)", n)
	}
	for _, tc := range []struct {
		off, n int
		opens  int64
	}{
		{0, 1, 1},
		{cs - 1, 1, 1},
		{cs - 1, 2, 2},
		{3 * cs, cs, 1},
		{3*cs + 1, cs, 2},
		{2 * cs, 5 * cs, 5},
		{0, 10 * cs, 10},
		{10 * cs, 300, 0}, // the final chunk is kept from NewReaderAt
		{9*cs + 5, 1000, 1},
		{0, len(pt), 10},
	} {
		before := ca.opens.Load()
		p := make([]byte, tc.n)
		if _, err := ra.ReadAt(p, int64(tc.off)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, pt[tc.off:tc.off+tc.n]) {
			t.Fatalf("ReadAt(%d, %d): wrong bytes", tc.n, tc.off)
		}
		if got := ca.opens.Load() - before; got != tc.opens {
			t.Errorf("ReadAt(len %d, off %d) opened %d chunks, want %d", tc.n, tc.off, got, tc.opens)
		}
	}
}

func TestHeader(t *testing.T) {
	h := testHeader(DefaultChunkSize)
	h.KeyVersion = 0xfffffffe
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := "5a4b4202" + "fffffffe" + "00010000" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	if got := fmt.Sprintf("%x", b); got != want {
		t.Fatalf("header = %s, want %s", got, want)
	}
	if h2, err := ParseHeader(b); err != nil || h2 != h {
		t.Fatalf("ParseHeader = %+v, %v", h2, err)
	}
	bad := map[string]func(b []byte) []byte{
		"short":              func(b []byte) []byte { return b[:43] },
		"long":               func(b []byte) []byte { return append(b, 0) },
		"empty":              func(b []byte) []byte { return nil },
		"magic":              func(b []byte) []byte { b[0] = 'z'; return b },
		"version 1":          func(b []byte) []byte { b[3] = 1; return b },
		"version 3":          func(b []byte) []byte { b[3] = 3; return b },
		"key version 0":      func(b []byte) []byte { copy(b[4:8], []byte{0, 0, 0, 0}); return b },
		"chunk size 1023":    func(b []byte) []byte { copy(b[8:12], []byte{0, 0, 3, 0xff}); return b },
		"chunk size 0":       func(b []byte) []byte { copy(b[8:12], []byte{0, 0, 0, 0}); return b },
		"chunk size 16Mi+1":  func(b []byte) []byte { copy(b[8:12], []byte{0x01, 0, 0, 0x01}); return b },
		"chunk size 2^32-1":  func(b []byte) []byte { copy(b[8:12], []byte{0xff, 0xff, 0xff, 0xff}); return b },
		"all-zero salt":      func(b []byte) []byte { clear(b[12:]); return b },
		"all-zero except kv": func(b []byte) []byte { clear(b[8:]); return b },
	}
	for name, edit := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ParseHeader(edit(bytes.Clone(b)))
			var he *HeaderError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &he) {
				t.Fatalf("err = %v, want a *HeaderError wrapping ErrCorrupt", err)
			}
		})
	}
	for _, cs := range []int{MinChunkSize, MinChunkSize + 1, 12345, MaxChunkSize} {
		h := testHeader(cs)
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if h2, err := ParseHeader(b); err != nil || h2 != h {
			t.Fatalf("chunk size %d: %+v, %v", cs, h2, err)
		}
	}
	for name, h := range map[string]Header{
		"zero":       {},
		"kv 0":       {ChunkSize: 1024, Salt: [32]byte{1}},
		"chunk 1023": {KeyVersion: 1, ChunkSize: 1023, Salt: [32]byte{1}},
		"chunk big":  {KeyVersion: 1, ChunkSize: MaxChunkSize + 1, Salt: [32]byte{1}},
		"chunk neg":  {KeyVersion: 1, ChunkSize: -1, Salt: [32]byte{1}},
		"no salt":    {KeyVersion: 1, ChunkSize: 1024},
	} {
		if _, err := h.MarshalBinary(); !errors.Is(err, ErrInvalidHeader) {
			t.Errorf("%s: MarshalBinary err = %v", name, err)
		}
		if _, err := NewWriter(context.Background(), newAEAD(t, testKey(1)), h, io.Discard); !errors.Is(err, ErrInvalidHeader) {
			t.Errorf("%s: NewWriter err = %v", name, err)
		}
		if _, err := NewReader(context.Background(), newAEAD(t, testKey(1)), h, bytes.NewReader(nil)).Read(make([]byte, 1)); !errors.Is(err, ErrInvalidHeader) {
			t.Errorf("%s: NewReader err = %v", name, err)
		}
	}
}

func TestReadHeader(t *testing.T) {
	h := testHeader(2048)
	hdr, _ := h.MarshalBinary()
	src := bytes.NewReader(append(bytes.Clone(hdr), 1, 2, 3))
	got, raw, err := ReadHeader(src)
	if err != nil || got != h || !bytes.Equal(raw, hdr) || src.Len() != 3 {
		t.Fatalf("ReadHeader = %+v, %x, %v (%d left)", got, raw, err, src.Len())
	}
	for _, n := range []int{0, 1, 43} {
		if _, _, err := ReadHeader(bytes.NewReader(hdr[:n])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%d bytes: err = %v, want ErrCorrupt", n, err)
		}
	}
	ioErr := errors.New("disk on fire")
	if _, _, err := ReadHeader(iotest.ErrReader(ioErr)); !errors.Is(err, ioErr) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("I/O error: err = %v", err)
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		pt, enc int64
		cs      int
	}{
		{0, 60, 1024},
		{1, 61, 1024},
		{1023, 1083, 1024},
		{1024, 1084, 1024},
		{1025, 1101, 1024},
		{2500, 2592, 1024},
		{3072, 3164, 1024},
		{1 << 30, 1<<30 + 44 + 16*(1<<14), DefaultChunkSize},
		{MaxChunks * MaxChunkSize, MaxChunks*(MaxChunkSize+16) + 44, MaxChunkSize},
		{MaxChunks * MinChunkSize, MaxChunks*(MinChunkSize+16) + 44, MinChunkSize},
	} {
		if got, err := EncryptedSize(tc.pt, tc.cs); err != nil || got != tc.enc {
			t.Errorf("EncryptedSize(%d, %d) = %d, %v; want %d", tc.pt, tc.cs, got, err, tc.enc)
		}
		if got, err := PlaintextSize(tc.enc, tc.cs); err != nil || got != tc.pt {
			t.Errorf("PlaintextSize(%d, %d) = %d, %v; want %d", tc.enc, tc.cs, got, err, tc.pt)
		}
	}
	if _, err := EncryptedSize(MaxChunks*MinChunkSize+1, MinChunkSize); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: err = %v", err)
	}
	if _, err := EncryptedSize(-1, 1024); err == nil {
		t.Error("negative size accepted")
	}
	if _, err := EncryptedSize(1, 1023); !errors.Is(err, ErrInvalidHeader) {
		t.Error("chunk size 1023 accepted")
	}
	if _, err := PlaintextSize(MaxChunks*(MinChunkSize+16)+44+17, MinChunkSize); !errors.Is(err, ErrCorrupt) {
		t.Errorf("too many chunks: err = %v", err)
	}
	for _, e := range []int64{-1, 0, 43, 44, 59, 1084 + 16, 1084 + 15, 1084 + 1} {
		if _, err := PlaintextSize(e, 1024); !errors.Is(err, ErrCorrupt) {
			t.Errorf("PlaintextSize(%d, 1024): err = %v, want ErrCorrupt", e, err)
		}
	}
	// PlaintextSize accepts exactly the lengths EncryptedSize produces.
	const cs = 1024
	valid := map[int64]int64{}
	for p := int64(0); p <= 6*cs; p++ {
		e, err := EncryptedSize(p, cs)
		if err != nil {
			t.Fatal(err)
		}
		valid[e] = p
	}
	for e := int64(0); e <= 6*(cs+16)+44; e++ {
		p, err := PlaintextSize(e, cs)
		want, ok := valid[e]
		if ok != (err == nil) || (ok && p != want) {
			t.Fatalf("PlaintextSize(%d) = %d, %v; valid %v (%d)", e, p, err, ok, want)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	aead := newAEAD(t, testKey(1))
	h := testHeader(1024)
	t.Run("write after close", func(t *testing.T) {
		w, _ := NewWriter(context.Background(), aead, h, io.Discard)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte{1}); err == nil {
			t.Fatal("write after close accepted")
		}
		if err := w.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
	})
	t.Run("dst fails", func(t *testing.T) {
		fail := errors.New("full disk")
		dst := &failWriter{after: HeaderSize + 2*(1024+16), err: fail}
		w, err := NewWriter(context.Background(), aead, h, dst, WithConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		_, werr := w.Write(make([]byte, 10*1024))
		cerr := w.Close()
		if !errors.Is(werr, fail) && !errors.Is(cerr, fail) {
			t.Fatalf("Write = %v, Close = %v; want %v", werr, cerr, fail)
		}
		if !errors.Is(cerr, fail) {
			t.Fatalf("Close = %v, want the sticky %v", cerr, fail)
		}
	})
	t.Run("header write fails", func(t *testing.T) {
		fail := errors.New("nope")
		if _, err := NewWriter(context.Background(), aead, h, &failWriter{err: fail}); !errors.Is(err, fail) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("too many chunks", func(t *testing.T) {
		w, _ := NewWriter(context.Background(), aead, h, io.Discard)
		w.(*writer).next = MaxChunks - 1
		if _, err := w.Write(make([]byte, 1024)); err != nil {
			t.Fatal(err) // fits: chunk MaxChunks-1 is the final one
		}
		if _, err := w.Write([]byte{1}); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		if err := w.Close(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Close = %v, want ErrTooLarge", err)
		}
	})
	t.Run("last allowed chunk", func(t *testing.T) {
		w, _ := NewWriter(context.Background(), aead, h, io.Discard)
		w.(*writer).next = MaxChunks - 1
		w.Write(make([]byte, 1024))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

type failWriter struct {
	after int
	err   error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.after {
		n := f.after
		f.after = 0
		return n, f.err
	}
	f.after -= len(p)
	return len(p), nil
}

func TestReaderSourceError(t *testing.T) {
	aead := newAEAD(t, testKey(1))
	h := testHeader(1024)
	pt := pattern(5000, 5)
	blob := encrypt(t, aead, h, pt)
	fail := errors.New("connection reset")
	src := io.MultiReader(bytes.NewReader(blob[HeaderSize:HeaderSize+2500]), iotest.ErrReader(fail))
	out, err := io.ReadAll(NewReader(context.Background(), aead, h, src))
	if !errors.Is(err, fail) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want the source's error as it is", err)
	}
	if len(out) != 2*1024 || !bytes.Equal(out, pt[:len(out)]) {
		t.Fatalf("released %d bytes, want the 2 whole chunks before the failure", len(out))
	}
	// ReaderAt: a source shorter than the size it was given is corrupt.
	short := &truncatedAt{blob, len(blob) - 1000}
	ra, err := NewReaderAt(context.Background(), aead, h, bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	ra.src = short
	if _, err := ra.ReadAt(make([]byte, 5000), 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short source: err = %v", err)
	}
}

type truncatedAt struct {
	b []byte
	n int
}

func (s *truncatedAt) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(s.b[:s.n]).ReadAt(p, off)
}

func TestContext(t *testing.T) {
	aead := newAEAD(t, testKey(1))
	h := testHeader(1024)
	blob := encrypt(t, aead, h, pattern(10000, 6))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewWriter(ctx, aead, h, io.Discard); !errors.Is(err, context.Canceled) {
		t.Fatalf("NewWriter: %v", err)
	}
	_, err := io.ReadAll(NewReader(ctx, aead, h, bytes.NewReader(blob[HeaderSize:])))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("NewReader: %v", err)
	}
	if _, err := NewReaderAt(ctx, aead, h, bytes.NewReader(blob), int64(len(blob))); !errors.Is(err, context.Canceled) {
		t.Fatalf("NewReaderAt: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	w, _ := NewWriter(ctx, aead, h, io.Discard)
	w.Write(make([]byte, 3000))
	cancel()
	_, werr := w.Write(make([]byte, 3000))
	if cerr := w.Close(); !errors.Is(werr, context.Canceled) && !errors.Is(cerr, context.Canceled) {
		t.Fatalf("Write = %v, Close = %v", werr, cerr)
	}
}
