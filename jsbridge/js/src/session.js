// Two ways for an app to keep an unlocked key in the browser, chosen by the app.
//
// ExpiringSession: kept for a limited time (default one hour), across page reloads.
//   A secret (for example a space secret, 32 bytes) is stored only encrypted, with
//   AES-256-GCM under a fresh non-extractable "session wrapping key" that is stored
//   beside it in IndexedDB; the associated data binds the ciphertext to the session
//   name and its expiry time, so an edited expiry fails to decrypt. A private key is
//   stored as it is, a non-extractable CryptoKey. Once the expiry has passed, the
//   next load or timeLeft deletes the record (wrapping key and ciphertext together, in
//   one operation) and reports nothing; lock deletes it at once.
//   An unlocked space is stored with storeSpace: its keyring is sealed by the Go module
//   under the session key (Space.sealKeyring), so its secrets never exist in JavaScript,
//   and loadSpace unlocks it again in the module.
//
// RememberedDevice: "remember this browser". A non-extractable private key kept in the
//   KeyStore until forget() (logout, or the user un-ticks the box).
//
// # Security
//
// Nothing is ever written to localStorage or sessionStorage, and no raw key or
// passphrase is written anywhere: the only secret bytes at rest are AES-GCM
// ciphertext. What this buys is that a stored key cannot be copied out by script
// (non-extractable), and that an unlocked secret stops being usable after its
// expiry. Script running on the origin while a session is live can still use the
// keys (and load the secret), as the app itself does: keeping script out (CSP) is
// the defence against that.

import { checkBackend, idbBackend, SESSIONS_STORE } from "./idb.js";
import { KeyStore, checkNonExtractable } from "./keystore.js";

/** Default lifetime of an ExpiringSession: one hour. */
export const DEFAULT_TTL_MS = 60 * 60 * 1000;

/** Longest lifetime an ExpiringSession accepts; longer belongs to RememberedDevice. */
export const MAX_TTL_MS = 24 * 60 * 60 * 1000;

/** Largest secret an ExpiringSession stores (the secrets it is for are 32 bytes). */
export const MAX_SECRET_BYTES = 64 * 1024;

// Versioned domain-separation label in the associated data of a wrapped secret.
const SESSION_AAD_LABEL = "zkvault.session.v1";
const RECORD_VERSION = 1;

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error("zkvault: WebCrypto (crypto.subtle) is not available; a secure context (https) is required");
  return s;
}

function aad(name, kind, expiresAt) {
  return new TextEncoder().encode(`${SESSION_AAD_LABEL}\0${kind}\0${name}\0${expiresAt}`);
}

export class ExpiringSession {
  #backend;
  #name;
  #ttlMs;
  #now;

