// The field worker (started by fieldcrypto.js): decrypts and unpads the tail of a
// field batch (fieldopen.js decryptPrepared) with WebCrypto on a thread of its own. It holds AES-GCM CryptoKeys that
// the page posted to it (non-extractable; structured clones of the module's) and
// nothing else, and drops them all on "forget". Messages:
//
//   {op: "key", id, key}              keep key under id
//   {op: "open", req, n, meta, raw, aad, ids}
//                                     decrypt and unpad n items that the page checked
//                                     and decoded (fieldopen.js prepareFields; buffers
//                                     transferred), ids: the key of each slot →
//                                     {req, buf, lens, tlens, text, busy, done}
//                                     (fieldcrypto.js openPacked), buffers
//                                     transferred; busy: ms spent, done: when (ms
//                                     since the epoch, high resolution)
//   {op: "forget"}                    drop every key
//   {op: "keys", req}                 → {req, keys}: how many keys it holds (tests)
//
// It posts {op: "ready"} once it runs.

import { openPacked } from "./fieldcrypto.js";

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
      const slots = m.ids.map((id) => keys.get(id));
      if (slots.some((k) => !k)) {
        self.postMessage({ req: m.req, error: "no such key" });
        return;
      }
      try {
        const r = await openPacked(m, slots);
        const t1 = performance.now();
        self.postMessage({ req: m.req, ...r, busy: t1 - t0, done: performance.timeOrigin + t1 }, [r.buf.buffer, r.lens.buffer, r.tlens.buffer]);
      } catch (err) {
        self.postMessage({ req: m.req, error: String(err?.message ?? err) });
      }
      return;
    }
  }
};

self.postMessage({ op: "ready" });
