//go:build js && wasm

package webcrypto

import (
	"context"
	"testing"

	"github.com/zkvault/zkvault/wasm/prim"
)

func TestAEADCryptoKey(t *testing.T) {
	a, err := newProvider(t).NewAEAD(context.Background(), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	k, ok := AEADCryptoKey(a)
	if !ok {
		t.Fatal("no CryptoKey behind a WebCrypto AEAD")
	}
	for prop, want := range map[string]any{"type": "secret", "extractable": false} {
		v, err := k.Get(prop)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if s, err := v.String(); err == nil && prop == "type" {
			got = s
		} else if b, err := v.Bool(); err == nil {
			got = b
		}
		if got != want {
			t.Errorf("CryptoKey.%s = %v, want %v", prop, got, want)
		}
	}
	alg, _ := k.Get("algorithm")
	name, _ := alg.Get("name")
	if s, _ := name.String(); s != "AES-GCM" {
		t.Errorf("CryptoKey.algorithm.name = %q", s)
	}
	n, _ := prim.Native().NewAEAD(context.Background(), make([]byte, 32))
	if _, ok := AEADCryptoKey(n); ok {
		t.Error("a CryptoKey behind a native AEAD")
	}
}
