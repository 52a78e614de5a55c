//go:build js && wasm

// Spaces: create, open, envelope, rotate, forget; fields, records and blind
// indexes in batches (one boundary crossing per batch, one result or error
// per item).

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/hack-pad/safejs"
	"github.com/zkvault/zkvault/api"
	zkvault "github.com/zkvault/zkvault/wasm"
	"github.com/zkvault/zkvault/wasm/prim"
)

// spaceHandle is an unlocked space. Releasing it forgets the space.
type spaceHandle struct{ s *zkvault.Space }

// release forgets the space. (The JS package drops its field keys and
// makes its field worker drop its copies itself, js/src/zkvault.js.)
func (h *spaceHandle) release() {
	h.s.Forget()
}

func newSpaceResult(s *zkvault.Space) (any, error) {
	h := handles.add(&spaceHandle{s: s})
	return spaceInfoOf(h, s), nil
}

func spaceInfoOf(h uint32, s *zkvault.Space) map[string]any {
	vs := s.Versions()
	versions := make([]any, len(vs))
	for i, v := range vs {
		versions[i] = float64(v)
	}
	return map[string]any{"handle": float64(h), "id": s.ID(), "versions": versions, "current": float64(s.CurrentVersion())}
}

// spaceCreate(id) → space info: a new space with a fresh secret.
func spaceCreate(ctx context.Context, args []safejs.Value) (any, error) {
	id, err := argString(args, 0, "space id")
	if err != nil {
		return nil, err
	}
	s, err := zkvault.NewSpace(ctx, provider, id)
	if err != nil {
		return nil, err
	}
	return newSpaceResult(s)
}

// identityJSON is how JavaScript names an identity: a passphrase, or a key
// holder handle.
type identityJSON struct {
	Passphrase *string `json:"passphrase,omitempty"`
	Key        uint32  `json:"key,omitempty"`
}

func identityOf(args []safejs.Value, i int) (zkvault.Identity, error) {
	var id identityJSON
	if err := argJSON(args, i, "identity", &id); err != nil {
		return nil, err
	}
	switch {
	case id.Passphrase != nil && id.Key == 0:
		if *id.Passphrase == "" {
			return nil, invalid("identity: empty passphrase")
		}
		return zkvault.NewPassphraseIdentity(provider, *id.Passphrase), nil
	case id.Passphrase == nil && id.Key != 0:
		v, ok := handles.get(id.Key)
		if !ok {
			return nil, fmt.Errorf("%w: key pair", errClosed)
		}
		k, ok := v.(*keyHandle)
		if !ok {
			return nil, invalid("identity: handle %d is not a key pair", id.Key)
		}
		return k.k, nil
	}
	return nil, invalid("identity must name a passphrase or a key pair")
}

// spaceOpen(spaceJSON, identityJSON) → space info: unlocks an api.Space.
func spaceOpen(ctx context.Context, args []safejs.Value) (any, error) {
	var sp api.Space
	if err := argStored(args, 0, "space", &sp); err != nil {
		return nil, err
	}
	id, err := identityOf(args, 1)
	if err != nil {
		return nil, err
	}
	s, err := zkvault.OpenSpace(ctx, provider, sp, id)
	if err != nil {
		return nil, err
	}
	return newSpaceResult(s)
}

// spaceAddEnvelope(h, envelopeJSON, identityJSON) → space info.
func spaceAddEnvelope(ctx context.Context, args []safejs.Value) (any, error) {
	sh, h, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	var env api.Envelope
	if err := argStored(args, 1, "envelope", &env); err != nil {
		return nil, err
	}
	id, err := identityOf(args, 2)
	if err != nil {
		return nil, err
	}
	if err := sh.s.AddEnvelope(ctx, id, env); err != nil {
		return nil, err
	}
	return spaceInfoOf(h, sh.s), nil
}

