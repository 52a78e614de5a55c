//go:build js && wasm

// Blobs. Streams run in JavaScript (jsbridge/js/src/blob.js): the module
// derives the blob key and hands it out as a non-extractable AES-GCM
// CryptoKey, and the JS package seals or opens the chunks with
// crypto.subtle, several in flight, without a round trip through the module
// per chunk (docs/spec/10-browser-provider.md 10.1). Random access stays in
// Go: it reads a range through a JavaScript callback that returns the
// ciphertext bytes asked for.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/webcrypto"
)

// blobEncryptBegin(space, blobId) → {header, key, chunkSize}: a new blob's
// 44-byte header and its key as a non-extractable AES-GCM CryptoKey. The
// JS package seals the chunks with it (docs/spec/05-blobs.md 5.4).
func blobEncryptBegin(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	id, err := argString(args, 1, "blob id")
	if err != nil {
		return nil, err
	}
	h, header, a, err := sh.s.NewBlobKey(ctx, id)
	if err != nil {
		return nil, err
	}
	key, err := aeadCryptoKey(ctx, a)
	if err != nil {
		return nil, err
	}
	hdr, err := jsBytes(header)
	if err != nil {
		return nil, err
	}
	return map[string]any{"header": hdr, "key": key, "chunkSize": h.ChunkSize}, nil
}

// blobDecryptBegin(space, blobId, header) → {key, chunkSize}: the key of
// the blob whose first 44 bytes are header, as a non-extractable AES-GCM
// CryptoKey. The JS package opens the chunks with it (5.5). A header that
// does not parse is "corrupt".
func blobDecryptBegin(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	id, err := argString(args, 1, "blob id")
	if err != nil {
		return nil, err
	}
	header, err := argBytes(args, 2, "header")
	if err != nil {
		return nil, err
	}
	h, a, err := sh.s.BlobKey(ctx, id, header)
	if err != nil {
		return nil, err
	}
	key, err := aeadCryptoKey(ctx, a)
	if err != nil {
		return nil, err
	}
	return map[string]any{"key": key, "chunkSize": h.ChunkSize}, nil
}

// aeadCryptoKey returns the WebCrypto key behind an AEAD of the browser
// provider (a blob's, a field key), importing it (non-extractable) if the
// AEAD has not yet.
func aeadCryptoKey(ctx context.Context, a prim.AEAD) (safejs.Value, error) {
	r, ok := a.(*routedAEAD)
	if !ok {
		return safejs.Value{}, fmt.Errorf("%w: AEAD is not the browser provider's", errInternal)
	}
	w, err := r.large(ctx)
	if err != nil {
		return safejs.Value{}, err
	}
	key, ok := webcrypto.AEADCryptoKey(w)
	if !ok {
		return safejs.Value{}, fmt.Errorf("%w: AEAD has no CryptoKey", errInternal)
	}
	return key, nil
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
