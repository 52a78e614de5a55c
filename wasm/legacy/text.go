// The legacy text form: enc:v1:<iv>:<tag>:<ciphertext>, AES-256-GCM under the
// passphrase-derived encryption key, no associated data, each part standard
// padded base64.

package legacy

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/zkvault/zkvault/wasm/prim"
)

// textPrefix starts every legacy encrypted text value.
const textPrefix = "enc:v1:"

// b64 is the encoding of the three parts: standard alphabet, padded,
// canonical (Strict rejects non-zero trailing bits). Go's decoder still skips
// CR and LF even when strict, so decodePart checks the alphabet first.
var b64 = base64.StdEncoding.Strict()

// maxTextLen bounds a whole text value before it is parsed: the prefix, the
// three parts at their largest and two colons.
var maxTextLen = len(textPrefix) + b64.EncodedLen(prim.GCMNonceSize) + b64.EncodedLen(prim.GCMTagSize) +
	b64.EncodedLen(MaxPlaintextSize) + 2

// IsEncrypted reports whether v has the legacy "enc:v1:" prefix, as the
// legacy isEncrypted did. It says nothing about whether v decrypts.
func IsEncrypted(v string) bool {
	return strings.HasPrefix(v, textPrefix)
}

// DecryptString decrypts a legacy text value and returns the text. The empty
// string decrypts to the empty string. A value without the "enc:v1:" prefix
// returns ErrNotEncrypted; a value that has it but is not well formed returns
// an error matching ErrMalformed; a wrong passphrase or a modified value
// returns ErrDecrypt; bytes that are not valid UTF-8 return ErrNotUTF8 (use
// DecryptBytes for attachments). The text is returned byte for byte,
// including a leading byte order mark if there was one.
func (k *Keys) DecryptString(ctx context.Context, v string) (string, error) {
	pt, err := k.DecryptBytes(ctx, v)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(pt) {
		return "", ErrNotUTF8
	}
	return string(pt), nil
}

// DecryptBytes decrypts a legacy text value whose plaintext is raw bytes (an
// attachment's file data) and returns them. It reports errors as
// DecryptString does, except that any bytes are accepted. The empty string
// decrypts to no bytes (nil).
func (k *Keys) DecryptBytes(ctx context.Context, v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	if !IsEncrypted(v) {
		return nil, ErrNotEncrypted
	}
	if len(v) > maxTextLen {
		return nil, fmt.Errorf("%w: value is %d bytes, more than %d", ErrMalformed, len(v), maxTextLen)
	}
	ivPart, rest, ok1 := strings.Cut(v[len(textPrefix):], ":")
	tagPart, ctPart, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || strings.Contains(ctPart, ":") {
		return nil, fmt.Errorf("%w: want 3 parts after %q", ErrMalformed, textPrefix)
	}
	iv, err := decodePart("iv", ivPart)
	if err != nil {
		return nil, err
	}
	if len(iv) != prim.GCMNonceSize {
		return nil, fmt.Errorf("%w: iv is %d bytes, want %d", ErrMalformed, len(iv), prim.GCMNonceSize)
	}
	tag, err := decodePart("tag", tagPart)
	if err != nil {
		return nil, err
	}
	if len(tag) != prim.GCMTagSize {
		return nil, fmt.Errorf("%w: tag is %d bytes, want %d", ErrMalformed, len(tag), prim.GCMTagSize)
	}
	ct, err := decodePart("ciphertext", ctPart)
	if err != nil {
		return nil, err
	}
	// AES-GCM wants ciphertext || tag; the legacy form stores them apart.
	return k.open(ctx, iv, append(ct, tag...))
}

// decodePart decodes one base64 part, refusing everything but the canonical
// padded standard encoding the legacy writers produced.
func decodePart(name, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, fmt.Errorf("%w: %s is not standard base64", ErrMalformed, name)
		}
	}
	// Room for the tag that DecryptBytes appends, so it does not copy.
	out := make([]byte, b64.DecodedLen(len(s)), b64.DecodedLen(len(s))+prim.GCMTagSize)
	n, err := b64.Decode(out, []byte(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not canonical padded base64", ErrMalformed, name)
	}
	return out[:n], nil
}

// EncryptString encrypts text in the legacy form with a fresh random IV. The
// empty string stays empty, as the legacy writer left it.
//
// It is for test vectors and fixtures only: zkvault never writes legacy
// values.
func (k *Keys) EncryptString(ctx context.Context, text string) (string, error) {
	return k.EncryptBytes(ctx, []byte(text))
}

// EncryptBytes encrypts raw bytes (an attachment) in the legacy text form
// with a fresh random IV. No bytes encrypt to the empty string, as the legacy
// writer left them.
//
// It is for test vectors and fixtures only: zkvault never writes legacy
// values.
func (k *Keys) EncryptBytes(ctx context.Context, plaintext []byte) (string, error) {
	if len(plaintext) == 0 {
		return "", nil
	}
	iv, ct, tag, err := k.seal(ctx, plaintext)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(textPrefix) + b64.EncodedLen(len(iv)) + b64.EncodedLen(len(tag)) + b64.EncodedLen(len(ct)) + 2)
	b.WriteString(textPrefix)
	b.WriteString(b64.EncodeToString(iv))
	b.WriteByte(':')
	b.WriteString(b64.EncodeToString(tag))
	b.WriteByte(':')
	b.WriteString(b64.EncodeToString(ct))
	return b.String(), nil
}
