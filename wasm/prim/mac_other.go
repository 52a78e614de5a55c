//go:build !wasm

package prim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// newMAC returns HMAC-SHA256 under key with crypto/hmac, whose SHA-256 has
// assembly on every native platform. (Under wasm, mac_wasm.go.)
func newMAC(key []byte) MAC {
	key = bytes.Clone(key)
	m := &nativeMAC{}
	m.pool.New = func() any { return &hmacState{hmac.New(sha256.New, key)} }
	return m
}

// nativeMAC keeps keyed HMAC states in a pool: Reset restores the keyed
// state without hashing the key again, which is most of the cost of a
// short message (blind indexes).
type nativeMAC struct{ pool sync.Pool }

// hmacState is what the pool holds: a concrete type, so that taking one out
// is a pointer comparison rather than an interface conversion.
type hmacState struct{ hash.Hash }

var _ AppendMAC = (*nativeMAC)(nil)

func (m *nativeMAC) Sum(ctx context.Context, msg []byte) ([]byte, error) {
	return m.SumTo(ctx, make([]byte, 0, sha256.Size), msg)
}

func (m *nativeMAC) SumTo(_ context.Context, dst, msg []byte) ([]byte, error) {
	h := m.pool.Get().(*hmacState)
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst)
	m.pool.Put(h)
	return dst, nil
}
