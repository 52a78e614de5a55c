// The legacy binary form (screenshots): "CTXE" || 0x01 || iv (12) ||
// tag (16) || ciphertext, AES-256-GCM under the passphrase-derived
// encryption key, no associated data.

package legacy

import (
	"bytes"
	"context"
	"fmt"

	"github.com/zkvault/zkvault/wasm/prim"
)

const (
	binaryMagic   = "CTXE"
	binaryVersion = 0x01
	// binaryHeaderSize is magic, version, iv and tag: the size of an
	// encrypted empty plaintext.
	binaryHeaderSize = len(binaryMagic) + 1 + prim.GCMNonceSize + prim.GCMTagSize
)

// IsEncryptedBinary reports whether b starts with the legacy "CTXE" magic.
// It says nothing about whether b decrypts.
func IsEncryptedBinary(b []byte) bool {
	return bytes.HasPrefix(b, []byte(binaryMagic))
}

// DecryptBinary decrypts a legacy binary value and returns the plaintext.
// Empty input decrypts to no bytes (nil). Input that does not start with
// "CTXE" returns ErrNotEncrypted; input that does but has another version
// byte or is shorter than the header returns an error matching ErrMalformed;
// a wrong passphrase or modified input returns ErrDecrypt. b is not
// modified.
func (k *Keys) DecryptBinary(ctx context.Context, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if !IsEncryptedBinary(b) {
		return nil, ErrNotEncrypted
	}
	if len(b) < len(binaryMagic)+1 {
		return nil, fmt.Errorf("%w: no version byte after %q", ErrMalformed, binaryMagic)
	}
	if v := b[len(binaryMagic)]; v != binaryVersion {
		return nil, fmt.Errorf("%w: unknown %s version 0x%02x", ErrMalformed, binaryMagic, v)
	}
	if len(b) < binaryHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(b), binaryHeaderSize)
	}
	if len(b)-binaryHeaderSize > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: ciphertext longer than %d bytes", ErrMalformed, MaxPlaintextSize)
	}
	rest := b[len(binaryMagic)+1:]
	iv := rest[:prim.GCMNonceSize]
	tag := rest[prim.GCMNonceSize : prim.GCMNonceSize+prim.GCMTagSize]
	ct := rest[prim.GCMNonceSize+prim.GCMTagSize:]
	// AES-GCM wants ciphertext || tag; the legacy form stores the tag first.
	sealed := make([]byte, 0, len(ct)+len(tag))
	sealed = append(append(sealed, ct...), tag...)
	return k.open(ctx, iv, sealed)
}

// EncryptBinary encrypts plaintext in the legacy binary form with a fresh
// random IV. No bytes encrypt to no bytes, as the legacy writer left them.
//
// It is for test vectors and fixtures only: zkvault never writes legacy
// values.
func (k *Keys) EncryptBinary(ctx context.Context, plaintext []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	iv, ct, tag, err := k.seal(ctx, plaintext)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, binaryHeaderSize+len(ct))
	out = append(out, binaryMagic...)
	out = append(out, binaryVersion)
	out = append(out, iv...)
	out = append(out, tag...)
	out = append(out, ct...)
	return out, nil
}
