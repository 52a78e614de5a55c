//go:build js && wasm

package webcrypto

import (
	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
)

// AEADCryptoKey returns the non-extractable AES-GCM CryptoKey behind an AEAD
// made by this package, for the JS bridge to run a blob's chunks through
// crypto.subtle itself: a handle, never key bytes. ok is false for an AEAD
// from another provider.
func AEADCryptoKey(a prim.AEAD) (key safejs.Value, ok bool) {
	x, ok := a.(*aead)
	if !ok || x == nil {
		return safejs.Value{}, false
	}
	return x.key, true
}
