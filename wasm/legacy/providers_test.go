//go:build !(js && wasm)

package legacy

import (
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

// providers are those every vector runs against: natively, the pure-Go
// provider; under js/wasm (providers_js_test.go) WebCrypto as well.
func providers(testing.TB) []prim.Provider {
	return []prim.Provider{prim.Native()}
}
