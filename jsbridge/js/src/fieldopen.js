// Opening enc:v2 field ciphertexts in JavaScript (docs/spec/03-fields.md, 10.5): what
// the module's OpenField does (wasm/field.go), item by item. The page (fieldcrypto.js)
// and the field worker (fieldworker.js) both run this code. It holds no key bytes:
// the field keys are either contexts in this thread's AES-GCM module (gcm.js), named
// by their address, or the module's non-extractable AES-GCM CryptoKeys, one per
// secret version.
//
// prepareFields does every check and decodes (on the page, for the worker's share
// too); decryptPreparedGCM (the AES-GCM module) or decryptPrepared (WebCrypto)
// decrypts and unpads, on the thread that opens the items: the page for the head of a
// batch, the worker for its tail.
//
// It is a second implementation of the format, so it must give exactly Go's outcome
// for every input: the value, or the same error code (parse, unknown_key_version,
// incorrect_key) in the same order of checks. A corpus made by Go
// (wasm/field_corpus_test.go) proves it in Node and in Chromium
// (test/fieldcorpus.test.js, browsertest).

export const FIELD_PREFIX = "enc:v2:";
const LABEL_FIELD = "zkvault/v2/field";
const NONCE = 12;
const TAG = 16;
/** The largest plaintext value of one field (MaxFieldValue). */
export const MAX_FIELD_VALUE = 1 << 20;

/** Padmé (docs/spec 3.2). */
export function padme(L) {
  if (L <= 2) return L;
  const e = 31 - Math.clz32(L); // floor(log2 L)
  const s = 32 - Math.clz32(e); // floor(log2 E) + 1
  const mask = 2 ** (e - s) - 1;
  return Math.floor((L + mask) / (mask + 1)) * (mask + 1);
}

/** Go's base64.RawURLEncoding.EncodedLen. */
const encodedLen = (n) => Math.floor(n / 3) * 4 + Math.floor(((n % 3) * 8 + 5) / 6);

const MAX_INNER = padme(MAX_FIELD_VALUE + 1);
const MAX_TEXT = FIELD_PREFIX.length + 10 + 1 + encodedLen(NONCE + MAX_INNER + TAG);

/** Outcome codes of one item (as the module's error codes). */
export const PARSE = 1;
export const UNKNOWN_VERSION = 2;
export const INCORRECT_KEY = 3;
export const CODES = ["", "parse", "unknown_key_version", "incorrect_key"];

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const ID = /^(?!\.)[A-Za-z0-9._\-:@+=]{1,128}$/;

/** Go's message for an item that failed with code (wasm/errors.go, field.go). */
function message(code, detail) {
  if (code === PARSE) return `zkvault: malformed ${detail}`;
  if (code === UNKNOWN_VERSION) return `zkvault: secret version not in keyring: version ${detail}`;
  return "zkvault: incorrect key or corrupted ciphertext";
}

/**
 * The key version of kid (or of kid[from, to)), or 0 where it is not a decimal
 * 1…4294967295 without leading zeros.
 * @param {string} kid
 */
export function keyVersion(kid, from = 0, to = kid.length) {
  const n = to - from;
  if (n <= 0 || n > 10 || kid.charCodeAt(from) === 48) return 0;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = kid.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return 0;
    v = v * 10 + c;
  }
  return v <= 0xffffffff ? v : 0;
}

/**
 * The key id of an enc:v2 text where it has one of the right form (prefix, a
 * decimal version, ':'), else "": the version a batch needs a key for.
 * @param {unknown} ct
 */
export function kidOf(ct) {
  if (typeof ct !== "string" || !ct.startsWith(FIELD_PREFIX)) return "";
  const c = ct.indexOf(":", 7);
  if (c < 8 || c > 17) return "";
  const kid = ct.slice(7, c);
  return keyVersion(kid) ? kid : "";
}

