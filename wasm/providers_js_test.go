//go:build js && wasm

package zkvault

import (
	"github.com/zkvault/zkvault/wasm/webcrypto"
)

// Under js/wasm the known-answer vectors run against both providers: pure
// Go and WebCrypto. Every other test (tamper tests, round trips) runs on
// WebCrypto.
func init() {
	p, err := webcrypto.New()
	if err != nil {
		panic("webcrypto provider: " + err.Error())
	}
	providers = append(providers, p)
	native = p
}
