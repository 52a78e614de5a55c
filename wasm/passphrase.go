// Crypto summary (passphrase recipients, envelope kinds 2 and 3):
//
//   - kind 2: K = Argon2id(passphrase, salt, t, m KiB, p, 32 bytes)
//     (RFC 9106). Default m = 64 MiB, t = 3, p = 4 (RFC 9106's second
//     recommended option).
//   - kind 3: K = PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32 bytes)
//     (RFC 8018). Default 600,000 iterations (OWASP 2023).
//   - The salt (16 random bytes when sealing; 16..64 accepted) and the
//     parameters are in the envelope header, which is authenticated.
//   - Opening refuses, before any work, parameters above the maxima below:
//     a hostile envelope cannot make a browser compute for minutes.
//   - Sealing refuses parameters below the minima below.

package zkvault

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/zkvault/zkvault/wasm/prim"
)

// KDF names a passphrase key-derivation function. Its value is the envelope
// kind that uses it.
type KDF uint8

// Passphrase KDFs.
const (
	KDFArgon2id KDF = kindArgon2id
	KDFPBKDF2   KDF = kindPBKDF2
)

// Defaults used when sealing.
const (
	DefaultArgon2idMemoryKiB   = 64 << 10 // 64 MiB
	DefaultArgon2idTime        = 3
	DefaultArgon2idParallelism = 4
	DefaultPBKDF2Iterations    = 600_000
)

// Maxima enforced when opening, before any work: an envelope above any of
// them is ErrWorkFactor.
const (
	MaxArgon2idMemoryKiB   = 256 << 10 // 256 MiB
	MaxArgon2idTime        = 16
	MaxArgon2idParallelism = 16
	// MaxArgon2idWork bounds memory × time (KiB × passes) to 1 GiB-pass:
	// 256 MiB at 4 passes, 64 MiB at 16; the defaults use 192 MiB-passes.
	MaxArgon2idWork     = 1 << 20
	MaxPBKDF2Iterations = 10_000_000
)

// Minima enforced when sealing (OWASP password storage guidance), unless
// PassphraseParams.InsecureAllowWeak is set.
const (
	MinArgon2idMemoryKiB = 19 << 10 // 19 MiB
	// MinArgon2idWork is the least memory × time: 19 MiB at 2 passes, or
	// 38 MiB at one.
	MinArgon2idWork     = 2 * MinArgon2idMemoryKiB
	MinPBKDF2Iterations = 600_000
)

// PassphraseParams are the KDF parameters of a passphrase envelope.
type PassphraseParams struct {
	// KDF is KDFArgon2id or KDFPBKDF2. The zero value means
	// DefaultArgon2id(), whatever the other fields say.
	KDF KDF

	// Argon2id: memory in KiB, passes, lanes.
	MemoryKiB   uint32
	Time        uint32
	Parallelism uint8

	// PBKDF2: iteration count.
	Iterations uint32

	// SaltSize is the salt length in bytes, 16..64; 0 means 16.
	SaltSize int

	// InsecureAllowWeak lets Seal use parameters below the minima. For
	// tests only: a key sealed this way is easy to brute-force.
	InsecureAllowWeak bool
}

// DefaultArgon2id returns the default passphrase parameters: Argon2id with
// 64 MiB, 3 passes, 4 lanes.
func DefaultArgon2id() PassphraseParams {
	return PassphraseParams{KDF: KDFArgon2id, MemoryKiB: DefaultArgon2idMemoryKiB, Time: DefaultArgon2idTime, Parallelism: DefaultArgon2idParallelism}
}

// DefaultPBKDF2 returns PBKDF2-HMAC-SHA256 with 600,000 iterations, for
// where Argon2id is too slow (measured in the browser) or PBKDF2 is
// required.
func DefaultPBKDF2() PassphraseParams {
	return PassphraseParams{KDF: KDFPBKDF2, Iterations: DefaultPBKDF2Iterations}
}

