// The field worker (started by fieldcrypto.js): opens the tail of a field batch with
// WebCrypto on a thread of its own. It holds AES-GCM CryptoKeys that the page posted
// to it (non-extractable; structured clones of the module's) and nothing else, and
// drops them all on "forget". Messages:
//
//   {op: "key", id, key}              keep key under id
//   {op: "open", req, id, buf, lens, n}  open n messages under key id (the format of
//                                     fieldcrypto.js openBatch; buf and lens are
//                                     transferred) → {req, out, busy, done}, out
//                                     transferred; busy: ms spent, done: when (ms
//                                     since the epoch, high resolution)
//   {op: "forget"}                    drop every key
//   {op: "keys", req}                 → {req, keys}: how many keys it holds (tests)
//
// It posts {op: "ready"} once it runs.

import { decryptInto } from "./fieldcrypto.js";

/** @type {Map<number, CryptoKey>} */
const keys = new Map();

self.onmessage = async (e) => {
  const m = e.data;
  switch (m.op) {
    case "key":
      keys.set(m.id, m.key);
      return;
    case "forget":
      keys.clear();
      return;
    case "keys":
      self.postMessage({ req: m.req, keys: keys.size });
      return;
    case "open": {
      const t0 = performance.now();
      const key = keys.get(m.id);
      if (!key) {
        self.postMessage({ req: m.req, error: "no such key" });
        return;
      }
      try {
        const dv = new DataView(m.lens.buffer, m.lens.byteOffset, m.lens.byteLength);
        let size = m.n;
        for (let i = 0; i < m.n; i++) size += dv.getUint32(8 * i, true) - 16;
        const out = new Uint8Array(size);
        await decryptInto(key, m.buf, dv, m.n, out, m.n);
        const t1 = performance.now();
        self.postMessage({ req: m.req, out, busy: t1 - t0, done: performance.timeOrigin + t1 }, [out.buffer]);
      } catch (err) {
        self.postMessage({ req: m.req, error: String(err?.message ?? err) });
      }
      return;
    }
  }
};

self.postMessage({ op: "ready" });