// spaceOpenHandover(id, text) → space info: the key a client handed over in
// a URL fragment.
func spaceOpenHandover(ctx context.Context, args []safejs.Value) (any, error) {
	id, err := argString(args, 0, "space id")
	if err != nil {
		return nil, err
	}
	text, err := argString(args, 1, "handover key")
	if err != nil {
		return nil, err
	}
	s, err := zkvault.OpenHandover(ctx, provider, id, text)
	if err != nil {
		return nil, err
	}
	return newSpaceResult(s)
}

// spaceSealKeyring(h, cryptoKey) → Uint8Array: the keyring sealed under a
// non-extractable AES-GCM CryptoKey (an ExpiringSession's).
func spaceSealKeyring(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	aead, err := cryptoKeyAEAD(arg(args, 1))
	if err != nil {
		return nil, err
	}
	sealed, err := sh.s.SealKeyring(ctx, aead)
	if err != nil {
		return nil, err
	}
	return jsBytes(sealed)
}

// spaceOpenSealed(id, cryptoKey, sealed) → space info.
func spaceOpenSealed(ctx context.Context, args []safejs.Value) (any, error) {
	id, err := argString(args, 0, "space id")
	if err != nil {
		return nil, err
	}
	aead, err := cryptoKeyAEAD(arg(args, 1))
	if err != nil {
		return nil, err
	}
	sealed, err := argBytes(args, 2, "sealed keyring")
	if err != nil {
		return nil, err
	}
	s, err := zkvault.OpenSealedKeyring(ctx, provider, id, aead, sealed)
	if err != nil {
		return nil, err
	}
	return newSpaceResult(s)
}

func spaceInfo(_ context.Context, args []safejs.Value) (any, error) {
	sh, h, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	return spaceInfoOf(h, sh.s), nil
}

// paramsJSON are passphrase KDF parameters as JavaScript names them.
type paramsJSON struct {
	KDF               string `json:"kdf,omitempty"` // "argon2id" (default) or "pbkdf2"
	MemoryKiB         uint32 `json:"memoryKiB,omitempty"`
	Time              uint32 `json:"time,omitempty"`
	Parallelism       uint8  `json:"parallelism,omitempty"`
	Iterations        uint32 `json:"iterations,omitempty"`
	SaltSize          int    `json:"saltSize,omitempty"`
	InsecureAllowWeak bool   `json:"insecureAllowWeak,omitempty"`
}

func (p *paramsJSON) params() (zkvault.PassphraseParams, error) {
	if p == nil {
		return zkvault.PassphraseParams{}, nil
	}
	var pp zkvault.PassphraseParams
	switch p.KDF {
	case "", "argon2id":
		pp = zkvault.DefaultArgon2id()
		if p.MemoryKiB != 0 {
			pp.MemoryKiB = p.MemoryKiB
		}
		if p.Time != 0 {
			pp.Time = p.Time
		}
		if p.Parallelism != 0 {
			pp.Parallelism = p.Parallelism
		}
		if p.Iterations != 0 {
			return pp, invalid("params: iterations is a pbkdf2 parameter")
		}
	case "pbkdf2":
		pp = zkvault.DefaultPBKDF2()
		if p.Iterations != 0 {
			pp.Iterations = p.Iterations
		}
		if p.MemoryKiB != 0 || p.Time != 0 || p.Parallelism != 0 {
			return pp, invalid("params: memoryKiB, time and parallelism are argon2id parameters")
		}
	default:
		return pp, invalid("params: kdf must be \"argon2id\" or \"pbkdf2\"")
	}
	pp.SaltSize = p.SaltSize
	pp.InsecureAllowWeak = p.InsecureAllowWeak
	return pp, nil
}

