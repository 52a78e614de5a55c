// Crypto summary: a blob is a 44-byte header followed by its plaintext cut
// into chunks of ChunkSize bytes, each sealed with AES-256-GCM under the blob
// key, nonce u88be(chunk index) || u8(final flag), and no associated data.
// The counter stops reordering and duplication, the final flag stops
// truncation and extension, and the per-blob key, which the core derives from
// the space secret, the blob id and the exact header bytes, stops chunks
// moving between blobs and authenticates the header.

// Package stream encrypts and decrypts zkvault blobs: byte streams of any
// size, attached to records, that pass through bounded memory and can be read
// at random offsets.
//
// The caller (the crypto core) parses or builds the Header, derives the blob
// key from it and hands this package a prim.AEAD under that key. NewWriter
// encrypts, NewReader decrypts a stream, NewReaderAt decrypts ranges.
//
// Encryption and decryption run as a bounded pipeline: up to
// DefaultConcurrency chunks (see WithConcurrency) are sealed or opened at once
// by goroutines, and their output is kept in order. Memory stays near
// 2 × concurrency × ChunkSize whatever the blob's size.
//
// # Format
//
// Specified byte for byte in docs/spec/05-blobs.md and frozen by
// testdata/vectors.json.
//
//	blob   = header || chunk_0 || chunk_1 || … || chunk_{n-1}
//	header = "ZKB" 0x02 || u32be(KeyVersion) || u32be(ChunkSize) || Salt[32]   (44 bytes)
//	chunk_i = AES-256-GCM-Seal(key, nonce_i, plaintext_i, no AD)              (len(plaintext_i) + 16 bytes)
//	nonce_i = u88be(i) || 0x00    for i < n-1
//	nonce_i = u88be(i) || 0x01    for i = n-1 (the final chunk)
//
// KeyVersion is 1 … 2³²−1, ChunkSize is any value in MinChunkSize …
// MaxChunkSize, and Salt is 32 random bytes, not all zero. Every chunk but the
// last holds exactly ChunkSize plaintext bytes; the last holds 1 … ChunkSize,
// or 0 when it is chunk 0 (the empty blob). A plaintext whose length is a
// multiple of ChunkSize therefore ends with a full final chunk. A blob has at
// most MaxChunks chunks.
//
// # Security
//
// Readers release a chunk's plaintext only after its tag has verified, and a
// stream that ends without a verified final chunk ends in an error, never in
// io.EOF. Every failure caused by the blob's bytes (a flipped bit, a cut,
// trailing data, reordered, duplicated or foreign chunks, a wrong key, a
// malformed header) is reported as an error for which errors.Is(err,
// ErrCorrupt) holds, and the message says no more than that: there is one
// sentinel to test, and no oracle. It is ErrCorrupt, not prim.ErrDecrypt
// (which it does not wrap), because several of these failures (an impossible
// length, trailing bytes, an empty final chunk) are found without any AEAD
// operation. Errors from the source itself (a network failure) and context
// errors are returned as they are.
//
// A stream reader that fails after some chunks has already released those
// chunks (each authentic). The stream as a whole is authentic only once Read
// has returned io.EOF: a caller that must not act on a partial blob writes the
// output somewhere temporary and uses it only after io.EOF.
//
// This package authenticates the header only through the key: it MUST be
// derived from the exact header bytes, as the core does (HKDF info
// tuple("zkvault/v2/blob", space id, blob id, header)). Under a key that does
// not depend on the header, a changed KeyVersion or Salt would go unnoticed.
// NewReaderAt checks that the header stored in the blob is the one it was
// given.
package stream

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zkvault/zkvault/wasm/prim"
)

// Sizes and limits of the blob format.
const (
	// HeaderSize is the length of the encoded header.
	HeaderSize = 44
	// DefaultChunkSize is the chunk size the core uses for new blobs.
	DefaultChunkSize = 64 << 10
	// MinChunkSize and MaxChunkSize bound Header.ChunkSize. Any value in
	// between is valid; it need not be a power of two or a multiple of 16.
	MinChunkSize = 1 << 10
	MaxChunkSize = 16 << 20
	// MaxChunks is the most chunks a blob may have, so the largest blob holds
	// MaxChunks × ChunkSize plaintext bytes (4 TiB at MinChunkSize, 256 TiB
	// at DefaultChunkSize). Chunk indexes are 0 … MaxChunks−1.
	MaxChunks = 1 << 32
	// TagSize is the size of the GCM tag that follows every chunk.
	TagSize = prim.GCMTagSize
	// DefaultConcurrency is how many chunks are sealed or opened at once
	// unless WithConcurrency says otherwise.
	DefaultConcurrency = 4
)

