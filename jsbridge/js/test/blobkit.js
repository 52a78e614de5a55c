// Blob streams in the shared test kit (Node and Chromium): a blob made natively
// (jsbridge/internal/verify blob), cut, reordered, duplicated, altered and fed in odd
// pieces, must fail with code "corrupt" after releasing only an authentic prefix, and
// blobs of every awkward size must round trip through the JS streams. Plain ES module.

import { b64url } from "./kit.js";

const H = 44; // header
const C = 64 << 10; // DefaultChunkSize
const T = 16; // tag
const PIECE = C + T;

/** Plaintext bytes k mod 251, as the native verifier makes them. */
export const pattern = (n) => Uint8Array.from({ length: n }, (_, k) => k % 251);

/** A ReadableStream of b in pieces whose sizes cycle through sizes. */
export function inPieces(b, sizes) {
  let off = 0;
  let k = 0;
  return new ReadableStream(
    {
      pull(c) {
        if (off >= b.length) return c.close();
        const n = sizes[k++ % sizes.length];
        c.enqueue(b.slice(off, off + n));
        off += n;
      },
    },
    { highWaterMark: 0 },
  );
}

/** {out, error}: everything a stream released before it ended or failed. */
async function drain(stream) {
  const parts = [];
  let error = null;
  try {
    for await (const p of stream) parts.push(p);
  } catch (e) {
    error = e;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return { out, error };
}

const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** The header and the chunks of a blob (5.7). */
function split(blob) {
  const chunks = [];
  for (let off = H; off < blob.length; off += PIECE) chunks.push(blob.subarray(off, Math.min(off + PIECE, blob.length)));
  return { header: blob.subarray(0, H), chunks };
}

function flip(b, i) {
  const c = b.slice();
  c[i] ^= 1;
  return c;
}

/**
 * Runs the damage cases against native blobs. a: {handover, blob} of 3 chunks and
 * 1000 bytes (verify blob <space> 197608), b: of exactly 3 chunks (verify blob <space>
 * 196608), both blob "blob-native" in space spaceId. Resolves with one {name, ok,
 * detail} per case.
 */
export async function blobDamageCases(zk, spaceId, a, b) {
  const space = await zk.openHandover(spaceId, a.handover);
  const blobA = b64url.decode(a.blob);
  const blobB = b64url.decode(b.blob);
  const plainA = pattern(3 * C + 1000);
  const plainB = pattern(3 * C);
  const A = split(blobA);
  const B = split(blobB);
  const results = [];
  const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);

  const ok = async (name, blob, plain, sizes) => {
    const { out, error } = await drain(space.decryptBlob("blob-native", sizes ? inPieces(blob, sizes) : blob));
    const fine = !error && same(out, plain);
    results.push({ name, ok: fine, detail: fine ? "" : error ? `threw ${error.code} ${error.message}` : `${out.length} bytes, wrong plaintext` });
  };
  // Must fail with code (corrupt unless said) after releasing exactly `released`
  // bytes of plaintext (the authentic chunks before the damage), in order.
  const bad = async (name, blob, plain, released, { id = "blob-native", code = "corrupt", sizes } = {}) => {
    const { out, error } = await drain(space.decryptBlob(id, sizes ? inPieces(blob, sizes) : blob));
    let detail = "";
    if (!error) detail = "decrypted";
    else if (error.code !== code) detail = `code ${error.code} (${error.message}), want ${code}`;
    else if (error.name !== "ZkvaultError") detail = `a ${error.name}, want a ZkvaultError`;
    else if (out.length !== released || !same(out, plain.subarray(0, released))) detail = `released ${out.length} bytes, want the first ${released}`;
    results.push({ name, ok: detail === "", detail });
  };

  const [c0, c1, c2, c3] = A.chunks;
  await ok("intact, whole", blobA, plainA);
  await ok("intact, in pieces of 1, 43, 44, C+16, C+17, 999 bytes", blobA, plainA, [1, 43, 44, PIECE, PIECE + 1, 999]);
  await ok("intact, in pieces of 65535 bytes", blobA, plainA, [C - 1]);
  await ok("full final chunk, whole", blobB, plainB);
  await ok("full final chunk, in pieces of C+16 bytes", blobB, plainB, [PIECE]);

  await bad("cut at a chunk boundary (final chunk dropped)", cat(A.header, c0, c1, c2), plainA, 2 * C);
  await bad("cut at a chunk boundary, full chunks (final chunk dropped)", cat(B.header, ...B.chunks.slice(0, 2)), plainB, C);
  await bad("cut inside the final chunk", blobA.subarray(0, blobA.length - 100), plainA, 3 * C);
  await bad("cut inside a full chunk", blobA.subarray(0, H + PIECE + 1000), plainA, C);
  await bad("cut leaving 10 bytes of the final chunk", blobA.subarray(0, H + 3 * PIECE + 10), plainA, 3 * C);
  await bad("cut leaving 10 bytes, in pieces", blobA.subarray(0, H + 3 * PIECE + 10), plainA, 3 * C, { sizes: [1000] });
  await bad("chunks 0 and 1 swapped", cat(A.header, c1, c0, c2, c3), plainA, 0);
  await bad("chunks 1 and 2 swapped", cat(A.header, c0, c2, c1, c3), plainA, C);
  await bad("chunk 1 duplicated", cat(A.header, c0, c1, c1, c2, c3), plainA, 2 * C);
  await bad("chunk 1 dropped", cat(A.header, c0, c2, c3), plainA, C);
  await bad("final chunk moved to the front", cat(A.header, c3, c0, c1, c2), plainA, 0);
  await bad("bit flipped in chunk 2", cat(A.header, c0, c1, flip(c2, 5000), c3), plainA, 2 * C);
  await bad("bit flipped in chunk 2, in pieces", cat(A.header, c0, c1, flip(c2, 5000), c3), plainA, 2 * C, { sizes: [777, PIECE] });
  await bad("bit flipped in the final tag", flip(blobA, blobA.length - 1), plainA, 3 * C);
  await bad("bit flipped in chunk 0's tag", cat(A.header, flip(c0, PIECE - 1), c1, c2, c3), plainA, 0);
  await bad("one byte appended", cat(blobA, new Uint8Array(1)), plainA, 3 * C);
  await bad("final chunk appended again", cat(blobA, c3), plainA, 3 * C);
  // The full final chunk, no longer last, fails before the empty one is looked at.
  await bad("empty final chunk after a full one", cat(blobB, B.chunks[2].subarray(0, T)), plainB, 2 * C);
  await bad("empty final chunk after full ones (5.5 rule 3)", cat(B.header, B.chunks[0], B.chunks[1], B.chunks[2].subarray(0, T)), plainB, 2 * C);
  await bad("chunk 0 of another blob", cat(A.header, B.chunks[0], c1, c2, c3), plainA, 0);
  await bad("header salt changed", flip(blobA, 20), plainA, 0);
  await bad("header chunk size changed", flip(blobA, 10), plainA, 0);
  await bad("header magic changed", flip(blobA, 0), plainA, 0);
  await bad("header only", blobA.subarray(0, H), plainA, 0);
  await bad("43 bytes", blobA.subarray(0, H - 1), plainA, 0);
  await bad("empty", new Uint8Array(0), plainA, 0);
  await bad("another blob id", blobA, plainA, 0, { id: "blob-other" });
  await bad("header key version not in the keyring", cat(blobA.subarray(0, 4), new Uint8Array([0, 0, 0, 9]), blobA.subarray(8)), plainA, 0, { code: "unknown_key_version" });
  await space.forget();
  return results;
}

