package zkvault

import (
	"errors"
	"fmt"
)

var (
	// ErrIncorrectKey is the one error every failed decryption returns: a
	// wrong passphrase, an envelope for another key or another context, a
	// flipped bit, a ciphertext moved to another field, record or space.
	// It says nothing more, so that no caller can build an oracle out of
	// the difference between failures. Test with errors.Is.
	ErrIncorrectKey = errors.New("zkvault: incorrect key or corrupted ciphertext")

	// ErrUnknownKeyVersion reports a ciphertext or blob that names a secret
	// version the space's keyring does not hold (open the envelope of that
	// version first). The version is public, so saying so leaks nothing.
	ErrUnknownKeyVersion = errors.New("zkvault: secret version not in keyring")

	// ErrWorkFactor reports a passphrase envelope whose KDF parameters
	// exceed what this package agrees to compute (see MaxArgon2idMemoryKiB
	// and the other limits). It is returned before any work is done.
	ErrWorkFactor = errors.New("zkvault: passphrase KDF work factor too high")

	// ErrWeakParameters reports passphrase KDF parameters below the
	// minimum this package seals with.
	ErrWeakParameters = errors.New("zkvault: passphrase KDF parameters too weak")

	// ErrEmptyPassphrase reports an empty passphrase given to seal with.
	ErrEmptyPassphrase = errors.New("zkvault: empty passphrase")

	// ErrTooLarge reports a value or payload above the format's maximum.
	ErrTooLarge = errors.New("zkvault: value too large")

	// ErrNoIdentity reports that none of the given envelopes was made for
	// the given identity (no fingerprint or kind matched). It wraps
	// ErrIncorrectKey, so that a caller testing for a wrong key catches it
	// too.
	ErrNoIdentity = fmt.Errorf("%w: no envelope for this identity", ErrIncorrectKey)
)

// ParseError reports malformed input: a string or byte sequence that is not
// in the format it claims to be (enc:v2 text, envelope, identifier). It is
// returned before any key is used.
type ParseError struct {
	What   string // the format: "enc:v2 field", "envelope", "fingerprint", ...
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("zkvault: malformed %s: %s", e.What, e.Reason)
}

func parseErr(what, format string, args ...any) error {
	return &ParseError{What: what, Reason: fmt.Sprintf(format, args...)}
}

// SchemaError reports a collection schema that breaks a rule, or a record
// that breaks its schema.
type SchemaError struct {
	Collection string
	Field      string // field or index name, empty for the whole schema
	Reason     string
}

func (e *SchemaError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("zkvault: schema %q: %s", e.Collection, e.Reason)
	}
	return fmt.Sprintf("zkvault: schema %q: %s: %s", e.Collection, e.Field, e.Reason)
}
