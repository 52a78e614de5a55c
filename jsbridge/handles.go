//go:build js && wasm

// Handles: unlocked spaces, key holders, legacy keys and blob streams stay
// in Go memory; JavaScript holds only a number that names one. Releasing a
// handle drops the Go object (a space is forgotten first, so its secrets are
// zeroed), and the number is never reused.

package main

import (
	"fmt"
	"sync"

	"github.com/hack-pad/safejs"
)

type handleTable struct {
	mu   sync.Mutex
	next uint32
	m    map[uint32]any
}

var handles = &handleTable{m: map[uint32]any{}}

func (t *handleTable) add(v any) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	t.m[t.next] = v
	return t.next
}

func (t *handleTable) get(h uint32) (any, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[h]
	return v, ok
}

// remove drops h and returns what it named.
func (t *handleTable) remove(h uint32) (any, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[h]
	delete(t.m, h)
	return v, ok
}

func (t *handleTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// argHandle returns the object of type T that args[i] names.
func argHandle[T any](args []safejs.Value, i int, what string) (T, uint32, error) {
	var zero T
	h, err := argUint32(args, i, what+" handle", 1)
	if err != nil {
		return zero, 0, err
	}
	v, ok := handles.get(h)
	if !ok {
		return zero, 0, fmt.Errorf("%w: %s", errClosed, what)
	}
	t, ok := v.(T)
	if !ok {
		return zero, 0, invalid("handle %d is not a %s", h, what)
	}
	return t, h, nil
}

// releaser is an object that must be told when its handle goes.
type releaser interface{ release() }
