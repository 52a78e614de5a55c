package stream

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// The known-answer vectors freeze the format. They were generated once with
// -update-vectors; regenerating must reproduce the file byte for byte (the
// generator is deterministic), and vectorsSHA256 makes any edit deliberate.
var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors.json (never for a released format)")

const (
	vectorsFile   = "testdata/vectors.json"
	vectorsSHA256 = "6fc80c10d7f73e3bd6a8abdce0c0235c0b6f8267b516311e13f4b69e401a08c2"
)

// Outcomes a vector can name.
const (
	outcomeSuccess = "success"
	outcomeHeader  = "header failure"  // ReadHeader/ParseHeader fail (ErrCorrupt, *HeaderError)
	outcomePayload = "payload failure" // the header parses; reading fails (ErrCorrupt)
)

type vectorFile struct {
	Comment []string `json:"comment"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name       string `json:"name"`
	Outcome    string `json:"outcome"`
	Key        string `json:"key"`         // the blob key, hex
	KeyVersion uint32 `json:"key_version"` // the header the blob was made with
	ChunkSize  int    `json:"chunk_size"`
	Salt       string `json:"salt"`
	Plaintext  string `json:"plaintext,omitempty"` // for success
	Blob       string `json:"blob"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f.Vectors
}

func (v vector) header(t testing.TB) Header {
	h := Header{KeyVersion: v.KeyVersion, ChunkSize: v.ChunkSize}
	copy(h.Salt[:], unhex(t, v.Salt))
	return h
}

func TestVectors(t *testing.T) {
	if *updateVectors {
		writeVectors(t)
	}
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			key, blob := unhex(t, v.Key), unhex(t, v.Blob)
			aead := newAEAD(t, key)
			ref, refErr := refOpen(key, blob)
			switch v.Outcome {
			case outcomeSuccess:
				pt := unhex(t, v.Plaintext)
				h, err := ParseHeader(blob[:HeaderSize])
				if err != nil || h != v.header(t) {
					t.Fatalf("header %+v, %v; want %+v", h, err, v.header(t))
				}
				if refErr != nil || !bytes.Equal(ref, pt) {
					t.Fatal("the reference decoder disagrees")
				}
				for _, conc := range []int{1, DefaultConcurrency} {
					if got := encrypt(t, aead, h, pt, WithConcurrency(conc)); !bytes.Equal(got, blob) {
						t.Fatalf("NewWriter (concurrency %d) made a different blob", conc)
					}
					if got, err := decryptStream(aead, blob, WithConcurrency(conc)); err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("NewReader: %v", err)
					}
					if got, err := decryptAt(aead, blob, WithConcurrency(conc)); err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("ReaderAt: %v", err)
					}
				}
			case outcomeHeader:
				_, _, err := ReadHeader(bytes.NewReader(blob))
				var he *HeaderError
				if !errors.Is(err, ErrCorrupt) || !errors.As(err, &he) {
					t.Fatalf("ReadHeader: err = %v, want a header failure", err)
				}
				if refErr == nil {
					t.Fatal("the reference decoder accepted it")
				}
			case outcomePayload:
				if _, _, err := ReadHeader(bytes.NewReader(blob)); err != nil {
					t.Fatalf("ReadHeader: %v, want a payload failure", err)
				}
				if _, err := decryptStream(aead, blob); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("NewReader: err = %v, want ErrCorrupt", err)
				}
				if _, err := decryptAt(aead, blob); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("ReaderAt: err = %v, want ErrCorrupt", err)
				}
				if refErr == nil {
					t.Fatal("the reference decoder accepted it")
				}
			default:
				t.Fatalf("unknown outcome %q", v.Outcome)
			}
		})
	}
}

