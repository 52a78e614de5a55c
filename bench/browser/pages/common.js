// Shared by the benchmark pages. The package is served under /pkg/ (jsbridge/js as
// npm pack ships it); the pages under /pages/. No inline scripts: the CSP is
// script-src 'self' 'wasm-unsafe-eval', as for apps.

export const subtle = crypto.subtle;
export const enc = new TextEncoder();

/** The running Go instance (wasm_exec.js's Go object), to read the module's memory. */
export let goInstance = null;

/**
 * load() with a Go subclass that remembers its instance, so that the page can read
 * the size of the module's WebAssembly.Memory (wasm_exec.js keeps the instance in
 * go._inst; the package has no accessor for it).
 */
export async function loadZk(opts = {}) {
  await import("/pkg/wasm_exec.js");
  const Base = globalThis.Go;
  class Go extends Base {
    constructor() {
      super();
      goInstance = this;
    }
  }
  const { load } = await import("/pkg/src/index.js");
  return load({ ...opts, Go });
}

/** Bytes of the module's linear memory (it only grows). */
export function wasmBytes() {
  return goInstance?._inst?.exports?.mem?.buffer?.byteLength ?? NaN;
}

/** Used JS heap (Chromium; precise with --enable-precise-memory-info). */
export function jsHeap() {
  return performance.memory?.usedJSHeapSize ?? NaN;
}

export function gc() {
  if (typeof globalThis.gc === "function") globalThis.gc();
}

export function randomBytes(n) {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, Math.min(n, off + 65536)));
  return b;
}

/** Printable ASCII of n bytes (a text field), different for each i. */
export function asciiValue(i, n) {
  const head = `value ${i} `;
  let s = head;
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
  const r = randomBytes(n);
  for (let k = head.length; k < n; k++) s += alphabet[r[k] % alphabet.length];
  return s;
}

/** tuple.Strings as the core encodes it is not needed here: AAD only has to be per value. */
export function aadOf(spaceId, collection, recordId, field) {
  return enc.encode(`zkvault/v2/field\0${spaceId}\0${collection}\0${recordId}\0${field}\x001`);
}

/**
 * A ReadableStream of `total` bytes in chunks of `chunk` bytes, generated on
 * demand (a fresh buffer per chunk), so that the source itself holds no more than a
 * chunk or two whatever the size.
 */
export function sourceStream(total, chunk = 1 << 20) {
  let sent = 0;
  let n = 0;
  return new ReadableStream(
    {
      pull(c) {
        if (sent >= total) {
          c.close();
          return;
        }
        const len = Math.min(chunk, total - sent);
        const b = new Uint8Array(len);
        b.fill(n++ & 0xff);
        sent += len;
        c.enqueue(b);
      },
    },
    { highWaterMark: 1 },
  );
}

export function report(obj) {
  window.benchResult = obj;
}
