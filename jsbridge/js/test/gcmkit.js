// Checks of the AES-256-GCM module (src/gcm.js) shared by the Node suite
// (test/gcm.test.js) and the browser suite (browsertest, as /pkg/test/gcmkit.js):
// each returns a list of failures, empty when every check holds. The reference is
// the platform's WebCrypto (OpenSSL in Node, BoringSSL in Chromium).

const subtle = globalThis.crypto.subtle;
const random = (n) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
};
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Lays out one message in the module's memory and sets up its key; the addresses. */
function layout(g, { key, iv, msg, aad, tag }) {
  const at = g.data(64 + 2 * msg.length + aad.length + 64);
  const m = g.bytes;
  const p = { iv: at, ct: at + 16, aad: at + 16 + msg.length + 16 };
  p.out = p.aad + aad.length;
  m.set(iv, p.iv);
  m.set(msg, p.ct);
  if (tag) m.set(tag, p.ct + msg.length);
  m.set(aad, p.aad);
  p.ctx = g.setKey(Symbol(), Uint8Array.from(key));
  return p;
}

/**
 * Wycheproof's aes_gcm_test.json (the parsed file): every case with a 256-bit key, a
 * 96-bit nonce and a 128-bit tag. A valid case must open to its message and seal
 * back to its ciphertext and tag; an invalid one must be refused with zeros left at
 * the output.
 * @param {import("../src/gcm.js").GCM} g
 * @param {any} file
 */
export function checkGCMWycheproof(g, file) {
  const failures = [];
  let n = 0;
  for (const group of file.testGroups) {
    if (group.keySize !== 256 || group.ivSize !== 96 || group.tagSize !== 128) continue;
    for (const tc of group.tests) {
      n++;
      const v = { key: hex(tc.key), iv: hex(tc.iv), msg: hex(tc.ct), aad: hex(tc.aad), tag: hex(tc.tag) };
      const p = layout(g, v);
      const len = v.msg.length;
      const ok = g.open(p.ctx, p.iv, p.ct, len, p.aad, v.aad.length, p.out);
      const got = g.bytes.slice(p.out, p.out + len);
      if (tc.result === "valid") {
        if (!ok || !same(got, hex(tc.msg))) failures.push(`tcId ${tc.tcId}: did not open to its message`);
        g.bytes.set(hex(tc.msg), p.ct);
        g.seal(p.ctx, p.iv, p.ct, len, p.aad, v.aad.length, p.out);
        const sealed = g.bytes.slice(p.out, p.out + len + 16);
        if (!same(sealed.subarray(0, len), v.msg) || !same(sealed.subarray(len), v.tag)) failures.push(`tcId ${tc.tcId}: sealed otherwise`);
      } else if (tc.result === "invalid") {
        if (ok) failures.push(`tcId ${tc.tcId} (${tc.comment}): accepted`);
        if (!got.every((b) => b === 0)) failures.push(`tcId ${tc.tcId}: output not zeroed`);
      }
    }
  }
  if (n < 50) failures.push(`only ${n} applicable vectors`);
  return failures;
}

/**
 * Random keys, nonces, associated data and messages (every length around the block
 * and 4-block edges, and some long): the module seals what WebCrypto seals and opens
 * it; a flipped bit anywhere in nonce, ciphertext, tag or associated data is refused
 * with zeros left at the output.
 * @param {import("../src/gcm.js").GCM} g
 */