// base64url values of the characters, 255 outside the alphabet.
const B64 = new Uint8Array(256).fill(255);
{
  const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < 64; i++) B64[a.charCodeAt(i)] = i;
}
const b64 = (c) => (c < 256 ? B64[c] : 255);

const hasSetFromBase64 = typeof Uint8Array.prototype.setFromBase64 === "function";
const B64_OPTIONS = { alphabet: "base64url", lastChunkHandling: "loose" };

/**
 * Decodes s[from…] (strict base64url without padding, as Go's decodeB64) into dst,
 * exactly dst.length bytes (the length the text's length gives). false: not such
 * base64url.
 * @param {string} s
 * @param {number} from
 * @param {Uint8Array} dst
 */
export function decodeB64Into(s, from, dst) {
  const n = s.length - from;
  const r = n & 3;
  if (r === 1) return false;
  // Non-canonical trailing bits: Go refuses them, setFromBase64 ("loose") drops them.
  if (r === 2 && (b64(s.charCodeAt(s.length - 1)) & 0x0f) !== 0) return false;
  if (r === 3 && (b64(s.charCodeAt(s.length - 1)) & 0x03) !== 0) return false;
  if (hasSetFromBase64) {
    // It refuses characters outside the alphabet (and + /) but skips ASCII white
    // space and takes padding: either leaves fewer bytes than the length gives.
    try {
      const res = dst.setFromBase64(from === 0 ? s : s.slice(from), B64_OPTIONS);
      return res.read === n && res.written === dst.length;
    } catch {
      return false;
    }
  }
  let o = 0;
  let i = from;
  const end = s.length - r;
  for (; i < end; i += 4) {
    const a = b64(s.charCodeAt(i));
    const b = b64(s.charCodeAt(i + 1));
    const c = b64(s.charCodeAt(i + 2));
    const d = b64(s.charCodeAt(i + 3));
    if ((a | b | c | d) === 255) return false;
    dst[o++] = (a << 2) | (b >> 4);
    dst[o++] = ((b & 15) << 4) | (c >> 2);
    dst[o++] = ((c & 3) << 6) | d;
  }
  if (r >= 2) {
    const a = b64(s.charCodeAt(i));
    const b = b64(s.charCodeAt(i + 1));
    if ((a | b) === 255) return false;
    dst[o++] = (a << 2) | (b >> 4);
    if (r === 3) {
      const c = b64(s.charCodeAt(i + 2));
      if (c === 255) return false;
      dst[o++] = ((b & 15) << 4) | (c >> 2);
    }
  }
  return o === dst.length;
}

/** Writes u32 big-endian n then the ASCII string s at p; returns the end. */
function putString(buf, p, s) {
  const n = s.length;
  buf[p] = n >>> 24;
  buf[p + 1] = (n >>> 16) & 255;
  buf[p + 2] = (n >>> 8) & 255;
  buf[p + 3] = n & 255;
  p += 4;
  for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(i);
  return p + n;
}

/** Same, for s[from, to). */
function putSlice(buf, p, s, from, to) {
  const n = to - from;
  buf[p] = n >>> 24;
  buf[p + 1] = (n >>> 16) & 255;
  buf[p + 2] = (n >>> 8) & 255;
  buf[p + 3] = n & 255;
  p += 4;
  for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(from + i);
  return p + n;
}

/**
 * Checks and decodes items [from, to) of strs (4 strings per item: collection,
 * record id, field name, enc:v2 text) of space spaceId, everything OpenField does
 * before decrypting, in its order: the place, the text (prefix, key id, strict
 * base64url, lengths), the version (keys: key id → CryptoKey, null or no entry where
 * the keyring has no such version), the size. An item that fails is reported to
 * onError(i, code, message) at once (i counted from `from`); the others are laid out
 * for decryptPrepared, which may run on another thread (the buffers are
 * transferable):
 *
 *   meta  Int32Array, 5 per item: key slot (−1: failed), then the offset and length
 *         of nonce || ciphertext || tag in raw, of the associated data in aad
 *   kids  the key id of each slot
 * @param {string} spaceId
 * @param {string[]} strs
 * @param {number} from
 * @param {number} to
 * @param {Map<string, CryptoKey | null>} keys
 * @param {(i: number, code: number, message: string) => void} onError
 * @returns {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array, kids: string[]}}
 */
