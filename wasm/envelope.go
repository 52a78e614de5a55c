// Crypto summary (envelopes):
//
//   - Binary: "ZKE" 0x02 || u8 kind || kind header || nonce(12) ||
//     AES-256-GCM(payload) || tag. kind 1: RSA-OAEP-SHA256 principal;
//     kind 2: Argon2id passphrase; kind 3: PBKDF2-HMAC-SHA256 passphrase.
//   - The payload key K is 32 bytes: random and RSA-OAEP-wrapped with label
//     tuple(LabelEnvelopeRSA, context) (kind 1), or derived from the
//     passphrase with the salt and parameters in the header (kinds 2, 3).
//   - Associated data: tuple(LabelEnvelope, context, header bytes), the
//     header bytes being every byte before the nonce. The context names what
//     is wrapped (SpaceSecretContext, PrivateKeyContext, GroupKeyContext), so
//     an envelope moved to another space, principal or version fails.
//   - Every length is checked against what remains and a maximum; a
//     malformed envelope is a *ParseError, any failure to open is
//     ErrIncorrectKey.

package zkvault

import (
	"context"
	"encoding/binary"

	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// Envelope kinds (the byte after the magic).
const (
	kindRSA      = 1
	kindArgon2id = 2
	kindPBKDF2   = 3
)

// envelopeMagic starts every envelope: "ZKE" and format version 2.
var envelopeMagic = [4]byte{'Z', 'K', 'E', 0x02}

// MaxEnvelopePayload is the largest payload an envelope carries: 64 KiB.
const MaxEnvelopePayload = 64 << 10

// Salt sizes of passphrase envelopes.
const (
	minSaltSize     = 16
	maxSaltSize     = 64
	defaultSaltSize = 16
)

// maxEnvelopeSize is the largest envelope: the largest header (kind 1) plus
// nonce, the largest payload and tag.
const maxEnvelopeSize = 5 + 32 + 4 + 2 + prim.RSACiphertextSize + prim.GCMNonceSize + MaxEnvelopePayload + prim.GCMTagSize

// envelope is a parsed envelope. Slices alias the input.
type envelope struct {
	kind   byte
	header []byte // every byte before the nonce
	nonce  []byte
	sealed []byte // AES-GCM ciphertext || tag

	// kind 1
	fingerprint Fingerprint
	keyVersion  uint32
	wrapped     []byte

	// kinds 2 and 3
	salt        []byte
	memoryKiB   uint32 // kind 2
	time        uint32 // kind 2
	parallelism uint8  // kind 2
	iterations  uint32 // kind 3
}

// reader reads big-endian fields and remembers the first short read.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = parseErr("envelope", "truncated at byte %d", r.off)
		return nil
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out
}

