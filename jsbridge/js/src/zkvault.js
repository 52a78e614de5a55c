// The zkvault API: small classes over the functions zkvault.wasm exports
// (jsbridge/*.go). Secrets stay in the module: a Space or a KeyPair here holds only
// a handle that names the Go object, and keys only as non-extractable CryptoKeys
// (private keys; a space's field keys, with which openFields opens fields here). Every method returns a promise; every failure is a ZkvaultError with a
// stable `code`.
//
//   const zk = await load();
//   const space = await zk.createSpace("vault-1");
//   const [field] = await space.sealFields([{ collection, recordId, field, value: "hi" }]);
//   const env = await space.envelope(new Passphrase("correct horse battery staple"));

import { BatchArgumentError, packStrings, packUint32, unpackResults } from "./batch.js";
import { fieldWorkerFor, forgetKeys, openFieldBatch } from "./fieldcrypto.js";
import { loadGCM, loadedGCM } from "./gcm.js";
import { kidOf } from "./fieldopen.js";
import { load as loadModule } from "./loader.js";
import { decryptStream, encryptStream, transform } from "./blob.js";

/** Error codes the module rejects with (see index.d.ts for their meaning). */
export const ERROR_CODES = Object.freeze([
  "incorrect_key",
  "unknown_key_version",
  "parse",
  "corrupt",
  "work_factor",
  "weak_parameters",
  "too_large",
  "not_extractable",
  "invalid_key",
  "schema",
  "invalid_argument",
  "closed",
  "not_encrypted",
  "canceled",
  "internal",
]);

/** An error from the crypto core, with a stable code (ERROR_CODES). */
export class ZkvaultError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = "ZkvaultError";
    this.code = code;
  }
}