export function prepareFields(spaceId, strs, from, to, keys, onError) {
  const n = to - from;
  // Pass 1: the checks that need no decoding, and the sizes of the two arenas
  // (decoded bodies, associated data) the batch uses instead of an allocation each.
  const meta = new Int32Array(takeBuffer(20 * n), 0, 5 * n).fill(-1);
  let rawSize = 0;
  let aadSize = 0;
  const head = 8 + LABEL_FIELD.length + spaceId.length;
  let lastColl = null;
  let lastField = null;
  for (let j = 0; j < n; j++) {
    const k = 4 * (from + j);
    const coll = strs[k];
    const rid = strs[k + 1];
    const field = strs[k + 2];
    const ct = strs[k + 3];
    if (coll !== lastColl) {
      if (!NAME.test(coll)) {
        onError(j, PARSE, message(PARSE, `collection name: ${JSON.stringify(coll)} is not a valid name`));
        continue;
      }
      lastColl = coll;
    }
    if (!ID.test(rid)) {
      onError(j, PARSE, message(PARSE, `record id: ${JSON.stringify(rid)} is not a valid id`));
      continue;
    }
    if (field !== lastField) {
      if (!NAME.test(field)) {
        onError(j, PARSE, message(PARSE, `field name: ${JSON.stringify(field)} is not a valid name`));
        continue;
      }
      lastField = field;
    }
    if (ct.length > MAX_TEXT) {
      onError(j, PARSE, message(PARSE, `enc:v2 field: ${ct.length} characters, at most ${MAX_TEXT} bytes`));
      continue;
    }
    if (!ct.startsWith(FIELD_PREFIX)) {
      onError(j, PARSE, message(PARSE, `enc:v2 field: missing prefix "${FIELD_PREFIX}"`));
      continue;
    }
    const c = ct.indexOf(":", 7);
    if (c < 0) {
      onError(j, PARSE, message(PARSE, "enc:v2 field: missing key id separator"));
      continue;
    }
    if (c > 17 || keyVersion(ct, 7, c) === 0) {
      onError(j, PARSE, message(PARSE, `enc:v2 field: key id ${JSON.stringify(ct.slice(7, c))} is not a decimal 1…4294967295 without leading zeros`));
      continue;
    }
    const bl = ct.length - c - 1;
    const rl = decodedLen(bl);
    if ((bl & 3) === 1) {
      onError(j, PARSE, message(PARSE, "enc:v2 field: body is not base64url without padding"));
      continue;
    }
    if (rl < NONCE + 1 + TAG) {
      // Go decodes first: a body that is not base64url says so, else too short.
      const ok = decodeB64Into(ct, c + 1, new Uint8Array(rl));
      onError(j, PARSE, message(PARSE, ok ? `enc:v2 field: body is ${rl} bytes, at least ${NONCE + 1 + TAG}` : "enc:v2 field: body is not base64url without padding"));
      continue;
    }
    meta[5 * j] = c; // for pass 2
    rawSize += rl;
    aadSize += head + 16 + coll.length + rid.length + field.length + (c - 7);
  }

  // Pass 2: decode, check the version and the size, lay out the associated data.
  const raw = new Uint8Array(takeBuffer(rawSize), 0, rawSize);
  const aad = new Uint8Array(takeBuffer(aadSize), 0, aadSize);
  const prefix = new Uint8Array(head);
  putString(prefix, putString(prefix, 0, LABEL_FIELD), spaceId);
  const kids = [];
  let rp = 0;
  let ap = 0;
  let lastKid = "";
  let slot = -1;
  for (let j = 0; j < n; j++) {
    const m = 5 * j;
    const c = meta[m];
    if (c < 0) continue;
    meta[m] = -1;
    const k = 4 * (from + j);
    const ct = strs[k + 3];
    const rl = decodedLen(ct.length - c - 1);
    if (!decodeB64Into(ct, c + 1, raw.subarray(rp, rp + rl))) {
      onError(j, PARSE, message(PARSE, "enc:v2 field: body is not base64url without padding"));
      continue;
    }
    if (c - 7 !== lastKid.length || !ct.startsWith(lastKid, 7)) {
      lastKid = ct.slice(7, c);
      slot = keys.get(lastKid) ? kids.indexOf(lastKid) : -1;
      if (slot < 0 && keys.get(lastKid)) slot = kids.push(lastKid) - 1;
    }
    if (slot < 0) {
      onError(j, UNKNOWN_VERSION, message(UNKNOWN_VERSION, lastKid));
      continue;
    }
    if (rl - NONCE - TAG > MAX_INNER) {
      onError(j, PARSE, message(PARSE, `enc:v2 field: plaintext longer than ${MAX_INNER} bytes`));
      continue;
    }
    const a0 = ap;
    aad.set(prefix, ap);
    ap = putString(aad, ap + head, strs[k]);
    ap = putString(aad, ap, strs[k + 1]);
    ap = putString(aad, ap, strs[k + 2]);
    ap = putSlice(aad, ap, ct, 7, c);
    meta[m] = slot;
    meta[m + 1] = rp;
    meta[m + 2] = rl;
    meta[m + 3] = a0;
    meta[m + 4] = ap - a0;
    rp += rl;
  }
  return { n, meta, raw, aad, kids };
}

