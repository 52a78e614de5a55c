// The field worker (started by fieldcrypto.js): opens the tail of a field batch with
// WebCrypto on a thread of its own (fieldcrypto.js openStrings: the checks and
// decoding of fieldopen.js, the decryptions, the texts). It keeps AES-GCM CryptoKeys
// that the page posted to it (non-extractable; structured clones of the module's) and
// nothing else between jobs, and drops them all on "forget". Messages:
//
//   {op: "key", id, key}              keep key under id
//   {op: "open", req, spaceId, all, lens, kids}
//                                     open the items whose strings (4 per item) are
//                                     all, cut at the lengths lens (Int32Array);
//                                     kids: key id, then the id of its key (0: not in
//                                     the keyring), for each version the batch names.
//                                     Jobs run one at a time, in order: → {op:
//                                     "started", req} when one starts, then {req,
//                                     text, offs, lens, bytes, errs, busy, done}
//                                     (openStrings' result; busy: ms spent, done:
//                                     when, ms since the epoch, high resolution)
//   {op: "cancel", req}               do not start job req (the page took it back):
//                                     → {req, cancelled: true} if it had not started
//   {op: "forget"}                    drop every key
//   {op: "keys", req}                 → {req, keys}: how many keys it holds (tests)
//
// It posts {op: "ready"} once it runs.

import { openStrings, yieldToEvents } from "./fieldcrypto.js";

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
    const byKid = new Map();
    let missing = false;
    for (let i = 0; i < m.kids.length; i += 2) {
      const id = m.kids[i + 1];
      const key = id === 0 ? null : keys.get(id);
      if (key === undefined) missing = true;
      byKid.set(m.kids[i], key);
    }
    if (missing) {
      self.postMessage({ req: m.req, error: "no such key" });
      continue;
    }
    try {
      const all = m.all;
      const strs = new Array(m.lens.length);
      for (let i = 0, off = 0; i < strs.length; i++) {
        strs[i] = all.substring(off, (off += m.lens[i]));
      }
      const r = await openStrings(m.spaceId, strs, byKid);
      const t1 = performance.now();
      self.postMessage({ req: m.req, ...r, busy: t1 - t0, done: performance.timeOrigin + t1 }, [r.offs.buffer, r.lens.buffer]);
    } catch (err) {
      self.postMessage({ req: m.req, error: String(err?.message ?? err) });
    }
  }
  running = false;
}

self.postMessage({ op: "ready" });
