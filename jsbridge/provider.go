//go:build js && wasm

// The browser provider: which implementation does which primitive. This
// file is the one place the choice is made; docs/spec/10-browser-provider.md
// gives the measurements behind it and the security trade-off.
//
//	operation                  implementation   why
//	SHA-256, HMAC, HKDF        Go (native)      small inputs: a WebCrypto call costs a promise
//	                                             round trip that is worth more than the work
//	AES-256-GCM < 8 KiB        Go (native)      fields, envelopes, keyrings: same reason
//	AES-256-GCM ≥ 8 KiB        WebCrypto        blob ranges, large fields: hardware AES wins from ~16 KiB
//	blob stream chunks         WebCrypto (JS)   blob.go hands the blob key to JS as a non-extractable
//	                                             CryptoKey; blob.js seals and opens 8 chunks in flight
//	PBKDF2-HMAC-SHA256         WebCrypto        ~6× faster than Go in wasm
//	Argon2id                   Go               not in WebCrypto (the core calls x/crypto)
//	RSA-OAEP, RSA generation   WebCrypto        faster, and private keys stay non-extractable
//	random bytes               Go               crypto/rand, which is getRandomValues in wasm
//	field batches              WebCrypto (JS)   space.openFields: the JS package opens them itself
//	(space.openFields)                           (js/src/fieldopen.js, the format again, proven equal
//	                                             by a corpus Go makes) with the field key that
//	                                             spaceFieldKey hands over as a non-extractable
//	                                             CryptoKey, all in flight; in a page a worker of its
//	                                             own takes part (a clone of the CryptoKey; dropped
//	                                             when a space is forgotten). The module's openFields
//	                                             (Go's OpenFields) stays as the reference.
//
// Index batches stay in Go; neither WebCrypto in workers nor module workers
// holding copies of the space were faster on the test machine (section 10.5).

package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/webcrypto"
)

// aeadWebCryptoMin is the smallest message (plaintext to seal, ciphertext
// to open) that AES-GCM sends to WebCrypto. Below it Go's AES-GCM in the
// module is faster (Node: Go wins at 4 KiB, WebCrypto at 16 KiB).
const aeadWebCryptoMin = 8 << 10

// browserProvider routes each primitive to Go or WebCrypto.
type browserProvider struct {
	native prim.Symmetric // no RSA: the module does not link Go's (-tags=zkvault_nogorsa)
	web    prim.Provider
}

var _ prim.Provider = (*browserProvider)(nil)

// newBrowserProvider returns the provider of the browser bundle. It fails
// where WebCrypto is missing (a page that is not a secure context).
func newBrowserProvider() (prim.Provider, error) {
	web, err := webcrypto.New()
	if err != nil {
		return nil, err
	}
	return &browserProvider{native: prim.NativeSymmetric(), web: web}, nil
}

func (*browserProvider) Name() string { return "browser" }

func (p *browserProvider) Random(b []byte) error { return p.native.Random(b) }

func (p *browserProvider) SHA256(ctx context.Context, data []byte) ([32]byte, error) {
	return p.native.SHA256(ctx, data)
}

func (p *browserProvider) NewMAC(ctx context.Context, key []byte) (prim.MAC, error) {
	return p.native.NewMAC(ctx, key)
}

func (p *browserProvider) HKDF(ctx context.Context, secret, salt, info []byte, length int) ([]byte, error) {
	return p.native.HKDF(ctx, secret, salt, info, length)
}

func (p *browserProvider) PBKDF2(ctx context.Context, password, salt []byte, iterations, keyLen int) ([]byte, error) {
	return p.web.PBKDF2(ctx, password, salt, iterations, keyLen)
}

func (p *browserProvider) GenerateRSA(ctx context.Context, extractable bool) (prim.PrivateKey, error) {
	return p.web.GenerateRSA(ctx, extractable)
}

func (p *browserProvider) ImportRSAPublic(ctx context.Context, spki []byte) (prim.PublicKey, error) {
	return p.web.ImportRSAPublic(ctx, spki)
}

func (p *browserProvider) ImportRSAPrivate(ctx context.Context, pkcs8 []byte, extractable bool) (prim.PrivateKey, error) {
	return p.web.ImportRSAPrivate(ctx, pkcs8, extractable)
}

// NewAEAD returns an AES-256-GCM handle that seals and opens small messages
// in Go and large ones with WebCrypto. The WebCrypto key is imported on the
// first large message, or when the JS package asks for it (a blob's key,
// field keys: aeadCryptoKey; most envelope and keyring keys never see one);
// until then the handle keeps a copy of the key bytes, as the Go AEAD keeps
// its expanded key, and wipes it once imported.
func (p *browserProvider) NewAEAD(ctx context.Context, key []byte) (prim.AEAD, error) {
	n, err := p.native.NewAEAD(ctx, key)
	if err != nil {
		return nil, err
	}
	return &routedAEAD{native: n, web: p.web, key: append([]byte(nil), key...)}, nil
}

type routedAEAD struct {
	native prim.AEAD
	web    prim.Provider

	mu     sync.Mutex
	key    []byte // nil once imported into WebCrypto
	webKey prim.AEAD
}

// large returns the WebCrypto AEAD, importing the key the first time.
func (a *routedAEAD) large(ctx context.Context) (prim.AEAD, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.webKey != nil {
		return a.webKey, nil
	}
	w, err := a.web.NewAEAD(ctx, a.key)
	if err != nil {
		return nil, fmt.Errorf("importing AES key into WebCrypto: %w", err)
	}
	clear(a.key)
	a.key = nil
	a.webKey = w
	return w, nil
}

func (a *routedAEAD) Seal(ctx context.Context, nonce, plaintext, additionalData []byte) ([]byte, error) {
	if len(plaintext) < aeadWebCryptoMin {
		return a.native.Seal(ctx, nonce, plaintext, additionalData)
	}
	w, err := a.large(ctx)
	if err != nil {
		return nil, err
	}
	return w.Seal(ctx, nonce, plaintext, additionalData)
}

func (a *routedAEAD) Open(ctx context.Context, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(ciphertext) < aeadWebCryptoMin {
		return a.native.Open(ctx, nonce, ciphertext, additionalData)
	}
	w, err := a.large(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, prim.ErrDecrypt
	}
	return w.Open(ctx, nonce, ciphertext, additionalData)
}
