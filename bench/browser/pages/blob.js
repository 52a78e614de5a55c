// One blob encryption per page load (a fresh module, so that the growth of its
// memory belongs to this blob alone): window.runBlob({impl, size, inflight, memory})
// encrypts `size` bytes generated on demand and discards the output. With memory,
// it forces a garbage collection after every MiB of output and samples the JS heap
// then (the live heap, not garbage awaiting collection), and reports the peak; the
// timing of such a run is not used. The module's memory is read before and after
// (it never shrinks, so after = peak).
//   impl "zk"     space.encryptBlob (the package's TransformStream)
//   impl "web"    plain WebCrypto AES-256-GCM over the same 64 KiB chunks with
//                 `inflight` encryptions in flight, output kept in order
import { gc, jsHeap, loadZk, randomBytes, sourceStream, subtle, wasmBytes } from "./common.js";

const CHUNK = 64 << 10;

const zk = await loadZk();
const space = await zk.createSpace("bench-blob");

function nonce(i, final) {
  const n = new Uint8Array(12);
  let x = i;
  for (let k = 10; k >= 0 && x > 0; k--) {
    n[k] = x & 0xff;
    x = Math.floor(x / 256);
  }
  n[11] = final ? 1 : 0;
  return n;
}

async function drain(stream, sample) {
  const r = stream.getReader();
  let bytes = 0;
  for (;;) {
    const { value, done } = await r.read();
    if (done) return bytes;
    bytes += value.byteLength;
    sample(value.byteLength);
  }
}

async function webcryptoBlob(size, inflight, sample) {
  const key = await subtle.importKey("raw", randomBytes(32), "AES-GCM", false, ["encrypt"]);
  const total = Math.ceil(size / CHUNK);
  const reader = sourceStream(size).getReader();
  const pending = [];
  let i = 0;
  let out = 44; // the header
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (let off = 0; off < value.length; off += CHUNK) {
      const pt = value.subarray(off, off + CHUNK);
      pending.push(subtle.encrypt({ name: "AES-GCM", iv: nonce(i, i === total - 1) }, key, pt));
      i++;
      if (pending.length >= inflight) {
        const c = await pending.shift();
        out += c.byteLength;
        sample(c.byteLength);
      }
    }
  }
  while (pending.length) {
    const c = await pending.shift();
    out += c.byteLength;
    sample(c.byteLength);
  }
  return out;
}

window.runBlob = async ({ impl, size, inflight = 8, memory = false }) => {
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const heap0 = jsHeap();
  const wasm0 = wasmBytes();
  let heapPeak = heap0;
  let since = 0;
  const sample = memory
    ? (n) => {
        since += n;
        if (since < 1 << 20) return;
        since = 0;
        gc();
        const h = jsHeap();
        if (h > heapPeak) heapPeak = h;
      }
    : () => {};
  const t0 = performance.now();
  let outBytes;
  if (impl === "zk") outBytes = await drain(space.encryptBlob("blob-1", sourceStream(size)), sample);
  else outBytes = await webcryptoBlob(size, inflight, sample);
  const ms = performance.now() - t0;
  if (memory) {
    gc();
    const h = jsHeap();
    if (h > heapPeak) heapPeak = h;
  }
  const expected = 44 + size + 16 * Math.ceil(size / CHUNK);
  if (outBytes !== expected) throw new Error(`output ${outBytes} bytes, expected ${expected}`);
  return {
    ms,
    size,
    heapGrowth: heapPeak - heap0,
    wasmGrowth: wasmBytes() - wasm0,
    wasmBytes: wasmBytes(),
  };
};
window.benchReady = true;
