// IndexedDB, reduced to the four operations the key store and the sessions need.
//
// One database (default name "zkvault") holds two object stores, both created in the
// one upgrade at open (like bbolt buckets): "keys" for long-term CryptoKeys and
// "sessions" for expiring sessions. Values are stored by structured clone, which is
// how a non-extractable CryptoKey is kept: the browser stores it, script can only use
// it, never read its bytes.
//
// A Backend is { get(key), put(key, value), delete(key), keys() }, each returning a
// promise. idbBackend is the real one; tests in Node inject an in-memory one.

/** The database name used unless an app chooses another. */
export const DEFAULT_DB_NAME = "zkvault";

/** Object store for long-term keys (KeyStore, RememberedDevice). */
export const KEYS_STORE = "keys";

/** Object store for expiring sessions (ExpiringSession). */
export const SESSIONS_STORE = "sessions";

const STORES = [KEYS_STORE, SESSIONS_STORE];

/** @type {Map<string, Promise<IDBDatabase>>} open connections, by database name */
const connections = new Map();

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open(factory, dbName) {
  let db = connections.get(dbName);
  if (db) return db;
  db = (async () => {
    // Open at whatever version exists (a new database is created at version 1 with
    // the stores). Should it lack a store (created by other code), upgrade it once.
    const conn = await openAt(factory, dbName, undefined);
    if (STORES.every((s) => conn.objectStoreNames.contains(s))) return watch(conn, dbName);
    const version = conn.version + 1;
    conn.close();
    return watch(await openAt(factory, dbName, version), dbName);
  })();
  db.catch(() => connections.delete(dbName));
  connections.set(dbName, db);
  return db;
}

function openAt(factory, dbName, version) {
  return new Promise((resolve, reject) => {
    const req = version === undefined ? factory.open(dbName) : factory.open(dbName, version);
    req.onupgradeneeded = () => {
      for (const name of STORES) {
        if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    // onblocked: another tab still holds the old version open; it closes on
    // versionchange (see watch), and then this request goes on by itself.
  });
}

function watch(conn, dbName) {
  // Another tab upgrading or deleting the database: let it, and reopen next time.
  conn.onversionchange = () => {
    conn.close();
    connections.delete(dbName);
  };
  conn.onclose = () => connections.delete(dbName);
  return conn;
}

/**
 * Runs one request in its own transaction and resolves once the transaction has
 * committed (not merely when the request succeeded), so a caller that awaits a put
 * and then reloads the page finds the value.
 */
async function run(getFactory, dbName, storeName, mode, makeRequest) {
  const db = await open(getFactory(), dbName);
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    const req = makeRequest(tx.objectStore(storeName));
    promisify(req).then((r) => { result = r; }, () => {});
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error ?? req.error);
    tx.onabort = () => reject(tx.error ?? new Error("zkvault: IndexedDB transaction aborted"));
  });
}

/**
 * A Backend over one object store of an IndexedDB database.
 * @param {string} storeName KEYS_STORE or SESSIONS_STORE
 * @param {{dbName?: string, indexedDB?: IDBFactory}} [options]
 */
export function idbBackend(storeName, options = {}) {
  if (!STORES.includes(storeName)) throw new TypeError(`zkvault: unknown object store ${storeName}`);
  const dbName = options.dbName ?? DEFAULT_DB_NAME;
  // Looked up at first use, so that constructing a store where there is no IndexedDB
  // (server-side rendering, Node) does not fail; using it does.
  const factory = () => {
    const f = options.indexedDB ?? globalThis.indexedDB;
    if (!f) throw new Error("zkvault: IndexedDB is not available here; keys can only be stored in a browser (or pass a backend)");
    return f;
  };
  return {
    get: (key) => run(factory, dbName, storeName, "readonly", (s) => s.get(key)),
    put: (key, value) => run(factory, dbName, storeName, "readwrite", (s) => s.put(value, key)).then(() => {}),
    delete: (key) => run(factory, dbName, storeName, "readwrite", (s) => s.delete(key)).then(() => {}),
    keys: () => run(factory, dbName, storeName, "readonly", (s) => s.getAllKeys()),
  };
}

/**
 * Checks that an injected backend has the four methods.
 * @returns {import("../index.js").Backend}
 */
export function checkBackend(backend) {
  for (const m of ["get", "put", "delete", "keys"]) {
    if (typeof backend?.[m] !== "function") throw new TypeError(`zkvault: backend must have a ${m}() method`);
  }
  return backend;
}
