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
// reference; the frozen vectors run against both). The output is pulled: nothing is
// read or sealed ahead of a consumer by more than IN_FLIGHT chunks.

import { ZkvaultError } from "./zkvault.js";

/** Chunks sealed or opened at once; memory stays near 2 × IN_FLIGHT chunks and one input piece. */
const IN_FLIGHT = 8;
const HEADER_SIZE = 44;
const TAG_SIZE = 16;
const MAX_CHUNKS = 2 ** 32;

const corrupt = (what) => new ZkvaultError("corrupt", `stream: blob is corrupt or was tampered with: ${what}`);

/**
 * nonce_i = u88be(i) || flag, written into one buffer per stream: WebCrypto copies the
 * iv when called. i < 2³², so only bytes 7–10 of the counter are ever set.
 */
class Nonce {
  bytes = new Uint8Array(12);
  #view = new DataView(this.bytes.buffer);
  set(i, final) {
    this.#view.setUint32(7, i);
    this.bytes[11] = final ? 1 : 0;
    return this.bytes;
  }
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
 * Cuts a byte stream into pieces of `size` bytes. A full piece is handed out only once
 * a byte after it has arrived, so every piece next() returns is not the last; rest()
 * is the last (0 … size bytes) once the input has ended. A piece is valid until the
 * next call: WebCrypto copies its input when called.
 */
class Pieces {
  #size;
  #buf;
  #len = 0;
  #in = new Uint8Array(0);
  #off = 0;
  constructor(size) {
    this.#size = size;
    // Grown with the data: a small blob with a large chunk size stays small.
    this.#buf = new Uint8Array(Math.min(size, 64 << 10));
  }
  feed(b) {
    this.#in = b;
    this.#off = 0;
  }
  /** The next piece that is not the last, or null once the input fed is used up. */
  next() {
    const b = this.#in;
    while (this.#off < b.length) {
      if (this.#len === this.#size) {
        this.#len = 0;
        return this.#buf.subarray(0, this.#size);
      }
      if (this.#len === 0 && b.length - this.#off > this.#size) {
        // A whole piece with more input after it: no copy.
        return b.subarray(this.#off, (this.#off += this.#size));
      }
      const n = Math.min(this.#size - this.#len, b.length - this.#off);
      if (this.#len + n > this.#buf.length) this.#grow(this.#len + n);
      this.#buf.set(b.subarray(this.#off, this.#off + n), this.#len);
      this.#len += n;
      this.#off += n;
    }
    this.#in = new Uint8Array(0);
    return null;
  }
  rest() {
    return this.#buf.subarray(0, this.#len);
  }
  wipe() {
    this.#buf.fill(0);
    this.#len = 0;
    this.#in = new Uint8Array(0);
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
  #error;
  /** error(): what a rejected operation fails the stream with. */
  constructor(error) {
    this.#error = error;
  }
  get full() {
    return this.#queue.length >= IN_FLIGHT;
  }
  get empty() {
    return this.#queue.length === 0;
  }
  add(p) {
    p.catch(() => {}); // awaited in order by take(); not unhandled meanwhile
    this.#queue.push(p);
  }
  /** Waits for the oldest and enqueues its output. */
  async take(controller) {
    let out;
    try {
      out = await this.#queue.shift();
    } catch (e) {
      throw e instanceof ZkvaultError ? e : this.#error();
    }
    controller.enqueue(new Uint8Array(out));
  }
}

/**
 * A ReadableStream pulled from source (a ReadableStream of bytes) through codec:
 *   start(controller)  once, before anything else
 *   feed(bytes)        takes the next input chunk (may return a promise)
 *   next()             starts the next operation the input allows and returns its
 *                      promise, or returns null when it needs more input
 *   end()              starts the operation on what is left at the end of the input
 *   stop()             forgets key and buffers (at the end, on error, on cancel)
 *   error()            the error of a rejected operation
 * next() and end() throw what the input breaks. Each pull starts operations until
 * IN_FLIGHT are in flight, reading input only as needed, then releases the oldest
 * result: a consumer that does not read stops the input. What next() or end() throws
 * fails the stream after the results before it have been released.
 */
function pulled(source, codec) {
  const inFlight = new InFlight(codec.error);
  const reader = source.getReader();
  let ended = false;
  const fail = (e) => {
    inFlight.add(Promise.reject(e));
    ended = true;
  };
  const abort = (e) => {
    codec.stop();
    reader.cancel(e).catch(() => {});
  };
  // workerd (Cloudflare Workers) may call pull before start's promise has settled;
  // the streams standard does not. pull waits for start either way.
  let started;
  return new ReadableStream(
    {
      start(controller) {
        started = (async () => {
          try {
            await codec.start(controller);
          } catch (e) {
            abort(e);
            throw e;
          }
        })();
        return started;
      },
      async pull(controller) {
        await started;
        try {
          while (!inFlight.full && !ended) {
            let p;
            try {
              p = codec.next();
            } catch (e) {
              fail(e);
              break;
            }
            if (p) {
              inFlight.add(p);
              continue;
            }
            const { value, done } = await reader.read();
            if (!done) {
              await codec.feed(toBytes(value));
              continue;
            }
            ended = true;
            try {
              inFlight.add(codec.end());
            } catch (e) {
              fail(e);
            }
            codec.stop();
          }
          if (inFlight.empty) controller.close();
          else await inFlight.take(controller);
        } catch (e) {
          abort(e);
          throw e;
        }
      },
      cancel(reason) {
        abort(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The stored blob (header first) of the plaintext source, a ReadableStream of bytes.
 * begin() resolves with {header, key, chunkSize} (blobEncryptBegin).
 */
export function encryptStream(begin, source) {
  let s;
  let key;
  let pieces;
  let i = 0;
  const nonce = new Nonce();
  const seal = (pt, final) => {
    if (i >= MAX_CHUNKS || (!final && i === MAX_CHUNKS - 1)) throw new ZkvaultError("too_large", "stream: blob too large");
    return s.encrypt({ name: "AES-GCM", iv: nonce.set(i++, final), tagLength: 128 }, key, pt);
  };
  return pulled(source, {
    async start(controller) {
      s = subtle();
      const r = await begin();
      begin = null;
      key = r.key;
      pieces = new Pieces(r.chunkSize);
      controller.enqueue(r.header);
    },
    feed: (b) => pieces.feed(b),
    next() {
      const pt = pieces.next();
      return pt && seal(pt, false);
    },
    end: () => seal(pieces.rest(), true),
    stop() {
      pieces?.wipe();
      key = null;
    },
    error: () => new ZkvaultError("internal", "crypto.subtle.encrypt failed"),
  });
}

/**
 * The plaintext of the stored blob source, a ReadableStream of bytes. It errors with
 * code "corrupt" on any damage and closes only after the final chunk has verified.
 * begin(header) resolves with {key, chunkSize} (blobDecryptBegin).
 */
export function decryptStream(begin, source) {
  let s;
  let header = new Uint8Array(HEADER_SIZE);
  let got = 0;
  let key;
  let pieces;
  let i = 0;
  const nonce = new Nonce();
  // 5.5: rule 3 before decrypting, then rule 4.
  const open = (ct, final) => {
    if (i >= MAX_CHUNKS) throw corrupt("too many chunks");
    if (ct.length < TAG_SIZE) throw corrupt("truncated chunk");
    if (final && i > 0 && ct.length === TAG_SIZE) throw corrupt("empty final chunk");
    return s.decrypt({ name: "AES-GCM", iv: nonce.set(i++, final), tagLength: 128 }, key, ct);
  };
  return pulled(source, {
    start() {
      s = subtle();
    },
    async feed(b) {
      if (!pieces) {
        const n = Math.min(HEADER_SIZE - got, b.length);
        header.set(b.subarray(0, n), got);
        got += n;
        if (got < HEADER_SIZE) return;
        const r = await begin(header);
        begin = header = null;
        key = r.key;
        pieces = new Pieces(r.chunkSize + TAG_SIZE);
        b = b.subarray(n);
      }
      pieces.feed(b);
    },
    next() {
      const ct = pieces?.next();
      return ct && open(ct, false);
    },
    end() {
      if (!pieces) throw new ZkvaultError("corrupt", "stream: bad blob header: length: blob shorter than a header");
      return open(pieces.rest(), true);
    },
    stop() {
      key = null;
    },
    error: () => corrupt("chunk failed authentication"),
  });
}

/** A {writable, readable} pair (what pipeThrough takes) over encryptStream or decryptStream. */
export function transform(stream) {
  const { writable, readable } = new TransformStream();
  return { writable, readable: stream(readable) };
}
