// Field batches opened in JavaScript (docs/spec 10.5.1, 10.5.2): space.openFields
// hands over the batch's strings and the field keys, and openFieldBatch opens every
// item with fieldopen.js, which does what the Go module's OpenField does: it checks
// and decodes each item, then decrypts it with this thread's AES-GCM module (gcm.js)
// where that module holds the field key of every version the items need, else with
// WebCrypto (the Go module's non-extractable CryptoKeys, all decryptions in flight).
//
// Where the platform has module workers a second thread takes part: a dedicated worker
// (fieldworker.js), started by the first batch, opens a large batch from the back in
// chunks (the page checks and decodes each and transfers its buffers, a few ahead,
// as the worker finishes them; the worker decrypts with its own AES-GCM module and
// decodes the texts) while this thread opens it from the front, until the two meet;
// the worker sends back per chunk the texts as one string. Whether that is faster than
// this thread alone is measured (mode, below). The worker gets each field key once, as
// bytes for its AES-GCM module and as the CryptoKey (structured clone; it stays
// non-extractable), and keeps nothing else; forgetKeys() makes it drop them all.
// Outside a page (Node, Cloudflare Workers, a worker), or where the worker fails to
// start or fails later, everything runs on this thread.

import { CODES, decryptPrepared, decryptPreparedGCM, giveBuffer, prepareFields, releaseArenas, takeBuffer } from "./fieldopen.js";
import { loadedGCM } from "./gcm.js";

/** Smallest tail worth a round trip to the worker. */
const WORKER_MIN = 32;

const utf8d = new TextDecoder();
const utf8strict = new TextDecoder("utf-8", { fatal: true });
const utf8e = new TextEncoder();

/**
 * The text of a value, as TextDecoder decodes it (invalid sequences become U+FFFD, a
 * leading byte order mark is dropped). lossless is set to whether encoding the text
 * again gives the value back: it is valid UTF-8 without a leading byte order mark.
 * @param {Uint8Array} v
 */
function textOf(v) {
  if (v.length < 3 || v[0] !== 0xef || v[1] !== 0xbb || v[2] !== 0xbf) {
    try {
      const text = utf8strict.decode(v);
      lossless = true;
      return text;
    } catch {}
  }
  lossless = false;
  return utf8d.decode(v);
}
let lossless = false;

/**
 * One opened field: {value, text}, own enumerable properties in that order. value (a
 * Uint8Array with a buffer of its own, exactly the value) is made on first access,
 * from bytes (the value, kept where its text does not give it back) or else by
 * encoding the text, and is then an ordinary data property (as it is once assigned);
 * text is there from the start. The accessor's functions are shared by every result
 * (an object literal with a getter and a setter made two closures a result, and cost
 * twice as much as this for 10,000 results).
 */