func (r *reader) u8() uint8 {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16() uint16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) u32() uint32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// parseEnvelope parses b without using any key. It never panics; every
// failure is a *ParseError.
func parseEnvelope(b []byte) (*envelope, error) {
	const what = "envelope"
	if len(b) > maxEnvelopeSize {
		return nil, parseErr(what, "%d bytes, at most %d", len(b), maxEnvelopeSize)
	}
	r := &reader{b: b}
	if m := r.take(4); m == nil || [4]byte(m) != envelopeMagic {
		return nil, parseErr(what, "bad magic")
	}
	e := &envelope{kind: r.u8()}
	switch e.kind {
	case kindRSA:
		copy(e.fingerprint[:], r.take(32))
		e.keyVersion = r.u32()
		n := r.u16()
		if r.err == nil && n != prim.RSACiphertextSize {
			return nil, parseErr(what, "wrapped key is %d bytes, want %d", n, prim.RSACiphertextSize)
		}
		e.wrapped = r.take(int(n))
		if r.err == nil && e.keyVersion == 0 {
			return nil, parseErr(what, "recipient key version 0")
		}
	case kindArgon2id, kindPBKDF2:
		n := int(r.u8())
		if r.err == nil && (n < minSaltSize || n > maxSaltSize) {
			return nil, parseErr(what, "salt is %d bytes, want %d..%d", n, minSaltSize, maxSaltSize)
		}
		e.salt = r.take(n)
		if e.kind == kindArgon2id {
			e.memoryKiB = r.u32()
			e.time = r.u32()
			e.parallelism = r.u8()
			if r.err == nil && (e.time < 1 || e.parallelism < 1 || uint64(e.memoryKiB) < 8*uint64(e.parallelism)) {
				return nil, parseErr(what, "invalid Argon2id parameters m=%d t=%d p=%d", e.memoryKiB, e.time, e.parallelism)
			}
		} else {
			e.iterations = r.u32()
			if r.err == nil && e.iterations < 1 {
				return nil, parseErr(what, "PBKDF2 iteration count 0")
			}
		}
	default:
		if r.err == nil {
			return nil, parseErr(what, "unknown kind %d", e.kind)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	e.header = b[:r.off]
	e.nonce = r.take(prim.GCMNonceSize)
	if r.err != nil {
		return nil, r.err
	}
	e.sealed = b[r.off:]
	if len(e.sealed) < prim.GCMTagSize {
		return nil, parseErr(what, "payload shorter than the tag")
	}
	if len(e.sealed)-prim.GCMTagSize > MaxEnvelopePayload {
		return nil, parseErr(what, "payload longer than %d bytes", MaxEnvelopePayload)
	}
	return e, nil
}

func envelopeAAD(envCtx, header []byte) []byte {
	return tuple.Append(tuple.Strings(LabelEnvelope), envCtx, header)
}

// sealEnvelope completes an envelope: header || nonce || AES-GCM(key,
// payload) with the envelope's associated data.
func sealEnvelope(ctx context.Context, p prim.Provider, header, key, envCtx, payload []byte) ([]byte, error) {
	if len(payload) > MaxEnvelopePayload {
		return nil, ErrTooLarge
	}
	a, err := p.NewAEAD(ctx, key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, prim.GCMNonceSize)
	if err := random(p, nonce); err != nil {
		return nil, err
	}
	sealed, err := a.Seal(ctx, nonce, payload, envelopeAAD(envCtx, header))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(header)+len(nonce)+len(sealed))
	return append(append(append(out, header...), nonce...), sealed...), nil
}

// openPayload decrypts e's payload under key. Any failure is
// ErrIncorrectKey (or the context's error).
func (e *envelope) openPayload(ctx context.Context, p prim.Provider, key, envCtx []byte) ([]byte, error) {
	a, err := p.NewAEAD(ctx, key)
	if err != nil {
		return nil, ErrIncorrectKey
	}
	out, err := a.Open(ctx, e.nonce, e.sealed, envelopeAAD(envCtx, e.header))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrIncorrectKey
	}
	return out, nil
}

// Recipient wraps a payload (a space secret, a private key) for one reader.
// envCtx names what is wrapped (SpaceSecretContext, PrivateKeyContext,
// GroupKeyContext) and is bound into the envelope: the reader must name the
// same context to open it. Implementations: *RSARecipient,
// *PassphraseRecipient.
type Recipient interface {
	Wrap(ctx context.Context, envCtx, payload []byte) ([]byte, error)
}

// Identity opens envelopes made for it. An envelope made for another
// identity, for another context, or altered, is ErrIncorrectKey; a
// malformed one a *ParseError. Implementations: *KeyHolder,
// *PassphraseIdentity.
type Identity interface {
	Unwrap(ctx context.Context, envCtx, envelope []byte) ([]byte, error)
}

// EnvelopeInfo is what an envelope's header says in clear.
type EnvelopeInfo struct {
	// Kind is 1 (RSA principal), 2 (Argon2id) or 3 (PBKDF2).
	Kind int
	// Fingerprint and KeyVersion name the recipient key (kind 1).
	Fingerprint Fingerprint
	KeyVersion  uint32
	// Params are the passphrase KDF parameters (kinds 2 and 3).
	Params PassphraseParams
}

// InspectEnvelope parses an envelope's header without opening it.
func InspectEnvelope(b []byte) (EnvelopeInfo, error) {
	e, err := parseEnvelope(b)
	if err != nil {
		return EnvelopeInfo{}, err
	}
	info := EnvelopeInfo{Kind: int(e.kind), Fingerprint: e.fingerprint, KeyVersion: e.keyVersion}
	switch e.kind {
	case kindArgon2id:
		info.Params = PassphraseParams{KDF: KDFArgon2id, MemoryKiB: e.memoryKiB, Time: e.time, Parallelism: e.parallelism, SaltSize: len(e.salt)}
	case kindPBKDF2:
		info.Params = PassphraseParams{KDF: KDFPBKDF2, Iterations: e.iterations, SaltSize: len(e.salt)}
	}
	return info, nil
}
