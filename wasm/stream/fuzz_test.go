package stream

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseHeader checks that ParseHeader never panics, that what it accepts
// encodes back to the same bytes, and that what it refuses is a header
// failure.
func FuzzParseHeader(f *testing.F) {
	seeds := 0
	for _, v := range loadVectors(f) {
		b := unhex(f, v.Blob)
		f.Add(b[:min(len(b), HeaderSize)])
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds")
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			var he *HeaderError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &he) {
				t.Fatalf("error %v is not a header failure", err)
			}
			return
		}
		out, err := h.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("parsed %+v from %x but it encodes to %x, %v", h, b, out, err)
		}
	})
}

// FuzzDecrypt decrypts arbitrary bytes as a blob under the vectors' key with
// both readers and the reference decoder. None may panic; all must agree on
// success and plaintext; every failure must be ErrCorrupt.
func FuzzDecrypt(f *testing.F) {
	key := testKey(0) // 00 01 … 1f, the key of the vectors
	seeds := 0
	for _, v := range loadVectors(f) {
		if v.Key == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" {
			f.Add(unhex(f, v.Blob))
			seeds++
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds")
	}
	aead := newAEAD(f, key)
	f.Fuzz(func(t *testing.T, blob []byte) {
		want, refErr := refOpen(key, blob)
		for name, decrypt := range map[string]func() ([]byte, error){
			"NewReader": func() ([]byte, error) { return decryptStream(aead, blob, WithConcurrency(2)) },
			"ReaderAt":  func() ([]byte, error) { return decryptAt(aead, blob, WithConcurrency(2)) },
		} {
			got, err := decrypt()
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: error %v is not ErrCorrupt", name, err)
				}
				if refErr == nil {
					t.Fatalf("%s refused a blob the reference decoder accepts: %v", name, err)
				}
				continue
			}
			if refErr != nil {
				t.Fatalf("%s returned plaintext for a blob the reference decoder refuses", name)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s returned the wrong plaintext", name)
			}
		}
	})
}