// A batch's arenas (nonces, ciphertexts and associated data, and the offsets: public
// bytes; and, in fieldcrypto.js, the values while their texts are decoded) are taken
// from a few ArrayBuffers kept between batches: a fresh buffer of several MiB costs
// the system a page fault per 4 KiB the first time each page is written, about as
// much as decoding into it. The arenas are handed back (releaseArenas) once every
// decryption of the batch has started (WebCrypto copies its inputs at the call); a
// buffer of values is zeroed first. The pool is dropped after a few seconds without
// use.
const POOL_MIN = 1 << 16;
const POOL_MAX = 32;
/** @type {ArrayBuffer[]} */
const pool = [];
let poolTimer = null;

/** An ArrayBuffer of at least n bytes (of old contents: not zeroed). */
export function takeBuffer(n) {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    if (pool[i].byteLength >= n && (best < 0 || pool[i].byteLength < pool[best].byteLength)) best = i;
  }
  if (best < 0) return new ArrayBuffer(n < POOL_MIN ? n : Math.max(n, POOL_MIN));
  const b = pool[best];
  pool[best] = pool[pool.length - 1];
  pool.pop();
  return b;
}

/**
 * Hands a buffer from takeBuffer back for later use. One too small to keep, or
 * detached (posted away), is skipped; of more than POOL_MAX, the largest are kept.
 * @param {ArrayBuffer} b
 */
export function giveBuffer(b) {
  if (b.byteLength < POOL_MIN) return;
  if (pool.length === POOL_MAX) {
    let min = 0;
    for (let i = 1; i < pool.length; i++) if (pool[i].byteLength < pool[min].byteLength) min = i;
    if (pool[min].byteLength >= b.byteLength) return;
    pool[min] = b;
  } else pool.push(b);
  if (poolTimer !== null) clearTimeout(poolTimer);
  poolTimer = setTimeout(() => {
    pool.length = 0;
    poolTimer = null;
  }, 3000);
  poolTimer.unref?.();
}

/** For tests: the buffers the pool keeps now. */
export function pooledBuffersForTesting() {
  return pool.slice();
}

