// KeyStore: long-term private keys kept in the browser as non-extractable CryptoKeys.
//
// # Security
//
// A CryptoKey created or imported with extractable=false can be used by script on
// this origin (decrypt, unwrapKey, sign) but its bytes can never be read back:
// exportKey and wrapKey fail. IndexedDB stores such a key by structured clone and
// gives back a key that is still non-extractable. So put refuses an extractable
// private key: storing one would hand its bytes to any script that can read the
// database. It does not protect against script that runs on the origin while the
// key is stored: that script can use the key, though it cannot copy it elsewhere.
//
// # Names
//
//   user:<principalId>   the signed-in user's private key (userKeyName)
//   zkvault-master-key   the platform recovery (master) key (MASTER_KEY_NAME); the
//                        system in hcw-encryption.md used "hcw-master-key"

import { checkBackend, idbBackend, KEYS_STORE } from "./idb.js";

/** Name of the platform master (recovery) key in the key store. */
export const MASTER_KEY_NAME = "zkvault-master-key";

const MAX_NAME_LENGTH = 512;

/**
 * Name under which a user's private key is stored.
 * @param {string} principalId
 */
export function userKeyName(principalId) {
  if (typeof principalId !== "string" || principalId === "") {
    throw new TypeError("zkvault: principalId must be a non-empty string");
  }
  return `user:${principalId}`;
}

function checkName(name) {
  if (typeof name !== "string" || name === "" || name.length > MAX_NAME_LENGTH) {
    throw new TypeError(`zkvault: key name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

function isCryptoKey(k) {
  return typeof CryptoKey !== "undefined" && k instanceof CryptoKey;
}

/**
 * Throws unless key is a non-extractable private or secret CryptoKey.
 * @param {unknown} key
 * @param {string} what for the message
 */
export function checkNonExtractable(key, what = "privateKey") {
  if (!isCryptoKey(key)) throw new TypeError(`zkvault: ${what} must be a CryptoKey`);
  if (key.type !== "private" && key.type !== "secret") {
    throw new TypeError(`zkvault: ${what} must be a private or secret key, not ${key.type}`);
  }
  if (key.extractable) {
    throw new Error(
      `zkvault: refusing to store an extractable ${what}; create or import it with extractable=false`,
    );
  }
  return key;
}

export class KeyStore {
  #backend;

  /**
   * @param {{dbName?: string, indexedDB?: IDBFactory, backend?: import("../index.js").Backend}} [options]
   */
  constructor(options = {}) {
    this.#backend = options.backend ? checkBackend(options.backend) : idbBackend(KEYS_STORE, options);
  }

  /**
   * Stores a key pair under name, replacing what was there.
   * @param {string} name
   * @param {{privateKey: CryptoKey, publicKey?: CryptoKey, meta?: object}} entry
   */
  async put(name, entry) {
    checkName(name);
    const { privateKey, publicKey, meta } = entry ?? {};
    checkNonExtractable(privateKey);
    if (publicKey !== undefined && (!isCryptoKey(publicKey) || publicKey.type !== "public")) {
      throw new TypeError("zkvault: publicKey must be a public CryptoKey");
    }
    if (meta !== undefined && (meta === null || typeof meta !== "object")) {
      throw new TypeError("zkvault: meta must be an object");
    }
    await this.#backend.put(name, {
      privateKey,
      publicKey: publicKey ?? null,
      meta: meta ?? {},
      storedAt: Date.now(),
    });
  }

  /**
   * The entry stored under name, or null.
   * @param {string} name
   * @returns {Promise<{privateKey: CryptoKey, publicKey: CryptoKey | null, meta: object, storedAt: number} | null>}
   */
  async get(name) {
    checkName(name);
    const v = await this.#backend.get(name);
    if (v == null) return null;
    // Refuse to hand out anything that is not what put accepts (written by other code).
    checkNonExtractable(v.privateKey, `stored key ${name}`);
    return { privateKey: v.privateKey, publicKey: v.publicKey ?? null, meta: v.meta ?? {}, storedAt: v.storedAt };
  }

  /**
   * Deletes the entry stored under name; deleting a missing entry is not an error.
   * @param {string} name
   */
  async delete(name) {
    checkName(name);
    await this.#backend.delete(name);
  }

  /**
   * Names of all stored entries, sorted.
   * @returns {Promise<string[]>}
   */
  async list() {
    const keys = await this.#backend.keys();
    return keys.map(String).sort();
  }
}
