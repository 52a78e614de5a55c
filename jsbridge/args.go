//go:build js && wasm

// Decoding arguments from JavaScript and building results. Every argument is
// checked for its type before use; a wrong one is errInvalidArgument, never
// a panic. Structured arguments (spaces, schemas, records, batches) cross as
// JSON text, bytes as Uint8Array, handles as numbers.

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/internal/tinyjson"
)

// errInvalidArgument reports a JavaScript argument of the wrong type, size
// or form. Its messages name the argument, never its value.
var errInvalidArgument = errors.New("invalid argument")

// errClosed reports a handle that was released (a locked space, a finished
// blob stream) or never existed.
var errClosed = errors.New("handle is closed or unknown")

// Limits of what one call accepts.
const (
	maxJSONArg   = 64 << 20 // one JSON argument (a batch)
	maxBytesArg  = 64 << 20 // one Uint8Array argument
	maxBatch     = 100_000  // items in one batch
	maxStringArg = 1 << 20  // a passphrase, an id, a PEM
)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errInvalidArgument, fmt.Sprintf(format, a...))
}

var (
	jsOnce       sync.Once
	uint8Array   safejs.Value
	jsJSON       safejs.Value
	jsObject     safejs.Value
	jsPromise    safejs.Value
	errJSGlobals error
)

func jsGlobals() error {
	jsOnce.Do(func() {
		for _, g := range []struct {
			name string
			v    *safejs.Value
		}{{"Uint8Array", &uint8Array}, {"JSON", &jsJSON}, {"Object", &jsObject}, {"Promise", &jsPromise}} {
			v, err := safejs.Global().Get(g.name)
			if err != nil || v.IsUndefined() {
				errJSGlobals = fmt.Errorf("no global %s", g.name)
				return
			}
			*g.v = v
		}
	})
	return errJSGlobals
}

// arg returns args[i], or undefined.
func arg(args []safejs.Value, i int) safejs.Value {
	if i < len(args) {
		return args[i]
	}
	return safejs.Undefined()
}

func argString(args []safejs.Value, i int, name string) (string, error) {
	v := arg(args, i)
	if v.Type() != safejs.TypeString {
		return "", invalid("%s must be a string", name)
	}
	s, err := v.String()
	if err != nil {
		return "", invalid("%s must be a string", name)
	}
	if len(s) > maxStringArg {
		return "", invalid("%s is too long", name)
	}
	return s, nil
}

// argPassphrase is a non-empty string argument.
func argPassphrase(args []safejs.Value, i int) (string, error) {
	s, err := argString(args, i, "passphrase")
	if err == nil && s == "" {
		err = invalid("empty passphrase")
	}
	return s, err
}

// argOptString is argString, or "" for undefined or null.
func argOptString(args []safejs.Value, i int, name string) (string, error) {
	if v := arg(args, i); v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	return argString(args, i, name)
}

func argUint32(args []safejs.Value, i int, name string, min uint32) (uint32, error) {
	v := arg(args, i)
	if v.Type() != safejs.TypeNumber {
		return 0, invalid("%s must be a number", name)
	}
	f, err := v.Float()
	if err != nil || f != math.Trunc(f) || f < float64(min) || f > math.MaxUint32 {
		return 0, invalid("%s must be an integer from %d to 2^32-1", name, min)
	}
	return uint32(f), nil
}

func argInt64(args []safejs.Value, i int, name string) (int64, error) {
	v := arg(args, i)
	if v.Type() != safejs.TypeNumber {
		return 0, invalid("%s must be a number", name)
	}
	f, err := v.Float()
	if err != nil || f != math.Trunc(f) || f < 0 || f > 1<<53 {
		return 0, invalid("%s must be a non-negative safe integer", name)
	}
	return int64(f), nil
}

func isUint8Array(v safejs.Value) bool {
	if v.Type() != safejs.TypeObject || jsGlobals() != nil {
		return false
	}
	ok, err := v.InstanceOf(uint8Array)
	return err == nil && ok
}

// bytesOf copies a Uint8Array into Go.
func bytesOf(v safejs.Value, name string) ([]byte, error) {
	if !isUint8Array(v) {
		return nil, invalid("%s must be a Uint8Array", name)
	}
	n, err := v.Length()
	if err != nil {
		return nil, invalid("%s must be a Uint8Array", name)
	}
	if n > maxBytesArg {
		return nil, invalid("%s is larger than %d bytes", name, maxBytesArg)
	}
	b := make([]byte, n)
	if m, err := safejs.CopyBytesToGo(b, v); err != nil || m != n {
		return nil, invalid("%s could not be read", name)
	}
	return b, nil
}

func argBytes(args []safejs.Value, i int, name string) ([]byte, error) {
	return bytesOf(arg(args, i), name)
}

// argJSON decodes args[i], a JSON text, into dst. Unknown fields are errors,
// so that a misspelt option does not pass silently. Use argStored for what
// the server stores (api.Space, api.Record, …), which may carry fields this
// version does not know.
func argJSON(args []safejs.Value, i int, name string, dst any) error {
	return argJSONMode(args, i, name, dst, true)
}

// argStored is argJSON that ignores unknown fields.
func argStored(args []safejs.Value, i int, name string, dst any) error {
	return argJSONMode(args, i, name, dst, false)
}

