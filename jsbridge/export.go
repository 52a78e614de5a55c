//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hack-pad/safejs"
)

// A handler does the work of one exported call. It runs in its own
// goroutine, so it may block on WebCrypto promises.
type handler func(ctx context.Context, args []safejs.Value) (any, error)

// exports is the API object handed to JavaScript once the module is ready.
type exports struct {
	obj safejs.Value
	// funcs are kept so that they are never garbage collected while the
	// module lives.
	funcs []safejs.Func
}

func newExports() (*exports, error) {
	obj, err := safejs.Global().Get("Object")
	if err != nil {
		return nil, err
	}
	o, err := obj.New()
	if err != nil {
		return nil, err
	}
	return &exports{obj: o}, nil
}

// add exports h under name as a function returning a Promise.
func (e *exports) add(name string, h handler) error {
	f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		p, err := newPromise(func(resolve, reject func(any)) {
			go run(h, args, resolve, reject)
		})
		if err != nil {
			// Without a Promise constructor there is nothing to return to.
			return nil
		}
		return p
	})
	if err != nil {
		return err
	}
	e.funcs = append(e.funcs, f)
	return e.obj.Set(name, f.Value())
}

// run calls h and settles the promise. A panic in h is contained here: it
// becomes a rejected promise with code "internal" and the runtime goes on
// serving every other call.
func run(h handler, args []safejs.Value, resolve, reject func(any)) {
	defer func() {
		if r := recover(); r != nil {
			debug.PrintStack()
			reject(jsError(fmt.Errorf("%w: %v", errInternal, r)))
		}
	}()
	v, err := h(context.Background(), args)
	if err != nil {
		reject(jsError(err))
		return
	}
	resolve(v)
}

var errInternal = errors.New("internal error")

// newPromise builds `new Promise(executor)` with a Go executor.
func newPromise(executor func(resolve, reject func(any))) (safejs.Value, error) {
	var fn safejs.Func
	fn, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer fn.Release()
		resolveFn, rejectFn := args[0], args[1]
		executor(
			func(v any) { _, _ = resolveFn.Invoke(v) },
			func(v any) { _, _ = rejectFn.Invoke(v) },
		)
		return nil
	})
	if err != nil {
		return safejs.Value{}, err
	}
	ctor, err := safejs.Global().Get("Promise")
	if err != nil {
		fn.Release()
		return safejs.Value{}, err
	}
	return ctor.New(fn.Value())
}

// jsError converts err to a JavaScript Error whose code property is the
// stable code of codeOf(err). The message says what went wrong in general
// terms; it never contains key material or plaintext, because no error in the
// core does.
func jsError(err error) any {
	ctor, e := safejs.Global().Get("Error")
	if e != nil {
		return err.Error()
	}
	v, e := ctor.New(err.Error())
	if e != nil {
		return err.Error()
	}
	_ = v.Set("code", codeOf(err))
	_ = v.Set("name", "ZkvaultError")
	return v
}