export async function checkGCMRandom(g) {
  const failures = [];
  const lens = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 1024, 1041, 4100, 70000];
  for (let t = 0; t < 60; t++) lens.push(Math.floor(Math.random() * 300));
  for (const [t, len] of lens.entries()) {
    const key = random(32);
    const iv = random(12);
    const aad = random(t % 50);
    const pt = random(len);
    const ck = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
    const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, ck, pt));
    const ct = sealed.subarray(0, len);
    const tag = sealed.subarray(len);
    const p = layout(g, { key, iv, msg: ct, aad, tag });
    if (!g.open(p.ctx, p.iv, p.ct, len, p.aad, aad.length, p.out) || !same(g.bytes.subarray(p.out, p.out + len), pt)) {
      failures.push(`length ${len}: WebCrypto's ciphertext did not open to its plaintext`);
      continue;
    }
    g.bytes.set(pt, p.ct);
    g.seal(p.ctx, p.iv, p.ct, len, p.aad, aad.length, p.out);
    if (!same(g.bytes.subarray(p.out, p.out + len + 16), sealed)) failures.push(`length ${len}: sealed otherwise than WebCrypto`);
    if (t % 9 !== 0) continue;
    g.bytes.set(ct, p.ct);
    for (const [at, n] of [
      [p.iv, 12],
      [p.ct, len + 16],
      [p.aad, aad.length],
    ]) {
      // Every bit of short fields, a sample of long ones.
      for (let bit = 0; bit < 8 * n; bit += n > 64 ? 61 : 1) {
        const m = g.bytes;
        m[at + (bit >> 3)] ^= 1 << (bit & 7);
        m.fill(0xaa, p.out, p.out + len);
        const ok = g.open(p.ctx, p.iv, p.ct, len, p.aad, aad.length, p.out);
        m[at + (bit >> 3)] ^= 1 << (bit & 7);
        if (ok) failures.push(`length ${len}: a flipped bit at ${at - p.iv}:${bit} was accepted`);
        else if (!m.subarray(p.out, p.out + len).every((b) => b === 0)) failures.push(`length ${len}: a refused message left bytes at the output`);
      }
    }
  }
  return failures;
}

/**
 * Key contexts: the key's bytes are zeroed once set up, a forgotten context is
 * zeroed, the oldest of more than the module holds give way and the others still
 * open.
 * @param {import("../src/gcm.js").GCM} g
 */
export async function checkGCMContexts(g) {
  const failures = [];
  const cap = g.capacity;
  const keys = Array.from({ length: cap + 6 }, () => random(32));
  const given = Uint8Array.from(keys[0]);
  const ctx0 = g.setKey("k0", given);
  if (!given.every((b) => b === 0)) failures.push("setKey left the caller's key bytes");
  if (!g.bytes.subarray(0, 128).every((b) => b === 0)) failures.push("the key stayed in the scratch space");
  for (let i = 1; i < keys.length; i++) g.setKey(`k${i}`, Uint8Array.from(keys[i]));
  if (g.keys !== cap) failures.push(`${g.keys} contexts, not ${cap}`);
  for (let i = 0; i < 6; i++) if (g.context(`k${i}`) !== undefined) failures.push(`k${i}, among the oldest, still has a context`);
  // A key of the wrong size, with every slot taken, gives up no other key's context.
  try {
    g.setKey("short", new Uint8Array(16));
    failures.push("a 16-byte key was taken");
  } catch (e) {
    if (!(e instanceof RangeError)) failures.push(`a 16-byte key: ${e}`);
  }
  if (g.keys !== cap || g.context("k6") === undefined) failures.push(`a refused key gave up a context: ${g.keys} left`);
  for (const i of [6, 20, cap + 5]) {
    const iv = random(12);
    const ck = await subtle.importKey("raw", keys[i], "AES-GCM", false, ["encrypt"]);
    const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv }, ck, new TextEncoder().encode("field")));
    const at = g.data(256);
    g.bytes.set(iv, at);
    g.bytes.set(sealed, at + 16);
    if (!g.open(g.context(`k${i}`), at, at + 16, sealed.length - 16, at, 0, at + 64)) failures.push(`k${i} does not open under its context`);
  }
  const last = `k${cap + 5}`;
  const ctx = g.context(last);
  g.forget(last);
  if (g.context(last) !== undefined) failures.push("a forgotten key still has a context");
  if (!g.bytes.subarray(ctx, ctx + g.contextSize).every((b) => b === 0)) failures.push("a forgotten context was not zeroed");
  g.forgetPrefix("k");
  if (g.keys !== 0) failures.push(`forgetPrefix left ${g.keys} contexts`);
  if (!g.bytes.subarray(ctx0, ctx0 + cap * g.contextSize).every((b) => b === 0)) failures.push("forgetPrefix left a context's bytes");
  try {
    g.setKey("short", new Uint8Array(16));
    failures.push("a 16-byte key was taken");
  } catch (e) {
    if (!(e instanceof RangeError)) failures.push(`a 16-byte key: ${e}`);
  }
  return failures;
}