class OpenedField {
  #text;
  #bytes;
  static #value = {
    get() {
      const value = this.#bytes === null ? utf8e.encode(this.#text) : this.#bytes.slice();
      Object.defineProperty(this, "value", { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(this, "value", { value, writable: true, enumerable: true, configurable: true });
    },
    enumerable: true,
    configurable: true,
  };

  /**
   * @param {string} text
   * @param {Uint8Array | null} bytes
   */
  constructor(text, bytes) {
    this.#text = text;
    this.#bytes = bytes;
    Object.defineProperty(this, "value", OpenedField.#value);
    this.text = text;
  }
}

/** A failed item as space.openFields reports it. */
function failed(code, message, errorOf) {
  return { error: errorOf(CODES[code] ?? "internal", message) };
}

/**
 * Opens a batch of field ciphertexts of space spaceId. strs holds 4 strings per item
 * (collection, record id, field name, enc:v2 text); keys maps each key id to the
 * CryptoKey of that version (null: not in the keyring). Resolves with one result per
 * item: {value, text} or {error} (errorOf(code, message) makes the error).
 * @param {string} spaceId
 * @param {string[]} strs
 * @param {Map<string, CryptoKey | null>} keys
 * @param {(code: string, message: string) => Error} errorOf
 * @param {Map<string, string> | null} [ids] key id → the id of its context in the
 *   AES-GCM module (gcm.js): where every version this thread opens has one, this
 *   thread opens its part with the module instead of WebCrypto
 * @returns {Promise<object[]>}
 */
export async function openFieldBatch(spaceId, strs, keys, errorOf, ids = null) {
  const n = strs.length / 4;
  const out = new Array(n);
  const failTo = (from) => (i, code, message) => {
    out[from + i] = failed(code, message, errorOf);
  };
  // The worker is started by the first batch of any size (it takes a few
  // milliseconds to load its modules), and takes part in batches of 2·WORKER_MIN or
  // more.
  const started = fieldWorker();
  const w = n >= 2 * WORKER_MIN ? started : null;
  const t0 = now();
  if (!w || !mode.useWorker()) {
    await decryptInto(prepareFields(spaceId, strs, 0, n, keys, failTo(0)), keys, 0, out, errorOf, ids);
    if (n >= 2 * WORKER_MIN) mode.record(false, (now() - t0) / n);
    return out;
  }

  // Shared: this thread opens the batch from the front, a piece at a time, and the
  // worker from the back, in chunks this thread checks and decodes and posts (their
  // buffers transferred) AHEAD at a time, each as the worker finishes one, until the
  // two meet; so each thread does as much as its share of the machine allows, with
  // no estimate. This thread yields to its event loop after each piece: the worker's
  // messages (started, results) are taken only then (Chromium settles decryptions in
  // microtasks). When its pieces are done it takes back, from the last posted, every
  // chunk the worker has not started (a worker that gets less of the machine, or has
  // not started yet, does not hold the batch up) and opens it again from its
  // strings. With a share pinned by a test, the worker's chunks are all posted first.
  const keep = n - (split.pinned ? Math.max(WORKER_MIN, Math.round(n * split.share)) : 0);
  let front = 0;
  let back = n;
  let mine = 0;
  let mineMs = 0;
  let prep = 0;
  let open = 0; // chunks posted and not finished
  /** @type {{from: number, to: number, done: boolean, started: boolean, req: number, job: Promise<number>, again: () => Promise<void>}[]} */
  const chunks = [];
  const size = () => Math.min(PIECE_MAX, Math.max(WORKER_MIN, Math.ceil((back - front) / 8)));
  const post = (a, b) => {
    const tp = now();
    const c = { from: a, to: b, done: false, started: false, req: 0, job: null, again: null };
    c.again = () => decryptInto(prepareFields(spaceId, strs, a, b, keys, failTo(a)), keys, a, out, errorOf, ids);
    const { req, result } = w.open(prepareFields(spaceId, strs, a, b, keys, failTo(a)), keys, ids, () => (c.started = true));
    c.req = req;
    open++;
    c.job = result
      .then(
        (r) => {
          if (c.done || !r) return 0; // taken back here
          c.done = true;
          for (const [i, code, message] of r.errs) out[c.from + i] = failed(code, message, errorOf);
          unpack(r, c.from, out);
          return r.busy;
        },
        async () => {
          // The worker failed (or went away): this thread opens the chunk after all.
          if (c.done) return 0;
          c.done = true;
          await c.again();
          return 0;
        },
      )
      .finally(() => open--);
    chunks.push(c);
    back = a;
    prep += now() - tp;
  };
  if (keep < n) for (let b = n; b > keep; b -= PIECE_MAX) post(Math.max(keep, b - PIECE_MAX), b);
  for (;;) {
    // The worker's next chunks, leaving this thread at least a piece.
    if (keep === n) while (open < AHEAD && back - front > 2 * size()) post(back - size(), back);
    if (front >= back) break;
    const b = Math.min(back, front + size());
    const tm = now();
    await decryptInto(prepareFields(spaceId, strs, front, b, keys, failTo(front)), keys, front, out, errorOf, ids);
    mineMs += now() - tm;
    mine += b - front;
    front = b;
    await yieldToEvents();
  }
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i];
    if (c.done || c.started || split.keepChunks) continue;
    c.done = true;
    w.cancel(c.req);
    const tm = now();
    await c.again();
    mineMs += now() - tm;
    mine += c.to - c.from;
    await yieldToEvents();
  }
  // Then it waits for the chunks the worker has. A worker that stopped without an
  // error event (closed, or killed by the browser) would never answer: past a limit
  // far above what they should take (at this thread's own pace), it is given up,
  // which fails its chunks, and this thread opens them.
  const t2 = now();
  const jobs = Promise.all(chunks.map((c) => c.job));
  let pending = 0;
  for (const c of chunks) if (!c.done) pending += c.to - c.from;
  let timer;
  const limit = Math.max(stallMinMs, 100 * pending * (mine > 0 ? mineMs / mine : 1));
  const stalled = new Promise((resolve) => (timer = setTimeout(resolve, limit, STALLED)));
  if ((await Promise.race([jobs, stalled])) === STALLED) w.abandon();
  clearTimeout(timer);
  const busy = (await jobs).reduce((a, b) => a + b, 0);
  split.last = { n, prep, mine, mineMs, theirs: n - mine, busy, wait: now() - t2, chunks: chunks.length };
  mode.record(true, (now() - t0) / n, mine > 0 ? mineMs / mine : 0);
  return out;
}

