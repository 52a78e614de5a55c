//go:build js && wasm

package stream

import "github.com/zkvault/zkvault/wasm/webcrypto"

// Under js/wasm every test runs on the WebCrypto provider.
func init() {
	p, err := webcrypto.New()
	if err != nil {
		panic("webcrypto provider: " + err.Error())
	}
	testProvider = p
}