// TestVectorsFrozen fails on any change to the vectors file.
func TestVectorsFrozen(t *testing.T) {
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(sha256Sum(data)); got != vectorsSHA256 {
		t.Fatalf("%s changed: SHA-256 %s, frozen at %s. Vectors never change; a format change is a new version with new vectors.", vectorsFile, got, vectorsSHA256)
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// vectorPlaintext is the plaintext of every vector: byte i is i mod 251.
func vectorPlaintext(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// writeVectors generates testdata/vectors.json from fixed inputs.
func writeVectors(t *testing.T) {
	key := make([]byte, 32) // 00 01 … 1f
	otherKey := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
		otherKey[i] = byte(0xff - i)
	}
	header := func(kv uint32, cs int) Header {
		h := Header{KeyVersion: kv, ChunkSize: cs}
		for i := range h.Salt {
			h.Salt[i] = byte(0xa0 + i)
		}
		return h
	}
	var vs []vector
	add := func(name, outcome string, k []byte, h Header, pt, blob []byte) {
		v := vector{Name: name, Outcome: outcome, Key: hex.EncodeToString(k),
			KeyVersion: h.KeyVersion, ChunkSize: h.ChunkSize,
			Salt: hex.EncodeToString(h.Salt[:]), Blob: hex.EncodeToString(blob)}
		if outcome == outcomeSuccess {
			v.Plaintext = hex.EncodeToString(pt)
		}
		vs = append(vs, v)
	}
	seal := func(k []byte, h Header, pt []byte) []byte {
		hdr, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return refSeal(k, hdr, refCanonical(pt, h.ChunkSize))
	}
	success := func(name string, kv uint32, cs, n int) {
		h := header(kv, cs)
		pt := vectorPlaintext(n)
		add(name, outcomeSuccess, key, h, pt, seal(key, h, pt))
	}
	success("empty", 1, 1024, 0)
	success("one byte", 1, 1024, 1)
	success("chunk size minus one", 1, 1024, 1023)
	success("one full final chunk", 1, 1024, 1024)
	success("chunk size plus one", 1, 1024, 1025)
	success("worked example", 1, 1024, 2500)
	success("three full chunks", 1, 1024, 3072)
	success("odd chunk size", 7, 1031, 3000)
	success("largest key version", 0xffffffff, 1024, 100)
	success("default chunk size", 1, DefaultChunkSize, 100)
	success("largest chunk size", 1, MaxChunkSize, 10)

	// Tampered variants of the worked example.
	h := header(1, 1024)
	hdr, _ := h.MarshalBinary()
	pt := vectorPlaintext(2500)
	blob := seal(key, h, pt)
	other := seal(otherKey, h, pt)
	const full = 1024 + TagSize
	c := func(b []byte, i int) []byte { return b[HeaderSize+i*full : min(len(b), HeaderSize+(i+1)*full)] }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	edit := func(off int, x byte) []byte {
		b := bytes.Clone(blob)
		b[off] ^= x
		return b
	}
	setHeader := func(off int, val ...byte) []byte {
		b := bytes.Clone(blob)
		copy(b[off:], val)
		return b
	}
	hf := func(name string, b []byte) { add(name, outcomeHeader, key, h, nil, b) }
	pf := func(name string, k []byte, b []byte) { add(name, outcomePayload, k, h, nil, b) }

	hf("header: bad magic", setHeader(0, 'Z', 'K', 'C'))
	hf("header: format version 1", setHeader(3, 1))
	hf("header: format version 3", setHeader(3, 3))
	hf("header: key version 0", setHeader(4, 0, 0, 0, 0))
	hf("header: chunk size 1023", setHeader(8, 0, 0, 3, 0xff))
	hf("header: chunk size 16777217", setHeader(8, 1, 0, 0, 1))
	hf("header: all-zero salt", setHeader(12, make([]byte, 32)...))
	hf("header: 43 bytes", blob[:43])
	hf("header: empty file", nil)

	pf("truncated: header only", key, blob[:HeaderSize])
	pf("truncated: final chunk missing", key, cat(hdr, c(blob, 0), c(blob, 1)))
	pf("truncated: inside final chunk", key, blob[:len(blob)-1])
	pf("truncated: inside middle chunk", key, blob[:HeaderSize+full+500])
	pf("truncated: final chunk is only a tag", key, blob[:HeaderSize+2*full+TagSize])
	pf("truncated: final chunk shorter than a tag", key, blob[:HeaderSize+2*full+TagSize-1])
	pf("extended: one trailing byte", key, cat(blob, []byte{0}))
	pf("extended: final chunk repeated", key, cat(blob, c(blob, 2)))
	pf("extended: chunk 0 appended", key, cat(blob, c(blob, 0)))
	pf("reordered: chunks 0 and 1 swapped", key, cat(hdr, c(blob, 1), c(blob, 0), c(blob, 2)))
	pf("duplicated: chunk 0 twice", key, cat(hdr, c(blob, 0), c(blob, 0), c(blob, 1), c(blob, 2)))
	pf("duplicated: chunk 0 in place of chunk 1", key, cat(hdr, c(blob, 0), c(blob, 0), c(blob, 2)))
	pf("dropped: middle chunk", key, cat(hdr, c(blob, 0), c(blob, 2)))
	pf("swapped: chunk 1 from another blob", key, cat(hdr, c(blob, 0), c(other, 1), c(blob, 2)))
	pf("flipped: first ciphertext bit", key, edit(HeaderSize, 0x01))
	pf("flipped: bit in chunk 1", key, edit(HeaderSize+full+100, 0x40))
	pf("flipped: tag bit of chunk 0", key, edit(HeaderSize+full-1, 0x80))
	pf("flipped: last bit of the blob", key, edit(len(blob)-1, 0x01))
	pf("wrong key", otherKey, blob)
	pf("header: chunk size changed to 1025", key, setHeader(8, 0, 0, 4, 1))
	ref := func(cs ...refChunk) []byte { return refSeal(key, hdr, cs) }
	pf("final flag on chunk 0 of 3", key, ref(
		refChunk{pt[:1024], 0, true}, refChunk{pt[1024:2048], 1, false}, refChunk{pt[2048:], 2, true}))
	pf("no final flag", key, ref(
		refChunk{pt[:1024], 0, false}, refChunk{pt[1024:2048], 1, false}, refChunk{pt[2048:], 2, false}))
	pf("empty final chunk after a full one", key, ref(
		refChunk{pt[:1024], 0, false}, refChunk{pt[1024:2048], 1, false}, refChunk{nil, 2, true}))
	pf("counter skips 1", key, ref(
		refChunk{pt[:1024], 0, false}, refChunk{pt[1024:2048], 2, false}, refChunk{pt[2048:], 3, true}))
	pf("short non-final chunk", key, ref(
		refChunk{pt[:1024], 0, false}, refChunk{pt[1024:2047], 1, false}, refChunk{pt[2047:], 2, true}))

	f := vectorFile{
		Comment: []string{
			"zkvault blob stream (wasm/stream) known-answer vectors, format v2. Frozen: never edit.",
			"key is the blob key (AES-256-GCM); key_version, chunk_size and salt are the header the blob was made with.",
			"Plaintexts: byte i is i mod 251. Outcomes: success (the blob decrypts to plaintext, and encrypting",
			"plaintext under key and the header gives blob), header failure (the header does not parse),",
			"payload failure (the header parses, decryption fails).",
		},
		Vectors: vs,
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsFile, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d vectors, SHA-256 %x", len(vs), sha256Sum(append(data, '\n')))
}