const STALLED = Symbol("stalled");
/** The least time the page waits for the worker's last chunks before it gives up on it. */
let stallMinMs = 10_000;

/** The most items of a piece this thread opens, or of a chunk posted to the worker. */
const PIECE_MAX = 512;
/** Chunks posted to the worker and not finished, at most. */
const AHEAD = 3;

/**
 * Resolves once the event loop has run the tasks queued before (messages from the
 * worker), through a message on a channel of its own: no timer clamping.
 */
export function yieldToEvents() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}

/**
 * Whether a batch uses the worker at all. A second thread is worth its overhead only
 * when the machine gives it a core of its own: on a busy machine (Linux schedules
 * a process's threads as one group) the page alone is faster. So the time per item
 * of batches with and without the worker is kept (a quarter of the way to each new
 * measurement: one batch slowed by something else on the machine does not flip the
 * choice), batches use the faster way, and every PROBE-th batch (PROBE_FAR-th while
 * the other was far slower) tries the other one, as the machine's load changes. Until
 * a batch has run on the page alone, its cost is estimated from the batches shared
 * with the worker (the page's own time per item there, which a worker competing for
 * the same core inflates, so the estimate leans towards sharing): a machine with a
 * free core does not pay for a batch on the page alone early on, and one without
 * finds out at the first probe.
 */
const mode = {
  /** ms per item: [without the worker, with it]; 0 until measured */
  cost: [0, 0],
  /** Whether cost[0] comes from a batch on the page alone (else an estimate). */
  measured: false,
  batches: 0,
  /** Set by tests: always with the worker (where there is one). */
  always: false,
  warm: false,
  useWorker() {
    if (this.always) return true;
    const [alone, both] = this.cost;
    if (both === 0 || alone === 0) return true; // not measured yet
    const better = both <= alone;
    // The other way is tried every PROBE-th batch, or every PROBE_FAR-th while it was
    // measured (or estimated) far slower (a quarter or more).
    const far = Math.max(alone, both) > 1.25 * Math.min(alone, both);
    return ++this.batches % (far ? PROBE_FAR : PROBE) === 0 ? !better : better;
  },
  /**
   * @param {boolean} withWorker
   * @param {number} perItem ms per item of the batch
   * @param {number} [alone] with the worker: this thread's own ms per item (the
   *   estimate of the page alone until it has been measured)
   */
  record(withWorker, perItem, alone = 0) {
    if (!this.warm) {
      this.warm = true; // the first batch warms up the code: not a measure
      return;
    }
    const smooth = (old, x) => (old ? (3 * old + x) / 4 : x);
    if (withWorker) {
      this.cost[1] = smooth(this.cost[1], perItem);
      if (!this.measured && alone > 0) this.cost[0] = smooth(this.cost[0], alone);
    } else {
      this.cost[0] = this.measured ? smooth(this.cost[0], perItem) : perItem;
      this.measured = true;
    }
  },
};
const PROBE = 5;
const PROBE_FAR = 25;

