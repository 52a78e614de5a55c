// Blob streams (docs/spec/05-blobs.md) run here, in JavaScript. The module derives a
// blob's key and hands it out as a non-extractable AES-GCM CryptoKey
// (blobEncryptBegin, blobDecryptBegin); the chunks go through crypto.subtle with
// IN_FLIGHT of them at once and their output in order, so no chunk makes a round trip
// through the module (docs/spec/10-browser-provider.md 10.1 says what this trades).
//
//   chunk_i = AES-256-GCM(blob key, nonce_i, plaintext_i, no associated data)
//   nonce_i = u88be(i) || 00, and || 01 for the final chunk
//
// Writers hold a full chunk back until one more byte arrives (it is not final) or the
// input ends (it is); readers do the same with pieces of chunk size + 16 bytes, check
// lengths before decrypting, and release a chunk only once its tag has verified. A
// stream ends only after the final chunk: a cut, reordered, duplicated or foreign
// chunk fails with code "corrupt" (stream.NewWriter and stream.NewReader are the
// reference; the frozen vectors run against both).

import { ZkvaultError } from "./zkvault.js";

/** Chunks sealed or opened at once; memory stays near 2 × IN_FLIGHT chunks. */
const IN_FLIGHT = 8;
const HEADER_SIZE = 44;
const TAG_SIZE = 16;
const MAX_CHUNKS = 2 ** 32;

const corrupt = (what) => new ZkvaultError("corrupt", `stream: blob is corrupt or was tampered with: ${what}`);

/** nonce_i: u88be(i) || flag. i < 2³², so only the low 4 bytes of the counter are set. */
function nonce(i, final) {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(7, i);
  n[11] = final ? 1 : 0;
  return n;
}

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new ZkvaultError("internal", "zkvault: WebCrypto (crypto.subtle) is not available");
  return s;
}

const utf8 = new TextEncoder();

function toBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return utf8.encode(value);
  throw new TypeError("zkvault: blob chunk must be a string or bytes");
}

/**
 * Cuts a byte stream into pieces of `size` bytes. A full piece is handed out only
 * once a byte after it has arrived, so every piece push() yields is not the last;
 * rest() is the last (0 … size bytes) once the input has ended. A yielded piece is
 * valid until the generator resumes: WebCrypto copies its input when called.
 */
