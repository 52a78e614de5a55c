// Crypto summary: the writer cuts the plaintext into ChunkSize pieces and
// seals piece i with nonce u88be(i) || 0x00, except the last, sealed with
// flag 0x01. A full piece is held back until more data arrives, so the last
// piece is known only at Close. Pieces are sealed concurrently and written in
// order.

package stream

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zkvault/zkvault/wasm/prim"
)

var errClosed = errors.New("stream: write to closed writer")

// writer is the io.WriteCloser NewWriter returns.
type writer struct {
	ctx       context.Context
	aead      prim.AEAD
	dst       io.Writer
	chunkSize int
	inFlight  int

	buf    []byte   // plaintext of the chunk being filled
	next   uint64   // index buf will have
	queue  []*job   // chunks being sealed, oldest first
	free   [][]byte // plaintext buffers to reuse
	outs   [][]byte // ciphertext buffers to reuse (an AppendAEAD seals into them)
	err    error    // sticky
	closed bool
}

// NewWriter writes the encoded header h to dst and returns a WriteCloser that
// encrypts everything written to it under aead, which must hold the blob key
// derived from h. Close writes the final chunk and must be called; it does not
// close dst. Up to WithConcurrency chunks are sealed at once and memory stays
// near 2 × concurrency × h.ChunkSize. Writing more than MaxChunks chunks fails
// with ErrTooLarge. Because chunks are sealed in the background, a failure to
// seal or write one may be reported by a later Write or only by Close, whose
// error must be checked. The writer also implements io.ReaderFrom, which
// io.Copy uses to read straight into chunk buffers.
func NewWriter(ctx context.Context, aead prim.AEAD, h Header, dst io.Writer, opts ...Option) (io.WriteCloser, error) {
	hdr, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := dst.Write(hdr); err != nil {
		return nil, err
	}
	o := getOptions(opts)
	return &writer{
		ctx:       ctx,
		aead:      aead,
		dst:       dst,
		chunkSize: h.ChunkSize,
		inFlight:  o.concurrency,
	}, nil
}

// Write seals every chunk that p completes, except the last, which is held
// back in case it is the final one. Whole chunks inside p are sealed in place
// (Write returns once they are sealed, so p is not kept); the rest is copied.
func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errClosed
	}
	n, err := w.write(p)
	// Wait until no chunk in flight refers to p.
	for _, j := range w.queue {
		if j.borrowed {
			<-j.done
			j.in, j.borrowed = nil, false
		}
	}
	if err != nil {
		w.err = err
	}
	return n, err
}

