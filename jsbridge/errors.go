//go:build js && wasm

package main

import (
	"context"
	"errors"

	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/legacy"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/stream"
)

// Stable error codes, the `code` of every Error the API rejects with. They
// are part of the JavaScript API (index.d.ts lists them): add, never rename.
const (
	codeIncorrectKey      = "incorrect_key"       // wrong key or passphrase, or altered ciphertext
	codeUnknownKeyVersion = "unknown_key_version" // a secret version the keyring does not hold
	codeParse             = "parse"               // malformed ciphertext, envelope, keyring, PEM
	codeCorrupt           = "corrupt"             // a damaged or truncated blob
	codeWorkFactor        = "work_factor"         // passphrase KDF parameters above the maxima
	codeWeakParameters    = "weak_parameters"     // passphrase KDF parameters below the minima
	codeTooLarge          = "too_large"           // a value above the format's maximum
	codeNotExtractable    = "not_extractable"     // the operation needs an extractable private key
	codeInvalidKey        = "invalid_key"         // a key of the wrong type, size or parameters
	codeSchema            = "schema"              // a schema that breaks a rule, or a record its schema
	codeInvalidArgument   = "invalid_argument"    // a JavaScript argument of the wrong type or form
	codeClosed            = "closed"              // a released handle (locked space, finished stream)
	codeNotEncrypted      = "not_encrypted"       // legacy: the value is not a legacy ciphertext
	codeCanceled          = "canceled"            // the operation was canceled
	codeInternal          = "internal"            // a bug: anything else, including a contained panic
)

// codes maps errors to codes, first match wins: the one table.
var codes = []struct {
	code string
	is   func(error) bool
}{
	{codeInternal, sentinel(errInternal)},
	{codeInvalidArgument, sentinel(errInvalidArgument)},
	{codeClosed, sentinel(errClosed)},
	{codeInvalidArgument, sentinel(legacy.ErrEmptyPassphrase)},
	{codeInvalidArgument, sentinel(zkvault.ErrEmptyPassphrase)},
	{codeUnknownKeyVersion, sentinel(zkvault.ErrUnknownKeyVersion)},
	{codeIncorrectKey, sentinel(zkvault.ErrIncorrectKey)}, // and ErrNoIdentity, which wraps it
	{codeIncorrectKey, sentinel(prim.ErrDecrypt)},
	{codeIncorrectKey, sentinel(legacy.ErrDecrypt)},
	{codeCorrupt, sentinel(stream.ErrCorrupt)},
	{codeWorkFactor, sentinel(zkvault.ErrWorkFactor)},
	{codeWeakParameters, sentinel(zkvault.ErrWeakParameters)},
	{codeTooLarge, sentinel(zkvault.ErrTooLarge)},
	{codeNotExtractable, sentinel(prim.ErrNotExtractable)},
	{codeInvalidKey, sentinel(prim.ErrInvalidKey)},
	{codeNotEncrypted, sentinel(legacy.ErrNotEncrypted)},
	{codeParse, sentinel(legacy.ErrMalformed)},
	{codeParse, sentinel(legacy.ErrNotUTF8)},
	{codeParse, is[*zkvault.ParseError]},
	{codeCorrupt, is[*stream.HeaderError]},
	{codeSchema, is[*zkvault.SchemaError]},
	{codeCanceled, sentinel(context.Canceled)},
	{codeCanceled, sentinel(context.DeadlineExceeded)},
}

func sentinel(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func is[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// codeOf returns the stable code of err.
func codeOf(err error) string {
	for _, c := range codes {
		if c.is(err) {
			return c.code
		}
	}
	return codeInternal
}

// itemError is how a batch reports one item's failure without failing the
// batch: {code, message}.
func itemError(err error) map[string]any {
	return map[string]any{"code": codeOf(err), "message": err.Error()}
}