/**
 * Puts opened values (openPrepared's result) for the items from `from` on into out.
 * @param {{text: string, offs: Int32Array, lens: Int32Array, bytes: [number, Uint8Array][]}} r
 */
function unpack(r, from, out) {
  const { text, offs, lens, bytes } = r;
  let k = 0;
  for (let j = 0; j < lens.length; j++) {
    const len = lens[j];
    if (len < 0) continue;
    let b = null;
    if (k < bytes.length && bytes[k][0] === j) b = bytes[k++][1];
    out[from + j] = new OpenedField(text.substring(offs[j], offs[j] + len), b);
  }
}

/**
 * Decrypts prepared items (decryptPrepared) and decodes their values. Resolves with
 * one string, text, holding the text of every item that opened: item j's is lens[j]
 * characters at offs[j] (lens[j] −1: the item failed, reported to onError), and
 * bytes, a copy of each value that its text does not give back, as [j, value] in
 * item order. Each value is copied as it settles into one buffer for the batch, at
 * its place (the length of its inner plaintext apart, the rest of which is zeroed),
 * and WebCrypto's buffer zeroed; where every byte of that buffer is ASCII, the texts
 * are pieces of its decoding at once (one decoding; no string per value for the
 * collector to copy), else each value is decoded alone. The buffer is zeroed and
 * kept for later batches. release(p) is called once every decryption has started.
 * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array}} p
 * @param {(CryptoKey | null | undefined)[]} slots
 * @param {(i: number, code: number, message: string) => void} onError
 * @param {(p: {meta: Int32Array, raw: Uint8Array, aad: Uint8Array}) => void} release
 * @returns {Promise<{text: string, offs: Int32Array, lens: Int32Array, bytes: [number, Uint8Array][]}>}
 */
async function openPrepared(p, slots, onError, release) {
  const { meta } = p;
  const { offs, lens, size } = placesOf(p);
  const buf = new Uint8Array(takeBuffer(size), 0, size);
  const done = decryptPrepared(
    p,
    slots,
    (j, plain, len, all) => {
      buf.set(all.subarray(0, len), offs[j]);
      buf.fill(0, offs[j] + len, offs[j] + all.length);
      lens[j] = len;
      all.fill(0);
    },
    (j, code, message) => {
      if (meta[5 * j] >= 0) buf.fill(0, offs[j], offs[j] + meta[5 * j + 2] - 28);
      onError(j, code, message);
    },
  );
  release(p); // every decryption has started: WebCrypto has copied its inputs
  await done;
  const r = textsOf(buf, offs, lens, size);
  buf.fill(0);
  giveBuffer(buf.buffer);
  return r;
}

/**
 * The place of each prepared item's value in one buffer for the batch: item j's
 * inner plaintext (its ciphertext's length) at offs[j], size in all; lens[j] −1
 * until it is opened.
 * @param {{n: number, meta: Int32Array}} p
 */
function placesOf(p) {
  const { n, meta } = p;
  const offs = new Int32Array(n);
  const lens = new Int32Array(n).fill(-1);
  let size = 0;
  for (let j = 0; j < n; j++) {
    if (meta[5 * j] < 0) continue;
    offs[j] = size;
    size += meta[5 * j + 2] - 28; // nonce and tag
  }
  return { offs, lens, size };
}