func (pp PassphraseParams) orDefault() PassphraseParams {
	if pp.KDF == 0 {
		return DefaultArgon2id()
	}
	return pp
}

// checkOpen enforces the maxima. It is what opening checks before any work.
func (pp PassphraseParams) checkOpen() error {
	switch pp.KDF {
	case KDFArgon2id:
		if pp.MemoryKiB > MaxArgon2idMemoryKiB || pp.Time > MaxArgon2idTime ||
			pp.Parallelism > MaxArgon2idParallelism ||
			uint64(pp.MemoryKiB)*uint64(pp.Time) > MaxArgon2idWork {
			return fmt.Errorf("%w: Argon2id m=%d KiB t=%d p=%d", ErrWorkFactor, pp.MemoryKiB, pp.Time, pp.Parallelism)
		}
	case KDFPBKDF2:
		if pp.Iterations > MaxPBKDF2Iterations {
			return fmt.Errorf("%w: PBKDF2 %d iterations", ErrWorkFactor, pp.Iterations)
		}
	}
	return nil
}

// checkSeal validates parameters for sealing: well formed, not above the
// maxima (what we cannot open we must not seal), not below the minima.
func (pp PassphraseParams) checkSeal() error {
	if pp.SaltSize != 0 && (pp.SaltSize < minSaltSize || pp.SaltSize > maxSaltSize) {
		return fmt.Errorf("zkvault: salt size %d out of range %d..%d", pp.SaltSize, minSaltSize, maxSaltSize)
	}
	switch pp.KDF {
	case KDFArgon2id:
		if pp.Time < 1 || pp.Parallelism < 1 || uint64(pp.MemoryKiB) < 8*uint64(pp.Parallelism) {
			return fmt.Errorf("zkvault: invalid Argon2id parameters m=%d t=%d p=%d", pp.MemoryKiB, pp.Time, pp.Parallelism)
		}
		if !pp.InsecureAllowWeak && (pp.MemoryKiB < MinArgon2idMemoryKiB || uint64(pp.MemoryKiB)*uint64(pp.Time) < MinArgon2idWork) {
			return fmt.Errorf("%w: Argon2id m=%d KiB t=%d", ErrWeakParameters, pp.MemoryKiB, pp.Time)
		}
	case KDFPBKDF2:
		if pp.Iterations < 1 {
			return errors.New("zkvault: PBKDF2 iteration count 0")
		}
		if !pp.InsecureAllowWeak && pp.Iterations < MinPBKDF2Iterations {
			return fmt.Errorf("%w: PBKDF2 %d iterations", ErrWeakParameters, pp.Iterations)
		}
	default:
		return fmt.Errorf("zkvault: unknown KDF %d", pp.KDF)
	}
	return pp.checkOpen()
}

// header returns the envelope header for these parameters and salt.
func (pp PassphraseParams) header(salt []byte) []byte {
	h := append(envelopeMagic[:], byte(pp.KDF), byte(len(salt)))
	h = append(h, salt...)
	if pp.KDF == KDFArgon2id {
		h = binary.BigEndian.AppendUint32(h, pp.MemoryKiB)
		h = binary.BigEndian.AppendUint32(h, pp.Time)
		return append(h, pp.Parallelism)
	}
	return binary.BigEndian.AppendUint32(h, pp.Iterations)
}

// deriveKey runs the KDF. Parameters have been checked.
func (pp PassphraseParams) deriveKey(ctx context.Context, p prim.Provider, passphrase, salt []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if pp.KDF == KDFArgon2id {
		return argon2.IDKey(passphrase, salt, pp.Time, pp.MemoryKiB, pp.Parallelism, prim.AESKeySize), nil
	}
	return p.PBKDF2(ctx, passphrase, salt, int(pp.Iterations), prim.AESKeySize)
}

