//go:build js && wasm

package legacy

import (
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/webcrypto"
)

// providers are those every vector runs against: under js/wasm, the pure-Go
// provider and WebCrypto.
func providers(tb testing.TB) []prim.Provider {
	tb.Helper()
	wc, err := webcrypto.New()
	if err != nil {
		tb.Fatal(err)
	}
	return []prim.Provider{prim.Native(), wc}
}
