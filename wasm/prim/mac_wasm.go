//go:build wasm

package prim

import (
	"context"

	"github.com/zkvault/zkvault/wasm/internal/hmac256"
)

// newMAC returns HMAC-SHA256 under key with wasm/internal/hmac256: Go has
// no assembly for SHA-256 under wasm, and there its unrolled compression
// and precomputed keyed states make a blind-index query's HMAC about twice
// as fast as crypto/hmac's (docs/spec/10-browser-provider.md, 10.5). The
// output is the same; hmac256's tests compare it with crypto/hmac.
func newMAC(key []byte) MAC { return wasmMAC{hmac256.New(key)} }

type wasmMAC struct{ k *hmac256.Key }

var _ AppendMAC = wasmMAC{}

func (m wasmMAC) Sum(_ context.Context, msg []byte) ([]byte, error) {
	return m.k.Sum(make([]byte, 0, hmac256.Size), msg), nil
}

func (m wasmMAC) SumTo(_ context.Context, dst, msg []byte) ([]byte, error) {
	return m.k.Sum(dst, msg), nil
}
