// The WebCrypto half of a batch of AES-256-GCM openings (wasm/webcrypto/batch.go has
// the design and the format): the module hands over one buffer and one call starts a
// crypto.subtle.decrypt per message, all in flight, on views of that buffer (no
// copies); the promise resolves with one buffer of results. Parsing, associated data,
// unpadding and errors stay in the module.

/**
 * Opens n messages under key (a non-extractable AES-GCM CryptoKey).
 * buf holds per message: nonce (12 bytes), ciphertext || tag, associated data, back
 * to back; lens holds per message two u32 little-endian: the ciphertext's length (tag
 * included, at least 16) and the associated data's. Resolves with one Uint8Array: a
 * status byte per message (1 opened, 0 failed), then the plaintexts back to back
 * (ciphertext length − 16 bytes each; zeros for a message that failed).
 * @param {CryptoKey} key
 * @param {Uint8Array} buf
 * @param {Uint8Array} lens
 * @param {number} n
 * @returns {Promise<Uint8Array>}
 */
export function openBatch(key, buf, lens, n) {
  const subtle = globalThis.crypto.subtle;
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
  const all = new Array(n);
  // One algorithm object for every call: decrypt reads (and copies) it before it
  // returns, so changing it for the next message is safe.
  const alg = { name: "AES-GCM", iv: buf, additionalData: buf, tagLength: 128 };
  let p = 0;
  let o = n;
  for (let i = 0; i < n; i++) {
    const cl = dv.getUint32(8 * i, true);
    const al = dv.getUint32(8 * i + 4, true);
    alg.iv = buf.subarray(p, p + 12);
    alg.additionalData = buf.subarray(p + 12 + cl, p + 12 + cl + al);
    const at = o;
    all[i] = subtle.decrypt(alg, key, buf.subarray(p + 12, p + 12 + cl)).then(
      (plain) => {
        const v = new Uint8Array(plain);
        if (v.length === cl - 16) {
          out.set(v, at);
          out[i] = 1;
        }
        v.fill(0);
      },
      () => {},
    );
    p += 12 + cl + al;
    o += cl - 16;
  }
  return Promise.all(all).then(() => out);
}
