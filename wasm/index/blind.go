package index

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/zkvault/zkvault/wasm/internal/tuple"
	"github.com/zkvault/zkvault/wasm/prim"
)

// DefaultBits is the index length for a field nobody has planned: 8 bits,
// 256 index values. For a personal vault (10^5 to 10^6 messages, about 10^3
// contacts) Plan recommends 8 for phone numbers, e-mail addresses and names;
// see docs/spec/04-blind-indexes.md.
const DefaultBits = 8

// MaxParts is the most normalised values one compound index combines (as
// api.MaxIndexFields).
const MaxParts = 8

var (
	ErrInvalidBits  = errors.New("index: bits must be 1 to 256")
	ErrNoParts      = errors.New("index: no value to index")
	ErrEmptyValue   = errors.New("index: every part is empty")
	ErrTooManyParts = errors.New("index: too many parts")
	ErrPartTooLong  = errors.New("index: part too long")
	ErrNilMAC       = errors.New("index: nil MAC")
	ErrInvalidValue = errors.New("index: malformed index value")
)

// ValidBits reports whether bits is a valid index length: 1 to 256.
func ValidBits(bits int) error {
	if bits < 1 || bits > 256 {
		return fmt.Errorf("%w: %d", ErrInvalidBits, bits)
	}
	return nil
}

// Compute returns the blind index value of normalised values (one for a
// single-field index, several for a compound index): the lowercase hex of
// the first ceil(bits/8) bytes of HMAC-SHA256(key, tuple(normalized...)),
// with the unused low bits of the last byte set to zero. bits is 1 to 256.
//
// Every part must be valid UTF-8 (Normalize's output is), at least one must
// be non-empty, and there may be at most MaxParts.
func Compute(ctx context.Context, mac prim.MAC, bits int, normalized ...string) (string, error) {
	c, err := NewComputer(mac, bits)
	if err != nil {
		return "", err
	}
	v, err := c.Append(ctx, make([]byte, 0, ValueLen(bits)), normalized...)
	return string(v), err
}

// ValueLen is the length in characters of an index value of bits bits
// (valid): 2·ceil(bits/8).
func ValueLen(bits int) int { return 2 * ((bits + 7) / 8) }

// A Computer computes index values under one MAC and length, as Compute
// does, reusing its buffers: with a provider whose MAC is a prim.AppendMAC
// (the native one), Append allocates nothing once dst has room. It is not
// safe for concurrent use.
type Computer struct {
	mac  prim.MAC
	amac prim.AppendMAC // mac, if it is one
	bits int
	in   []byte // the tuple of the parts
	sum  []byte // the HMAC
}

// NewComputer returns a Computer for mac and bits (1 to 256).
func NewComputer(mac prim.MAC, bits int) (*Computer, error) {
	if err := ValidBits(bits); err != nil {
		return nil, err
	}
	if mac == nil {
		return nil, ErrNilMAC
	}
	amac, _ := mac.(prim.AppendMAC)
	return &Computer{mac: mac, amac: amac, bits: bits}, nil
}

// Append appends the index value of the normalised parts to dst (what
// Compute returns, with the same errors for the parts) and returns the
// extended slice. On error dst is returned unchanged.
func (c *Computer) Append(ctx context.Context, dst []byte, normalized ...string) ([]byte, error) {
	switch {
	case len(normalized) == 0:
		return dst, ErrNoParts
	case len(normalized) > MaxParts:
		return dst, ErrTooManyParts
	}
	empty := true
	for _, p := range normalized {
		if len(p) > tuple.MaxPart {
			return dst, ErrPartTooLong
		}
		if !utf8.ValidString(p) {
			return dst, ErrInvalidUTF8
		}
		empty = empty && p == ""
	}
	if empty {
		return dst, ErrEmptyValue
	}
	c.in = tuple.AppendStrings(c.in[:0], normalized...)
	var sum []byte
	var err error
	if c.amac != nil {
		sum, err = c.amac.SumTo(ctx, c.sum[:0], c.in)
		c.sum = sum
	} else {
		sum, err = c.mac.Sum(ctx, c.in)
	}
	if err != nil {
		return dst, fmt.Errorf("index: computing HMAC: %w", err)
	}
	if len(sum) != 32 {
		return dst, fmt.Errorf("index: MAC returned %d bytes, want 32", len(sum))
	}
	return appendTruncated(dst, sum, c.bits), nil
}

// ComputeAll returns the index values of the values of a multi-valued field
// (each a single normalised value), distinct and in byte order, so that the
// record shows neither how many values collide nor their order.
func ComputeAll(ctx context.Context, mac prim.MAC, bits int, normalized []string) ([]string, error) {
	out := make([]string, 0, len(normalized))
	for _, v := range normalized {
		iv, err := Compute(ctx, mac, bits, v)
		if err != nil {
			return nil, err
		}
		out = append(out, iv)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// appendTruncated appends the first bits bits of sum, hex encoded, to dst.
func appendTruncated(dst, sum []byte, bits int) []byte {
	const digits = "0123456789abcdef"
	n := (bits + 7) / 8
	for i, b := range sum[:n] {
		if i == n-1 {
			b &= byte(0xff << (8*n - bits))
		}
		dst = append(dst, digits[b>>4], digits[b&0x0f])
	}
	return dst
}

// ValidValue reports whether value is a well-formed index value of the given
// length: 2*ceil(bits/8) lowercase hex digits whose unused low bits are zero.
func ValidValue(value string, bits int) error {
	if err := ValidBits(bits); err != nil {
		return err
	}
	n := (bits + 7) / 8
	if len(value) != 2*n {
		return ErrInvalidValue
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ErrInvalidValue
		}
	}
	b, _ := hex.DecodeString(value)
	if b[n-1]&^byte(0xff<<(8*n-bits)) != 0 {
		return ErrInvalidValue
	}
	return nil
}

// Equal reports whether two index values are equal, in time that depends
// only on their lengths. Index values are not secret from the server, so
// this is defence in depth for the client, which compares them next to
// decrypted data.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
