package index

import "github.com/zkvault/zkvault/wasm/prim"

// testProvider is the provider the tests run on: the pure-Go one natively,
// WebCrypto under js/wasm (provider_js_test.go).
var testProvider = prim.Native()