/**
 * openPrepared with the AES-GCM module (gcm.js) instead of WebCrypto, synchronously:
 * ctxs[slot] is the module's context of each key slot. The values are decrypted
 * into the module's memory, decoded from there, and zeroed there; release(p) is
 * called once the module has its copy of the items.
 * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array}} p
 * @param {import("./gcm.js").GCM} gcm
 * @param {number[]} ctxs
 * @param {(i: number, code: number, message: string) => void} onError
 * @param {(p: {meta: Int32Array, raw: Uint8Array, aad: Uint8Array}) => void} release
 * @returns {{text: string, offs: Int32Array, lens: Int32Array, bytes: [number, Uint8Array][]}}
 */
function openPreparedGCM(p, gcm, ctxs, onError, release) {
  const { offs, lens, size } = placesOf(p);
  const { mem, out } = decryptPreparedGCM(p, gcm, ctxs, offs, lens, size, onError);
  release(p);
  const buf = mem.subarray(out, out + size);
  const r = textsOf(buf, offs, lens, size);
  buf.fill(0);
  return r;
}

/**
 * The texts of the values in buf (item j's lens[j] bytes at offs[j]; lens[j] −1: it
 * failed), as openPrepared resolves with them. offs and lens become the places of
 * the texts in the one string.
 * @param {Uint8Array} buf
 * @param {Int32Array} offs
 * @param {Int32Array} lens
 * @param {number} size
 */
function textsOf(buf, offs, lens, size) {
  const n = lens.length;
  let text = utf8d.decode(buf);
  // No byte at or above 0x80 decodes to exactly one character that is not U+FFFD
  // (none at all within a sequence, one U+FFFD for an invalid one), and a leading
  // byte order mark is dropped: so this holds only when every byte is ASCII.
  const ascii = text.length === size && text.indexOf("\uFFFD") < 0;
  const bytes = [];
  if (!ascii) {
    const texts = [];
    let at = 0;
    for (let j = 0; j < n; j++) {
      if (lens[j] < 0) continue;
      const v = buf.subarray(offs[j], offs[j] + lens[j]);
      const t = textOf(v);
      if (!lossless) bytes.push([j, v.slice()]);
      texts.push(t);
      offs[j] = at;
      lens[j] = t.length;
      at += t.length;
    }
    text = texts.join("");
  }
  return { text, offs, lens, bytes };
}

/**
 * Opens prepared items on this thread into out from `from` on: with the AES-GCM
 * module where it holds the context of every version they need (ids), else with
 * WebCrypto.
 */
async function decryptInto(p, keys, from, out, errorOf, ids) {
  const r = await openHere(
    p,
    keys,
    ids,
    (i, code, message) => {
      out[from + i] = failed(code, message, errorOf);
    },
    releaseArenas,
  );
  unpack(r, from, out);
}

/**
 * Opens prepared items on this thread: with the AES-GCM module where it holds the
 * context of every version they need (ids: key id → context id), else with
 * WebCrypto (keys). release(p) is called once p's buffers are no longer needed.
 */
async function openHere(p, keys, ids, onError, release) {
  // A share whose data would grow the module's memory past gcmLimit goes to WebCrypto:
  // a WebAssembly memory never shrinks, and JavaScript's buffers are collected.
  const gcm = ids && !gcmOff && 2 * (p.raw.length + p.aad.length) <= gcmLimit ? loadedGCM() : null;
  const ctxs = gcm ? p.kids.map((kid) => gcm.context(ids.get(kid))) : null;
  if (ctxs && !ctxs.includes(undefined)) {
    paths.gcm += p.n;
    return openPreparedGCM(p, gcm, ctxs, onError, release);
  }
  paths.webcrypto += p.n;
  return openPrepared(
    p,
    p.kids.map((kid) => keys.get(kid)),
    onError,
    release,
  );
}

/** Items this thread opened with the AES-GCM module and with WebCrypto (tests). */
const paths = { gcm: 0, webcrypto: 0 };
/** Set by tests: this thread opens with WebCrypto only. */
let gcmOff = false;
/**
 * The most data (nonces, ciphertexts, associated data, and as much again for the
 * values and the module's work) a share may put in the AES-GCM module's memory: 64
 * MiB, about 30,000 fields of 1 KiB.
 */
