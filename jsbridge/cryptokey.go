//go:build js && wasm

// A prim.AEAD over an AES-256-GCM CryptoKey that JavaScript already holds:
// the non-extractable session key an ExpiringSession keeps in IndexedDB.
// The webcrypto provider imports keys from bytes only; this is the one
// thing it lacks, and it needs nothing but crypto.subtle.encrypt and
// decrypt, so it lives here rather than in wasm/.

package main

import (
	"context"
	"fmt"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
)

type cryptoKeyAEADImpl struct{ key safejs.Value }

// cryptoKeyAEAD checks that v is a non-extractable AES-GCM CryptoKey of
// 256 bits usable for encrypt and decrypt. An extractable key is refused:
// its bytes could be read by script, which defeats the point of sealing.
func cryptoKeyAEAD(v safejs.Value) (prim.AEAD, error) {
	if v.Type() != safejs.TypeObject {
		return nil, invalid("session key must be a CryptoKey")
	}
	str := func(o safejs.Value, p string) string {
		x, err := o.Get(p)
		if err != nil || x.Type() != safejs.TypeString {
			return ""
		}
		s, _ := x.String()
		return s
	}
	if str(v, "type") != "secret" {
		return nil, invalid("session key must be a secret CryptoKey")
	}
	alg, err := v.Get("algorithm")
	if err != nil || alg.Type() != safejs.TypeObject || str(alg, "name") != "AES-GCM" {
		return nil, invalid("session key must be an AES-GCM CryptoKey")
	}
	if l, err := alg.Get("length"); err != nil || l.Type() != safejs.TypeNumber {
		return nil, invalid("session key must be AES-256")
	} else if n, _ := l.Int(); n != 256 {
		return nil, invalid("session key must be AES-256")
	}
	if x, err := v.Get("extractable"); err != nil || x.Type() != safejs.TypeBoolean {
		return nil, invalid("session key must be a CryptoKey")
	} else if b, _ := x.Bool(); b {
		return nil, invalid("session key must be non-extractable")
	}
	usages, err := v.Get("usages")
	if err != nil {
		return nil, invalid("session key must be a CryptoKey")
	}
	for _, u := range []string{"encrypt", "decrypt"} {
		ok, err := usages.Call("includes", u)
		if err != nil {
			return nil, invalid("session key must be a CryptoKey")
		}
		if b, _ := ok.Bool(); !b {
			return nil, invalid("session key usages must include encrypt and decrypt")
		}
	}
	return &cryptoKeyAEADImpl{key: v}, nil
}

func subtle() (safejs.Value, error) {
	c, err := safejs.Global().Get("crypto")
	if err != nil || c.Type() != safejs.TypeObject {
		return safejs.Value{}, fmt.Errorf("no WebCrypto")
	}
	s, err := c.Get("subtle")
	if err != nil || s.Type() != safejs.TypeObject {
		return safejs.Value{}, fmt.Errorf("no WebCrypto")
	}
	return s, nil
}

func (a *cryptoKeyAEADImpl) do(ctx context.Context, op string, nonce, data, ad []byte) ([]byte, error) {
	if len(nonce) != prim.GCMNonceSize {
		return nil, fmt.Errorf("AES-GCM nonce is %d bytes, want %d", len(nonce), prim.GCMNonceSize)
	}
	s, err := subtle()
	if err != nil {
		return nil, err
	}
	iv, err := jsBytes(nonce)
	if err != nil {
		return nil, err
	}
	adv, err := jsBytes(ad)
	if err != nil {
		return nil, err
	}
	in, err := jsBytes(data)
	if err != nil {
		return nil, err
	}
	defer wipeJS(in)
	params := map[string]any{"name": "AES-GCM", "iv": iv, "additionalData": adv, "tagLength": 128}
	p, err := s.Call(op, params, a.key, in)
	if err != nil {
		return nil, fmt.Errorf("crypto.subtle.%s failed", op)
	}
	res, err := await(ctx, p)
	if err != nil {
		return nil, err
	}
	if jsGlobals() != nil {
		return nil, errJSGlobals
	}
	u, err := uint8Array.New(res)
	if err != nil {
		return nil, err
	}
	defer wipeJS(u)
	n, err := u.Length()
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	if _, err := safejs.CopyBytesToGo(out, u); err != nil {
		return nil, err
	}
	return out, nil
}

func (a *cryptoKeyAEADImpl) Seal(ctx context.Context, nonce, plaintext, ad []byte) ([]byte, error) {
	return a.do(ctx, "encrypt", nonce, plaintext, ad)
}

func (a *cryptoKeyAEADImpl) Open(ctx context.Context, nonce, ciphertext, ad []byte) ([]byte, error) {
	out, err := a.do(ctx, "decrypt", nonce, ciphertext, ad)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, prim.ErrDecrypt
	}
	return out, nil
}

// wipeJS overwrites a Uint8Array with zeros (best effort).
func wipeJS(u safejs.Value) { _, _ = u.Call("fill", 0) }
