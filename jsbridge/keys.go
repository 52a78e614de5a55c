//go:build js && wasm

// Key pairs (key holders): RSA-4096 private keys that exist in the browser
// only as non-extractable CryptoKeys. JavaScript gets a handle and the two
// CryptoKeys (for the IndexedDB KeyStore), never key bytes.

package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/api"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
	"github.com/zkvault/zkvault/wasm/webcrypto"
)

// keyHandle is a key holder and the CryptoKeys behind it.
type keyHandle struct {
	k         *zkvault.KeyHolder
	priv, pub safejs.Value
}

// capture is a provider that remembers the private key it made last, so
// that the bridge can hand the CryptoKeys of a key holder made by the core
// (OpenSealedKey, ImportSealedPEM) to JavaScript: KeyHolder has no method
// that returns its prim.PrivateKey.
type capture struct {
	prim.Provider
	mu   sync.Mutex
	last prim.PrivateKey
}

func (c *capture) keep(k prim.PrivateKey, err error) (prim.PrivateKey, error) {
	if err == nil {
		c.mu.Lock()
		c.last = k
		c.mu.Unlock()
	}
	return k, err
}

func (c *capture) GenerateRSA(ctx context.Context, extractable bool) (prim.PrivateKey, error) {
	return c.keep(c.Provider.GenerateRSA(ctx, extractable))
}

func (c *capture) ImportRSAPrivate(ctx context.Context, pkcs8 []byte, extractable bool) (prim.PrivateKey, error) {
	return c.keep(c.Provider.ImportRSAPrivate(ctx, pkcs8, extractable))
}

// newKeyResult registers k, whose private key is pk, and describes it.
func newKeyResult(k *zkvault.KeyHolder, pk prim.PrivateKey, extra map[string]any) (any, error) {
	priv, pub, ok := webcrypto.CryptoKeys(pk)
	if !ok {
		return nil, fmt.Errorf("%w: key pair is not a WebCrypto key", errInternal)
	}
	h := handles.add(&keyHandle{k: k, priv: priv, pub: pub})
	r := keyInfoOf(h, k, priv, pub)
	for n, v := range extra {
		r[n] = v
	}
	return r, nil
}

func keyInfoOf(h uint32, k *zkvault.KeyHolder, priv, pub safejs.Value) map[string]any {
	fp := k.Fingerprint()
	return map[string]any{
		"handle":             float64(h),
		"privateKey":         priv,
		"publicKey":          pub,
		"keyVersion":         float64(k.KeyVersion()),
		"fingerprint":        fp.String(),
		"fingerprintGrouped": zkvault.FormatFingerprint(fp),
		"spki":               base64.RawURLEncoding.EncodeToString(k.SPKI()),
	}
}

type sealJSON struct {
	PrincipalID string      `json:"principalId"`
	Passphrase  string      `json:"passphrase"`
	Params      *paramsJSON `json:"params,omitempty"`
}