let gcmLimit = 64 << 20;

/**
 * For tests: the most bytes of data a share may put in the AES-GCM module's memory
 * (shares of more are opened with WebCrypto), or with null the default again.
 * @param {number | null} bytes
 */
export function limitGCMForTesting(bytes) {
  gcmLimit = bytes ?? 64 << 20;
}

/**
 * For tests: how many items this thread opened with the AES-GCM module and with
 * WebCrypto so far.
 * @returns {{gcm: number, webcrypto: number}}
 */
export function fieldPathsForTesting() {
  return { ...paths };
}

/**
 * For tests: with true, this thread opens its items with WebCrypto, not the AES-GCM
 * module, and tells the worker to do the same; false undoes it.
 * @param {boolean} off
 */
export function disableGCMForTesting(off) {
  gcmOff = off;
}

/**
 * The worker's side of a batch (fieldworker.js): opens items the page prepared
 * (prepareFields), with keys (key id → CryptoKey) or, where ids names a context of
 * the worker's AES-GCM module for every version, with the module. Returns
 * openPrepared's result and the failures as [item, code, message].
 * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array, kids: string[]}} p
 * @param {Map<string, CryptoKey | null>} keys
 * @param {Map<string, string> | null} [ids]
 */
export async function openChunk(p, keys, ids = null) {
  const errs = [];
  // The chunk's buffers stay out of this thread's pool: they go back to the page's.
  const r = await openHere(p, keys, ids, (i, code, message) => errs.push([i, code, message]), () => {});
  return { ...r, errs };
}

const now = () => performance.timeOrigin + performance.now();

/**
 * How batches were shared between this thread and the worker: the last batch's
 * measurements (tests, diagnosis), and the switches of tests.
 */
const split = {
  /** The worker's share of each batch while pinned (tests). */
  share: 0.5,
  /**
   * The last shared batch's measurements: n items, prep ms this thread spent checking,
   * decoding and posting the worker's chunks, mine items it opened (its pieces and
   * chunks taken back) in mineMs, theirs items the worker opened in busy ms, wait ms
   * this thread then waited for the worker, chunks posted.
   */
  last: {},
  /** Set by tests: the worker takes share of each batch, its chunks posted first. */
  pinned: false,
  /** Set by tests: this thread takes back no chunk (every chunk's fate is the worker's). */
  keepChunks: false,
};

// ---- the worker, page side

/** @type {FieldWorker | null | undefined} undefined: not tried yet; null: none */
let worker;
/** Set by tests: no worker (everything on this thread). */
let workerOff = false;

/** The field worker, started on first use; null where there is none. */
function fieldWorker() {
  if (workerOff) return null;
  if (worker === undefined) {
    worker = null;
    if (typeof Worker === "function" && typeof globalThis.document === "object") {
      try {
        worker = new FieldWorker();
      } catch {
        worker = null;
      }
    }
  }
  // Not only once it has said it runs: chunks posted before wait in its queue, and
  // the page takes back those it has not started (a page that opens batches one
  // after the other without yielding to its event loop would never hear it).
  return worker;
}

class FieldWorker {
  /** @type {Worker} */
  #w;
  ready = false;
  /** Batches given to the worker, and chunks it failed that the page opened (tests). */
  batches = 0;
  failed = 0;
  /** Times the page gave up on a worker that stopped answering (tests). */
  static abandoned = 0;
  #keys = new WeakMap(); // CryptoKey → the id the worker knows it by
  /** ids of the field keys posted to the worker's AES-GCM module */
  #gcmIds = new Set();
  #nextKey = 1;
  #nextReq = 1;
  /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
  #waiting = new Map();
  /** @type {Map<number, () => void>} open() jobs' onStart */
  #started = new Map();

