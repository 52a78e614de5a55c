// @zkvault/zkvault: zkvault's crypto core in WebAssembly, and where a browser keeps
// its keys. Start with `const zk = await load()`; see README.md.

export { load, Zkvault, Space, KeyPair, LegacyKeys, Passphrase, ZkvaultError, ERROR_CODES } from "./zkvault.js";
export { load as loadModule, READY_ENV, READY_PREFIX, DEFAULT_READY_TIMEOUT_MS } from "./loader.js";
export { KeyStore, MASTER_KEY_NAME, userKeyName } from "./keystore.js";
export { ExpiringSession, RememberedDevice, DEFAULT_TTL_MS, MAX_TTL_MS, MAX_SECRET_BYTES } from "./session.js";
export { DEFAULT_DB_NAME } from "./idb.js";
