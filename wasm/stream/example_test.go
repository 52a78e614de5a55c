package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/stream"
)

func Example() {
	ctx := context.Background()
	p := prim.Native()

	// The core makes the header and derives the blob key from it (HKDF over
	// the space secret with the header's salt, and the header bytes in the
	// info). A fixed key keeps the example short.
	h := stream.Header{KeyVersion: 1, ChunkSize: stream.DefaultChunkSize}
	if err := p.Random(h.Salt[:]); err != nil {
		log.Fatal(err)
	}
	key := bytes.Repeat([]byte{0x42}, 32)
	aead, err := p.NewAEAD(ctx, key)
	if err != nil {
		log.Fatal(err)
	}

	// Encrypt.
	var blob bytes.Buffer
	w, err := stream.NewWriter(ctx, aead, h, &blob)
	if err != nil {
		log.Fatal(err)
	}
	io.WriteString(w, "a screenshot, or any stream of bytes")
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("blob size:", blob.Len())

	// Decrypt as a stream: the header first, then the chunks.
	src := bytes.NewReader(blob.Bytes())
	h2, _, err := stream.ReadHeader(src)
	if err != nil {
		log.Fatal(err)
	}
	pt, err := io.ReadAll(stream.NewReader(ctx, aead, h2, src))
	if err != nil {
		log.Fatal(err) // errors.Is(err, stream.ErrCorrupt) for a damaged blob
	}
	fmt.Printf("%s\n", pt)

	// Or read a range.
	ra, err := stream.NewReaderAt(ctx, aead, h2, bytes.NewReader(blob.Bytes()), int64(blob.Len()))
	if err != nil {
		log.Fatal(err)
	}
	part := make([]byte, 10)
	if _, err := ra.ReadAt(part, 2); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes, [2:12] = %q\n", ra.Size(), part)
	// Output:
	// blob size: 96
	// a screenshot, or any stream of bytes
	// 36 bytes, [2:12] = "screenshot"
}
