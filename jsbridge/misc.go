//go:build js && wasm

package main

import (
	"context"
	"runtime"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/api"
	zkvault "github.com/zkvault/zkvault/wasm"
)

// schemas() → JSON text of the shipped api.Schema list.
func schemas(context.Context, []safejs.Value) (any, error) {
	return jsonText(zkvault.Schemas())
}

// fingerprint(spki base64url) → {fingerprint, fingerprintGrouped}.
func fingerprint(ctx context.Context, args []safejs.Value) (any, error) {
	s, err := argString(args, 0, "public key")
	if err != nil {
		return nil, err
	}
	spki, err := api.DecodeBase64URL(s)
	if err != nil {
		return nil, &zkvault.ParseError{What: "public key", Reason: "not base64url"}
	}
	// Importing checks the key (RSA-4096, e = 65537, canonical DER).
	if _, err := provider.ImportRSAPublic(ctx, spki); err != nil {
		return nil, err
	}
	fp, err := zkvault.FingerprintOf(ctx, provider, spki)
	if err != nil {
		return nil, err
	}
	return map[string]any{"fingerprint": fp.String(), "fingerprintGrouped": zkvault.FormatFingerprint(fp)}, nil
}

// inspectEnvelope(data base64url) → what an envelope's header says.
func inspectEnvelope(_ context.Context, args []safejs.Value) (any, error) {
	s, err := argString(args, 0, "envelope")
	if err != nil {
		return nil, err
	}
	b, err := api.DecodeBase64URL(s)
	if err != nil {
		return nil, &zkvault.ParseError{What: "envelope", Reason: "not base64url"}
	}
	info, err := zkvault.InspectEnvelope(b)
	if err != nil {
		return nil, err
	}
	r := map[string]any{"kind": float64(info.Kind)}
	switch info.Kind {
	case 1:
		r["fingerprint"] = info.Fingerprint.String()
		r["keyVersion"] = float64(info.KeyVersion)
	case 2:
		r["params"] = map[string]any{"kdf": "argon2id", "memoryKiB": float64(info.Params.MemoryKiB), "time": float64(info.Params.Time), "parallelism": float64(info.Params.Parallelism)}
	case 3:
		r["params"] = map[string]any{"kdf": "pbkdf2", "iterations": float64(info.Params.Iterations)}
	}
	return r, nil
}

// release(handle): drops any handle (a space is forgotten first). The JS
// package calls it when a wrapper is garbage collected or closed.
func release(ctx context.Context, args []safejs.Value) (any, error) {
	return spaceForget(ctx, args)
}

// stats() → {handles, memoryBytes, heapBytes}: for tests that check that
// nothing leaks and that streams stay in bounded memory. memoryBytes is what
// the Go runtime took from the module's linear memory (which never shrinks).
func stats(context.Context, []safejs.Value) (any, error) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return map[string]any{"handles": float64(handles.len()), "memoryBytes": float64(m.Sys), "heapBytes": float64(m.HeapInuse)}, nil
}