// keyGenerate(optsJSON {keyVersion, seal?, backup?, group?}) → key info: a
// fresh RSA-4096 pair, non-extractable. With seal, the result also holds
// sealedKey (the private key under a passphrase, for api.Principal) and
// principal; with backup, sealedPEM (ExportSealedPEM, the master key's
// offline backup); with group {groupId, recipients}, sealedGroupKeys (the
// key as a queue's private key, SealGroupKey, one per recipient).
//
// Sealing needs the key's bytes, so then the pair is generated extractable,
// sealed, and copied into a non-extractable CryptoKey inside WebCrypto
// (wrapKey and unwrapKey under a one-off AES key, so the PKCS #8 never
// enters JavaScript or the module); the extractable key is dropped before
// the call returns and never reaches JavaScript.
func keyGenerate(ctx context.Context, args []safejs.Value) (any, error) {
	var o struct {
		KeyVersion uint32     `json:"keyVersion"`
		Kind       string     `json:"kind,omitempty"`
		Seal       *sealJSON  `json:"seal,omitempty"`
		Backup     *sealJSON  `json:"backup,omitempty"`
		Group      *groupJSON `json:"group,omitempty"`
	}
	if err := argJSON(args, 0, "options", &o); err != nil {
		return nil, err
	}
	if o.KeyVersion == 0 {
		o.KeyVersion = 1
	}
	for _, s := range []*sealJSON{o.Seal, o.Backup} {
		if s != nil && s.Passphrase == "" {
			return nil, invalid("options: empty passphrase")
		}
	}
	if o.Seal == nil && o.Backup == nil && o.Group == nil {
		c := &capture{Provider: provider}
		k, err := zkvault.GenerateKeyHolder(ctx, c, o.KeyVersion, false)
		if err != nil {
			return nil, err
		}
		return newKeyResult(k, c.last, nil)
	}

	ext, err := provider.GenerateRSA(ctx, true)
	if err != nil {
		return nil, err
	}
	tmp, err := zkvault.NewKeyHolder(ctx, provider, ext, o.KeyVersion)
	if err != nil {
		return nil, err
	}
	extra := map[string]any{}
	var sealed []byte
	if s := o.Seal; s != nil {
		pp, err := s.Params.params()
		if err != nil {
			return nil, err
		}
		if sealed, err = tmp.SealWithPassphrase(ctx, s.PrincipalID, s.Passphrase, pp); err != nil {
			return nil, err
		}
		extra["sealedKey"] = base64.RawURLEncoding.EncodeToString(sealed)
	}
	if b := o.Backup; b != nil {
		pp, err := b.Params.params()
		if err != nil {
			return nil, err
		}
		pemBytes, err := tmp.ExportSealedPEM(ctx, b.PrincipalID, b.Passphrase, pp)
		if err != nil {
			return nil, err
		}
		extra["sealedPEM"] = string(pemBytes)
	}
	if g := o.Group; g != nil {
		sealed, err := sealGroupKey(ctx, tmp, g.GroupID, g.Recipients)
		if err != nil {
			return nil, err
		}
		extra["sealedGroupKeys"] = sealed
	}
	pk, err := nonExtractableCopy(ctx, ext)
	if err != nil {
		return nil, err
	}
	k, err := zkvault.NewKeyHolder(ctx, provider, pk, o.KeyVersion)
	if err != nil {
		return nil, err
	}
	if o.Seal != nil {
		kind := o.Kind
		if kind == "" {
			kind = "user"
		}
		extra["principal"] = principalJSON(zkvault.PrincipalOf(k, o.Seal.PrincipalID, kind, sealed))
	}
	return newKeyResult(k, pk, extra)
}

func principalJSON(p api.Principal) map[string]any {
	m := map[string]any{
		"id":          p.ID,
		"kind":        p.Kind,
		"public_key":  p.PublicKey,
		"fingerprint": p.Fingerprint,
		"key_version": float64(p.KeyVersion),
	}
	if p.SealedKey != "" {
		m["sealed_key"] = p.SealedKey
	}
	return m
}