/**
 * Hands the arenas of a prepared batch (prepareFields' meta, raw and aad) back for
 * later batches.
 * @param {{meta: Int32Array, raw: Uint8Array, aad: Uint8Array}} p
 */
export function releaseArenas(p) {
  giveBuffer(p.meta.buffer);
  giveBuffer(p.raw.buffer);
  giveBuffer(p.aad.buffer);
}

const decodedLen = (bl) => (bl >> 2) * 3 + ((bl & 3) === 3 ? 2 : (bl & 3) === 2 ? 1 : 0);

/**
 * Decrypts the items prepareFields laid out, all in flight, and unpads them: per
 * item onValue(i, plain, n, bytes) with plain the ArrayBuffer WebCrypto returned (the
 * inner plaintext: the value is its first n bytes) and bytes a Uint8Array over all
 * of it, or onError(i, INCORRECT_KEY, message). Items that failed in prepareFields
 * are skipped. Every decryption has started when it returns (the arenas may then be
 * released). Resolves once every item has been reported.
 * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array}} p
 * @param {(CryptoKey | null | undefined)[]} slots the key of each slot (p.kids)
 * @param {(i: number, plain: ArrayBuffer, n: number, bytes: Uint8Array) => void} onValue
 * @param {(i: number, code: number, message: string) => void} onError
 * @returns {Promise<void>}
 */
export function decryptPrepared(p, slots, onValue, onError) {
  const { n, meta, raw, aad } = p;
  const subtle = globalThis.crypto.subtle;
  // One algorithm object for every call: decrypt reads (and copies) it before it
  // returns, so changing it for the next item is safe.
  const alg = { name: "AES-GCM", iv: raw, additionalData: aad, tagLength: 128 };
  let pending = 1;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const settle = () => {
    if (--pending === 0) done();
  };
  const fail = (j) => {
    onError(j, INCORRECT_KEY, message(INCORRECT_KEY));
    settle();
  };
  for (let j = 0; j < n; j++) {
    const m = 5 * j;
    const slot = meta[m];
    if (slot < 0) continue;
    const key = slots[slot];
    const rp = meta[m + 1];
    const ap = meta[m + 3];
    if (!key) {
      onError(j, INCORRECT_KEY, message(INCORRECT_KEY));
      continue;
    }
    alg.iv = raw.subarray(rp, rp + NONCE);
    alg.additionalData = aad.subarray(ap, ap + meta[m + 4]);
    pending++;
    subtle.decrypt(alg, key, raw.subarray(rp + NONCE, rp + meta[m + 2])).then(
      (plain) => {
        // Unpad: strip the trailing zeros, then the 0x80 marker must be there.
        const b = new Uint8Array(plain);
        let e = b.length - 1;
        while (e >= 0 && b[e] === 0) e--;
        if (e < 0 || b[e] !== 0x80 || e > MAX_FIELD_VALUE) {
          b.fill(0);
          onError(j, INCORRECT_KEY, message(INCORRECT_KEY));
        } else {
          onValue(j, plain, e, b);
        }
        settle();
      },
      () => fail(j),
    );
  }
  settle();
  return finished;
}

/**
 * Decrypts and unpads the items prepareFields laid out with the AES-GCM module
 * (gcm.js) on this thread, synchronously: ctxs[slot] is the address of the module's
 * context for each key slot (p.kids). Items under one key go 16 at a time through
 * open16 (their GHASH side by side; fewer than 4 left over, one by one). The values
 * end in the module's memory, item j's at out + offs[j] with lens[j] its length (the
 * rest of its place, its inner plaintext's length, zeroed; an item that fails is
 * reported to onError, its place zeroed, lens[j] left as it is). The nonces,
 * ciphertexts and associated data are copied into the module's memory first (the
 * caller may then release the arenas). Returns out and the module's memory.
 * @param {{n: number, meta: Int32Array, raw: Uint8Array, aad: Uint8Array}} p
 * @param {import("./gcm.js").GCM} gcm
 * @param {number[]} ctxs
 * @param {Int32Array} offs
 * @param {Int32Array} lens
 * @param {number} size the sum of the items' inner plaintext lengths
 * @param {(i: number, code: number, message: string) => void} onError
 * @returns {{mem: Uint8Array, out: number}}
 */