// PassphraseRecipient seals envelopes of kind 2 (Argon2id, the default) or
// 3 (PBKDF2) under a passphrase. Each Wrap draws a fresh salt.
type PassphraseRecipient struct {
	p          prim.Provider
	passphrase []byte
	params     PassphraseParams
}

// NewPassphraseRecipient returns a recipient for passphrase with
// DefaultArgon2id parameters.
func NewPassphraseRecipient(p prim.Provider, passphrase string) (*PassphraseRecipient, error) {
	return NewPassphraseRecipientWithParams(p, passphrase, DefaultArgon2id())
}

// NewPassphraseRecipientWithParams returns a recipient for passphrase with
// the given parameters (zero value: DefaultArgon2id). It refuses an empty
// passphrase and parameters below the minima or above the maxima.
func NewPassphraseRecipientWithParams(p prim.Provider, passphrase string, params PassphraseParams) (*PassphraseRecipient, error) {
	if passphrase == "" {
		return nil, ErrEmptyPassphrase
	}
	params = params.orDefault()
	if err := params.checkSeal(); err != nil {
		return nil, err
	}
	return &PassphraseRecipient{p: p, passphrase: []byte(passphrase), params: params}, nil
}

// Wrap implements Recipient.
func (r *PassphraseRecipient) Wrap(ctx context.Context, envCtx, payload []byte) ([]byte, error) {
	n := r.params.SaltSize
	if n == 0 {
		n = defaultSaltSize
	}
	salt := make([]byte, n)
	if err := random(r.p, salt); err != nil {
		return nil, err
	}
	key, err := r.params.deriveKey(ctx, r.p, r.passphrase, salt)
	if err != nil {
		return nil, err
	}
	return sealEnvelope(ctx, r.p, r.params.header(salt), key, envCtx, payload)
}

// PassphraseIdentity opens passphrase envelopes (kinds 2 and 3). It
// remembers the key derived for each (parameters, salt), so opening several
// envelopes sealed with one salt costs one derivation. It is safe for
// concurrent use.
type PassphraseIdentity struct {
	p          prim.Provider
	passphrase []byte

	mu    sync.Mutex
	cache map[string][]byte // header bytes after the kind → K
}

// NewPassphraseIdentity returns an identity for passphrase.
func NewPassphraseIdentity(p prim.Provider, passphrase string) *PassphraseIdentity {
	return &PassphraseIdentity{p: p, passphrase: []byte(passphrase), cache: map[string][]byte{}}
}

// Unwrap implements Identity. An envelope of another kind is
// ErrIncorrectKey; one whose parameters exceed the maxima is ErrWorkFactor,
// returned before any work.
func (id *PassphraseIdentity) Unwrap(ctx context.Context, envCtx, data []byte) ([]byte, error) {
	e, err := parseEnvelope(data)
	if err != nil {
		return nil, err
	}
	var pp PassphraseParams
	switch e.kind {
	case kindArgon2id:
		pp = PassphraseParams{KDF: KDFArgon2id, MemoryKiB: e.memoryKiB, Time: e.time, Parallelism: e.parallelism}
	case kindPBKDF2:
		pp = PassphraseParams{KDF: KDFPBKDF2, Iterations: e.iterations}
	default:
		return nil, ErrIncorrectKey
	}
	if err := pp.checkOpen(); err != nil {
		return nil, err
	}
	cacheKey := string(e.header[len(envelopeMagic):])
	id.mu.Lock()
	key, ok := id.cache[cacheKey]
	id.mu.Unlock()
	if !ok {
		if key, err = pp.deriveKey(ctx, id.p, id.passphrase, e.salt); err != nil {
			return nil, err
		}
	}
	out, err := e.openPayload(ctx, id.p, key, envCtx)
	if err != nil {
		return nil, err
	}
	if !ok {
		// Remember only keys that opened something: a wrong passphrase
		// leaves nothing behind.
		id.mu.Lock()
		id.cache[cacheKey] = bytes.Clone(key)
		id.mu.Unlock()
	}
	return out, nil
}