// nonExtractableCopy re-imports an extractable WebCrypto private key as a
// non-extractable one without its bytes leaving the browser's crypto:
// wrapKey("pkcs8") under a fresh non-extractable AES-GCM key, then
// unwrapKey with extractable false.
func nonExtractableCopy(ctx context.Context, k prim.PrivateKey) (prim.PrivateKey, error) {
	priv, pub, ok := webcrypto.CryptoKeys(k)
	if !ok {
		return nil, fmt.Errorf("%w: not a WebCrypto key", errInternal)
	}
	s, err := subtle()
	if err != nil {
		return nil, err
	}
	call := func(method string, a ...any) (safejs.Value, error) {
		p, err := s.Call(method, a...)
		if err != nil {
			return safejs.Value{}, fmt.Errorf("crypto.subtle.%s failed", method)
		}
		return await(ctx, p)
	}
	aes := map[string]any{"name": "AES-GCM", "length": 256}
	kek, err := call("generateKey", aes, false, []any{"wrapKey", "unwrapKey"})
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, prim.GCMNonceSize)
	if err := provider.Random(nonce); err != nil {
		return nil, err
	}
	iv, err := jsBytes(nonce)
	if err != nil {
		return nil, err
	}
	gcm := map[string]any{"name": "AES-GCM", "iv": iv}
	wrapped, err := call("wrapKey", "pkcs8", priv, kek, gcm)
	if err != nil {
		return nil, err
	}
	rsa := map[string]any{"name": "RSA-OAEP", "hash": "SHA-256"}
	usages, err := priv.Get("usages")
	if err != nil {
		return nil, err
	}
	priv2, err := call("unwrapKey", "pkcs8", wrapped, kek, gcm, rsa, false, usages)
	if err != nil {
		return nil, err
	}
	return webcrypto.PrivateKeyFromCryptoKey(ctx, priv2, pub)
}

// keyFromCryptoKeys(privateKey, publicKey, keyVersion) → key info: a pair
// reloaded from the KeyStore.
func keyFromCryptoKeys(ctx context.Context, args []safejs.Value) (any, error) {
	priv, pub := arg(args, 0), arg(args, 1)
	if priv.Type() != safejs.TypeObject || pub.Type() != safejs.TypeObject {
		return nil, invalid("privateKey and publicKey must be CryptoKeys")
	}
	v, err := argUint32(args, 2, "keyVersion", 1)
	if err != nil {
		return nil, err
	}
	pk, err := webcrypto.PrivateKeyFromCryptoKey(ctx, priv, pub)
	if err != nil {
		return nil, err
	}
	k, err := zkvault.NewKeyHolder(ctx, provider, pk, v)
	if err != nil {
		return nil, err
	}
	return newKeyResult(k, pk, nil)
}

// keyOpenSealed(sealedKey base64url, passphrase, principalId, keyVersion) →
// key info: a principal's private key opened with its passphrase and
// imported non-extractable.
func keyOpenSealed(ctx context.Context, args []safejs.Value) (any, error) {
	sealedText, err := argString(args, 0, "sealed key")
	if err != nil {
		return nil, err
	}
	sealed, err := api.DecodeBase64URL(sealedText)
	if err != nil {
		return nil, &zkvault.ParseError{What: "sealed key", Reason: "not base64url"}
	}
	pass, err := argPassphrase(args, 1)
	if err != nil {
		return nil, err
	}
	id, err := argString(args, 2, "principal id")
	if err != nil {
		return nil, err
	}
	v, err := argUint32(args, 3, "keyVersion", 1)
	if err != nil {
		return nil, err
	}
	c := &capture{Provider: provider}
	k, err := zkvault.OpenSealedKey(ctx, c, sealed, pass, id, v, false)
	if err != nil {
		return nil, err
	}
	return newKeyResult(k, c.last, nil)
}

// keyImportSealedPEM(pem, passphrase) → key info with principalId: a backup
// made by keyGenerate's backup option (or the native tools), imported
// non-extractable.
func keyImportSealedPEM(ctx context.Context, args []safejs.Value) (any, error) {
	pemText, err := argString(args, 0, "PEM")
	if err != nil {
		return nil, err
	}
	pass, err := argPassphrase(args, 1)
	if err != nil {
		return nil, err
	}
	c := &capture{Provider: provider}
	k, id, err := zkvault.ImportSealedPEM(ctx, c, []byte(pemText), pass, false)
	if err != nil {
		return nil, err
	}
	return newKeyResult(k, c.last, map[string]any{"principalId": id})
}

