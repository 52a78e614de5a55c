// Crypto summary: the readers open chunk i with nonce u88be(i) || flag, where
// the flag is 0x01 exactly when the chunk ends the blob: for the stream reader,
// when the source ends right after it; for the random-access reader, when the
// blob's length puts it last. A chunk cut short, a missing final chunk or data
// after it therefore fails the tag. Plaintext is released only after its tag
// verified.

package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zkvault/zkvault/wasm/prim"
)

// reader is the io.Reader NewReader returns.
type reader struct {
	ctx       context.Context
	aead      prim.AEAD
	src       io.Reader
	chunkSize int
	inFlight  int

	peek    byte // first byte of the next chunk, read to learn that one follows
	hasPeek bool
	srcDone bool  // the final chunk has been read from src
	srcErr  error // reported once the chunks read before it are released
	next    uint64
	queue   []*job   // chunks being opened, oldest first
	free    [][]byte // ciphertext buffers to reuse

	plain []byte // verified plaintext not yet returned
	cur   []byte // buffer plain was opened into in place, freed once plain is used
	eof   bool   // the final chunk has been verified
	err   error  // sticky
}

// NewReader returns the plaintext of the blob whose header h has already been
// read from src (see ReadHeader), decrypted under aead, which must hold the
// blob key derived from h. Read returns io.EOF only after the final chunk has
// verified; any damage to the blob is an error wrapping ErrCorrupt. Up to
// WithConcurrency chunks are opened at once; src is read only from the
// goroutine calling Read. The reader also implements io.WriterTo.
func NewReader(ctx context.Context, aead prim.AEAD, h Header, src io.Reader, opts ...Option) io.Reader {
	o := getOptions(opts)
	r := &reader{
		ctx:       ctx,
		aead:      aead,
		src:       src,
		chunkSize: h.ChunkSize,
		inFlight:  o.concurrency,
	}
	if err := h.valid(); err != nil {
		r.err = err
	}
	return r
}

// ReadHeader reads HeaderSize bytes from r and parses them. It returns the
// raw bytes too, for the key derivation. A stream too short for a header is
// an error wrapping ErrCorrupt.
func ReadHeader(r io.Reader) (Header, []byte, error) {
	b := make([]byte, HeaderSize)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, nil, &HeaderError{"length", "blob shorter than a header"}
		}
		return Header{}, nil, err
	}
	h, err := ParseHeader(b)
	if err != nil {
		return Header{}, nil, err
	}
	return h, b, nil
}

func (r *reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.eof {
			return 0, io.EOF
		}
		r.step()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// WriteTo writes the plaintext to w chunk by chunk, without the copy Read
// needs. io.Copy uses it.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for {
		if len(r.plain) > 0 {
			m, err := w.Write(r.plain)
			n += int64(m)
			r.plain = r.plain[m:]
			if err != nil {
				return n, err
			}
			continue
		}
		if r.err != nil {
			return n, r.err
		}
		if r.eof {
			return n, nil
		}
		r.step()
	}
}

// step tops up the pipeline, then waits for the oldest chunk and makes its
// plaintext current, or sets r.err.
func (r *reader) step() {
	if r.cur != nil {
		r.free = append(r.free, r.cur[:0])
		r.cur = nil
	}
	r.fill()
	if len(r.queue) == 0 {
		if r.srcErr == nil {
			r.srcErr = corrupt("no final chunk") // unreachable: fill stops at one
		}
		r.err = r.srcErr
		return
	}
	j := r.queue[0]
	copy(r.queue, r.queue[1:])
	r.queue[len(r.queue)-1] = nil
	r.queue = r.queue[:len(r.queue)-1]
	<-j.done
	if j.pooled && j.err == nil {
		r.cur = j.in // j.out is j.in's memory
	} else {
		r.free = append(r.free, j.in[:0])
	}
	switch {
	case j.err != nil:
		if err := r.ctx.Err(); err != nil {
			r.err = err
		} else {
			r.err = corrupt("chunk failed authentication")
		}
	case len(j.out) != len(j.in)-TagSize:
		r.err = errors.New("stream: provider returned a plaintext of the wrong length")
	default:
		r.plain = j.out
		r.eof = j.final
	}
}

// fill reads chunks from src and starts opening them until inFlight are in
// flight, the final chunk has been read, or src failed.
func (r *reader) fill() {
	for !r.srcDone && r.srcErr == nil && len(r.queue) < r.inFlight {
		if err := r.ctx.Err(); err != nil {
			r.srcErr = err
			return
		}
		var buf []byte
		if k := len(r.free); k > 0 {
			buf, r.free = r.free[k-1], r.free[:k-1]
		}
		ct, final, err := r.readChunk(buf)
		if err != nil {
			r.srcErr = err
			return
		}
		i := r.next
		switch {
		case i >= MaxChunks:
			r.srcErr = corrupt("too many chunks")
			return
		case len(ct) < TagSize:
			r.srcErr = corrupt("truncated chunk")
			return
		case final && i > 0 && len(ct) == TagSize:
			r.srcErr = corrupt("empty final chunk")
			return
		}
		j := &job{in: ct, final: final, done: make(chan struct{})}
		nonce := chunkNonce(i, final)
		ctx, aead := r.ctx, r.aead
		if a, ok := aead.(prim.AppendAEAD); ok {
			// Open in place: the plaintext overwrites its ciphertext.
			j.pooled = true
			go func() {
				defer close(j.done)
				j.out, j.err = a.OpenTo(ctx, j.in[:0], nonce[:], j.in, nil)
			}()
		} else {
			go func() {
				defer close(j.done)
				j.out, j.err = aead.Open(ctx, nonce[:], j.in, nil)
			}()
		}
		r.queue = append(r.queue, j)
		r.next++
		r.srcDone = final
	}
}

