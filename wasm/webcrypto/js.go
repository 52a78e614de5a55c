//go:build js && wasm

package webcrypto

// The few JavaScript helpers the provider is made of: one await for
// promises, byte copies in both directions, and SubtleCrypto calls whose
// rejections become Go errors.

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hack-pad/safejs"
)

// randomChunk is the most crypto.getRandomValues fills in one call.
const randomChunk = 65536

// env holds the JavaScript objects every operation needs, made once.
//
// Every JavaScript call that returns an object or a string costs a
// reference that Go tracks with a finalizer (several microseconds each), so
// constant arguments — algorithm names and dictionaries, formats, usage
// lists — are JavaScript values built here once instead of Go values
// converted on every call. SubtleCrypto copies its arguments when a call
// starts, so sharing them between concurrent calls is safe.
type env struct {
	crypto     safejs.Value // globalThis.crypto
	subtle     safejs.Value // globalThis.crypto.subtle
	uint8Array safejs.Value // globalThis.Uint8Array

	aesGCM, hmac, hkdf, pbkdf2, rsaOAEP, sha256 safejs.Value // names
	raw, spki, pkcs8                            safejs.Value // key formats
	hmacSHA256, rsaOAEPSHA256                   safejs.Value // import dictionaries

	encryptDecrypt, encrypt, decrypt, sign, deriveBitsUsage safejs.Value // usage lists
}

var loadEnv = sync.OnceValues(func() (*env, error) {
	crypto, err := safejs.Global().Get("crypto")
	if err != nil || crypto.Type() != safejs.TypeObject {
		return nil, errors.New("webcrypto: globalThis.crypto is not available")
	}
	subtle, err := crypto.Get("subtle")
	if err != nil || subtle.Type() != safejs.TypeObject {
		return nil, errors.New("webcrypto: crypto.subtle is not available (not a secure context?)")
	}
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil || u8.Type() != safejs.TypeFunction {
		return nil, errors.New("webcrypto: Uint8Array is not available")
	}
	e := &env{crypto: crypto, subtle: subtle, uint8Array: u8}
	var errs []error
	val := func(x any) safejs.Value { // x holds only Go values
		v, err := safejs.ValueOf(x)
		errs = append(errs, err)
		return v
	}
	e.aesGCM, e.hmac, e.hkdf, e.pbkdf2 = val("AES-GCM"), val("HMAC"), val("HKDF"), val("PBKDF2")
	e.rsaOAEP, e.sha256 = val("RSA-OAEP"), val("SHA-256")
	e.raw, e.spki, e.pkcs8 = val("raw"), val("spki"), val("pkcs8")
	e.hmacSHA256 = val(map[string]any{"name": "HMAC", "hash": "SHA-256"})
	e.rsaOAEPSHA256 = val(map[string]any{"name": "RSA-OAEP", "hash": "SHA-256"})
	e.encryptDecrypt = val([]any{"encrypt", "decrypt"})
	e.encrypt, e.decrypt = val([]any{"encrypt"}), val([]any{"decrypt"})
	e.sign, e.deriveBitsUsage = val([]any{"sign"}), val([]any{"deriveBits"})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("webcrypto: %w", err)
	}
	return e, nil
})

// settled is the outcome of a promise.
type settled struct {
	value  safejs.Value
	reason safejs.Value
	ok     bool
}

// errRejected is wrapped by every error built from a rejected promise.
var errRejected = errors.New("promise rejected")

// await blocks until promise settles and returns its value, or a *jsError
// built from its rejection reason, or ctx.Err() if ctx is done first.
//
// It attaches one fulfilment and one rejection callback with promise.then;
// exactly one of them runs, sends on a buffered channel (so it never blocks
// the event loop) and both are released once the outcome is received. If
// ctx ends first, a goroutine waits for the promise to settle before
// releasing them, since JavaScript still holds and will call one; every
// SubtleCrypto promise settles, so that goroutine ends.
func await(ctx context.Context, op string, promise safejs.Value) (safejs.Value, error) {
	done := make(chan settled, 1)
	// A promise settles once, so at most one send happens; the select
	// only guarantees that a callback can never block the event loop.
	onFulfilled, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		select {
		case done <- settled{value: arg0(args), ok: true}:
		default:
		}
		return nil
	})
	if err != nil {
		return safejs.Value{}, fmt.Errorf("webcrypto: %s: %w", op, err)
	}
	onRejected, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		select {
		case done <- settled{reason: arg0(args)}:
		default:
		}
		return nil
	})
	if err != nil {
		onFulfilled.Release()
		return safejs.Value{}, fmt.Errorf("webcrypto: %s: %w", op, err)
	}
	release := func() {
		onFulfilled.Release()
		onRejected.Release()
	}
	if _, err := promise.Call("then", onFulfilled, onRejected); err != nil {
		release()
		return safejs.Value{}, fmt.Errorf("webcrypto: %s: not a promise: %w", op, err)
	}
	select {
	case s := <-done:
		release()
		if !s.ok {
			return safejs.Value{}, rejection(op, s.reason)
		}
		return s.value, nil
	case <-ctx.Done():
		go func() {
			<-done
			release()
		}()
		return safejs.Value{}, ctx.Err()
	}
}