func argJSONMode(args []safejs.Value, i int, name string, dst any, strict bool) error {
	v := arg(args, i)
	if v.Type() != safejs.TypeString {
		return invalid("%s must be JSON text", name)
	}
	s, err := v.String()
	if err != nil {
		return invalid("%s must be JSON text", name)
	}
	if len(s) > maxJSONArg {
		return invalid("%s is too large", name)
	}
	return decodeJSONMode(s, name, dst, strict)
}

func decodeJSON(s, name string, dst any) error { return decodeJSONMode(s, name, dst, true) }

func decodeJSONMode(s, name string, dst any, strict bool) error {
	// As a json.Decoder (DisallowUnknownFields when strict), then More.
	rest, err := tinyjson.Decode([]byte(s), dst, strict)
	if err != nil {
		var se *tinyjson.SyntaxError
		var te *tinyjson.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return invalid("%s is not valid JSON", name)
		case errors.As(err, &te):
			return invalid("%s: field %q has the wrong type", name, te.Field)
		default:
			// Unknown field messages name the field, not a value.
			return invalid("%s: %v", name, err)
		}
	}
	if tinyjson.More(rest) {
		return invalid("%s has trailing data", name)
	}
	return nil
}

// argArray returns the elements of a JavaScript array.
func argArray(args []safejs.Value, i int, name string) ([]safejs.Value, error) {
	v := arg(args, i)
	if v.Type() != safejs.TypeObject {
		return nil, invalid("%s must be an array", name)
	}
	if isArr, err := jsArrayIsArray(v); err != nil || !isArr {
		return nil, invalid("%s must be an array", name)
	}
	n, err := v.Length()
	if err != nil || n > maxBatch {
		return nil, invalid("%s must be an array of at most %d items", name, maxBatch)
	}
	out := make([]safejs.Value, n)
	for j := range n {
		if out[j], err = v.Index(j); err != nil {
			return nil, invalid("%s[%d] could not be read", name, j)
		}
	}
	return out, nil
}

func jsArrayIsArray(v safejs.Value) (bool, error) {
	arr, err := safejs.Global().Get("Array")
	if err != nil {
		return false, err
	}
	r, err := arr.Call("isArray", v)
	if err != nil {
		return false, err
	}
	return r.Bool()
}

// jsBytes returns a new Uint8Array holding b.
func jsBytes(b []byte) (safejs.Value, error) {
	if err := jsGlobals(); err != nil {
		return safejs.Value{}, err
	}
	u, err := uint8Array.New(len(b))
	if err != nil {
		return safejs.Value{}, err
	}
	if _, err := safejs.CopyBytesToJS(u, b); err != nil {
		return safejs.Value{}, err
	}
	return u, nil
}

// jsValue converts a result built of map[string]any, []any, strings,
// numbers, bools, nil and safejs.Value to JavaScript.
func jsValue(v any) (safejs.Value, error) {
	return safejs.ValueOf(v)
}

// jsonText returns v as JSON text, for a result the JS side parses.
func jsonText(v any) (string, error) {
	b, err := tinyjson.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%w: encoding a result: %v", errInternal, err)
	}
	return string(b), nil
}

// await blocks until promise settles. It is called from handler
// goroutines only, never from a JavaScript callback.
func await(ctx context.Context, promise safejs.Value) (safejs.Value, error) {
	type settled struct {
		v  safejs.Value
		ok bool
	}
	done := make(chan settled, 1)
	send := func(s settled) {
		select {
		case done <- s:
		default:
		}
	}
	onOK, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		send(settled{v: arg(a, 0), ok: true})
		return nil
	})
	if err != nil {
		return safejs.Value{}, err
	}
	onErr, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		send(settled{v: arg(a, 0)})
		return nil
	})
	if err != nil {
		onOK.Release()
		return safejs.Value{}, err
	}
	release := func() { onOK.Release(); onErr.Release() }
	if jsGlobals() != nil {
		release()
		return safejs.Value{}, errJSGlobals
	}
	// Promise.resolve accepts a plain value as well as a promise.
	p, err := jsPromise.Call("resolve", promise)
	if err == nil {
		_, err = p.Call("then", onOK, onErr)
	}
	if err != nil {
		release()
		return safejs.Value{}, fmt.Errorf("awaiting a promise: %w", err)
	}
	select {
	case s := <-done:
		release()
		if !s.ok {
			return safejs.Value{}, rejected(s.v)
		}
		return s.v, nil
	case <-ctx.Done():
		go func() { <-done; release() }()
		return safejs.Value{}, ctx.Err()
	}
}

// rejected describes a rejection reason by its name and message only.
func rejected(reason safejs.Value) error {
	name, msg := "Error", ""
	if t := reason.Type(); t == safejs.TypeObject {
		if v, err := reason.Get("name"); err == nil && v.Type() == safejs.TypeString {
			name, _ = v.String()
		}
		if v, err := reason.Get("message"); err == nil && v.Type() == safejs.TypeString {
			msg, _ = v.String()
		}
	}
	return &jsRejection{Name: name, Message: msg}
}

type jsRejection struct{ Name, Message string }

func (e *jsRejection) Error() string {
	if e.Message == "" {
		return "javascript: " + e.Name
	}
	return "javascript: " + e.Name + ": " + e.Message
}
