// Steps of the key-storage tests, run under the page's CSP. The suite calls them
// through window.runStep (common.js); the package code runs here, in the page.
import { ExpiringSession, KeyStore, RememberedDevice } from "/pkg/src/index.js";
import { b64, hex, publish } from "/pages/common.js";

const RSA = { name: "RSA-OAEP", modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
const state = {}; // page memory: gone at every reload

async function exportFails(key) {
  const out = {};
  for (const format of ["pkcs8", "jwk"]) {
    try {
      await crypto.subtle.exportKey(format, key);
      out[format] = "exported";
    } catch (err) {
      out[format] = err.name;
    }
  }
  return out;
}

async function decrypt(privateKey, ciphertext) {
  const plain = await crypto.subtle.decrypt({ name: "RSA-OAEP" }, privateKey, b64.decode(ciphertext));
  return new TextDecoder().decode(plain);
}

/** Every record of an object store of the zkvault database, read around the package. */
function rawRecords(storeName) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("zkvault");
    // Never create the database here: that is the package's job.
    req.onupgradeneeded = () => req.transaction.abort();
    req.onerror = () => (req.error?.name === "AbortError" ? resolve({}) : reject(req.error));
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(storeName)) {
        db.close();
        resolve({});
        return;
      }
      const tx = db.transaction(storeName);
      const store = tx.objectStore(storeName);
      const keys = store.getAllKeys();
      const values = store.getAll();
      tx.oncomplete = () => {
        db.close();
        resolve(Object.fromEntries(keys.result.map((k, i) => [k, values.result[i]])));
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

/** Whether needle occurs in any bytes or string reachable from v. */
function containsBytes(v, needle, seen = new Set()) {
  if (v === null || typeof v !== "object") {
    return typeof v === "string" && (v.includes(hex(needle)) || v.includes(b64.encode(needle)));
  }
  if (seen.has(v)) return false;
  seen.add(v);
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    const h = new Uint8Array(v instanceof ArrayBuffer ? v : v.buffer, v.byteOffset ?? 0, v.byteLength);
    outer: for (let i = 0; i + needle.length <= h.length; i++) {
      for (let j = 0; j < needle.length; j++) if (h[i + j] !== needle[j]) continue outer;
      return true;
    }
    return false;
  }
  if (v instanceof CryptoKey) return false; // opaque to script
  return Object.values(v).some((x) => containsBytes(x, needle, seen));
}

function webStorage() {
  const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
  return { localStorage: dump(localStorage), sessionStorage: dump(sessionStorage), cookie: document.cookie };
}

publish({
  cspBlocksEval() {
    try {
      // eslint-disable-next-line no-eval
      (0, eval)("1");
      return false;
    } catch (err) {
      return err instanceof EvalError;
    }
  },

  async generate() {
    const t0 = performance.now();
    state.pair = await crypto.subtle.generateKey(RSA, false, ["encrypt", "decrypt"]);
    return {
      ms: Math.round(performance.now() - t0),
      spki: b64.encode(await crypto.subtle.exportKey("spki", state.pair.publicKey)),
      extractable: state.pair.privateKey.extractable,
      exportPrivate: await exportFails(state.pair.privateKey),
    };
  },

  async refusesExtractable() {
    const ext = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
    const errors = [];
    for (const attempt of [
      () => new KeyStore().put("user:ext", { privateKey: ext.privateKey }),
      () => new RememberedDevice("user:ext").remember(ext.privateKey),
      () => new ExpiringSession({ name: "ext" }).store(ext.privateKey),
    ]) {
      try {
        await attempt();
        errors.push(null);
      } catch (err) {
        errors.push(err.message);
      }
    }
    return { errors, keys: Object.keys(await rawRecords("keys")), sessions: Object.keys(await rawRecords("sessions")) };
  },

  async remember(name) {
    await new RememberedDevice(name).remember(state.pair.privateKey, { publicKey: state.pair.publicKey, meta: { name } });
  },

  async startSession(name, ttlMs) {
    return new ExpiringSession({ name, ttlMs }).store(state.pair.privateKey);
  },

  /** Decrypts with the remembered key: null if there is none. */
  async rememberedDecrypt(name, ciphertext) {
    const entry = await new RememberedDevice(name).load();
    if (entry === null) return null;
    return {
      plaintext: await decrypt(entry.privateKey, ciphertext),
      extractable: entry.privateKey.extractable,
      exportPrivate: await exportFails(entry.privateKey),
      meta: entry.meta,
      hasPublicKey: entry.publicKey instanceof CryptoKey,
    };
  },

  /** Decrypts with the session's key, clock shifted by skewMs: null if none. */
  async sessionDecrypt(name, ciphertext, skewMs = 0) {
    const s = new ExpiringSession({ name, now: () => Date.now() + skewMs });
    const key = await s.load();
    if (key === null) return null;
    return {
      plaintext: await decrypt(key, ciphertext),
      extractable: key.extractable,
      exportPrivate: await exportFails(key),
      timeLeft: await s.timeLeft(),
    };
  },

  async forget(name) {
    await new RememberedDevice(name).forget();
  },

  async storeSecret(name, ttlMs) {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const expiresAt = await new ExpiringSession({ name, ttlMs }).store(secret);
    // Kept by the test runner, not by the page: after a reload the page has only
    // what the package stored.
    return { secret: hex(secret), expiresAt };
  },

  async loadSecret(name) {
    const s = new ExpiringSession({ name });
    const got = await s.load();
    return { secret: got === null ? null : hex(got), timeLeft: await s.timeLeft() };
  },

  async lock(name) {
    await new ExpiringSession({ name }).lock();
  },

  /** Looks for the secret in web storage, cookies and every raw IndexedDB record. */
  async scan(secretHex) {
    const secret = Uint8Array.from(secretHex.match(/../g), (h) => parseInt(h, 16));
    const web = webStorage();
    const sessions = await rawRecords("sessions");
    const keys = await rawRecords("keys");
    const describe = (r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          Object.fromEntries(Object.entries(v).map(([f, x]) => [f, x instanceof CryptoKey ? `CryptoKey(extractable=${x.extractable})` : typeof x === "object" && x !== null ? x.constructor.name : typeof x])),
        ]),
      );
    return {
      web,
      inWebStorage: containsBytes(web, secret),
      inIndexedDB: containsBytes(sessions, secret) || containsBytes(keys, secret),
      sessions: describe(sessions),
    };
  },

  /** A database that exists without the package's stores (made by other code) is upgraded. */
  async upgradesForeignDatabase() {
    const dbName = "zkvault-upgrade-test";
    await new Promise((resolve, reject) => {
      const del = indexedDB.deleteDatabase(dbName);
      del.onsuccess = resolve;
      del.onerror = () => reject(del.error);
    });
    await new Promise((resolve, reject) => {
      const req = indexedDB.open(dbName, 1); // version 1, no object stores
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const ks = new KeyStore({ dbName });
    const before = await ks.list();
    const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    await ks.put("user:x", { privateKey });
    const after = await ks.list();
    const secret = new Uint8Array(32).fill(7);
    await new ExpiringSession({ name: "s", dbName }).store(secret);
    const loaded = await new ExpiringSession({ name: "s", dbName }).load();
    return { before, after, sessionWorks: loaded?.length === 32 && loaded[0] === 7 };
  },

  async records() {
    return { keys: Object.keys(await rawRecords("keys")), sessions: Object.keys(await rawRecords("sessions")) };
  },
});