// magic is the first four bytes of every v2 blob: "ZKB" and format version 2.
var magic = [4]byte{'Z', 'K', 'B', 0x02}

var (
	// ErrCorrupt is wrapped by every error a blob's bytes cause: failed
	// authentication of any chunk, truncation, trailing data, a size no blob
	// has, a malformed header. It is the one sentinel to test for.
	ErrCorrupt = errors.New("stream: blob is corrupt or was tampered with")
	// ErrInvalidHeader is returned when a caller passes a Header that cannot
	// be encoded (a zero key version, an out-of-range chunk size, an all-zero
	// salt). It reports a programming error, not bad data.
	ErrInvalidHeader = errors.New("stream: invalid header")
	// ErrTooLarge is returned for a plaintext of more than MaxChunks chunks.
	ErrTooLarge = errors.New("stream: blob too large")
)

// HeaderError reports a header that does not parse. It wraps ErrCorrupt.
type HeaderError struct {
	Field  string // "magic", "version", "key version", "chunk size", "salt", "length"
	Reason string
}

func (e *HeaderError) Error() string {
	return "stream: bad blob header: " + e.Field + ": " + e.Reason
}

// Unwrap returns ErrCorrupt.
func (e *HeaderError) Unwrap() error { return ErrCorrupt }

// Header is the plaintext header at the start of every blob.
type Header struct {
	// KeyVersion names the version of the space secret the blob key was
	// derived from (≥ 1).
	KeyVersion uint32
	// ChunkSize is the number of plaintext bytes in every chunk but the last
	// (MinChunkSize … MaxChunkSize).
	ChunkSize int
	// Salt is 32 random bytes, the HKDF salt of the blob key. The core makes
	// a fresh one for every blob.
	Salt [32]byte
}

// check reports the first field of h that no blob may have.
func (h Header) check() *HeaderError {
	if h.KeyVersion == 0 {
		return &HeaderError{"key version", "is 0"}
	}
	if h.ChunkSize < MinChunkSize || h.ChunkSize > MaxChunkSize {
		return &HeaderError{"chunk size", "out of range"}
	}
	if h.Salt == ([32]byte{}) {
		return &HeaderError{"salt", "is all zero"}
	}
	return nil
}

// valid returns nil or an error wrapping ErrInvalidHeader.
func (h Header) valid() error {
	if e := h.check(); e != nil {
		return fmt.Errorf("%w: %s %s", ErrInvalidHeader, e.Field, e.Reason)
	}
	return nil
}

// MarshalBinary returns the 44-byte encoding of h, or an error wrapping
// ErrInvalidHeader if a field is out of range.
func (h Header) MarshalBinary() ([]byte, error) {
	if err := h.valid(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, HeaderSize)
	b = append(b, magic[:]...)
	b = binary.BigEndian.AppendUint32(b, h.KeyVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(h.ChunkSize))
	b = append(b, h.Salt[:]...)
	return b, nil
}

// ParseHeader parses exactly HeaderSize bytes. Every field is checked; an
// error is a *HeaderError, which wraps ErrCorrupt.
func ParseHeader(b []byte) (Header, error) {
	if len(b) != HeaderSize {
		return Header{}, &HeaderError{"length", fmt.Sprintf("%d bytes, want %d", len(b), HeaderSize)}
	}
	if string(b[:3]) != string(magic[:3]) {
		return Header{}, &HeaderError{"magic", "not a zkvault blob"}
	}
	if b[3] != magic[3] {
		return Header{}, &HeaderError{"version", fmt.Sprintf("unsupported format version %d", b[3])}
	}
	var h Header
	h.KeyVersion = binary.BigEndian.Uint32(b[4:8])
	cs := binary.BigEndian.Uint32(b[8:12])
	if cs < MinChunkSize || cs > MaxChunkSize {
		return Header{}, &HeaderError{"chunk size", "out of range"}
	}
	h.ChunkSize = int(cs)
	copy(h.Salt[:], b[12:44])
	if e := h.check(); e != nil {
		return Header{}, e
	}
	return h, nil
}

