//go:build js && wasm

package zkvault

import (
	"context"
	"os"
	"path/filepath"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/webcrypto"
)

// Under js/wasm the known-answer vectors run against three providers: pure
// Go, WebCrypto, and WebCrypto whose field batches are split half and half
// with Go (as the browser provider splits them, jsbridge/provider.go). Every
// other test (tamper tests, round trips) runs on the split one, so that
// batches take both engines.
func init() {
	p, err := webcrypto.New()
	if err != nil {
		panic("webcrypto provider: " + err.Error())
	}
	installBatchHelper()
	sp := &splitProvider{Provider: p, split: webcrypto.FixedSplit(0.5)}
	providers = append(providers, p, sp)
	native = sp
	batchCalls = webcrypto.BatchHelperCalls
}

// installBatchHelper loads the JS package's openBatch (Node's require of
// the ES module) as the browser bundle does.
func installBatchHelper() {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	req, err := safejs.Global().Get("require")
	if err != nil {
		panic("no require: " + err.Error())
	}
	mod, err := req.Invoke(filepath.Join(wd, "..", "jsbridge", "js", "src", "fieldcrypto.js"))
	if err != nil {
		panic("loading fieldcrypto.js: " + err.Error())
	}
	fn, err := mod.Get("openBatch")
	if err == nil {
		err = webcrypto.SetBatchHelper(fn, safejs.Undefined())
	}
	if err != nil {
		panic("fieldcrypto.js: " + err.Error())
	}
}

// splitProvider is WebCrypto whose AEADs open batches with WebCrypto and Go
// at once (webcrypto.OpenBatch), for a fixed share.
type splitProvider struct {
	prim.Provider
	split *webcrypto.Split
}

func (p *splitProvider) Name() string { return "webcrypto+go" }

func (p *splitProvider) NewAEAD(ctx context.Context, key []byte) (prim.AEAD, error) {
	w, err := p.Provider.NewAEAD(ctx, key)
	if err != nil {
		return nil, err
	}
	n, err := prim.NativeSymmetric().NewAEAD(ctx, key)
	if err != nil {
		return nil, err
	}
	return &splitAEAD{AEAD: w, native: n, split: p.split}, nil
}

type splitAEAD struct {
	prim.AEAD
	native prim.AEAD
	split  *webcrypto.Split
}

func (a *splitAEAD) OpenBatch(ctx context.Context, items []prim.BatchItem) {
	webcrypto.OpenBatch(ctx, a.AEAD, a.native, items, a.split)
}