// recipientJSON names who an envelope is for: a passphrase (with optional
// parameters), a principal (api.Principal, its fingerprint checked) or a
// key pair handle.
type recipientJSON struct {
	Passphrase  *string        `json:"passphrase,omitempty"`
	Params      *paramsJSON    `json:"params,omitempty"`
	Principal   *api.Principal `json:"principal,omitempty"`
	Key         uint32         `json:"key,omitempty"`
	PrincipalID string         `json:"principalId,omitempty"`
}

func recipientOf(ctx context.Context, args []safejs.Value, i int) (zkvault.Recipient, error) {
	var r recipientJSON
	if err := argStored(args, i, "recipient", &r); err != nil {
		return nil, err
	}
	return recipientFrom(ctx, r)
}

func recipientFrom(ctx context.Context, r recipientJSON) (zkvault.Recipient, error) {
	n := 0
	if r.Passphrase != nil {
		n++
	}
	if r.Principal != nil {
		n++
	}
	if r.Key != 0 {
		n++
	}
	if n != 1 {
		return nil, invalid("recipient must name exactly one of passphrase, principal or key")
	}
	switch {
	case r.Passphrase != nil:
		if *r.Passphrase == "" {
			return nil, invalid("recipient: empty passphrase")
		}
		pp, err := r.Params.params()
		if err != nil {
			return nil, err
		}
		return zkvault.NewPassphraseRecipientWithParams(provider, *r.Passphrase, pp)
	case r.Principal != nil:
		return zkvault.PrincipalRecipient(ctx, provider, *r.Principal)
	default:
		v, ok := handles.get(r.Key)
		if !ok {
			return nil, fmt.Errorf("%w: key pair", errClosed)
		}
		k, ok := v.(*keyHandle)
		if !ok {
			return nil, invalid("recipient: handle %d is not a key pair", r.Key)
		}
		return k.k.Recipient(r.PrincipalID), nil
	}
}

// spaceEnvelope(h, recipientJSON, version) → JSON text of api.Envelope[]:
// version 0 wraps the current version, -1 every version in the keyring.
func spaceEnvelope(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	r, err := recipientOf(ctx, args, 1)
	if err != nil {
		return nil, err
	}
	var envs []api.Envelope
	if v := arg(args, 2); v.Type() == safejs.TypeString {
		if s, _ := v.String(); s != "all" {
			return nil, invalid("version must be a number or \"all\"")
		}
		envs, err = sh.s.Envelopes(ctx, r)
	} else {
		var ver uint32
		if !v.IsUndefined() {
			if ver, err = argUint32(args, 2, "version", 0); err != nil {
				return nil, err
			}
		}
		var env api.Envelope
		env, err = sh.s.EnvelopeFor(ctx, r, ver)
		envs = []api.Envelope{env}
	}
	if err != nil {
		return nil, err
	}
	return jsonText(envs)
}

func spaceRotate(ctx context.Context, args []safejs.Value) (any, error) {
	sh, h, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	if _, err := sh.s.Rotate(ctx); err != nil {
		return nil, err
	}
	return spaceInfoOf(h, sh.s), nil
}

func spaceSetCurrent(_ context.Context, args []safejs.Value) (any, error) {
	sh, h, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	v, err := argUint32(args, 1, "version", 1)
	if err != nil {
		return nil, err
	}
	if err := sh.s.SetCurrent(v); err != nil {
		return nil, err
	}
	return spaceInfoOf(h, sh.s), nil
}

// spaceForget(h): zeroes the space's secrets and releases the handle (the
// release export; the JS package never called a separate spaceForget).
func spaceForget(_ context.Context, args []safejs.Value) (any, error) {
	h, err := argUint32(args, 0, "space handle", 1)
	if err != nil {
		return nil, err
	}
	v, ok := handles.remove(h)
	if !ok {
		return nil, nil // forgetting twice is not an error
	}
	if r, ok := v.(releaser); ok {
		r.release()
	}
	return nil, nil
}