class Pieces {
  #size;
  #buf;
  #len = 0;
  constructor(size) {
    this.#size = size;
    // Grown with the data: a small blob with a large chunk size stays small.
    this.#buf = new Uint8Array(Math.min(size, 64 << 10));
  }
  *push(b) {
    let off = 0;
    while (off < b.length) {
      if (this.#len === this.#size) {
        yield this.#buf.subarray(0, this.#size);
        this.#len = 0;
      }
      if (this.#len === 0 && b.length - off > this.#size) {
        // A whole piece with more input after it: no copy.
        yield b.subarray(off, off + this.#size);
        off += this.#size;
        continue;
      }
      const n = Math.min(this.#size - this.#len, b.length - off);
      if (this.#len + n > this.#buf.length) this.#grow(this.#len + n);
      this.#buf.set(b.subarray(off, off + n), this.#len);
      this.#len += n;
      off += n;
    }
  }
  rest() {
    return this.#buf.subarray(0, this.#len);
  }
  wipe() {
    this.#buf.fill(0);
    this.#len = 0;
  }
  #grow(n) {
    const b = new Uint8Array(Math.min(this.#size, Math.max(n, 2 * this.#buf.length)));
    b.set(this.#buf.subarray(0, this.#len));
    this.#buf.fill(0);
    this.#buf = b;
  }
}

/** Operations in flight, oldest first; output leaves in order. */
class InFlight {
  #queue = [];
  get full() {
    return this.#queue.length >= IN_FLIGHT;
  }
  add(p) {
    p.catch(() => {}); // awaited in order by take(); not unhandled meanwhile
    this.#queue.push(p);
  }
  /** Waits for the oldest and enqueues its output (a rejection is the stream's error). */
  async take(controller) {
    controller.enqueue(new Uint8Array(await this.#queue.shift()));
  }
  async drain(controller) {
    while (this.#queue.length > 0) await this.take(controller);
  }
}

/**
 * A TransformStream that encrypts: plaintext in, the blob out (header first).
 * begin() resolves with {header, key, chunkSize} (blobEncryptBegin).
 */
export function blobEncryptor(begin) {
  let key;
  let pieces;
  let s;
  let i = 0;
  const inFlight = new InFlight();
  const seal = (pt, final) => {
    if (i >= MAX_CHUNKS || (!final && i === MAX_CHUNKS - 1)) throw new ZkvaultError("too_large", "stream: blob too large");
    const p = s.encrypt({ name: "AES-GCM", iv: nonce(i, final), tagLength: 128 }, key, pt);
    inFlight.add(p.catch(() => Promise.reject(new ZkvaultError("internal", "crypto.subtle.encrypt failed"))));
    i++;
  };
  return new TransformStream({
    async start(controller) {
      s = subtle();
      const r = await begin();
      begin = null;
      key = r.key;
      pieces = new Pieces(r.chunkSize);
      controller.enqueue(r.header);
    },
    async transform(chunk, controller) {
      for (const pt of pieces.push(toBytes(chunk))) {
        seal(pt, false);
        if (inFlight.full) await inFlight.take(controller);
      }
    },
    async flush(controller) {
      seal(pieces.rest(), true);
      pieces.wipe();
      key = null;
      await inFlight.drain(controller);
    },
    cancel() {
      pieces?.wipe();
      key = null;
    },
  });
}

/**
 * A TransformStream that decrypts: the blob in, plaintext out; it errors with code
 * "corrupt" on any damage and closes only after the final chunk has verified.
 * begin(header) resolves with {key, chunkSize} (blobDecryptBegin).
 */
export function blobDecryptor(begin) {
  let header = new Uint8Array(HEADER_SIZE);
  let got = 0;
  let key;
  let pieces;
  let s;
  let i = 0;
  const inFlight = new InFlight();
  // 5.5 rule 3, then rule 4. A piece that breaks rule 3 fails the stream after the
  // chunks before it have been released, as stream.NewReader does.
  const open = async (ct, final, controller) => {
    let bad;
    if (i >= MAX_CHUNKS) bad = "too many chunks";
    else if (ct.length < TAG_SIZE) bad = "truncated chunk";
    else if (final && i > 0 && ct.length === TAG_SIZE) bad = "empty final chunk";
    if (bad) {
      await inFlight.drain(controller);
      throw corrupt(bad);
    }
    const p = s.decrypt({ name: "AES-GCM", iv: nonce(i, final), tagLength: 128 }, key, ct);
    inFlight.add(p.catch(() => Promise.reject(corrupt("chunk failed authentication"))));
    i++;
  };
  return new TransformStream({
    start() {
      s = subtle();
    },
    async transform(chunk, controller) {
      let b = toBytes(chunk);
      if (!key) {
        const n = Math.min(HEADER_SIZE - got, b.length);
        header.set(b.subarray(0, n), got);
        got += n;
        b = b.subarray(n);
        if (got < HEADER_SIZE) return;
        const r = await begin(header);
        begin = header = null;
        key = r.key;
        pieces = new Pieces(r.chunkSize + TAG_SIZE);
      }
      for (const ct of pieces.push(b)) {
        await open(ct, false, controller);
        if (inFlight.full) await inFlight.take(controller);
      }
    },
    async flush(controller) {
      if (!key) throw new ZkvaultError("corrupt", "stream: bad blob header: length: blob shorter than a header");
      await open(pieces.rest(), true, controller);
      key = null;
      await inFlight.drain(controller);
    },
    cancel() {
      key = null;
    },
  });
}