function toError(e) {
  if (e instanceof ZkvaultError) return e;
  if (e && typeof e === "object" && typeof e.code === "string") return new ZkvaultError(e.code, e.message);
  return e;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** A string table of a batch (batch.js); a non-string item is invalid_argument. */
function packed(strs) {
  try {
    return packStrings(strs);
  } catch (e) {
    if (e instanceof BatchArgumentError) throw new ZkvaultError("invalid_argument", e.message);
    throw e;
  }
}

/** Text of short ASCII bytes (index values) without a TextDecoder call. */
function asciiText(b) {
  if (b.length > 64) return utf8d.decode(b);
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** An index query's result from its values joined by ",". */
function indexResult(text) {
  return { values: text ? text.split(",") : [] };
}

/** Most items in one batch (the module's limit, jsbridge/args.go maxBatch). */
const MAX_BATCH = 100_000;

/** A batch item's string: null and undefined are "", anything else but a string is refused. */
function str(s, i) {
  if (typeof s === "string") return s;
  if (s === undefined || s === null) return "";
  throw new ZkvaultError("invalid_argument", `zkvault: batch item ${i}: not a string`);
}

/** A batch item's error from a result table. */
function itemError(code, message) {
  return { error: new ZkvaultError(code, message) };
}

function bytes(value, what) {
  if (typeof value === "string") return utf8.encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`zkvault: ${what} must be a string or bytes`);
}

function schemaText(schema) {
  if (typeof schema === "string") return schema;
  if (schema && typeof schema === "object") return JSON.stringify(schema);
  throw new TypeError("zkvault: schema must be a collection name or a schema object");
}

/**
 * A passphrase: an identity that opens passphrase envelopes, and a recipient that
 * seals them (Argon2id with the defaults unless params say otherwise).
 */
export class Passphrase {
  #passphrase;
  /**
   * @param {string} passphrase
   * @param {import("../index.js").PassphraseParams} [params]
   */
  constructor(passphrase, params) {
    if (typeof passphrase !== "string" || passphrase === "") throw new TypeError("zkvault: passphrase must be a non-empty string");
    this.#passphrase = passphrase;
    this.params = params;
    Object.freeze(this);
  }
  /** @internal */
  toIdentity() {
    return { passphrase: this.#passphrase };
  }
  /** @internal */
  toRecipient() {
    return this.params ? { passphrase: this.#passphrase, params: this.params } : { passphrase: this.#passphrase };
  }
  /** @internal */
  get text() {
    return this.#passphrase;
  }
}

function identityJSON(identity) {
  if (identity instanceof Passphrase || identity instanceof KeyPair) return JSON.stringify(identity.toIdentity());
  throw new TypeError("zkvault: identity must be a Passphrase or a KeyPair");
}

function recipientObject(recipient, principalId) {
  if (recipient instanceof Passphrase) return recipient.toRecipient();
  if (recipient instanceof KeyPair) return { key: recipient.handle, principalId: principalId ?? "" };
  if (recipient && typeof recipient === "object" && typeof recipient.public_key === "string") return { principal: recipient };
  throw new TypeError("zkvault: recipient must be a Passphrase, a KeyPair or a principal ({id, public_key, fingerprint, key_version})");
}

function recipientJSON(recipient, principalId) {
  return JSON.stringify(recipientObject(recipient, principalId));
}

/** Instances of Zkvault made so far on this thread. */
let instances = 0;

/** The API `load()` resolves with. */
export class Zkvault {
  #api;
  #registry;

  /** @param {object} api the object zkvault.wasm hands over (internal) */
  constructor(api) {
    if (typeof api?.spaceCreate !== "function") throw new TypeError("zkvault: not the zkvault module's API");
    this.#api = api;
    // Handles of wrappers that are garbage collected without close() are released.
    // A space's keys also leave the field worker (fieldcrypto.js).
    this.#registry = new FinalizationRegistry((h) => {
      api.release(h).catch(() => {});
      forgetKeys();
      loadedGCM()?.forgetPrefix(`${this.#tag}/${h}/`);
    });
  }

  #tag = ++instances;
  /**
   * @internal The prefix of the ids of a space's field keys in the AES-GCM module
   * (gcm.js), which serves every instance on this thread.
   */
  gcmPrefix(handle) {
    return `${this.#tag}/${handle}/`;
  }

  /** The module's API version. */
  get version() {
    return this.#api.version;
  }

  /** @internal Calls an export; rejections become ZkvaultErrors. */
  async call(name, ...args) {
    try {
      return await this.#api[name](...args);
    } catch (e) {
      throw toError(e);
    }
  }

  /** @internal */
  track(obj, handle) {
    this.#registry.register(obj, handle, obj);
  }

  /** @internal */
  untrack(obj) {
    this.#registry.unregister(obj);
  }

  /** The collection schemas zkvault ships. */
  async schemas() {
    return JSON.parse(await this.call("schemas"));
  }

  /** A new space with a fresh random secret (version 1). */
  async createSpace(id) {
    return new Space(this, await this.call("spaceCreate", id));
  }

  /**
   * Unlocks a space as the server stores it (api.Space: id and envelopes) with a
   * Passphrase or a KeyPair.
   */
  async openSpace(space, identity) {
    return new Space(this, await this.call("spaceOpen", JSON.stringify(space), identityJSON(identity)));
  }

  /** Unlocks a space from the key a client handed over in a URL fragment. */
  async openHandover(spaceId, text) {
    return new Space(this, await this.call("spaceOpenHandover", spaceId, text));
  }

  /**
   * Unlocks a space from its keyring sealed with space.sealKeyring(key) (what
   * ExpiringSession stores).
   */
  async openSealedSpace(spaceId, key, sealed) {
    return new Space(this, await this.call("spaceOpenSealed", spaceId, key, sealed));
  }

  /**
   * A fresh RSA-4096 key pair whose private key is a non-extractable CryptoKey.
   * With `seal`, the result also carries `sealedKey` and `principal` (the private
   * key sealed under a passphrase, for the server); with `backup`, `sealedPEM`.
   * @param {import("../index.js").GenerateOptions} [options]
   */
  async generateKeyPair(options = {}) {
    const opts = { keyVersion: options.keyVersion ?? 1 };
    if (options.kind) opts.kind = options.kind;
    for (const k of ["seal", "backup"]) {
      const s = options[k];
      if (s === undefined) continue;
      if (!(s.passphrase instanceof Passphrase)) throw new TypeError(`zkvault: ${k}.passphrase must be a Passphrase`);
      opts[k] = { principalId: s.principalId ?? "", passphrase: s.passphrase.text, params: s.passphrase.params };
    }
    if (options.group !== undefined) {
      const { groupId, recipients } = options.group;
      if (!Array.isArray(recipients)) throw new TypeError("zkvault: group.recipients must be an array");
      opts.group = { groupId, recipients: recipients.map((r) => recipientObject(r, r?.id)) };
    }
    return new KeyPair(this, await this.call("keyGenerate", JSON.stringify(opts)));
  }

  /**
   * A group's (queue's) private key, sealed for identity, sealed again for more
   * recipients (members added to the queue, the master). The key is opened for this
   * call only, inside the module. Resolves with one sealed key (base64url) per
   * recipient.
   */
  async resealGroupKey(identity, sealedKey, groupId, keyVersion, recipients) {
    const rs = JSON.stringify(recipients.map((r) => recipientObject(r, r?.id)));
    return this.call("keyResealGroupKey", identityJSON(identity), sealedKey, groupId, keyVersion, rs);
  }

  /** A key pair from the CryptoKeys a KeyStore holds. */
  async keyPairFromCryptoKeys(privateKey, publicKey, keyVersion = 1) {
    return new KeyPair(this, await this.call("keyFromCryptoKeys", privateKey, publicKey, keyVersion));
  }

  /** A principal's private key sealed under its passphrase, imported non-extractable. */
  async openSealedKey({ sealedKey, passphrase, principalId, keyVersion = 1 }) {
    if (!(passphrase instanceof Passphrase)) throw new TypeError("zkvault: passphrase must be a Passphrase");
    return new KeyPair(this, await this.call("keyOpenSealed", sealedKey, passphrase.text, principalId, keyVersion));
  }

  /** A backup written with generateKeyPair({backup}) (or the native tools). */
  async importSealedPEM(pem, passphrase) {
    if (!(passphrase instanceof Passphrase)) throw new TypeError("zkvault: passphrase must be a Passphrase");
    return new KeyPair(this, await this.call("keyImportSealedPEM", pem, passphrase.text));
  }

  /** A group's (queue's) private key sealed for a member or the master. */
  async openGroupKey(identity, sealedKey, groupId, keyVersion = 1) {
    return new KeyPair(this, await this.call("keyOpenGroupKey", identityJSON(identity), sealedKey, groupId, keyVersion));
  }

  /**
   * The recipient for an RSA public key: a PEM "PUBLIC KEY" block or base64url
   * SubjectPublicKeyInfo. Resolves with an api.Principal to pass to space.envelope.
   */
  async principalFromPublicKey(publicKey, { id = "", kind = "user", keyVersion = 1 } = {}) {
    const spki = spkiText(publicKey);
    const { fingerprint } = await this.call("fingerprint", spki);
    return { id, kind, public_key: spki, fingerprint, key_version: keyVersion };
  }

  /** Fingerprint of a public key (base64url SPKI or PEM): hex and grouped for humans. */
  async fingerprint(publicKey) {
    return this.call("fingerprint", spkiText(publicKey));
  }

  /** What an envelope's header says in clear (kind, fingerprint or KDF parameters). */
  async inspectEnvelope(data) {
    return this.call("inspectEnvelope", typeof data === "string" ? data : data?.data);
  }

  /** The keys of a legacy (enc:v1) vault, derived from its passphrase, to migrate it. */
  async legacyKeys(passphrase) {
    if (!(passphrase instanceof Passphrase)) throw new TypeError("zkvault: passphrase must be a Passphrase");
    return new LegacyKeys(this, await this.call("legacyDeriveKeys", passphrase.text));
  }

  /** Normalises a value as the legacy vault did: kind "phone", "name" or "contact". */
  async legacyNormalize(kind, value) {
    return this.call("legacyNormalize", kind, value);
  }

  /** Diagnostics: how many handles the module holds. */
  async stats() {
    return this.call("stats");
  }
}

function spkiText(publicKey) {
  if (typeof publicKey !== "string") throw new TypeError("zkvault: public key must be a PEM or base64url string");
  const m = publicKey.match(/-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/);
  if (!m) return publicKey.trim();
  return m[1].replace(/\s+/g, "").replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Base class of the wrappers of a handle. */
class Handle {
  #zk;
  #handle;
  constructor(zk, handle) {
    this.#zk = zk;
    this.#handle = handle;
    zk.track(this, handle);
  }
  /** @internal */
  get zk() {
    return this.#zk;
  }
  /** @internal */
  get handle() {
    if (this.#handle === 0) throw new ZkvaultError("closed", "zkvault: this object has been closed");
    return this.#handle;
  }
  /** @internal Whether close() has not been called. */
  get isOpen() {
    return this.#handle !== 0;
  }
  /** Releases the Go object now (a space's secrets are zeroed). */
  async close() {
    if (this.#handle === 0) return;
    const h = this.#handle;
    this.#handle = 0;
    this.#zk.untrack(this);
    await this.#zk.call("release", h);
  }
}

/** An unlocked space. Its secrets stay in the module until forget(). */
export class Space extends Handle {
  #info;
  /** @type {Map<string, CryptoKey | null>} key id → field key (openFields) */
  #fieldKeys = new Map();
  constructor(zk, info) {
    super(zk, info.handle);
    this.#info = info;
  }
  /** The space id. */
  get id() {
    return this.#info.id;
  }
  /** The secret versions in the keyring, ascending. */
  get versions() {
    return [...this.#info.versions];
  }
  /** The secret version new ciphertexts use. */
  get currentVersion() {
    return this.#info.current;
  }

  async #call(name, ...args) {
    return this.zk.call(name, this.handle, ...args);
  }

  /**
   * Seals many field values in one call. Each result is {ciphertext} or {error}
   * (a ZkvaultError): one bad item does not fail the others.
   * @param {{collection: string, recordId: string, field: string, value: string | Uint8Array, pad?: boolean}[]} items
   */
  async sealFields(items) {
    const refs = items.map(({ collection, recordId, field, pad }) => ({ collection, recordId, field, pad: !!pad }));
    const values = items.map((it, i) => bytes(it.value, `items[${i}].value`));
    const out = await this.#call("sealFields", JSON.stringify(refs), values);
    return out.map((r) => (r.error ? { error: toError(r.error) } : { ciphertext: r.ciphertext }));
  }

  /**
   * Opens many enc:v2 ciphertexts in one call. Each result is {value, text} or
   * {error}. The package opens them itself (fieldcrypto.js, fieldopen.js: what the
   * module's OpenField does) with its AES-GCM module (gcm.js), under the field keys
   * the module writes into it, or with WebCrypto under the same keys as
   * non-extractable CryptoKeys where that module cannot run; in a page, a worker of
   * its own takes part of the batch.
   * @param {{collection: string, recordId: string, field: string, ciphertext: string}[]} items
   */
  async openFields(items) {
    const n = items.length;
    if (!(n <= MAX_BATCH)) throw new ZkvaultError("invalid_argument", `zkvault: fields must hold at most ${MAX_BATCH} fields`);
    // 4 strings per item: collection, record id, field, ciphertext (null and
    // undefined count as "", anything else that is not a string fails the call).
    const strs = new Array(4 * n);
    for (let i = 0; i < n; i++) {
      const { collection, recordId, field, ciphertext } = items[i];
      strs[4 * i] = str(collection, i);
      strs[4 * i + 1] = str(recordId, i);
      strs[4 * i + 2] = str(field, i);
      strs[4 * i + 3] = str(ciphertext, i);
    }
    const keys = await this.#fieldKeysFor(strs);
    const ids = await this.#fieldContexts(keys, n);
    return openFieldBatch(this.id, strs, keys, (code, message) => new ZkvaultError(code, message), ids);
  }

  /**
   * Hands the field key of each version in keys to the AES-GCM module of this thread
   * (gcm.js) and, for a batch of n that the field worker may share, to the worker's,
   * where they lack it: the Go module writes the key's bytes into a buffer here,
   * which is copied into this thread's module and transferred to the worker, and
   * zeroed (both modules zero their copies once expanded). Resolves with key id →
   * the id of its field key in the modules, or null where there is no such module.
   * @param {Map<string, CryptoKey | null>} keys
   * @param {number} n
   */
  async #fieldContexts(keys, n) {
    const gcm = await loadGCM();
    if (!gcm) return null;
    const w = fieldWorkerFor(n);
    const prefix = this.zk.gcmPrefix(this.handle);
    const ids = new Map();
    for (const [kid, key] of keys) {
      if (!key) continue;
      const id = prefix + kid;
      const here = gcm.context(id) === undefined;
      const there = w !== null && w.needsKey(id);
      if (here || there) {
        const bytes = new Uint8Array(32);
        try {
          await this.zk.call("spaceFieldKeyInto", this.handle, kid, bytes);
          if (there) w.postKey(id, bytes.slice());
          if (here) gcm.setKey(id, bytes);
        } finally {
          bytes.fill(0);
        }
      }
      ids.set(kid, id);
    }
    return ids;
  }

  /** Drops the field keys this space handed over (CryptoKeys, the AES-GCM module's). */
  #dropFieldKeys() {
    this.#fieldKeys.clear();
    if (this.isOpen) loadedGCM()?.forgetPrefix(this.zk.gcmPrefix(this.handle));
  }

  /**
   * The field keys a batch needs: key id → the module's non-extractable CryptoKey of
   * that version, or null where the keyring has no such version. Kept until the
   * keyring changes or the space is closed.
   * @param {string[]} strs
   */
  async #fieldKeysFor(strs) {
    const handle = this.handle; // throws once closed
    const cache = this.#fieldKeys;
    const keys = new Map(); // this batch's: the cache may be cleared meanwhile
    let last = "";
    for (let i = 3; i < strs.length; i += 4) {
      const ct = strs[i];
      if (last && ct.startsWith(last, 7) && ct.charCodeAt(7 + last.length) === 58) continue;
      const kid = kidOf(ct);
      if (!kid) continue;
      last = kid;
      if (keys.has(kid)) continue;
      if (!cache.has(kid)) {
        try {
          cache.set(kid, await this.zk.call("spaceFieldKey", handle, kid));
        } catch (e) {
          if (e?.code !== "unknown_key_version") throw e;
          cache.set(kid, null);
        }
      }
      keys.set(kid, cache.get(kid));
    }
    return keys;
  }

  /** Seals one field value; throws on error. */
  async sealField(ref, value) {
    const [r] = await this.sealFields([{ ...ref, value }]);
    if (r.error) throw r.error;
    return r.ciphertext;
  }

  /** Opens one field ciphertext; throws on error. Resolves with the bytes. */
  async openField(ref, ciphertext) {
    const [r] = await this.openFields([{ ...ref, ciphertext }]);
    if (r.error) throw r.error;
    return r.value;
  }

  /**
   * Seals records of a schema (a shipped collection name or a schema object): the
   * stored form with encrypted fields and blind indexes. Each result is {record}
   * or {error}.
   */
  async sealRecords(schema, records, options) {
    const out = JSON.parse(await this.#call("sealRecords", schemaText(schema), JSON.stringify(records), options ? JSON.stringify(options) : undefined));
    return out.map((r) => (r.error ? { error: toError(r.error) } : r));
  }

  /** Seals one record; throws on error. */
  async sealRecord(schema, id, fields, options) {
    const [r] = await this.sealRecords(schema, [{ id, fields }], options);
    if (r.error) throw r.error;
    return r.record;
  }

  /**
   * Opens stored records. Each result is {id, fields, errors} (a field that cannot
   * be read is in errors, by name) or {error} for a record that cannot be read at all.
   */
  async openRecords(schema, records) {
    const out = JSON.parse(await this.#call("openRecords", schemaText(schema), JSON.stringify(records)));
    return out.map((r) => {
      if (r.error) return { error: toError(r.error) };
      for (const k of Object.keys(r.errors)) r.errors[k] = toError(r.errors[k]);
      return r;
    });
  }

  /** Opens one record; throws only if the whole record is unreadable. */
  async openRecord(schema, record) {
    const [r] = await this.openRecords(schema, [record]);
    if (r.error) throw r.error;
    return r;
  }

  /**
   * Blind-index values to query, for many queries at once: each {index, value}
   * (value: one string per field of the index) gives {values} or {error}.
   */
  async indexValuesBatch(schema, queries, options) {
    // One string table (batch.js): the index name and the value's parts per query;
    // shape says how many strings each query has.
    const strs = [];
    const shape = new Array(queries.length);
    for (let i = 0; i < queries.length; i++) {
      const { index, value } = queries[i];
      strs.push(index);
      if (Array.isArray(value)) for (const v of value) strs.push(v);
      else strs.push(value);
      shape[i] = Array.isArray(value) ? value.length + 1 : 2;
    }
    const out = await this.#call("indexValues", schemaText(schema), packed(strs), packUint32(shape), options ? JSON.stringify(options) : undefined);
    // Every query succeeded: one string, a line per query (jsbridge/space.go).
    if (typeof out === "string") return queries.length ? out.split("\n").map(indexResult) : [];
    return unpackResults(out, (b) => indexResult(asciiText(b)), itemError);
  }

  /** Blind-index values of one query (one per secret version); throws on error. */
  async indexValues(schema, index, value, options) {
    const [r] = await this.indexValuesBatch(schema, [{ index, value }], options);
    if (r.error) throw r.error;
    return r.values;
  }

  /** Whether an opened record really has value for index (indexes hold false positives). */
  async matches(schema, index, opened, value, options) {
    return this.zk.call(
      "matches",
      schemaText(schema),
      index,
      JSON.stringify({ id: opened.id, fields: opened.fields }),
      JSON.stringify(Array.isArray(value) ? value : [value]),
      options ? JSON.stringify(options) : undefined,
    );
  }

  /**
   * The current secret version (or `version`) wrapped for a recipient: a
   * Passphrase, a principal (api.Principal, e.g. from zk.principalFromPublicKey) or
   * a KeyPair. Resolves with an api.Envelope.
   */
  async envelope(recipient, { version = 0, principalId } = {}) {
    const [env] = JSON.parse(await this.#call("spaceEnvelope", recipientJSON(recipient, principalId), version));
    return env;
  }

  /** Every secret version wrapped for a recipient (after a rotation). */
  async envelopes(recipient, { principalId } = {}) {
    return JSON.parse(await this.#call("spaceEnvelope", recipientJSON(recipient, principalId), "all"));
  }

  /** Opens one more envelope of this space (another secret version) into the keyring. */
  async addEnvelope(envelope, identity) {
    this.#info = await this.#call("spaceAddEnvelope", JSON.stringify(envelope), identityJSON(identity));
    this.#dropFieldKeys();
  }

  /** Adds a new secret version and makes it current; resolves with it. */
  async rotate() {
    this.#info = await this.#call("spaceRotate");
    this.#dropFieldKeys();
    return this.#info.current;
  }

  /** Makes version v (in the keyring) the one new ciphertexts use. */
  async setCurrent(v) {
    this.#info = await this.#call("spaceSetCurrent", v);
  }

  /**
   * The keyring sealed with AES-GCM under key, a non-extractable AES-256-GCM
   * CryptoKey: what ExpiringSession stores. No secret leaves the module unsealed.
   */
  async sealKeyring(key) {
    return this.#call("spaceSealKeyring", key);
  }

  /**
   * A transform stream ({writable, readable}, for pipeThrough) that encrypts a blob:
   * plaintext bytes in, the stored blob out (header first). Memory stays bounded
   * whatever the size. The chunks are sealed with WebCrypto under the blob's key, a
   * non-extractable CryptoKey (blob.js).
   */
  blobEncryptor(blobId) {
    return transform((source) => this.encryptBlob(blobId, source));
  }

  /**
   * A transform stream ({writable, readable}) that decrypts a stored blob. It errors
   * (code "corrupt") on any damage, including a cut: act on the output only once it
   * has closed.
   */
  blobDecryptor(blobId) {
    return transform((source) => this.decryptBlob(blobId, source));
  }

  /** Encrypts a Blob, a ReadableStream or bytes; resolves with a ReadableStream. */
  encryptBlob(blobId, source) {
    return encryptStream(() => this.#call("blobEncryptBegin", blobId), toStream(source));
  }

  /** Decrypts a Blob, a ReadableStream or bytes; resolves with a ReadableStream. */
  decryptBlob(blobId, source) {
    return decryptStream((header) => this.#call("blobDecryptBegin", blobId, header), toStream(source));
  }

  /**
   * Random access: plaintext bytes [offset, offset+length) of a stored blob of
   * `size` bytes, reading only the chunks that hold them through
   * read(offset, length) → Promise<Uint8Array> (an HTTP Range request, a
   * Blob.slice). `source` may be a Blob instead of {size, read}.
   */
  async readBlobRange(blobId, source, offset, length) {
    let { size, read } = source ?? {};
    if (typeof Blob !== "undefined" && source instanceof Blob) {
      size = source.size;
      read = async (off, n) => new Uint8Array(await source.slice(off, off + n).arrayBuffer());
    }
    return this.#call("blobReadRange", blobId, size, offset, length, read);
  }

  /**
   * Releases the space now: its secrets are zeroed in the module, and its field keys
   * dropped here and in the field worker.
   */
  async close() {
    this.#dropFieldKeys();
    try {
      await super.close();
    } finally {
      forgetKeys();
    }
  }

  /** Locks the space: zeroes its secrets in the module and closes the handle. */
  async forget() {
    await this.close();
  }
}

function toStream(source) {
  if (source instanceof ReadableStream) return source;
  if (typeof Blob !== "undefined" && source instanceof Blob) return source.stream();
  const b = bytes(source, "blob source");
  return new ReadableStream({
    start(c) {
      c.enqueue(b);
      c.close();
    },
  });
}

/**
 * An RSA-4096 key pair held by the module: privateKey is a non-extractable
 * CryptoKey (store it with a KeyStore or RememberedDevice), publicKey a CryptoKey.
 */
export class KeyPair extends Handle {
  constructor(zk, info) {
    super(zk, info.handle);
    /** @type {CryptoKey} */
    this.privateKey = info.privateKey;
    /** @type {CryptoKey} */
    this.publicKey = info.publicKey;
    this.keyVersion = info.keyVersion;
    /** SHA-256 of the SubjectPublicKeyInfo, 64 hex digits. */
    this.fingerprint = info.fingerprint;
    /** The fingerprint for humans: 16 groups of 4 hex digits. */
    this.fingerprintGrouped = info.fingerprintGrouped;
    /** The public key, base64url SubjectPublicKeyInfo DER. */
    this.spki = info.spki;
    if (info.sealedKey !== undefined) this.sealedKey = info.sealedKey;
    if (info.sealedPEM !== undefined) this.sealedPEM = info.sealedPEM;
    if (info.principal !== undefined) this.principal = info.principal;
    if (info.principalId !== undefined) this.principalId = info.principalId;
    if (info.sealedGroupKeys !== undefined) this.sealedGroupKeys = info.sealedGroupKeys;
  }

  /** The public key as a PEM "PUBLIC KEY" block, to paste or upload. */
  get publicKeyPEM() {
    const b64 = this.spki.replaceAll("-", "+").replaceAll("_", "/");
    const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
    return `-----BEGIN PUBLIC KEY-----\n${padded.match(/.{1,64}/g).join("\n")}\n-----END PUBLIC KEY-----\n`;
  }

  /** The api.Principal of this key pair (without sealed key) for id. */
  async principalFor(id, kind = "user") {
    return (await this.zk.call("keyInfo", this.handle, id, kind)).principal;
  }

  /** @internal */
  toIdentity() {
    return { key: this.handle };
  }
}

/** The two keys of a legacy vault, to read its enc:v1 and CTXE values and indexes. */
export class LegacyKeys extends Handle {
  constructor(zk, info) {
    super(zk, info.handle);
  }
  /**
   * Decrypts enc:v1 strings and CTXE bytes, many at once: each result is
   * {value, text} or {error} (code "not_encrypted" for a value in clear).
   */
  async decrypt(values) {
    const out = await this.zk.call("legacyDecrypt", this.handle, values);
    return out.map((r) => (r.error ? { error: toError(r.error) } : { value: r.value, text: utf8d.decode(r.value) }));
  }
  /** Legacy blind indexes of normalised values (zk.legacyNormalize). */
  async index(normalised) {
    return this.zk.call("legacyIndex", this.handle, JSON.stringify(normalised));
  }
}

/**
 * Starts zkvault.wasm and resolves with the API once it is ready.
 * @param {import("../index.js").LoadOptions} [options]
 * @returns {Promise<Zkvault>}
 */
export async function load(options) {
  const api = await loadModule(options);
  return new Zkvault(api);
}
