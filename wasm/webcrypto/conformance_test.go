//go:build js && wasm

package webcrypto

import (
	"testing"

	"github.com/zkvault/zkvault/wasm/prim/primtest"
)

func TestProvider(t *testing.T) {
	primtest.TestProvider(t, newProvider(t))
}

// TestWycheproof runs Project Wycheproof's vectors through WebCrypto; it
// skips unless ZKVAULT_WYCHEPROOF names the vectors' folder.
func TestWycheproof(t *testing.T) {
	primtest.TestWycheproof(t, newProvider(t))
}
