// The WebCrypto half of a batch of AES-256-GCM openings (wasm/webcrypto/batch.go has
// the design and the format): the module hands over one buffer and one call starts a
// crypto.subtle.decrypt per message, all in flight, on views of that buffer (no
// copies); the promise resolves with one buffer of results. Parsing, associated data,
// unpadding and errors stay in the module.
//
// Chromium runs crypto.subtle.decrypt on the calling thread (docs/spec 10.5.1), so
// where the platform has module workers a second thread takes part: a dedicated
// worker (fieldworker.js), started on the first batch, is given each batch's tail
// (its bytes copied into a buffer that is transferred, the results transferred back)
// while this thread decrypts the head. The worker gets each AES key once, as the
// non-extractable CryptoKey itself (structured clone; it stays non-extractable), and
// holds nothing else; forgetKeys() makes it drop them all. Outside a page (Node,
// Cloudflare Workers, a worker), or where the worker fails to start or fails later,
// everything runs on this thread, as before.

/** Smallest tail worth a round trip to the worker. */
const WORKER_MIN = 32;

/**
 * Opens n messages under key (a non-extractable AES-GCM CryptoKey).
 * buf holds per message: nonce (12 bytes), ciphertext || tag, associated data, back
 * to back; lens holds per message two u32 little-endian: the ciphertext's length (tag
 * included, at least 16) and the associated data's. Resolves with one Uint8Array: a
 * status byte per message (1 opened, 0 failed), then the plaintexts back to back
 * (ciphertext length − 16 bytes each; zeros for a message that failed). When a
 * worker opened part of them, the array has a property threads = 2.
 * @param {CryptoKey} key
 * @param {Uint8Array} buf
 * @param {Uint8Array} lens
 * @param {number} n
 * @returns {Promise<Uint8Array>}
 */
export function openBatch(key, buf, lens, n) {
  const dv = new DataView(lens.buffer, lens.byteOffset, lens.byteLength);
  if (lens.byteLength !== 8 * n) throw new RangeError("openBatch: lengths do not match n");
  let size = n;
  let need = 0;
  for (let i = 0; i < n; i++) {
    const cl = dv.getUint32(8 * i, true);
    if (cl < 16) throw new RangeError("openBatch: ciphertext shorter than its tag");
    size += cl - 16;
    need += 12 + cl + dv.getUint32(8 * i + 4, true);
  }
  if (need !== buf.length) throw new RangeError("openBatch: buffer does not match the lengths");
  const out = new Uint8Array(size);
  const w = n >= 2 * WORKER_MIN ? fieldWorker() : null;
  const k = w ? Math.round(n * split.share) : 0;
  if (k < WORKER_MIN || n - k < 1) return decryptInto(key, buf, dv, n, out, n).then(() => out);

  // The worker takes messages h…n−1 (the tail of buf), this thread 0…h−1.
  const h = n - k;
  let p = 0;
  let o = n;
  for (let i = 0; i < h; i++) {
    const cl = dv.getUint32(8 * i, true);
    p += 12 + cl + dv.getUint32(8 * i + 4, true);
    o += cl - 16;
  }
  const tail = buf.slice(p);
  const tailLens = lens.slice(8 * h);
  const started = now();
  const remote = w.open(key, tail, tailLens, k).then(
    (r) => {
      // Its status bytes, then its plaintexts, where they go in out; then zeroed.
      out.set(r.out.subarray(0, k), h);
      out.set(r.out.subarray(k), o);
      r.out.fill(0);
      return r;
    },
    () => {
      // The worker failed (or went away): this thread opens the tail after all, from
      // buf and lens (tail and tailLens were transferred).
      const tdv = new DataView(lens.buffer, lens.byteOffset + 8 * h, 8 * k);
      const mine = new Uint8Array(size - o + k);
      return decryptInto(key, buf.subarray(p), tdv, k, mine, k).then(() => {
        out.set(mine.subarray(0, k), h);
        out.set(mine.subarray(k), o);
        mine.fill(0);
        return null;
      });
    },
  );
  const t0 = now();
  const local = decryptInto(key, buf, dv, h, out, n);
  const issued = now() - t0; // Chromium: the decryptions themselves
  return local.then(() => {
    const free = now(); // this thread is free to take the worker's results
    return remote.then((r) => {
      if (r) {
        split.record(h, k, issued, r, started, free);
        // Tells the module's policy (webcrypto.Split) that this share was balanced
        // between two threads here.
        Object.defineProperty(out, "threads", { value: 2 });
      }
      return out;
    });
  });
}

