//go:build js && wasm

// Legacy: reading the enc:v1 / CTXE values and blind indexes of an existing
// personal vault, to migrate it in the browser. The two keys derived from
// the passphrase stay in Go behind a handle.

package main

import (
	"context"
	"fmt"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/legacy"
)

type legacyHandle struct{ k *legacy.Keys }

// legacyDeriveKeys(passphrase) → {handle}.
func legacyDeriveKeys(ctx context.Context, args []safejs.Value) (any, error) {
	pass, err := argPassphrase(args, 0)
	if err != nil {
		return nil, err
	}
	k, err := legacy.DeriveKeys(ctx, provider, pass)
	if err != nil {
		return nil, err
	}
	return map[string]any{"handle": float64(handles.add(&legacyHandle{k: k}))}, nil
}

// legacyDecrypt(handle, values (string | Uint8Array)[]) → [{value} | {error}]:
// an enc:v1 text gives a Uint8Array (the JS side decodes text), a CTXE
// Uint8Array gives a Uint8Array.
func legacyDecrypt(ctx context.Context, args []safejs.Value) (any, error) {
	lh, _, err := argHandle[*legacyHandle](args, 0, "legacy keys")
	if err != nil {
		return nil, err
	}
	vals, err := argArray(args, 1, "values")
	if err != nil {
		return nil, err
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		var pt []byte
		if v.Type() == safejs.TypeString {
			s, _ := v.String()
			pt, err = lh.k.DecryptBytes(ctx, s)
		} else {
			var b []byte
			if b, err = bytesOf(v, fmt.Sprintf("values[%d]", i)); err == nil {
				pt, err = lh.k.DecryptBinary(ctx, b)
			}
		}
		if err != nil {
			out[i] = map[string]any{"error": itemError(err)}
			continue
		}
		u, err := jsBytes(pt)
		clear(pt)
		if err != nil {
			return nil, err
		}
		out[i] = map[string]any{"value": u}
	}
	return out, nil
}

// legacyIndex(handle, normalisedJSON string[]) → string[]: legacy blind
// indexes of already normalised values.
func legacyIndex(ctx context.Context, args []safejs.Value) (any, error) {
	lh, _, err := argHandle[*legacyHandle](args, 0, "legacy keys")
	if err != nil {
		return nil, err
	}
	var vs []string
	if err := argJSON(args, 1, "values", &vs); err != nil {
		return nil, err
	}
	out := make([]any, len(vs))
	for i, v := range vs {
		ix, err := lh.k.Index(ctx, v)
		if err != nil {
			return nil, err
		}
		out[i] = ix
	}
	return out, nil
}

// legacyNormalize(kind, value) → string: "phone", "name" or "contact".
func legacyNormalize(_ context.Context, args []safejs.Value) (any, error) {
	kind, err := argString(args, 0, "kind")
	if err != nil {
		return nil, err
	}
	v, err := argString(args, 1, "value")
	if err != nil {
		return nil, err
	}
	switch kind {
	case "phone":
		return legacy.NormalizePhone(v), nil
	case "name":
		return legacy.NormalizeName(v), nil
	case "contact":
		return legacy.NormalizeContact(v), nil
	}
	return nil, invalid("kind must be phone, name or contact")
}
