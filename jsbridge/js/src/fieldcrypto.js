// Field batches opened in JavaScript (docs/spec 10.5): space.openFields hands over the
// batch's strings and the field keys (the module's non-extractable CryptoKeys, one per
// secret version) and openFieldBatch opens every item with fieldopen.js, which does
// what the module's OpenField does, all decryptions in flight. No byte goes through
// the module's memory.
//
// Chromium runs crypto.subtle.decrypt on the calling thread (docs/spec 10.5.1), so
// where the platform has module workers a second thread may take part: a dedicated
// worker (fieldworker.js), started on the first large batch, decrypts the tail of a
// batch (checked and decoded here, handed over as bytes in transferred chunks) while
// this thread opens the head, and sends the values back in one transferred buffer per
// chunk; whether that is faster than this thread alone is measured (mode, below). The
// worker gets each key once, as the non-extractable CryptoKey itself (structured
// clone; it stays non-extractable), and holds nothing else; forgetKeys() makes it
// drop them all. Outside a page (Node, Cloudflare Workers, a worker), or where the
// worker fails to start or fails later, everything runs on this thread.

import { CODES, decryptPrepared, INCORRECT_KEY, prepareFields } from "./fieldopen.js";

/** Smallest tail worth a round trip to the worker. */
const WORKER_MIN = 32;

const utf8d = new TextDecoder();

/**
 * One opened field: {value, text}. value (a Uint8Array with a buffer of its own,
 * exactly the value) is made on first access from the batch's buffer of values, which
 * no caller reaches, and is then an ordinary data property; text is there from the
 * start.
 * @param {ArrayBuffer | Uint8Array} src the bytes: an ArrayBuffer, or a view
 * @param {number} off
 * @param {number} n
 * @param {string} text
 */
