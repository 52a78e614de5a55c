//go:build js && wasm && zkvault_testing

package main

import (
	"context"

	"github.com/hack-pad/safejs"
)

// Exports for the tests only: the suites build the module with
// -tags=zkvault_testing (scripts/build-wasm.sh --test); `make wasm` does not.
func init() {
	testOnly = map[string]handler{"_panicForTesting": panicForTesting}
}

// panicForTesting panics inside a handler, so that the tests can check that
// a panic is contained: the promise rejects with code "internal" and the
// module goes on serving calls. It touches no state.
func panicForTesting(context.Context, []safejs.Value) (any, error) {
	var m map[string]int
	m["boom"]++ // a nil map write: a runtime panic, as a bug would cause
	return nil, nil
}
