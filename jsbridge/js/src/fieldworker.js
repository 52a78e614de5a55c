// The field worker (started by fieldcrypto.js): opens the tail of a field batch on a
// thread of its own (fieldcrypto.js openChunk: the decryptions, the unpadding and the
// texts of items the page checked and decoded), with its own AES-GCM module (gcm.js)
// where the page gave it the field keys, else with WebCrypto. It keeps, between
// jobs, the AES-GCM CryptoKeys the page posted to it (non-extractable; structured
// clones of the module's) and the expanded field keys in its AES-GCM module, and
// drops them all on "forget". Messages:
//
//   {op: "key", id, key}              keep CryptoKey key under id
//   {op: "gcmkey", id, key}           set up the field key of 32 bytes key (a
//                                     transferred Uint8Array, zeroed once expanded)
//                                     under id in the AES-GCM module
//   {op: "open", req, n, meta, raw, aad, slots, kids, gids}
//                                     open the n items the page prepared
//                                     (fieldopen.js prepareFields: meta, raw, aad,
//                                     whose buffers are transferred, and slots, the
//                                     key id of each key slot); kids: key id, then
//                                     the id of its CryptoKey, for each version;
//                                     gids: key id, then the id of its field key in
//                                     the AES-GCM module, for those it was given.
//                                     Jobs run one at a time, in order: → {op:
//                                     "started", req} when one starts, then {req,
//                                     text, offs, lens, bytes, errs, buffers, busy,
//                                     done} (openChunk's result; buffers: the job's,
//                                     transferred back; busy: ms spent, done: when,
//                                     ms since the epoch, high resolution), or {req,
//                                     error, buffers}
//   {op: "cancel", req}               do not start job req (the page took it back):
//                                     → {req, cancelled: true, buffers} if it had not
//                                     started
//   {op: "forget"}                    drop every key
//   {op: "closeOnNextJob"}            (tests) close this worker, without a word, as
//                                     the next job starts (after "started")
//   {op: "keys", req}                 → {req, keys, gcmKeys, paths}: how many keys
//                                     it holds, and how many items it opened with
//                                     its AES-GCM module and with WebCrypto (tests)
//
// It posts {op: "ready"} once it runs.

import { fieldPathsForTesting, openChunk, yieldToEvents } from "./fieldcrypto.js";
import { loadGCM } from "./gcm.js";

/** This thread's AES-GCM module (null where it cannot run). */
const gcmReady = loadGCM();

/** @type {Map<number, CryptoKey>} */
const keys = new Map();

/** Jobs not started yet, in order. */
const queue = [];
let running = false;
let closeOnNextJob = false;

self.onmessage = (e) => {
  const m = e.data;
  switch (m.op) {
    case "key":
      keys.set(m.id, m.key);
      return;
    case "gcmkey":
      // Set up in order with the jobs: each job waits for the module first.
      gcmReady.then((g) => (g ? g.setKey(m.id, m.key) : m.key.fill(0)));
      return;
    case "closeOnNextJob":
      closeOnNextJob = true;
      return;
    case "forget":
      keys.clear();
      gcmReady.then((g) => g?.forgetAll());
      return;
    case "keys":
      gcmReady.then((g) => self.postMessage({ req: m.req, keys: keys.size, gcmKeys: g?.keys ?? 0, paths: fieldPathsForTesting() }));
      return;
    case "cancel": {
      const i = queue.findIndex((j) => j.req === m.req);
      if (i >= 0) {
        const [job] = queue.splice(i, 1);
        const buffers = bufferList(job);
        self.postMessage({ req: m.req, cancelled: true, buffers }, buffers);
      }
      return;
    }
    case "open":
      queue.push(m);
      if (!running) run();
      return;
  }
};

/** The distinct buffers of a job's prepared items. */
function bufferList(m) {
  return [...new Set([m.meta.buffer, m.raw.buffer, m.aad.buffer])];
}

/** Runs the queued jobs one after the other (cancel messages arrive in between). */
async function run() {
  running = true;
  // Decryptions settle in microtasks: without a yield before each job, the messages
  // posted after it (the batch's other jobs, cancels) would wait for all of them.
  while ((await yieldToEvents(), queue.length)) {
    const m = queue.shift();
    self.postMessage({ op: "started", req: m.req });
    if (closeOnNextJob) {
      self.close();
      return;
    }
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
      const buffers = bufferList(m);
      self.postMessage({ req: m.req, error: "no such key", buffers }, buffers);
      continue;
    }
    try {
      await gcmReady;
      const ids = new Map();
      for (let i = 0; i < m.gids.length; i += 2) ids.set(m.gids[i], m.gids[i + 1]);
      const r = await openChunk({ n: m.n, meta: m.meta, raw: m.raw, aad: m.aad, kids: m.slots }, byKid, ids);
      const buffers = bufferList(m);
      const t1 = performance.now();
      self.postMessage({ req: m.req, ...r, buffers, busy: t1 - t0, done: performance.timeOrigin + t1 }, [r.offs.buffer, r.lens.buffer, ...buffers]);
    } catch (err) {
      self.postMessage({ req: m.req, error: String(err?.message ?? err) });
    }
  }
  running = false;
}

self.postMessage({ op: "ready" });