function opened(src, off, n, text) {
  return {
    get value() {
      const value = src instanceof ArrayBuffer ? new Uint8Array(src.slice(off, off + n)) : src.slice(off, off + n);
      Object.defineProperty(this, "value", { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
    set value(value) {
      Object.defineProperty(this, "value", { value, writable: true, enumerable: true, configurable: true });
    },
    text,
  };
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
 * @returns {Promise<object[]>}
 */
export async function openFieldBatch(spaceId, strs, keys, errorOf) {
  const n = strs.length / 4;
  const out = new Array(n);
  const failTo = (from) => (i, code, message) => {
    out[from + i] = failed(code, message, errorOf);
  };
  const w = n >= 2 * WORKER_MIN ? fieldWorker() : null;
  const k = w && mode.useWorker() ? Math.round(n * split.share) : 0;
  const h = k < WORKER_MIN || n - k < 1 ? n : n - k;
  const t0 = now();
  if (h === n) {
    await decryptInto(prepareFields(spaceId, strs, 0, n, keys, failTo(0)), keys, 0, out, errorOf);
    if (n >= 2 * WORKER_MIN) mode.record(false, (now() - t0) / n);
    return out;
  }

  // The tail (items h…n−1), checked and decoded here (only bytes go over), goes to the
  // worker in chunks that it decrypts in order while this thread opens the head. Then
  // this thread takes back, from the end, every chunk the worker has not started (a
  // worker that gets less of the machine than planned does not hold the batch up).
  const size = Math.max(WORKER_MIN, Math.ceil((n - h) / CHUNKS));
  const chunks = [];
  for (let a = h; a < n; a += size) {
    const b = Math.min(n, a + size);
    const c = { from: a, to: b, done: false, started: false, req: 0, job: null };
    // Its buffers are transferred: a chunk taken back is checked and decoded again.
    const again = () => decryptInto(prepareFields(spaceId, strs, a, b, keys, failTo(a)), keys, a, out, errorOf);
    const { req, result } = w.open(prepareFields(spaceId, strs, a, b, keys, failTo(a)), keys, () => (c.started = true));
    c.req = req;
    c.again = again;
    c.job = result.then(
      (r) => {
        if (c.done || !r) return 0; // taken back here
        c.done = true;
        unpack(r, c.from, out, errorOf);
        return r.busy;
      },
      async () => {
        // The worker failed (or went away): this thread opens the chunk after all.
        if (c.done) return 0;
        c.done = true;
        await again();
        return 0;
      },
    );
    chunks.push(c);
  }
  const t1 = now();
  await decryptInto(prepareFields(spaceId, strs, 0, h, keys, failTo(0)), keys, 0, out, errorOf);
  let mine = h;
  for (let i = chunks.length - 1; i >= 0; i--) {
    // Chromium settles decryptions in microtasks: the worker's messages (started,
    // results) are taken only when this thread yields to its event loop.
    await yieldToEvents();
    const c = chunks[i];
    if (c.done || c.started) continue;
    c.done = true;
    w.cancel(c.req);
    await c.again();
    mine += c.to - c.from;
  }
  const t2 = now();
  const busy = await Promise.all(chunks.map((c) => c.job));
  split.record(n, t1 - t0, mine, t2 - t1, n - mine, busy.reduce((a, b) => a + b, 0), now() - t2);
  mode.record(true, (now() - t0) / n);
  return out;
}

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
 * of batches with and without the worker is kept (halfway to each new measurement),
 * batches use the faster way, and every PROBE-th batch (PROBE_FAR-th while the other
 * was far slower) tries the other one, as the machine's load changes.
 */
const mode = {
  /** ms per item: [without the worker, with it]; 0 until measured */
  cost: [0, 0],
  batches: 0,
  /** Set by tests: always with the worker (where there is one). */
  always: false,
  warm: false,
  useWorker() {
    if (this.always) return true;
    const [alone, both] = this.cost;
    if (both === 0) return true; // not measured yet
    if (alone === 0) return false;
    const better = both <= alone;
    // The other way is tried every PROBE-th batch, or every PROBE_FAR-th while it was
    // measured far slower (a quarter or more).
    const far = Math.max(alone, both) > 1.25 * Math.min(alone, both);
    return ++this.batches % (far ? PROBE_FAR : PROBE) === 0 ? !better : better;
  },
  record(withWorker, perItem) {
    if (!this.warm) {
      this.warm = true; // the first batch warms up the code: not a measure
      return;
    }
    const i = withWorker ? 1 : 0;
    this.cost[i] = this.cost[i] ? (this.cost[i] + perItem) / 2 : perItem;
  },
};
const PROBE = 5;
const PROBE_FAR = 25;

/** Chunks a batch's tail is posted to the worker in. */
const CHUNKS = 8;

/** Puts a worker's results for the items from `from` on into out (openPacked's form). */
function unpack(r, from, out, errorOf) {
  const { buf, lens } = r;
  const offs = new Int32Array(lens.length);
  let off = 0;
  for (let j = 0; j < lens.length; j++) {
    const len = lens[j];
    if (len === -2) out[from + j] = failed(INCORRECT_KEY, incorrectKeyMessage, errorOf);
    if (len < 0) continue; // −1: failed before decryption, out has it already
    offs[j] = off;
    off += len;
  }
  results(buf, offs, lens, from, out);
}

/**
 * Makes the result objects of items whose values sit in buf (item j: lens[j] bytes
 * at offs[j]; lens[j] < 0: no value). The texts are what decoding each value alone
 * gives: when every byte of buf is ASCII, that is a piece of buf decoded at once (one
 * decoding, and substrings that share its characters instead of a string per value
 * for the collector to copy); otherwise each value is decoded alone.
 */
function results(buf, offs, lens, from, out) {
  const all = utf8d.decode(buf);
  // No byte at or above 0x80 decodes to exactly one character that is not U+FFFD
  // (none at all within a sequence, one U+FFFD for an invalid one), and a leading
  // byte order mark is dropped: so this holds only when every byte is ASCII.
  const ascii = all.length === buf.length && all.indexOf("\uFFFD") < 0;
  for (let j = 0; j < lens.length; j++) {
    const len = lens[j];
    if (len < 0) continue;
    const off = offs[j];
    out[from + j] = opened(buf, off, len, ascii ? all.substring(off, off + len) : utf8d.decode(buf.subarray(off, off + len)));
  }
}

const incorrectKeyMessage = "zkvault: incorrect key or corrupted ciphertext";

/** Opens items [from, to) on this thread into out. */
function decryptHere(spaceId, strs, from, to, keys, out, errorOf) {
  const p = prepareFields(spaceId, strs, from, to, keys, (i, code, message) => {
    out[from + i] = failed(code, message, errorOf);
  });
  return decryptInto(p, keys, from, out, errorOf);
}

/**
 * Decrypts prepared items on this thread into out from `from` on. Each value is
 * copied at a fixed place of one buffer for the batch (its inner plaintext's length
 * apart) and WebCrypto's own buffer zeroed; the results are made once all have
 * settled.
 */
async function decryptInto(p, keys, from, out, errorOf) {
  const { n, meta } = p;
  const offs = new Int32Array(n);
  const lens = new Int32Array(n).fill(-1);
  let size = 0;
  for (let j = 0; j < n; j++) {
    if (meta[5 * j] < 0) continue;
    offs[j] = size;
    size += meta[5 * j + 2] - 28; // nonce and tag
  }
  const buf = new Uint8Array(size);
  await decryptPrepared(
    p,
    p.kids.map((kid) => keys.get(kid)),
    (i, plain, len) => {
      const v = new Uint8Array(plain);
      buf.set(v.subarray(0, len), offs[i]);
      lens[i] = len;
      v.fill(0);
    },
    (i, code, message) => {
      out[from + i] = failed(code, message, errorOf);
    },
  );
  results(buf, offs, lens, from, out);
}

/**
 * The worker's side of a batch (fieldworker.js): decrypts what prepareFields laid out
 * and packs the values back to back into buf; lens holds each item's value length
 * (−1: failed before, −2: failed to decrypt or unpad). The inner plaintexts are
 * zeroed once copied. (The page decodes the texts: one string per value made here
 * would be copied again to cross over.)
 * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array}} p
 * @param {(CryptoKey | undefined)[]} slots
 */
export async function openPacked(p, slots) {
  const n = p.n;
  const plains = new Array(n);
  const lens = new Int32Array(n).fill(-1);
  let size = 0;
  await decryptPrepared(
    p,
    slots,
    (i, plain, len) => {
      plains[i] = plain;
      lens[i] = len;
      size += len;
    },
    (i) => {
      lens[i] = -2;
    },
  );
  const buf = new Uint8Array(size);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const len = lens[i];
    if (len < 0) continue;
    const v = new Uint8Array(plains[i]);
    buf.set(v.subarray(0, len), off);
    v.fill(0);
    off += len;
  }
  return { buf, lens };
}

const now = () => performance.timeOrigin + performance.now();

/**
 * The worker's share of a batch. It starts at one half; after each batch it moves
 * halfway to where both threads would have finished together at the costs measured:
 * this thread checks and decodes every item (prep) and decrypts its part at d per
 * item, the worker decrypts at c per item, so it should take k of n items with
 * prep + d·(n − k) = c·k.
 */
const split = {
  share: 0.5,
  /** The last batch's measurements (tests, diagnosis). */
  last: {},
  /** Set by tests: the share stays as it is. */
  pinned: false,
  /**
   * @param {number} n the batch's items
   * @param {number} prep ms this thread spent checking and decoding the tail
   * @param {number} mine items this thread decrypted (its head, and chunks taken back)
   * @param {number} mineMs ms it spent on them (the head's checks included)
   * @param {number} theirs items the worker decrypted
   * @param {number} busy ms the worker spent on them
   * @param {number} wait ms this thread then waited for the worker
   */
  record(n, prep, mine, mineMs, theirs, busy, wait) {
    this.last = { n, prep, mine, mineMs, theirs, busy, wait };
    if (this.pinned || mine < 1) return;
    if (theirs < 1) {
      this.share = Math.max(this.share / 2, 0.1);
      return;
    }
    const d = mineMs / mine;
    const c = busy / theirs;
    const k = (prep + d * n) / (c + d);
    this.share = Math.min(Math.max((this.share + k / n) / 2, 0.1), 0.9);
  },
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
  return worker?.ready ? worker : null;
}

class FieldWorker {
  /** @type {Worker} */
  #w;
  ready = false;
  /** Batches given to the worker (tests). */
  batches = 0;
  #keys = new WeakMap(); // CryptoKey → the id the worker knows it by
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
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m);
    };
    // A worker that cannot start (blocked by a worker-src CSP, not found) or fails:
    // everything runs on this thread from now on.
    this.#w.onerror = (e) => {
      e.preventDefault?.();
      this.#stop();
    };
    this.#w.onmessageerror = () => this.#stop();
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
   * Decrypts items laid out by prepareFields in the worker (their buffers are
   * transferred): each key it lacks is posted first.
   * onStart is called when the worker says it has started on them. Returns the job's
   * number (for cancel) and its result: a promise of openPacked's result, or of null
   * if cancel() came first.
   * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array, kids: string[]}} p
   * @param {Map<string, CryptoKey | null>} keys
   * @param {() => void} onStart
   * @returns {{req: number, result: Promise<{buf: Uint8Array, lens: Int32Array, busy: number, done: number} | null>}}
   */
  open(p, keys, onStart) {
    const ids = p.kids.map((kid) => {
      const key = keys.get(kid);
      let id = this.#keys.get(key);
      if (id === undefined) {
        id = this.#nextKey++;
        this.#keys.set(key, id);
        this.#w.postMessage({ op: "key", id, key });
      }
      return id;
    });
    this.batches++;
    const { n, meta, raw, aad } = p;
    const req = this.#nextReq;
    this.#started.set(req, onStart);
    const result = this.#ask({ op: "open", n, meta, raw, aad, ids }, [meta.buffer, raw.buffer, aad.buffer])
      .then((m) => (m.cancelled ? null : m))
      .finally(() => this.#started.delete(req));
    return { req, result };
  }

  /** Tells the worker not to start job req of open() (whose result is then null). */
  cancel(req) {
    this.#w.postMessage({ op: "cancel", req });
  }

  forget() {
    this.#keys = new WeakMap();
    this.#w.postMessage({ op: "forget" });
  }

  /** @returns {Promise<number>} how many keys the worker holds */
  async keys() {
    return (await this.#ask({ op: "keys" })).keys;
  }
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
 * ask, how many keys it holds now (asked of the worker itself).
 * @param {boolean} [ask]
 * @returns {Promise<{running: boolean, batches: number, keys?: number, share: number, last: object}>}
 */
export async function fieldWorkerStateForTesting(ask = false) {
  fieldWorker();
  const w = worker;
  const r = { running: !!w?.ready, batches: w?.batches ?? 0, share: split.share, last: split.last, cost: [...mode.cost] };
  if (ask && w?.ready) return { ...r, keys: await w.keys() };
  return r;
}

/**
 * For tests: fixes the worker's share of a batch (0.1…0.9), or with null lets it
 * adapt again.
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