/**
 * open16: batches of 1 to 16 fields under one key, of mixed lengths (associated data
 * and ciphertext), some tampered (ciphertext, tag, nonce or associated data), opened
 * side by side: each as WebCrypto says, the plaintext of each one that opens at its
 * place, zeros for each one refused.
 * @param {import("../src/gcm.js").GCM} g
 */
export async function checkGCMOpen16(g) {
  const failures = [];
  const key = random(32);
  const ck = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  const ctx = g.setKey("open16", Uint8Array.from(key));
  const lens = [0, 1, 15, 16, 17, 33, 64, 65, 100, 1024, 1041, 2000, 4100];
  for (let round = 0; round < 24; round++) {
    const n = round < 16 ? round + 1 : 16;
    const items = [];
    for (let k = 0; k < n; k++) {
      const len = round % 3 === 0 ? 1041 : lens[(round * 7 + k * 3) % lens.length];
      const iv = random(12);
      const aad = random((round + 5 * k) % 90);
      const pt = random(len);
      const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, ck, pt));
      const bad = (round + k) % 5 === 4 ? (round + k) % 4 : -1; // 0 ciphertext, 1 tag, 2 nonce, 3 associated data
      if (bad === 0 && len > 0) sealed[(k * 31) % len] ^= 1 << k % 8;
      if (bad === 1) sealed[len + (k % 16)] ^= 0x80;
      if (bad === 2) iv[k % 12] ^= 4;
      if (bad === 3 && aad.length > 0) aad[k % aad.length] ^= 1;
      const refused = bad === 0 ? len > 0 : bad === 3 ? aad.length > 0 : bad > 0;
      items.push({ iv, aad, pt, sealed, len, refused });
    }
    let size = 32 * 16 + 64;
    for (const it of items) size += 16 + it.sealed.length + it.aad.length + it.len + 32;
    const at = g.data(size + g.workSize(Math.max(...items.map((it) => it.aad.length)), Math.max(...items.map((it) => it.len))) + 64);
    const desc = at;
    let p = at + 32 * 16;
    const m = g.bytes;
    const d = new Int32Array(m.buffer, desc, 8 * 16);
    items.forEach((it, k) => {
      const iv = p;
      m.set(it.iv, iv);
      const ct = iv + 16;
      m.set(it.sealed, ct);
      const aad = ct + it.sealed.length;
      m.set(it.aad, aad);
      const out = aad + it.aad.length;
      m.fill(0xaa, out, out + it.len);
      p = out + it.len + 16;
      d.set([iv, ct, it.len, aad, it.aad.length, out, -1, 0], 8 * k);
      it.out = out;
    });
    const work = (p + 15) & ~15;
    g.open16(ctx, desc, n, work);
    const m2 = g.bytes;
    const d2 = new Int32Array(m2.buffer, desc, 8 * 16);
    items.forEach((it, k) => {
      const status = d2[8 * k + 6];
      const got = m2.subarray(it.out, it.out + it.len);
      if (it.refused) {
        if (status !== 0) failures.push(`round ${round}, field ${k} of ${n}: a tampered field was accepted`);
        else if (!got.every((b) => b === 0)) failures.push(`round ${round}, field ${k}: a refused field left bytes at its output`);
      } else if (status !== 1) failures.push(`round ${round}, field ${k} of ${n} (${it.len} bytes, ${it.aad.length} of associated data): refused`);
      else if (!same(got, it.pt)) failures.push(`round ${round}, field ${k}: wrong plaintext`);
    });
  }
  g.forget("open16");
  return failures;
}
