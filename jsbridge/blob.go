//go:build js && wasm

// Blobs as a push interface: begin → push(Uint8Array)* → finish. Each push
// returns the output that is ready, so memory in the module stays bounded by
// the stream pipeline (about 2 × 4 chunks of 64 KiB) plus one push; the JS
// package wraps it as a TransformStream. Random access reads a range through
// a JavaScript callback that returns the ciphertext bytes asked for.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/stream"
)

// maxPush is the largest Uint8Array one push accepts (the JS side splits).
const maxPush = 4 << 20

// outBuf collects output between pushes.
type outBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *outBuf) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// take returns and empties what has been written.
func (o *outBuf) take() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := bytes.Clone(o.b.Bytes())
	o.b.Reset()
	return b
}

// blobStream is one encryption or decryption in progress.
type blobStream struct {
	mu     sync.Mutex // one push or finish at a time
	out    *outBuf
	cancel context.CancelFunc

	// encryption
	w io.WriteCloser

	// decryption: push writes ciphertext into pw; a goroutine reads the
	// plaintext into out and reports its end on done.
	pw   *io.PipeWriter
	done chan error
}

func (b *blobStream) release() {
	b.cancel()
	if b.pw != nil {
		b.pw.CloseWithError(errClosed)
	}
}

// blobEncryptBegin(space, blobId) → {handle}: the header is output of the
// first push (or of finish).
func blobEncryptBegin(_ context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	id, err := argString(args, 1, "blob id")
	if err != nil {
		return nil, err
	}
	// The stream outlives this call: its context is its own.
	ctx, cancel := context.WithCancel(context.Background())
	out := &outBuf{}
	w, err := sh.s.EncryptBlob(ctx, id, out)
	if err != nil {
		cancel()
		return nil, err
	}
	return map[string]any{"handle": float64(handles.add(&blobStream{out: out, cancel: cancel, w: w}))}, nil
}

// blobDecryptBegin(space, blobId) → {handle}.
func blobDecryptBegin(_ context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	id, err := argString(args, 1, "blob id")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	b := &blobStream{out: &outBuf{}, cancel: cancel, pw: pw, done: make(chan error, 1)}
	s := sh.s
	go func() {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%w: %v", errInternal, r)
				}
			}()
			r, err := s.DecryptBlob(ctx, id, pr)
			if err != nil {
				return err
			}
			_, err = io.Copy(b.out, r)
			return err
		}()
		// Unblock a push waiting on the pipe: the stream has failed (or
		// ended before all input was read, which is corrupt too).
		if err == nil {
			pr.CloseWithError(errTrailing)
		} else {
			pr.CloseWithError(err)
		}
		b.done <- err
	}()
	return map[string]any{"handle": float64(handles.add(b))}, nil
}

var errTrailing = errors.New("blob stream ended before its input")

// blobPush(handle, Uint8Array) → Uint8Array: the output ready so far.
func blobPush(_ context.Context, args []safejs.Value) (any, error) {
	b, h, err := argHandle[*blobStream](args, 0, "blob stream")
	if err != nil {
		return nil, err
	}
	in, err := argBytes(args, 1, "chunk")
	if err != nil {
		return nil, err
	}
	if len(in) > maxPush {
		return nil, invalid("chunk is larger than %d bytes", maxPush)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w != nil {
		_, err = b.w.Write(in)
		clear(in)
	} else {
		_, err = b.pw.Write(in)
		if err != nil {
			// The reader ended: report its error rather than the pipe's.
			if derr := <-b.done; derr != nil {
				err = derr
			} else {
				err = fmt.Errorf("%w: data after the end of the blob", stream.ErrCorrupt)
			}
			b.done <- err
		}
	}
	if err != nil {
		handles.remove(h)
		b.release()
		return nil, err
	}
	return jsBytes(b.out.take())
}

// blobFinish(handle) → Uint8Array: the rest of the output. For decryption,
// it succeeds only if the blob was complete and authentic.
func blobFinish(_ context.Context, args []safejs.Value) (any, error) {
	b, h, err := argHandle[*blobStream](args, 0, "blob stream")
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	handles.remove(h)
	defer b.release()
	if b.w != nil {
		err = b.w.Close()
	} else {
		b.pw.Close()
		err = <-b.done
		b.done <- err
	}
	if err != nil {
		return nil, err
	}
	return jsBytes(b.out.take())
}

// blobReadRange(space, blobId, size, offset, length, read) → Uint8Array:
// the plaintext bytes [offset, offset+length) of a blob of size bytes
// (header included), reading ciphertext through read(offset, length), a
// JavaScript function returning (a promise of) a Uint8Array. Only the
// chunks that hold the range are read and decrypted.
func blobReadRange(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	id, err := argString(args, 1, "blob id")
	if err != nil {
		return nil, err
	}
	size, err := argInt64(args, 2, "size")
	if err != nil {
		return nil, err
	}
	off, err := argInt64(args, 3, "offset")
	if err != nil {
		return nil, err
	}
	n, err := argInt64(args, 4, "length")
	if err != nil {
		return nil, err
	}
	if n > maxBytesArg {
		return nil, invalid("length is larger than %d bytes", maxBytesArg)
	}
	read := arg(args, 5)
	if read.Type() != safejs.TypeFunction {
		return nil, invalid("read must be a function")
	}
	ra, err := sh.s.OpenBlobAt(ctx, id, &jsReaderAt{ctx: ctx, read: read}, size)
	if err != nil {
		return nil, err
	}
	if off > ra.Size() {
		return nil, invalid("offset is beyond the end of the blob")
	}
	buf := make([]byte, min(n, ra.Size()-off))
	m, err := ra.ReadAt(buf, off)
	if err != nil && !(errors.Is(err, io.EOF) && m == len(buf)) {
		return nil, err
	}
	return jsBytes(buf[:m])
}

// jsReaderAt reads ciphertext through a JavaScript callback.
type jsReaderAt struct {
	ctx  context.Context
	read safejs.Value
}

func (r *jsReaderAt) ReadAt(p []byte, off int64) (int, error) {
	v, err := r.read.Invoke(float64(off), len(p))
	if err != nil {
		return 0, fmt.Errorf("read callback threw")
	}
	v, err = await(r.ctx, v)
	if err != nil {
		return 0, err
	}
	b, err := bytesOf(v, "read result")
	if err != nil {
		return 0, err
	}
	n := copy(p, b)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