// fieldRefJSON is one item of a field batch.
type fieldRefJSON struct {
	Collection string `json:"collection"`
	RecordID   string `json:"recordId"`
	Field      string `json:"field"`
	Pad        bool   `json:"pad,omitempty"`
	Ciphertext string `json:"ciphertext,omitempty"`
}

func (f fieldRefJSON) ref() zkvault.FieldRef {
	return zkvault.FieldRef{Collection: f.Collection, RecordID: f.RecordID, Field: f.Field}
}

// sealFields(h, refsJSON, values Uint8Array[]) → [{ciphertext} | {error}].
func sealFields(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	var refs []fieldRefJSON
	if err := argJSON(args, 1, "fields", &refs); err != nil {
		return nil, err
	}
	vals, err := argArray(args, 2, "values")
	if err != nil {
		return nil, err
	}
	if len(vals) != len(refs) {
		return nil, invalid("values has %d items for %d fields", len(vals), len(refs))
	}
	out := make([]any, len(refs))
	for i, f := range refs {
		v, err := bytesOf(vals[i], fmt.Sprintf("values[%d]", i))
		if err == nil {
			var ct string
			if ct, err = sh.s.SealField(ctx, f.ref(), v, f.Pad); err == nil {
				out[i] = map[string]any{"ciphertext": ct}
				continue
			}
		}
		out[i] = map[string]any{"error": itemError(err)}
	}
	return out, nil
}

// openFields(h, table) → result table (batch.go). The string table holds
// four strings per field: collection, record id, field name, ciphertext.
// Each result is the plaintext, or the item's error.
func openFields(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	strs, err := argStrings(args, 1, "fields")
	if err != nil {
		return nil, err
	}
	if len(strs)%4 != 0 || len(strs)/4 > maxBatch {
		return nil, invalid("fields must hold 4 strings per field, at most %d fields", maxBatch)
	}
	in := make([]zkvault.FieldCiphertext, len(strs)/4)
	hint := 0
	for i := range in {
		f := strs[4*i:]
		in[i] = zkvault.FieldCiphertext{Ref: zkvault.FieldRef{Collection: f[0], RecordID: f[1], Field: f[2]}, Ciphertext: f[3]}
		hint += len(f[3]) * 3 / 4
	}
	vals, errs := sh.s.OpenFields(ctx, in)
	out := newResultTable(len(in), hint)
	for i := range in {
		if errs[i] != nil {
			out.fail(errs[i])
			continue
		}
		out.ok(vals[i])
		clear(vals[i])
	}
	return out.js()
}

// spaceFieldKey(h, kid) → CryptoKey: the field key of secret version kid
// (its decimal text, as in enc:v2) as the non-extractable AES-GCM CryptoKey
// the browser provider imported it into; never key bytes. The JS package
// opens field batches with it (js/src/fieldopen.js, docs/spec 10.5). A
// version not in the keyring is unknown_key_version.
func spaceFieldKey(ctx context.Context, args []safejs.Value) (any, error) {
	sh, v, err := fieldKeyArgs(args)
	if err != nil {
		return nil, err
	}
	a, err := sh.s.FieldAEAD(ctx, v)
	if err != nil {
		return nil, err
	}
	return aeadCryptoKey(ctx, a)
}

// spaceFieldKeyInto(h, kid, dst) → true: writes the field key of secret
// version kid into dst, a Uint8Array of 32 bytes, for the JS package's AES-GCM
// module, which copies it into its own memory, expands it there and zeroes
// dst (js/src/gcm.js, docs/spec 10.5.2). A version not in the keyring is
// unknown_key_version.
func spaceFieldKeyInto(ctx context.Context, args []safejs.Value) (any, error) {
	sh, v, err := fieldKeyArgs(args)
	if err != nil {
		return nil, err
	}
	dst := arg(args, 2)
	if n, err := dst.Length(); !isUint8Array(dst) || err != nil || n != prim.AESKeySize {
		return nil, invalid("destination must be a Uint8Array of %d bytes", prim.AESKeySize)
	}
	key := make([]byte, prim.AESKeySize)
	defer clear(key)
	if err := sh.s.FieldKeyInto(ctx, v, key); err != nil {
		return nil, err
	}
	if _, err := safejs.CopyBytesToJS(dst, key); err != nil {
		return nil, err
	}
	return true, nil
}