// keyOpenGroupKey(identityJSON, sealed base64url, groupId, keyVersion) →
// key info: a queue's private key sealed for a member or the master.
func keyOpenGroupKey(ctx context.Context, args []safejs.Value) (any, error) {
	id, err := identityOf(args, 0)
	if err != nil {
		return nil, err
	}
	sealedText, err := argString(args, 1, "sealed key")
	if err != nil {
		return nil, err
	}
	sealed, err := api.DecodeBase64URL(sealedText)
	if err != nil {
		return nil, &zkvault.ParseError{What: "sealed key", Reason: "not base64url"}
	}
	gid, err := argString(args, 2, "group id")
	if err != nil {
		return nil, err
	}
	v, err := argUint32(args, 3, "keyVersion", 1)
	if err != nil {
		return nil, err
	}
	c := &capture{Provider: provider}
	k, err := zkvault.OpenGroupKey(ctx, c, id, sealed, gid, v, false)
	if err != nil {
		return nil, err
	}
	return newKeyResult(k, c.last, nil)
}

// keyInfo(h, principalId?, kind?) → key info, with principal (api.Principal
// without sealed key) when principalId is given.
func keyInfo(_ context.Context, args []safejs.Value) (any, error) {
	kh, h, err := argHandle[*keyHandle](args, 0, "key pair")
	if err != nil {
		return nil, err
	}
	r := keyInfoOf(h, kh.k, kh.priv, kh.pub)
	id, err := argOptString(args, 1, "principal id")
	if err != nil {
		return nil, err
	}
	if id != "" {
		kind, err := argOptString(args, 2, "kind")
		if err != nil {
			return nil, err
		}
		if kind == "" {
			kind = "user"
		}
		r["principal"] = principalJSON(zkvault.PrincipalOf(kh.k, id, kind, nil))
	}
	return r, nil
}

// groupJSON names the recipients a group's (queue's) private key is sealed
// for: its members and the master.
type groupJSON struct {
	GroupID    string          `json:"groupId"`
	Recipients []recipientJSON `json:"recipients"`
}

// maxGroupRecipients bounds one call's RSA work.
const maxGroupRecipients = 1000

func sealGroupKey(ctx context.Context, k *zkvault.KeyHolder, groupID string, rs []recipientJSON) ([]any, error) {
	if len(rs) > maxGroupRecipients {
		return nil, invalid("at most %d recipients", maxGroupRecipients)
	}
	out := make([]any, len(rs))
	for i, rj := range rs {
		r, err := recipientFrom(ctx, rj)
		if err != nil {
			return nil, err
		}
		sealed, err := k.SealGroupKey(ctx, groupID, r)
		if err != nil {
			return nil, err
		}
		out[i] = base64.RawURLEncoding.EncodeToString(sealed)
	}
	return out, nil
}

// keyResealGroupKey(identityJSON, sealed base64url, groupId, keyVersion,
// recipientsJSON) → base64url[]: a queue's private key, sealed for identity,
// sealed again for other recipients (a member added to the queue). The key
// is opened extractable for this call only, inside the module; no key pair
// is returned and the extractable key never reaches JavaScript.
func keyResealGroupKey(ctx context.Context, args []safejs.Value) (any, error) {
	id, err := identityOf(args, 0)
	if err != nil {
		return nil, err
	}
	sealedText, err := argString(args, 1, "sealed key")
	if err != nil {
		return nil, err
	}
	sealed, err := api.DecodeBase64URL(sealedText)
	if err != nil {
		return nil, &zkvault.ParseError{What: "sealed key", Reason: "not base64url"}
	}
	gid, err := argString(args, 2, "group id")
	if err != nil {
		return nil, err
	}
	v, err := argUint32(args, 3, "keyVersion", 1)
	if err != nil {
		return nil, err
	}
	var rs []recipientJSON
	if err := argStored(args, 4, "recipients", &rs); err != nil {
		return nil, err
	}
	k, err := zkvault.OpenGroupKey(ctx, provider, id, sealed, gid, v, true)
	if err != nil {
		return nil, err
	}
	return sealGroupKey(ctx, k, gid, rs)
}