/**
 * Round trips through the JS streams at the sizes where chunking has edges, with the
 * input and the stored blob fed in odd pieces. Resolves with one {name, ok, detail}
 * per size.
 */
export async function blobRoundTrips(zk) {
  const space = await zk.createSpace("vault-blob-sizes");
  const results = [];
  for (const n of [0, 1, 15, 16, C - 1, C, C + 1, 2 * C, 2 * C + 17, 5 * C + 3]) {
    const plain = pattern(n);
    const blob = (await drain(space.encryptBlob("b", inPieces(plain, [C - 3, 1, C + 5, 7])))).out;
    const want = H + n + T * Math.max(1, Math.ceil(n / C));
    const { out, error } = await drain(space.decryptBlob("b", inPieces(blob, [3, PIECE + 1, 50_000])));
    const fine = blob.length === want && !error && out.length === n && out.every((v, i) => v === plain[i]);
    results.push({ name: `${n} bytes`, ok: fine, detail: fine ? "" : `blob ${blob.length} (want ${want}), ${error ? `threw ${error.code}` : `${out.length} bytes back`}` });
  }
  await space.forget();
  return results;
}

/**
 * Backpressure: a consumer that has read one chunk of an endless source's blob (and
 * the header) has made the stream read only about IN_FLIGHT (8) chunks ahead, and
 * cancelling the output cancels the source; the same for decryption. Resolves with
 * {encrypt, decrypt}: {pulled, cancelled} each.
 */
export async function blobBackpressure(zk) {
  const space = await zk.createSpace("vault-blob-bp");
  const endless = (first) => {
    const s = { pulled: 0, cancelled: false };
    s.stream = new ReadableStream(
      {
        pull(c) {
          c.enqueue(s.pulled++ === 0 && first ? first : new Uint8Array(C + T));
        },
        cancel() {
          s.cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    return s;
  };
  const run = async (s, out, reads) => {
    const r = out.getReader();
    for (let k = 0; k < reads; k++) await r.read();
    await new Promise((ok) => setTimeout(ok, 100));
    const pulled = s.pulled;
    await r.cancel();
    return { pulled, cancelled: s.cancelled };
  };
  const enc = endless(null);
  const encrypt = await run(enc, space.encryptBlob("b", enc.stream), 2); // header, chunk 0
  // A real header and chunk 0, then endless garbage: the stream must not read ahead of
  // the chunks it opens, even though they will fail.
  const head = (await drain(space.encryptBlob("b", pattern(C + 1)))).out.subarray(0, H + PIECE);
  const dec = endless(head);
  const decrypt = await run(dec, space.decryptBlob("b", dec.stream), 1); // chunk 0
  await space.forget();
  return { encrypt, decrypt };
}