  /**
   * @param {{
   *   name?: string, ttlMs?: number, now?: () => number,
   *   dbName?: string, indexedDB?: IDBFactory, backend?: import("../index.js").Backend
   * }} [options] name tells sessions apart (for example "space:<id>"); now is the
   *   clock in milliseconds since the epoch (Date.now unless injected)
   */
  constructor(options = {}) {
    const { name = "default", ttlMs = DEFAULT_TTL_MS, now = Date.now } = options;
    if (typeof name !== "string" || name === "" || name.length > 512) {
      throw new TypeError("zkvault: session name must be a non-empty string of at most 512 characters");
    }
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) {
      throw new RangeError(`zkvault: ttlMs must be a number of milliseconds in (0, ${MAX_TTL_MS}]`);
    }
    if (typeof now !== "function") throw new TypeError("zkvault: now must be a function returning milliseconds");
    this.#name = name;
    this.#ttlMs = ttlMs;
    this.#now = now;
    this.#backend = options.backend ? checkBackend(options.backend) : idbBackend(SESSIONS_STORE, options);
  }

  /** The session's name. */
  get name() {
    return this.#name;
  }

  /**
   * Starts (or restarts) the session with value, replacing what it held.
   * @param {Uint8Array | CryptoKey} value secret bytes (stored encrypted; the caller's
   *   array is not kept) or a non-extractable private or secret CryptoKey
   * @returns {Promise<number>} the expiry time, in milliseconds since the epoch
   */
  async store(value) {
    const expiresAt = this.#now() + this.#ttlMs;
    let record;
    if (value instanceof Uint8Array) {
      if (value.length === 0 || value.length > MAX_SECRET_BYTES) {
        throw new RangeError(`zkvault: secret must be 1 to ${MAX_SECRET_BYTES} bytes`);
      }
      const wrappingKey = await subtle().generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
      const ciphertext = await subtle().encrypt(
        { name: "AES-GCM", iv, additionalData: aad(this.#name, "bytes", expiresAt) },
        wrappingKey,
        value,
      );
      record = { v: RECORD_VERSION, kind: "bytes", wrappingKey, iv, ciphertext, expiresAt };
    } else {
      checkNonExtractable(value, "session key");
      record = { v: RECORD_VERSION, kind: "key", key: value, expiresAt };
    }
    await this.#backend.put(this.#name, record);
    return expiresAt;
  }

  /**
   * Starts (or restarts) the session with an unlocked space. The space's keyring is
   * sealed inside the module (space.sealKeyring) under a fresh non-extractable
   * AES-256-GCM key stored beside it: no secret byte is ever in JavaScript, and at
   * rest there is only the sealed keyring and a key that script cannot read.
   * @param {import("./zkvault.js").Space} space
   * @returns {Promise<number>} the expiry time, in milliseconds since the epoch
   */
  async storeSpace(space) {
    if (typeof space?.sealKeyring !== "function") throw new TypeError("zkvault: storeSpace needs a Space");
    const expiresAt = this.#now() + this.#ttlMs;
    const wrappingKey = await subtle().generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    const sealed = await space.sealKeyring(wrappingKey);
    await this.#backend.put(this.#name, { v: RECORD_VERSION, kind: "space", spaceId: space.id, wrappingKey, sealed, expiresAt });
    return expiresAt;
  }

  /**
   * The space this session holds, unlocked again in the module, or null if there is
   * none or it has expired. A record that fails to open is deleted and reported.
   * @param {import("./zkvault.js").Zkvault} zk the loaded API
   * @returns {Promise<import("./zkvault.js").Space | null>}
   */
  async loadSpace(zk) {
    const record = await this.#live();
    if (record === null) return null;
    if (record.kind === "space") {
      try {
        return await zk.openSealedSpace(record.spaceId, record.wrappingKey, record.sealed);
      } catch {
        // Fall through: tampered or corrupt.
      }
    }
    await this.lock();
    throw new Error("zkvault: the stored session could not be read and has been removed; unlock again");
  }

  /**
   * What the session holds, or null if there is none or it has expired (an expired
   * one is deleted). A stored record that fails to decrypt is deleted and reported.
   * @returns {Promise<Uint8Array | CryptoKey | null>}
   */
  async load() {
    const record = await this.#live();
    if (record === null) return null;
    if (record.kind === "space") throw new TypeError("zkvault: this session holds a space: use loadSpace(zk)");
    if (record.kind === "key") {
      try {
        return checkNonExtractable(record.key, "session key");
      } catch (err) {
        await this.lock();
        throw err;
      }
    }
    if (record.kind === "bytes") {
      try {
        const plain = await subtle().decrypt(
          { name: "AES-GCM", iv: record.iv, additionalData: aad(this.#name, "bytes", record.expiresAt) },
          record.wrappingKey,
          record.ciphertext,
        );
        return new Uint8Array(plain);
      } catch {
        // Fall through: tampered or corrupt.
      }
    }
    await this.lock();
    throw new Error("zkvault: the stored session could not be read and has been removed; unlock again");
  }

  /**
   * Milliseconds until the session expires; 0 if there is none (an expired one is
   * deleted).
   * @returns {Promise<number>}
   */
  async timeLeft() {
    const record = await this.#live();
    return record === null ? 0 : record.expiresAt - this.#now();
  }

  /** Ends the session now: deletes the wrapping key and the wrapped secret. */
  async lock() {
    await this.#backend.delete(this.#name);
  }

  /**
   * Deletes every expired session in the database (sessions of other names too, for
   * example ones whose tab was closed before they expired). Call it at startup.
   * @param {{now?: () => number, dbName?: string, indexedDB?: IDBFactory, backend?: import("../index.js").Backend}} [options]
   * @returns {Promise<number>} how many were deleted
   */
  static async sweep(options = {}) {
    const backend = options.backend ? checkBackend(options.backend) : idbBackend(SESSIONS_STORE, options);
    const now = (options.now ?? Date.now)();
    let n = 0;
    for (const key of await backend.keys()) {
      const r = await backend.get(key);
      if (r != null && !(now < r.expiresAt)) {
        await backend.delete(key);
        n++;
      }
    }
    return n;
  }

  async #live() {
    const record = await this.#backend.get(this.#name);
    if (record == null) return null;
    // Anything unreadable, from a future version, or without a numeric expiry counts
    // as expired; NaN compares false, so !(now < expiresAt) catches it too.
    if (record.v !== RECORD_VERSION || !(this.#now() < record.expiresAt)) {
      await this.lock();
      return null;
    }
    return record;
  }
}

export class RememberedDevice {
  #store;
  #name;

  /**
   * @param {string} name key store name: userKeyName(principalId) or MASTER_KEY_NAME
   * @param {{dbName?: string, indexedDB?: IDBFactory, backend?: import("../index.js").Backend}} [options]
   */
  constructor(name, options = {}) {
    if (typeof name !== "string" || name === "") throw new TypeError("zkvault: name must be a non-empty string");
    this.#name = name;
    this.#store = new KeyStore(options);
  }

  /** The key store name. */
  get name() {
    return this.#name;
  }

  /**
   * Keeps privateKey in this browser until forget().
   * @param {CryptoKey} privateKey non-extractable
   * @param {{publicKey?: CryptoKey, meta?: object}} [extra]
   */
  async remember(privateKey, extra = {}) {
    await this.#store.put(this.#name, { privateKey, publicKey: extra.publicKey, meta: extra.meta });
  }

  /**
   * The remembered key pair, or null.
   * @returns {Promise<{privateKey: CryptoKey, publicKey: CryptoKey | null, meta: object, storedAt: number} | null>}
   */
  async load() {
    return this.#store.get(this.#name);
  }

  /** Removes the key from this browser. */
  async forget() {
    await this.#store.delete(this.#name);
  }
}