// fieldKeyArgs reads the space handle and the key id (the decimal text of a
// version, as in enc:v2) of spaceFieldKey and spaceFieldKeyInto.
func fieldKeyArgs(args []safejs.Value) (*spaceHandle, uint32, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, 0, err
	}
	kid, err := argString(args, 1, "key id")
	if err != nil {
		return nil, 0, err
	}
	v, ok := api.ParseKeyVersion(kid)
	if !ok {
		return nil, 0, invalid("key id must be a decimal 1…4294967295 without leading zeros")
	}
	return sh, v, nil
}

// schemaArg reads a schema: a shipped collection name, or an api.Schema as
// JSON text (starting with "{").
func schemaArg(args []safejs.Value, i int) (api.Schema, error) {
	s, err := argString(args, i, "schema")
	if err != nil {
		return api.Schema{}, err
	}
	if len(s) > 0 && s[0] == '{' {
		var sc api.Schema
		if err := decodeJSONMode(s, "schema", &sc, false); err != nil {
			return sc, err
		}
		return sc, zkvault.ValidateSchema(sc)
	}
	sc, ok := zkvault.Schema(s)
	if !ok {
		return sc, invalid("no shipped schema of that name")
	}
	return sc, nil
}

type recordOptsJSON struct {
	Region string `json:"region,omitempty"`
}

func recordOpts(args []safejs.Value, i int) (zkvault.RecordOptions, error) {
	var o recordOptsJSON
	if v := arg(args, i); !v.IsUndefined() && !v.IsNull() {
		if err := argJSON(args, i, "options", &o); err != nil {
			return zkvault.RecordOptions{}, err
		}
	}
	return zkvault.RecordOptions{Region: o.Region}, nil
}

// sealRecords(h, schema, itemsJSON [{id, fields}], optsJSON) → JSON text of
// [{record} | {error}].
func sealRecords(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	schema, err := schemaArg(args, 1)
	if err != nil {
		return nil, err
	}
	var items []struct {
		ID     string         `json:"id"`
		Fields map[string]any `json:"fields"`
	}
	if err := argJSON(args, 2, "records", &items); err != nil {
		return nil, err
	}
	opts, err := recordOpts(args, 3)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i, it := range items {
		rec, err := sh.s.SealRecord(ctx, schema, it.ID, it.Fields, opts)
		if err != nil {
			out[i] = map[string]any{"error": itemError(err)}
			continue
		}
		out[i] = map[string]any{"record": rec}
	}
	return jsonText(out)
}

// openRecords(h, schema, recordsJSON) → JSON text of
// [{id, fields, errors: {field: {code, message}}} | {error}].
func openRecords(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	schema, err := schemaArg(args, 1)
	if err != nil {
		return nil, err
	}
	var recs []json.RawMessage
	if err := argJSON(args, 2, "records", &recs); err != nil {
		return nil, err
	}
	out := make([]any, len(recs))
	for i, raw := range recs {
		var rec api.Record
		if err := decodeJSONMode(string(raw), fmt.Sprintf("records[%d]", i), &rec, false); err != nil {
			out[i] = map[string]any{"error": itemError(err)}
			continue
		}
		o, err := sh.s.OpenRecord(ctx, schema, rec)
		if err != nil {
			out[i] = map[string]any{"error": itemError(err)}
			continue
		}
		errs := map[string]any{}
		for f, e := range o.Errors {
			errs[f] = itemError(e)
		}
		out[i] = map[string]any{"id": o.ID, "fields": o.Fields, "errors": errs}
	}
	return jsonText(out)
}