// EncryptedSize returns the length of the blob, header included, that holds
// plaintextSize bytes in chunks of chunkSize.
func EncryptedSize(plaintextSize int64, chunkSize int) (int64, error) {
	if chunkSize < MinChunkSize || chunkSize > MaxChunkSize {
		return 0, fmt.Errorf("%w: chunk size out of range", ErrInvalidHeader)
	}
	if plaintextSize < 0 {
		return 0, errors.New("stream: negative plaintext size")
	}
	c := int64(chunkSize)
	chunks := plaintextSize / c
	if plaintextSize%c != 0 || plaintextSize == 0 {
		chunks++
	}
	if chunks > MaxChunks {
		return 0, ErrTooLarge
	}
	// At most 2^32 × (2^24 + 16) + 44 < 2^57: no overflow.
	return HeaderSize + plaintextSize + chunks*TagSize, nil
}

// PlaintextSize returns the plaintext length of a blob of encryptedSize
// bytes, header included, in chunks of chunkSize. It returns an error
// wrapping ErrCorrupt for a length no valid blob has.
func PlaintextSize(encryptedSize int64, chunkSize int) (int64, error) {
	_, p, err := layout(encryptedSize, chunkSize)
	return p, err
}

// layout returns the number of chunks and the plaintext size of a blob of
// encryptedSize bytes.
func layout(encryptedSize int64, chunkSize int) (chunks, plaintext int64, err error) {
	if chunkSize < MinChunkSize || chunkSize > MaxChunkSize {
		return 0, 0, fmt.Errorf("%w: chunk size out of range", ErrInvalidHeader)
	}
	body := encryptedSize - HeaderSize
	if encryptedSize < 0 || body < TagSize {
		return 0, 0, fmt.Errorf("%w: blob too short", ErrCorrupt)
	}
	full := int64(chunkSize) + TagSize
	q, r := body/full, body%full
	switch {
	case r == 0:
		chunks, plaintext = q, q*int64(chunkSize)
	case r < TagSize || (q > 0 && r == TagSize):
		// A cut tag, or an empty final chunk after a full one.
		return 0, 0, fmt.Errorf("%w: impossible blob length", ErrCorrupt)
	default:
		chunks, plaintext = q+1, q*int64(chunkSize)+r-TagSize
	}
	if chunks > MaxChunks {
		return 0, 0, fmt.Errorf("%w: too many chunks", ErrCorrupt)
	}
	return chunks, plaintext, nil
}

// chunkNonce returns u88be(index) || u8(final).
func chunkNonce(index uint64, final bool) [prim.GCMNonceSize]byte {
	var n [prim.GCMNonceSize]byte
	binary.BigEndian.PutUint64(n[3:11], index)
	if final {
		n[11] = 1
	}
	return n
}

// Option configures NewWriter, NewReader and NewReaderAt.
type Option func(*options)

type options struct {
	concurrency int
}

// WithConcurrency sets how many chunks are sealed or opened at once
// (DefaultConcurrency unless set; values below 1 mean 1). Memory grows with
// it: about 2 × n × ChunkSize. The WebCrypto provider gains from several
// operations in flight; natively, more than the number of cores gains nothing.
func WithConcurrency(n int) Option {
	return func(o *options) { o.concurrency = max(n, 1) }
}

func getOptions(opts []Option) options {
	o := options{concurrency: DefaultConcurrency}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// job is one chunk being sealed or opened by its own goroutine. done is
// closed when out and err are set.
type job struct {
	in       []byte
	n        int // len(in), kept after in is dropped
	out      []byte
	pooled   bool // out is the writer's to reuse once written
	err      error
	final    bool
	borrowed bool // in belongs to the caller of Write
	done     chan struct{}
}

func corrupt(what string) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, what)
}

// grow returns b with the same contents and a capacity of at least
// min(limit, 2×cap(b), 4096), and never above limit unless it already was.
// Buffers grow with the data so that a tiny blob with a 16 MiB chunk size does
// not allocate 16 MiB.
func grow(b []byte, limit int) []byte {
	n := min(limit, max(2*cap(b), 4096))
	if n <= cap(b) {
		return b
	}
	nb := make([]byte, len(b), n)
	copy(nb, b)
	return nb
}
