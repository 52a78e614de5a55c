//go:build js && wasm

// Command jsbridge is zkvault's crypto core compiled to WebAssembly
// (zkvault.wasm) for the JavaScript package in js/. It builds the API
// object, hands it to the loader through the global function named by the
// environment variable ZKVAULT_READY (js/README.md, "The readiness
// contract"), and then blocks so that the exported functions stay callable.
//
// Every export returns a Promise; its work runs in a goroutine of its own,
// a panic in it is contained (the promise rejects with code "internal") and
// every error is a JavaScript Error with a stable `code` (errors.go).
// Unlocked spaces, key holders and streams stay in Go memory and are named
// from JavaScript by numeric handles (handles.go): no secret crosses into
// JavaScript. js/src/zkvault.js wraps these functions in classes; they are
// not meant to be called directly.
package main

import (
	"fmt"
	"os"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/wasm/prim"
)

// version is the bridge API version (the JS package checks it).
const version = "0.1.0"

// provider is the browser provider (provider.go), set once in main.
var provider prim.Provider

func main() {
	if err := start(); err != nil {
		fmt.Fprintln(os.Stderr, "zkvault:", err)
		os.Exit(1)
	}
	select {}
}

func start() error {
	if err := jsGlobals(); err != nil {
		return err
	}
	p, err := newBrowserProvider()
	if err != nil {
		return err
	}
	provider = p
	e, err := newExports()
	if err != nil {
		return err
	}
	exports := exported()
	for name, h := range testOnly {
		exports[name] = h
	}
	for name, h := range exports {
		if err := e.add(name, h); err != nil {
			return fmt.Errorf("exporting %s: %w", name, err)
		}
	}
	if err := e.obj.Set("version", version); err != nil {
		return err
	}
	name := os.Getenv("ZKVAULT_READY")
	if name == "" {
		return fmt.Errorf("ZKVAULT_READY is not set: start zkvault.wasm with the package's load()")
	}
	ready, err := safejs.Global().Get(name)
	if err != nil || ready.Type() != safejs.TypeFunction {
		return fmt.Errorf("global %s is not a function", name)
	}
	_, err = ready.Invoke(e.obj)
	return err
}

// testOnly holds the exports that only the tests' build has (testing.go,
// -tags=zkvault_testing); none ships.
var testOnly map[string]handler

// exported lists every function of the API object.
func exported() map[string]handler {
	return map[string]handler{
		// misc.go
		"schemas":         schemas,
		"fingerprint":     fingerprint,
		"inspectEnvelope": inspectEnvelope,
		"release":         release,
		"stats":           stats,
		// space.go
		"spaceCreate":       spaceCreate,
		"spaceOpen":         spaceOpen,
		"spaceOpenHandover": spaceOpenHandover,
		"spaceOpenSealed":   spaceOpenSealed,
		"spaceSealKeyring":  spaceSealKeyring,
		"spaceAddEnvelope":  spaceAddEnvelope,
		"spaceInfo":         spaceInfo,
		"spaceEnvelope":     spaceEnvelope,
		"spaceRotate":       spaceRotate,
		"spaceSetCurrent":   spaceSetCurrent,
		"sealFields":        sealFields,
		"openFields":        openFields,
		"spaceFieldKey":     spaceFieldKey,
		"spaceFieldKeyInto": spaceFieldKeyInto,
		"sealRecords":       sealRecords,
		"openRecords":       openRecords,
		"indexValues":       indexValues,
		"matches":           matches,
		// blob.go
		"blobEncryptBegin": blobEncryptBegin,
		"blobDecryptBegin": blobDecryptBegin,
		"blobReadRange":    blobReadRange,
		// keys.go
		"keyGenerate":        keyGenerate,
		"keyFromCryptoKeys":  keyFromCryptoKeys,
		"keyOpenSealed":      keyOpenSealed,
		"keyImportSealedPEM": keyImportSealedPEM,
		"keyOpenGroupKey":    keyOpenGroupKey,
		"keyResealGroupKey":  keyResealGroupKey,
		"keyInfo":            keyInfo,
		// legacy.go
		"legacyDeriveKeys": legacyDeriveKeys,
		"legacyDecrypt":    legacyDecrypt,
		"legacyIndex":      legacyIndex,
		"legacyNormalize":  legacyNormalize,
	}
}
