// The field worker (started by fieldcrypto.js): decrypts and unpads the tail of a
// field batch (fieldopen.js decryptPrepared) with WebCrypto on a thread of its own. It holds AES-GCM CryptoKeys that
// the page posted to it (non-extractable; structured clones of the module's) and
// nothing else, and drops them all on "forget". Messages:
//
//   {op: "key", id, key}              keep key under id
//   {op: "open", req, n, meta, raw, aad, ids}
//                                     decrypt and unpad n items that the page checked
//                                     and decoded (fieldopen.js prepareFields), ids:
//                                     the key of each slot. Jobs run one at a time, in
//                                     order: → {op: "started", req} when one starts,
//                                     then {req, buf, lens, busy, done}
//                                     (fieldcrypto.js openPacked), buffers
//                                     transferred; busy: ms spent, done: when (ms
//                                     since the epoch, high resolution)
//   {op: "cancel", req}               do not start job req (the page took it back):
//                                     → {req, cancelled: true} if it had not started
//   {op: "forget"}                    drop every key
//   {op: "keys", req}                 → {req, keys}: how many keys it holds (tests)
//
// It posts {op: "ready"} once it runs.

import { openPacked, yieldToEvents } from "./fieldcrypto.js";

/** @type {Map<number, CryptoKey>} */
const keys = new Map();

/** Jobs not started yet, in order. */
const queue = [];
let running = false;

self.onmessage = (e) => {
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
    case "cancel": {
      const i = queue.findIndex((j) => j.req === m.req);
      if (i >= 0) {
        queue.splice(i, 1);
        self.postMessage({ req: m.req, cancelled: true });
      }
      return;
    }
    case "open":
      queue.push(m);
      if (!running) run();
      return;
  }
};

/** Runs the queued jobs one after the other (cancel messages arrive in between). */
async function run() {
  running = true;
  // Decryptions settle in microtasks: without a yield before each job, the messages
  // posted after it (the batch's other jobs, cancels) would wait for all of them.
  while ((await yieldToEvents(), queue.length)) {
    const m = queue.shift();
    self.postMessage({ op: "started", req: m.req });
    const t0 = performance.now();
    const slots = m.ids.map((id) => keys.get(id));
    if (slots.some((k) => !k)) {
      self.postMessage({ req: m.req, error: "no such key" });
      continue;
    }
    try {
      const r = await openPacked(m, slots);
      const t1 = performance.now();
      self.postMessage({ req: m.req, ...r, busy: t1 - t0, done: performance.timeOrigin + t1 }, [r.buf.buffer, r.lens.buffer]);
    } catch (err) {
      self.postMessage({ req: m.req, error: String(err?.message ?? err) });
    }
  }
  running = false;
}

self.postMessage({ op: "ready" });