export function decryptPreparedGCM(p, gcm, ctxs, offs, lens, size, onError) {
  const { n, meta, raw, aad } = p;
  let maxA = 0;
  let maxL = 0;
  for (let j = 0; j < n; j++) {
    if (meta[5 * j] < 0) continue;
    maxL = Math.max(maxL, meta[5 * j + 2] - NONCE - TAG);
    maxA = Math.max(maxA, meta[5 * j + 4]);
  }
  const rawAt = gcm.data(raw.length + aad.length + size + 16 + 32 * 16 + gcm.workSize(maxA, maxL));
  const aadAt = rawAt + raw.length;
  const out = aadAt + aad.length;
  const descAt = (out + size + 15) & ~15;
  const work = descAt + 32 * 16;
  const mem = gcm.bytes;
  mem.set(raw, rawAt);
  mem.set(aad, aadAt);
  const desc = new Int32Array(mem.buffer, descAt, 8 * 16);

  // Unpad: strip the trailing zeros, then the 0x80 marker must be there.
  const unpad = (j) => {
    const at = out + offs[j];
    const len = meta[5 * j + 2] - NONCE - TAG;
    let e = at + len - 1;
    while (e >= at && mem[e] === 0) e--;
    if (e < at || mem[e] !== 0x80 || e - at > MAX_FIELD_VALUE) {
      mem.fill(0, at, at + len);
      onError(j, INCORRECT_KEY, message(INCORRECT_KEY));
      return;
    }
    mem[e] = 0;
    lens[j] = e - at;
  };
  // Item j's descriptor at desc[d…d + 7]: nonce, ciphertext, its length, associated
  // data, its length, the output (as open() takes them), then the status open16
  // writes back.
  const describe = (j, d) => {
    const m = 5 * j;
    const rp = rawAt + meta[m + 1];
    desc[d] = rp;
    desc[d + 1] = rp + NONCE;
    desc[d + 2] = meta[m + 2] - NONCE - TAG;
    desc[d + 3] = aadAt + meta[m + 3];
    desc[d + 4] = meta[m + 4];
    desc[d + 5] = out + offs[j];
    desc[d + 6] = 0;
  };
  const one = (ctx, j) => {
    describe(j, 0);
    if (gcm.open(ctx, desc[0], desc[1], desc[2], desc[3], desc[4], desc[5])) unpad(j);
    else onError(j, INCORRECT_KEY, message(INCORRECT_KEY)); // the module left zeros
  };
  const flush = (slot, js) => {
    const ctx = ctxs[slot];
    if (js.length < 4) {
      for (const j of js) one(ctx, j);
      return;
    }
    for (let k = 0; k < js.length; k++) describe(js[k], 8 * k);
    gcm.open16(ctx, descAt, js.length, work);
    for (let k = 0; k < js.length; k++) {
      if (desc[8 * k + 6] === 1) unpad(js[k]);
      else onError(js[k], INCORRECT_KEY, message(INCORRECT_KEY));
    }
  };
  /** @type {number[][]} items waiting for a group of 16, by key slot */
  const waiting = ctxs.map(() => []);
  for (let j = 0; j < n; j++) {
    const slot = meta[5 * j];
    if (slot < 0) continue;
    const w = waiting[slot];
    w.push(j);
    if (w.length === 16) {
      flush(slot, w);
      w.length = 0;
    }
  }
  waiting.forEach((w, slot) => w.length > 0 && flush(slot, w));
  return { mem, out };
}