func (w *writer) write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if len(w.buf) == w.chunkSize {
			if err := w.flush(false); err != nil {
				return n, err
			}
		}
		if len(w.buf) == 0 && len(p) > w.chunkSize {
			// A whole chunk with more data after it: seal it from p.
			if err := w.seal(p[:w.chunkSize], false, true); err != nil {
				return n, err
			}
			p = p[w.chunkSize:]
			n += w.chunkSize
			continue
		}
		if len(w.buf) == cap(w.buf) {
			w.buf = grow(w.buf, w.chunkSize)
		}
		k := copy(w.buf[len(w.buf):min(cap(w.buf), w.chunkSize)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// ReadFrom reads r to its end straight into chunk buffers, saving the copy
// Write makes; io.Copy uses it. An error from r is returned and leaves the
// writer usable; an error sealing or writing is sticky, as in Write.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errClosed
	}
	var total int64
	empty := 0
	for {
		var n int
		var err error
		if len(w.buf) == w.chunkSize {
			// buf is not final only if another byte follows: read into a
			// fresh buffer, and seal buf once something arrives.
			var next []byte
			if k := len(w.free); k > 0 {
				next, w.free = w.free[k-1], w.free[:k-1]
			}
			next = grow(next[:0], w.chunkSize)
			n, err = r.Read(next[:min(cap(next), w.chunkSize)])
			if n > 0 {
				if serr := w.seal(w.buf, false, false); serr != nil {
					w.free = append(w.free, next[:0])
					w.err = serr
					return total, serr
				}
				w.buf = next[:n]
			} else {
				w.free = append(w.free, next[:0])
			}
		} else {
			if len(w.buf) == cap(w.buf) {
				w.buf = grow(w.buf, w.chunkSize)
			}
			n, err = r.Read(w.buf[len(w.buf):min(cap(w.buf), w.chunkSize)])
			w.buf = w.buf[:len(w.buf)+n]
		}
		total += int64(n)
		switch {
		case err == io.EOF:
			return total, nil
		case err != nil:
			return total, err
		case n == 0:
			if empty++; empty == maxEmptyReads {
				return total, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}

// Close seals the final chunk (empty only for an empty blob), writes every
// chunk still in flight and reports the first error. It does not close dst.
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		w.err = w.flush(true)
	}
	for w.err == nil && len(w.queue) > 0 {
		w.err = w.drainOne()
	}
	// Forget plaintext; goroutines still running after an error finish on
	// their own and close their done channels.
	for _, b := range w.free {
		clear(b[:cap(b)])
	}
	clear(w.buf[:cap(w.buf)])
	w.buf, w.free, w.outs, w.queue = nil, nil, nil, nil
	return w.err
}

// flush starts sealing w.buf as the next chunk.
func (w *writer) flush(final bool) error {
	if err := w.seal(w.buf, final, false); err != nil {
		return err
	}
	w.buf = nil
	if k := len(w.free); k > 0 {
		w.buf, w.free = w.free[k-1], w.free[:k-1]
	}
	return nil
}

// seal starts sealing pt as chunk w.next, first writing out the oldest chunk
// if the pipeline is full. A borrowed pt belongs to the caller of Write and
// is not reused.
func (w *writer) seal(pt []byte, final, borrowed bool) error {
	if w.next >= MaxChunks || (!final && w.next == MaxChunks-1) {
		return ErrTooLarge
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if len(w.queue) == w.inFlight {
		if err := w.drainOne(); err != nil {
			return err
		}
	}
	j := &job{in: pt, n: len(pt), final: final, borrowed: borrowed, done: make(chan struct{})}
	nonce := chunkNonce(w.next, final)
	ctx, aead := w.ctx, w.aead
	if a, ok := aead.(prim.AppendAEAD); ok {
		// Seal into a reused buffer: no allocation, no zeroing per chunk.
		var out []byte
		if k := len(w.outs); k > 0 {
			out, w.outs = w.outs[k-1], w.outs[:k-1]
		}
		if cap(out) < len(pt)+TagSize {
			out = make([]byte, 0, w.chunkSize+TagSize)
		}
		j.pooled = true
		go func() {
			defer close(j.done)
			j.out, j.err = a.SealTo(ctx, out[:0], nonce[:], pt, nil)
			if j.err != nil {
				j.out = out[:0]
			}
		}()
	} else {
		go func() {
			defer close(j.done)
			j.out, j.err = aead.Seal(ctx, nonce[:], pt, nil)
		}()
	}
	w.queue = append(w.queue, j)
	w.next++
	return nil
}

// drainOne waits for the oldest chunk in flight and writes it to dst.
func (w *writer) drainOne() error {
	j := w.queue[0]
	copy(w.queue, w.queue[1:])
	w.queue[len(w.queue)-1] = nil
	w.queue = w.queue[:len(w.queue)-1]
	<-j.done
	if j.in != nil && !j.borrowed {
		w.free = append(w.free, j.in[:0])
	}
	if j.err != nil {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("stream: sealing chunk: %w", j.err)
	}
	if len(j.out) != j.n+TagSize {
		return errors.New("stream: provider returned a ciphertext of the wrong length")
	}
	_, err := w.dst.Write(j.out)
	if j.pooled {
		// io.Writer must not retain what it is given: the buffer is free.
		w.outs = append(w.outs, j.out[:0])
	}
	return err
}
