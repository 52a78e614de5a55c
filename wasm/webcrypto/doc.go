// Package webcrypto implements prim.Provider with the WebCrypto API
// (globalThis.crypto.subtle), for the zkvault core compiled to WebAssembly
// and running in a browser or in Node.
//
// Every operation is one or two SubtleCrypto calls. A call returns a
// promise; the calling goroutine blocks on a channel until the promise
// settles, and the Go scheduler returns to the JavaScript event loop
// meanwhile, so many operations can be in flight at once from different
// goroutines. A context given to an operation lets its caller stop waiting;
// the browser still finishes the operation and its result is dropped.
//
// JavaScript is reached only through github.com/hack-pad/safejs, so a
// thrown exception is an error, not a panic that would stop the module.
//
// Everything but this file is built only for js/wasm. The JS bridge
// constructs the provider with New, reloads a stored private key with
// PrivateKeyFromCryptoKey and gets the handles to store with CryptoKeys.
//
// # Security
//
// Non-extractable: an RSA private key made by GenerateRSA or
// ImportRSAPrivate with extractable false is a non-extractable CryptoKey;
// its bytes exist only inside the browser's crypto implementation, and
// ExportPKCS8 returns prim.ErrNotExtractable without asking the browser.
// Keys behind AEAD and MAC handles and HKDF and PBKDF2 secrets are imported
// as non-extractable CryptoKeys. RSA public keys are always extractable
// (WebCrypto makes them so); their SPKI is exported once and kept in Go.
//
// Module memory: everything the caller passes in or gets back as a []byte
// lives in the WebAssembly module's memory, as with any provider: AES and
// HMAC key bytes given to NewAEAD and NewMAC, HKDF secrets and outputs,
// passwords and PBKDF2 outputs, plaintexts, random bytes, PKCS #8 given to
// ImportRSAPrivate or returned by ExportPKCS8 of an extractable key.
// ImportRSAPrivate also parses and validates the PKCS #8 in Go with
// prim.RSAPrivateKeySPKI (to refuse exactly what the native provider
// refuses, and to build the public key); the parsed key is garbage when it returns, not
// zeroed. A key pair made by GenerateRSA with extractable false, or
// reloaded with PrivateKeyFromCryptoKey, never has its private bytes in
// module memory. A CryptoKey is held in Go only as a reference to a
// JavaScript object.
//
// Crossing into JavaScript: every input is copied into a fresh Uint8Array
// that is kept nowhere script can name it, handed to SubtleCrypto (which
// takes its own copy when the call starts) and, when it may be secret
// (key bytes, HKDF secrets, passwords, plaintexts, HMAC and digest inputs,
// PKCS #8), overwritten with zeros once the operation settles. Results
// arrive as ArrayBuffers that are copied into Go and, when secret
// (plaintexts, derived keys, random bytes, exported private keys), zeroed.
// Zeroing is best effort: the JavaScript engine may have copied the bytes
// elsewhere. Ciphertexts, nonces, salts, info strings, labels and public
// keys cross without zeroing. Script that runs in the page before the
// module can replace crypto.subtle or Uint8Array and see everything, so
// the page itself must be trusted; no provider protects against that.
//
// Errors: every failed decryption, AES-GCM or RSA-OAEP, is exactly
// prim.ErrDecrypt whatever the browser reported; a key of the wrong size,
// type or parameters is prim.ErrInvalidKey wrapped with a message that
// holds no key material.
package webcrypto
