//go:build js && wasm

package zkvault

import "github.com/zkvault/zkvault/wasm/webcrypto"

// Under js/wasm the known-answer vectors also run against WebCrypto.
func init() {
	p, err := webcrypto.New()
	if err != nil {
		panic("webcrypto provider: " + err.Error())
	}
	providers = append(providers, p)
}