// maxEmptyReads is how many (0, nil) reads in a row count as a stuck source.
const maxEmptyReads = 100

// readChunk reads the next encrypted chunk into buf: ChunkSize+16 bytes, or
// fewer if src ends first. final reports that src ends right after it, which
// takes reading one byte ahead. Errors other than io.EOF come from src and
// are returned as they are.
func (r *reader) readChunk(buf []byte) (ct []byte, final bool, err error) {
	want := r.chunkSize + TagSize
	buf = buf[:0]
	if r.hasPeek {
		buf = grow(buf, want)
		buf = append(buf, r.peek)
		r.hasPeek = false
	}
	empty := 0
	for len(buf) < want {
		if len(buf) == cap(buf) {
			buf = grow(buf, want)
		}
		n, err := r.src.Read(buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, true, nil
		case err != nil:
			return nil, false, err
		case n == 0:
			if empty++; empty == maxEmptyReads {
				return nil, false, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	var b [1]byte
	for range maxEmptyReads {
		n, err := r.src.Read(b[:])
		if n == 1 {
			r.peek, r.hasPeek = b[0], true
			return buf, false, nil
		}
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
	return nil, false, io.ErrNoProgress
}

// ReaderAt decrypts ranges of a blob held by an io.ReaderAt. It is safe for
// concurrent use, as io.ReaderAt requires.
type ReaderAt struct {
	ctx       context.Context
	aead      prim.AEAD
	src       io.ReaderAt
	chunkSize int
	inFlight  int

	size   int64  // plaintext size
	chunks int64  // number of chunks
	last   []byte // verified plaintext of the final chunk
}

// NewReaderAt returns random access to the blob of size bytes held by src,
// header included at offset 0, decrypted under aead, which must hold the
// blob key derived from h. It checks that src starts with h, and opens the
// final chunk, so that Size is authenticated: a blob cut at a chunk boundary
// fails here. Errors caused by the blob's bytes wrap ErrCorrupt.
func NewReaderAt(ctx context.Context, aead prim.AEAD, h Header, src io.ReaderAt, size int64, opts ...Option) (*ReaderAt, error) {
	want, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	chunks, plain, err := layout(size, h.ChunkSize)
	if err != nil {
		return nil, err
	}
	got := make([]byte, HeaderSize)
	if err := readFullAt(src, got, 0); err != nil {
		return nil, err
	}
	if !bytes.Equal(got, want) {
		return nil, corrupt("header does not match")
	}
	o := getOptions(opts)
	r := &ReaderAt{
		ctx:       ctx,
		aead:      aead,
		src:       src,
		chunkSize: h.ChunkSize,
		inFlight:  o.concurrency,
		size:      plain,
		chunks:    chunks,
	}
	r.last, err = r.openChunk(chunks - 1)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Size returns the plaintext size of the blob.
func (r *ReaderAt) Size() int64 { return r.size }

// ReadAt decrypts the chunks that hold p's range (and no others) and copies
// the plaintext at off into p. As io.ReaderAt requires, it returns an error
// whenever n < len(p): io.EOF at the end of the blob.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("stream: negative offset")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	end := r.size
	if int64(len(p)) < r.size-off {
		end = off + int64(len(p))
	}
	c := int64(r.chunkSize)
	n := 0
	type result struct {
		pt  []byte
		err error
	}
	// Open the chunks in windows of inFlight, copying each window out in
	// order before starting the next, so memory stays bounded.
	for first := off / c; first <= (end-1)/c; first += int64(r.inFlight) {
		lastIdx := min(first+int64(r.inFlight)-1, (end-1)/c)
		results := make([]result, lastIdx-first+1)
		done := make(chan struct{})
		pending := 0
		for i := first; i <= lastIdx; i++ {
			if i == r.chunks-1 {
				results[i-first].pt = r.last
				continue
			}
			pending++
			go func() {
				defer func() { done <- struct{}{} }()
				pt, err := r.openChunk(i)
				results[i-first] = result{pt, err}
			}()
		}
		for range pending {
			<-done
		}
		for k, res := range results {
			if res.err != nil {
				return n, res.err
			}
			i := first + int64(k)
			from := max(off, i*c) - i*c
			to := min(end, (i+1)*c) - i*c
			n += copy(p[n:], res.pt[from:to])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// openChunk reads chunk i from src and opens it.
func (r *ReaderAt) openChunk(i int64) ([]byte, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	full := int64(r.chunkSize) + TagSize
	start := HeaderSize + i*full
	final := i == r.chunks-1
	n := full
	if final {
		n = r.size - (r.chunks-1)*int64(r.chunkSize) + TagSize
	}
	ct := make([]byte, n)
	if err := readFullAt(r.src, ct, start); err != nil {
		return nil, err
	}
	nonce := chunkNonce(uint64(i), final)
	pt, err := r.aead.Open(r.ctx, nonce[:], ct, nil)
	if err != nil {
		if cerr := r.ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, corrupt("chunk failed authentication")
	}
	if len(pt) != len(ct)-TagSize {
		return nil, errors.New("stream: provider returned a plaintext of the wrong length")
	}
	return pt, nil
}

// readFullAt fills b from src at off. A source shorter than promised is
// corrupt; other errors are returned as they are.
func readFullAt(src io.ReaderAt, b []byte, off int64) error {
	n, err := src.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt("blob shorter than its size")
	}
	return fmt.Errorf("stream: reading blob: %w", err)
}