/**
 * Decrypts the first n messages of buf (lengths in dv) under key, all in flight,
 * into out: message i's status byte at i, the plaintexts back to back from at on.
 * Resolves when every one has settled.
 * @param {CryptoKey} key
 * @param {Uint8Array} buf
 * @param {DataView} dv
 * @param {number} n
 * @param {Uint8Array} out
 * @param {number} at where the first plaintext goes in out
 * @returns {Promise<unknown>}
 */
export function decryptInto(key, buf, dv, n, out, at) {
  const subtle = globalThis.crypto.subtle;
  const all = new Array(n);
  // One algorithm object for every call: decrypt reads (and copies) it before it
  // returns, so changing it for the next message is safe.
  const alg = { name: "AES-GCM", iv: buf, additionalData: buf, tagLength: 128 };
  let p = 0;
  let o = at;
  for (let i = 0; i < n; i++) {
    const cl = dv.getUint32(8 * i, true);
    const al = dv.getUint32(8 * i + 4, true);
    alg.iv = buf.subarray(p, p + 12);
    alg.additionalData = buf.subarray(p + 12 + cl, p + 12 + cl + al);
    const pos = o;
    all[i] = subtle.decrypt(alg, key, buf.subarray(p + 12, p + 12 + cl)).then(
      (plain) => {
        const v = new Uint8Array(plain);
        if (v.length === cl - 16) {
          out.set(v, pos);
          out[i] = 1;
        }
        v.fill(0);
      },
      () => {},
    );
    p += 12 + cl + al;
    o += cl - 16;
  }
  return Promise.all(all);
}

const now = () => performance.timeOrigin + performance.now();

/**
 * The worker's share of a batch. It starts at one half and then balances the two
 * threads: after each batch, slack is how long the worker had been done when this
 * thread was free to take its results (negative: how long this thread waited), and
 * the share moves by half the messages that slack is worth at both threads' measured
 * cost per message. Where this thread does more than decrypt (the module parses and
 * copies on it), the worker ends up with more than half.
 */
const split = {
  share: 0.5,
  /** The last batch's measurements (tests, diagnosis). */
  last: {},
  /** Set by tests: the share stays as it is. */
  pinned: false,
  /**
   * @param {number} h this thread's messages
   * @param {number} k the worker's
   * @param {number} issued ms this thread spent issuing its decryptions
   * @param {{busy: number, done: number}} r the worker's report: ms busy, when done
   * @param {number} started when the tail was posted
   * @param {number} free when this thread could take the results
   */
  record(h, k, issued, r, started, free) {
    if (this.pinned) return;
    const n = h + k;
    const cw = r.busy / k;
    const cp = Math.max(issued / h, cw / 4);
    const slack = free - Math.max(r.done, started);
    const move = slack / (cw + cp) / 2;
    this.last = { h, k, issued, busy: r.busy, slack };
    this.share = Math.min(Math.max((k + move) / n, 0.1), 0.9);
  },
};

// ---- the worker, page side

/** @type {FieldWorker | null | undefined} undefined: not tried yet; null: none */
let worker;

/** The field worker, started on first use; null where there is none. */
function fieldWorker() {
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

  constructor() {
    this.#w = new Worker(new URL("./fieldworker.js", import.meta.url), { type: "module", name: "zkvault-fields" });
    this.#w.onmessage = (e) => {
      const m = e.data;
      if (m.op === "ready") {
        this.ready = true;
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
   * @returns {Promise<{out: Uint8Array, busy: number, done: number}>}
   */
  open(key, buf, lens, n) {
    let id = this.#keys.get(key);
    if (id === undefined) {
      id = this.#nextKey++;
      this.#keys.set(key, id);
      this.#w.postMessage({ op: "key", id, key });
    }
    this.batches++;
    return this.#ask({ op: "open", id, buf, lens, n }, [buf.buffer, lens.buffer]);
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
 * Makes the field worker drop every key it holds (the module calls it when a space
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
  const r = { running: !!w?.ready, batches: w?.batches ?? 0, share: split.share, last: split.last };
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
  if (share !== null) split.share = Math.min(Math.max(share, 0.1), 0.9);
}
