// Package zkvault is zkvault's crypto core: the key schedule of a space,
// field ciphertexts (enc:v2), envelopes that wrap space secrets and private
// keys for RSA principals and passphrases, a key holder that uses a private
// key without handing it out, collection schemas and records with blind
// indexes, and blob streams. It runs natively and compiled to WebAssembly;
// the primitives come from a prim.Provider (pure Go or WebCrypto).
//
// The API follows filippo.io/age: a Recipient wraps (RSARecipient,
// PassphraseRecipient), an Identity unwraps (KeyHolder, PassphraseIdentity).
//
//	space, _ := zkvault.NewSpace(ctx, p, "vault-1")          // fresh secret, version 1
//	env, _ := space.Envelope(ctx, recipient)                 // api.Envelope for the server
//	space, _ = zkvault.OpenSpace(ctx, p, apiSpace, identity) // unlock
//	rec, _ := space.SealRecord(ctx, schema, "msg-1", fields, zkvault.RecordOptions{})
//	opened, _ := space.OpenRecord(ctx, schema, rec)
//
// # Format
//
// Specified byte for byte in docs/spec (02-spaces-envelopes.md, 03-fields.md,
// 06-schemas-records.md, 08-limits.md, 09-labels.md) and frozen by the
// known-answer vectors in testdata/*.json. In short:
//
//	field key  = HKDF-SHA256(S_v, none, tuple("zkvault/v2/field", space))
//	index key  = HKDF-SHA256(S_v, none, tuple("zkvault/v2/index", space, collection, index))
//	blob key   = HKDF-SHA256(S_v, header salt, tuple("zkvault/v2/blob", space, blob, header))
//	field      = "enc:v2:" kid ":" base64url(nonce || AES-GCM(value || 0x80 || 0x00…))
//	             AAD tuple("zkvault/v2/field", space, collection, record, field, kid)
//	envelope   = "ZKE" 0x02 || kind || header || nonce || AES-GCM(K, payload)
//	             AAD tuple("zkvault/v2/envelope", context, header)
//	kind 1     = fingerprint[32] || u32be key version || u16be 512 || RSA-OAEP-SHA256(K, label tuple("zkvault/v2/envelope/rsa", context))
//	kind 2     = u8 salt length || salt || u32be memory KiB || u32be time || u8 parallelism   (K = Argon2id)
//	kind 3     = u8 salt length || salt || u32be iterations                                (K = PBKDF2-HMAC-SHA256)
//
// # Security
//
// Every ciphertext is bound to where it belongs: a field to its space,
// collection, record, field name and key version; an envelope to what it
// wraps (space and secret version, or principal or group and key version);
// a blob to its space, id and header. Moved ciphertexts fail to open.
//
// Every failure to decrypt or authenticate is ErrIncorrectKey, whatever the
// cause (wrong passphrase, envelope for another key, flipped bit, moved
// ciphertext, bad padding), so that no caller can build an oracle. Malformed
// input is a *ParseError, reported before any key is used, and parsers never
// panic. Blob damage is stream.ErrCorrupt.
//
// A passphrase envelope names its KDF and parameters; opening refuses work
// above fixed maxima before doing any (ErrWorkFactor), and sealing refuses
// parameters below fixed minima (ErrWeakParameters).
//
// A KeyHolder has no method that returns its private key in clear except
// ExportPEM, the master key's offline backup; SealWithPassphrase and
// SealGroupKey return it only sealed. Grep for ExportPKCS8 to audit.
//
// A Space holds its secrets in memory while it is unlocked; derived keys are
// derived once per version and cached. Blind indexes are truncated HMACs and
// leak equality of normalised values within a collection; choose their bits
// per index, and filter false positives with Matches after opening.
//
// Known limits: field values' lengths are hidden only up to Padmé when the
// schema pads them (Padmé leaks at most O(log log L) bits of a length L);
// plaintext fields, record ids, blob sizes, index equality and timing are
// visible to the server by design.
package zkvault