func arg0(args []safejs.Value) safejs.Value {
	if len(args) == 0 {
		return safejs.Undefined()
	}
	return args[0]
}

// jsError is a rejected SubtleCrypto operation: the operation and the
// DOMException's name and message, which never hold key material.
type jsError struct {
	Op      string
	Name    string
	Message string
}

func (e *jsError) Error() string {
	s := "webcrypto: " + e.Op + ": " + e.Name
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *jsError) Unwrap() error { return errRejected }

func rejection(op string, reason safejs.Value) error {
	e := &jsError{Op: op, Name: "Error"}
	if t := reason.Type(); t != safejs.TypeObject && t != safejs.TypeFunction {
		e.Name = "rejected with " + t.String()
		return e
	}
	if v, err := reason.Get("name"); err == nil && v.Type() == safejs.TypeString {
		e.Name, _ = v.String()
	}
	if v, err := reason.Get("message"); err == nil && v.Type() == safejs.TypeString {
		e.Message, _ = v.String()
	}
	return e
}

// call starts crypto.subtle[method](args...) and awaits its promise.
// A synchronous throw (a TypeError for a malformed argument) is an error
// like a rejection.
func (e *env) call(ctx context.Context, method string, args ...any) (safejs.Value, error) {
	if err := ctx.Err(); err != nil {
		return safejs.Value{}, err
	}
	promise, err := e.subtle.Call(method, args...)
	if err != nil {
		return safejs.Value{}, &jsError{Op: method, Name: "exception", Message: errMessage(err)}
	}
	return await(ctx, method, promise)
}

// errMessage is the first line of a safejs error (which may carry a Go
// stack trace after it).
func errMessage(err error) string {
	s := err.Error()
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// bytes copies b into a new Uint8Array.
func (e *env) bytes(b []byte) (safejs.Value, error) {
	u8, err := e.uint8Array.New(len(b))
	if err != nil {
		return safejs.Value{}, fmt.Errorf("webcrypto: new Uint8Array: %w", err)
	}
	if len(b) == 0 {
		return u8, nil
	}
	n, err := safejs.CopyBytesToJS(u8, b)
	if err != nil || n != len(b) {
		return safejs.Value{}, fmt.Errorf("webcrypto: copying %d bytes to JavaScript failed", len(b))
	}
	return u8, nil
}

// goBytes copies an ArrayBuffer (or a typed array) into a new Go slice. If
// secret, the JavaScript copy is zeroed afterwards.
func (e *env) goBytes(buf safejs.Value, secret bool) ([]byte, error) {
	u8, err := e.uint8Array.New(buf)
	if err != nil {
		return nil, fmt.Errorf("webcrypto: result is not an ArrayBuffer: %w", err)
	}
	if secret {
		defer wipe(u8)
	}
	n, err := u8.Length()
	if err != nil {
		return nil, fmt.Errorf("webcrypto: result length: %w", err)
	}
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	m, err := safejs.CopyBytesToGo(b, u8)
	if err != nil || m != n {
		return nil, fmt.Errorf("webcrypto: copying %d bytes from JavaScript failed", n)
	}
	return b, nil
}

// zeros is what wipe copies over a small Uint8Array: CopyBytesToJS costs
// no JavaScript reference, unlike fill, which returns the array.
var zeros [1024]byte

// wipe overwrites a Uint8Array with zeros, best effort.
func wipe(u8 safejs.Value) {
	n, err := u8.Length()
	if err != nil || n == 0 {
		return
	}
	if n <= len(zeros) {
		_, _ = safejs.CopyBytesToJS(u8, zeros[:n])
		return
	}
	_, _ = u8.Call("fill", 0)
}

// str reads a string property, or "" if there is none.
func str(v safejs.Value, p string) string {
	w, err := v.Get(p)
	if err != nil || w.Type() != safejs.TypeString {
		return ""
	}
	s, _ := w.String()
	return s
}

// boolean reads a boolean property; ok is false if it is not a boolean.
func boolean(v safejs.Value, p string) (b, ok bool) {
	w, err := v.Get(p)
	if err != nil || w.Type() != safejs.TypeBoolean {
		return false, false
	}
	b, err = w.Bool()
	return b, err == nil
}
