// Crypto summary (blobs):
//
//   - A blob is a wasm/stream stream: a 44-byte header (magic, key version,
//     chunk size, 32-byte random salt) and AES-256-GCM chunks.
//   - Its key is HKDF-SHA256(S_v, salt = header salt, tuple(LabelBlob, space
//     id, blob id, header bytes)) for the version v the header names: a
//     chunk moved from another blob, space or version fails, and so does a
//     changed header.

package zkvault

import (
	"context"
	"io"

	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/stream"
)

// blobAEAD derives the AEAD of blob blobID whose encoded header is header.
func (s *Space) blobAEAD(ctx context.Context, blobID string, h stream.Header, header []byte) (prim.AEAD, error) {
	if err := checkID("blob id", blobID); err != nil {
		return nil, err
	}
	sv, err := s.version(h.KeyVersion)
	if err != nil {
		return nil, err
	}
	key, err := s.p.HKDF(ctx, sv.secret, h.Salt[:], tuple.Strings(LabelBlob, s.id, blobID, string(header)), prim.AESKeySize)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return s.p.NewAEAD(ctx, key)
}

// NewBlobKey starts blob blobID under the current secret version, with a
// fresh random salt and stream.DefaultChunkSize: it returns the header and
// the AEAD of the blob key. It is for a caller that seals the chunks itself
// (the browser bridge, with WebCrypto): it must follow docs/spec/05-blobs.md
// 5.4 to the letter, as stream.NewWriter does, and write header first.
// Everyone else uses EncryptBlob.
func (s *Space) NewBlobKey(ctx context.Context, blobID string) (stream.Header, []byte, prim.AEAD, error) {
	h := stream.Header{KeyVersion: s.CurrentVersion(), ChunkSize: stream.DefaultChunkSize}
	if err := random(s.p, h.Salt[:]); err != nil {
		return stream.Header{}, nil, nil, err
	}
	header, err := h.MarshalBinary()
	if err != nil {
		return stream.Header{}, nil, nil, err
	}
	a, err := s.blobAEAD(ctx, blobID, h, header)
	if err != nil {
		return stream.Header{}, nil, nil, err
	}
	return h, header, a, nil
}

// BlobKey parses the header of blob blobID (its first stream.HeaderSize
// bytes) and returns it with the AEAD of the blob key, for a caller that
// opens the chunks itself (docs/spec/05-blobs.md 5.5, as stream.NewReader
// does). A header that does not parse wraps stream.ErrCorrupt; a version
// not in the keyring is ErrUnknownKeyVersion. Everyone else uses
// DecryptBlob.
func (s *Space) BlobKey(ctx context.Context, blobID string, header []byte) (stream.Header, prim.AEAD, error) {
	h, err := stream.ParseHeader(header)
	if err != nil {
		return stream.Header{}, nil, err
	}
	a, err := s.blobAEAD(ctx, blobID, h, header)
	if err != nil {
		return stream.Header{}, nil, err
	}
	return h, a, nil
}

// EncryptBlob returns a writer that encrypts blob blobID under the current
// secret version, with a fresh random salt and stream.DefaultChunkSize, into
// dst (header first). Close it to write the final chunk.
func (s *Space) EncryptBlob(ctx context.Context, blobID string, dst io.Writer) (io.WriteCloser, error) {
	h, _, a, err := s.NewBlobKey(ctx, blobID)
	if err != nil {
		return nil, err
	}
	return stream.NewWriter(ctx, a, h, dst)
}

// DecryptBlob reads the header of blob blobID from src, selects the secret
// version it names and returns the plaintext stream. Damage anywhere in the
// blob is an error wrapping stream.ErrCorrupt; the stream is authentic as a
// whole only once Read has returned io.EOF. A version not in the keyring is
// ErrUnknownKeyVersion.
func (s *Space) DecryptBlob(ctx context.Context, blobID string, src io.Reader) (io.Reader, error) {
	_, header, err := stream.ReadHeader(src)
	if err != nil {
		return nil, err
	}
	h, a, err := s.BlobKey(ctx, blobID, header)
	if err != nil {
		return nil, err
	}
	return stream.NewReader(ctx, a, h, src), nil
}

// OpenBlobAt gives random access to blob blobID of size bytes (header
// included) held by src.
func (s *Space) OpenBlobAt(ctx context.Context, blobID string, src io.ReaderAt, size int64) (*stream.ReaderAt, error) {
	h, header, err := stream.ReadHeader(io.NewSectionReader(src, 0, stream.HeaderSize))
	if err != nil {
		return nil, err
	}
	a, err := s.blobAEAD(ctx, blobID, h, header)
	if err != nil {
		return nil, err
	}
	return stream.NewReaderAt(ctx, a, h, src, size)
}