  constructor() {
    this.#w = new Worker(new URL("./fieldworker.js", import.meta.url), { type: "module", name: "zkvault-fields" });
    this.#w.onmessage = (e) => {
      const m = e.data;
      if (m.op === "ready") {
        this.ready = true;
        return;
      }
      if (m.op === "started") {
        this.#started.get(m.req)?.();
        return;
      }
      const p = this.#waiting.get(m.req);
      if (!p) return;
      this.#waiting.delete(m.req);
      if (m.error) {
        for (const b of m.buffers ?? []) giveBuffer(b);
        p.reject(new Error(m.error));
      } else p.resolve(m);
    };
    // A worker that cannot start (blocked by a worker-src CSP, not found) or fails:
    // everything runs on this thread from now on.
    this.#w.onerror = (e) => {
      e.preventDefault?.();
      this.#stop();
    };
    this.#w.onmessageerror = () => this.#stop();
  }

  /**
   * Gives up on the worker: it is terminated, its pending jobs fail (the page opens
   * their chunks), and later batches run on the page.
   */
  abandon() {
    FieldWorker.abandoned++;
    this.#stop();
  }

  #stop() {
    this.ready = false;
    worker = null;
    this.#w.terminate();
    for (const p of this.#waiting.values()) p.reject(new Error("field worker stopped"));
    this.#waiting.clear();
  }

  #ask(msg, transfer = []) {
    const req = this.#nextReq++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(req, { resolve, reject });
      this.#w.postMessage({ ...msg, req }, transfer);
    });
  }

  /**
   * Opens prepared items (prepareFields: their buffers are transferred, and come
   * back to this thread's pool with the answer) in the worker: each key it lacks is
   * posted first, and it is told which key id is which key. onStart is called when
   * the worker says it has started on them. Returns the job's number (for cancel) and
   * its result: a promise of openChunk's result, or of null if cancel() came first.
   * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array, kids: string[]}} p
   * @param {Map<string, CryptoKey | null>} keys
   * @param {Map<string, string> | null} ids key id → the id of its key in the AES-GCM
   *   modules (the worker uses those it was given with postKey)
   * @param {() => void} onStart
   * @returns {{req: number, result: Promise<{text: string, lens: Int32Array, errs: [number, number, string][], bytes: [number, Uint8Array][], busy: number, done: number} | null>}}
   */
  open(p, keys, ids, onStart) {
    const kids = [];
    const gids = [];
    for (const kid of p.kids) {
      const key = keys.get(kid);
      const gid = ids?.get(kid);
      if (gid !== undefined && this.#gcmIds.has(gid) && !gcmOff) gids.push(kid, gid);
      let id = 0;
      if (key) {
        id = this.#keys.get(key);
        if (id === undefined) {
          id = this.#nextKey++;
          this.#keys.set(key, id);
          this.#w.postMessage({ op: "key", id, key });
        }
      }
      kids.push(kid, id);
    }
    this.batches++;
    const req = this.#nextReq;
    this.#started.set(req, onStart);
    const { n, meta, raw, aad } = p;
    const transfer = [...new Set([meta.buffer, raw.buffer, aad.buffer])];
    const result = this.#ask({ op: "open", n, meta, raw, aad, slots: p.kids, kids, gids }, transfer)
      .then(
        (m) => {
          for (const b of m.buffers ?? []) giveBuffer(b);
          return m.cancelled ? null : m;
        },
        (e) => {
          // The page opens the chunk instead; the keys are posted again with the next
          // one, in case the worker lost them.
          this.failed++;
          this.#keys = new WeakMap();
          this.#gcmIds.clear();
          throw e;
        },
      )
      .finally(() => this.#started.delete(req));
    return { req, result };
  }

  /** Tells the worker not to start job req of open() (whose result is then null). */
  cancel(req) {
    this.#w.postMessage({ op: "cancel", req });
  }

  forget() {
    this.#keys = new WeakMap();
    this.#gcmIds.clear();
    this.#w.postMessage({ op: "forget" });
  }

  /** Whether the worker's AES-GCM module lacks the field key id. */
  needsKey(id) {
    return !this.#gcmIds.has(id);
  }

  /**
   * Hands the 32 bytes of field key id to the worker's AES-GCM module: bytes' buffer
   * is transferred (it is detached here), and the worker zeroes it once expanded.
   * @param {string} id
   * @param {Uint8Array} bytes
   */
  postKey(id, bytes) {
    this.#w.postMessage({ op: "gcmkey", id, key: bytes }, [bytes.buffer]);
    this.#gcmIds.add(id);
  }

  /** For tests: the worker closes itself, without a word, when it starts its next job. */
  closeOnNextJob() {
    this.#w.postMessage({ op: "closeOnNextJob" });
  }

  /** For tests: the worker drops its keys while this side believes it has them. */
  loseKeys() {
    this.#w.postMessage({ op: "forget" });
  }

  /**
   * The keys the worker holds, and how many items it opened with its AES-GCM module
   * and with WebCrypto.
   * @returns {Promise<{keys: number, gcmKeys: number, paths: {gcm: number, webcrypto: number}}>}
   */
  async keys() {
    const m = await this.#ask({ op: "keys" });
    return { keys: m.keys, gcmKeys: m.gcmKeys, paths: m.paths };
  }
}

/**
 * The field worker a batch of n items would use (started if need be), for handing it
 * field keys (needsKey, postKey); null where there is none or n is too small.
 * @param {number} n
 */
export function fieldWorkerFor(n) {
  return n >= 2 * WORKER_MIN ? fieldWorker() : null;
}

/**
 * Makes the field worker drop every key it holds (the package calls it when a space
 * is forgotten; keys of spaces still open are sent again with their next batch).
 */
export function forgetKeys() {
  worker?.forget();
}

/**
 * For tests: whether the worker runs and how many batches it was given, and, with
 * ask, how many keys it holds now (asked of the worker itself): CryptoKeys (keys) and
 * contexts in its AES-GCM module (gcmKeys), and how many items it opened each way
 * (paths).
 * @param {boolean} [ask]
 * @returns {Promise<{running: boolean, batches: number, failed: number, abandoned: number, keys?: number, gcmKeys?: number, paths?: {gcm: number, webcrypto: number}, share: number, last: object}>}
 */
export async function fieldWorkerStateForTesting(ask = false) {
  fieldWorker();
  const w = worker;
  const r = { running: !!w?.ready, batches: w?.batches ?? 0, failed: w?.failed ?? 0, abandoned: FieldWorker.abandoned, share: split.last.n ? split.last.theirs / split.last.n : 0, last: split.last, cost: [...mode.cost] };
  if (ask && w?.ready) return { ...r, ...(await w.keys()) };
  return r;
}

/**
 * For tests: makes the worker drop its keys without telling this side (the worker's
 * jobs then fail, and the page must open their chunks itself).
 */
export function loseWorkerKeysForTesting() {
  worker?.loseKeys();
}

/**
 * For tests: the worker closes itself, without an error event, as it starts its next
 * job, and the page gives up waiting for a worker's last chunks after ms (at least)
 * instead of 10 s; with null, only the wait is reset.
 * @param {number | null} ms
 */
export function stallWorkerForTesting(ms) {
  stallMinMs = ms ?? 10_000;
  if (ms !== null) worker?.closeOnNextJob();
}

/**
 * For tests: with true, this thread takes back no chunk (each chunk's fate is the
 * worker's); false undoes it.
 * @param {boolean} on
 */
export function keepChunksForTesting(on) {
  split.keepChunks = on;
}

/**
 * For tests: fixes the worker's share of every batch (0.1…0.9; its chunks posted
 * first, and every batch shared), or with null lets the threads share as they go.
 * @param {number | null} share
 */
export function pinWorkerShareForTesting(share) {
  split.pinned = share !== null;
  mode.always = share !== null;
  if (share !== null) split.share = Math.min(Math.max(share, 0.1), 0.9);
}

/**
 * For tests: with true, batches run on this thread only (no worker); false undoes it.
 * @param {boolean} off
 */
export function disableWorkerForTesting(off) {
  workerOff = off;
}