// indexValues(h, schema, table, shape, optsJSON) → text or result table
// (batch.go). Query i is shape[i] strings of the table (u32 each, little-
// endian): the index name, then one value per field of the index. When every
// query succeeds the result is one string, a line per query holding its
// index values (one per secret version) joined by ",": the JavaScript side
// splits it instead of reading a result table item by item. When any query
// fails it is the result table, each result those values joined by ",", or
// the query's error.
func indexValues(ctx context.Context, args []safejs.Value) (any, error) {
	sh, _, err := argHandle[*spaceHandle](args, 0, "space")
	if err != nil {
		return nil, err
	}
	schema, err := indexSchemaArg(args, 1)
	if err != nil {
		return nil, err
	}
	table, err := argBytes(args, 2, "queries")
	if err != nil {
		return nil, err
	}
	defer clear(table) // query values are plaintext
	strs, err := parseStrings(table, "queries")
	if err != nil {
		return nil, err
	}
	shape, err := argBytes(args, 3, "query shape")
	if err != nil {
		return nil, err
	}
	if len(shape)%4 != 0 || len(shape)/4 > maxBatch {
		return nil, invalid("query shape must hold one u32 per query, at most %d queries", maxBatch)
	}
	opts, err := recordOpts(args, 4)
	if err != nil {
		return nil, err
	}
	n := len(shape) / 4
	// One querier for the batch: the keyring's versions and the index MACs
	// are looked up once, and each query's values are written straight into
	// the text, a line per query (index values are hex: never a "\n").
	q := sh.s.NewIndexQuerier(schema, opts)
	text := make([]byte, 0, n*len(sh.s.Versions())*3) // 8-bit indexes: "xx," per version; grows for longer ones
	var errs map[int]error
	value := make([]string, 0, api.MaxIndexFields) // reused: a query's parts
	for i := range n {
		k := int(binary.LittleEndian.Uint32(shape[4*i:]))
		if k < 1 || k > strs.left() {
			return nil, invalid("query shape does not fit the strings of the queries")
		}
		if i > 0 {
			text = append(text, '\n')
		}
		name := strs.next()
		value = value[:0]
		for range k - 1 {
			value = append(value, strs.next())
		}
		b, err := q.AppendValues(ctx, text, name, value)
		if err != nil {
			if errs == nil {
				errs = map[int]error{}
			}
			errs[i] = err
			continue
		}
		text = b
	}
	if strs.left() != 0 {
		return nil, invalid("query shape does not fit the strings of the queries")
	}
	if errs == nil {
		return string(text), nil
	}
	out := newResultTable(n, len(text))
	for i := range n {
		line := text
		if j := bytes.IndexByte(text, '\n'); j >= 0 {
			line, text = text[:j], text[j+1:]
		}
		if err := errs[i]; err != nil {
			out.fail(err)
			continue
		}
		out.ok(line)
	}
	return out.js()
}

// matches(schema, index, openedJSON {id, fields}, value string[], optsJSON)
// → bool: whether an opened record really has value (blind indexes are
// truncated and hold false positives).
func matches(_ context.Context, args []safejs.Value) (any, error) {
	schema, err := schemaArg(args, 0)
	if err != nil {
		return nil, err
	}
	ix, err := argString(args, 1, "index")
	if err != nil {
		return nil, err
	}
	var rec struct {
		ID     string         `json:"id"`
		Fields map[string]any `json:"fields"`
		Errors map[string]any `json:"errors,omitempty"`
	}
	if err := argStored(args, 2, "record", &rec); err != nil {
		return nil, err
	}
	var value []string
	if err := argJSON(args, 3, "value", &value); err != nil {
		return nil, err
	}
	opts, err := recordOpts(args, 4)
	if err != nil {
		return nil, err
	}
	return zkvault.Matches(schema, ix, &zkvault.OpenedRecord{ID: rec.ID, Fields: rec.Fields}, value, opts)
}
