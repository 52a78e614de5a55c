// The binary batch form (src/batch.js, jsbridge/batch.go): string tables and result
// tables round trip; malformed tables are refused (invalid_argument from the module,
// an Error from the reader), never a crash; per-item errors keep their codes.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { load, ZkvaultError } from "../src/index.js";
import { packStrings, packUint32, unpackResults } from "../src/batch.js";
import { pooledBuffersForTesting } from "../src/fieldopen.js";
import { buildWasm } from "./helpers.js";

const build = await buildWasm();
const skip = build ? false : "no Go toolchain";
let zk;
before(async () => {
  if (build) zk = await load({ wasm: build.wasm, wasmExec: build.wasmExec });
});

const dv = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The string table of strs, built the obvious way (TextEncoder per string). */
function referenceTable(strs) {
  const enc = new TextEncoder();
  const bodies = strs.map((s) => enc.encode(s ?? ""));
  const out = new Uint8Array(4 + 4 * strs.length + bodies.reduce((n, b) => n + b.length, 0));
  const v = dv(out);
  v.setUint32(0, strs.length, true);
  let pos = 4 + 4 * strs.length;
  bodies.forEach((b, i) => {
    v.setUint32(4 + 4 * i, b.length, true);
    out.set(b, pos);
    pos += b.length;
  });
  return out;
}

test("packStrings: the all-ASCII path and its fall-back give the reference table", () => {
  const ascii = ["emails", "user.1@example.com", "", undefined, null, "x".repeat(300), "\u0000\u007f", "A@B.C"];
  const cases = [
    ascii,
    ["a", "b"],
    ["", ""],
    [undefined, null],
    [...ascii, "é"], // one non-ASCII character, last: the loop starts again
    ["é", ...ascii],
    [...ascii.slice(0, 3), "\ud800", ...ascii.slice(3)], // a lone surrogate: 3 bytes
    [...ascii, "😀"],
    ["\u0080", "a"],
  ];
  for (const strs of cases) assert.deepEqual(packStrings(strs), referenceTable(strs), JSON.stringify(strs));
  // Random strings, mostly ASCII.
  let seed = 1;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let t = 0; t < 200; t++) {
    const strs = Array.from({ length: 1 + rnd(20) }, () =>
      String.fromCharCode(...Array.from({ length: rnd(40) }, () => (rnd(50) === 0 ? 0x80 + rnd(0x2000) : rnd(0x80)))),
    );
    assert.deepEqual(packStrings(strs), referenceTable(strs), JSON.stringify(strs));
  }
});

test("packStrings: header, lengths in UTF-8 bytes, any Unicode", () => {
  const strs = ["", "a", "héllo", "😀 emoji", "x".repeat(100), "Ꭰꭰ\u0000\uffff", undefined, null, "ü".repeat(40)];
  const t = packStrings(strs);
  const v = dv(t);
  assert.equal(v.getUint32(0, true), strs.length);
  const enc = new TextEncoder();
  let pos = 4 + 4 * strs.length;
  strs.forEach((s, i) => {
    const want = enc.encode(s ?? "");
    assert.equal(v.getUint32(4 + 4 * i, true), want.length, `length of ${i}`);
    assert.deepEqual(t.subarray(pos, pos + want.length), want, `bytes of ${i}`);
    pos += want.length;
  });
  assert.equal(pos, t.length);
  // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
  assert.deepEqual([...packStrings(["\ud800"]).subarray(8)], [0xef, 0xbf, 0xbd]);
  assert.throws(() => packStrings(["a", 1]), TypeError);
  assert.throws(() => packStrings([{}]), TypeError);
});

test("unpackResults: results, item errors, malformed tables throw", () => {
  const enc = new TextEncoder();
  const table = (items) => {
    const bodies = items.map(([, s]) => enc.encode(s));
    const out = new Uint8Array(4 + 5 * items.length + bodies.reduce((n, b) => n + b.length, 0));
    const v = dv(out);
    v.setUint32(0, items.length, true);
    let pos = 4 + 5 * items.length;
    items.forEach(([st], i) => {
      out[4 + 5 * i] = st;
      v.setUint32(5 + 5 * i, bodies[i].length, true);
      out.set(bodies[i], pos);
      pos += bodies[i].length;
    });
    return out;
  };
  const ok = (b) => new TextDecoder().decode(b);
  const fail = (code, message) => ({ code, message });
  assert.deepEqual(unpackResults(table([[0, "a"], [1, "parse\nbad: x\ny"], [0, ""]]), ok, fail), ["a", { code: "parse", message: "bad: x\ny" }, ""]);
  assert.deepEqual(unpackResults(table([]), ok, fail), []);
  const good = table([[0, "abc"], [1, "incorrect_key\nno"]]);
  for (let n = 0; n < good.length; n++) assert.throws(() => unpackResults(good.subarray(0, n), ok, fail), /malformed/, `cut at ${n}`);
  const extra = new Uint8Array(good.length + 1);
  extra.set(good);
  assert.throws(() => unpackResults(extra, ok, fail), /malformed/);
  const bad = good.slice();
  bad[4] = 7;
  assert.throws(() => unpackResults(bad, ok, fail), /malformed/);
  const huge = good.slice();
  dv(huge).setUint32(0, 0xffffffff, true);
  assert.throws(() => unpackResults(huge, ok, fail), /malformed/);
});

test("the module refuses malformed string tables with invalid_argument, never a crash", { skip }, async () => {
  const space = await zk.createSpace("vault-batch-codec");
  const h = space.handle;
  const [{ ciphertext }] = await space.sealFields([{ collection: "c", recordId: "r", field: "f", value: "v" }]);
  const good = packStrings(["c", "r", "f", ciphertext]);
  const tables = [new Uint8Array(0), new Uint8Array(3)];
  for (let n = 0; n < good.length; n++) tables.push(good.subarray(0, n));
  const long = new Uint8Array(good.length + 1);
  long.set(good);
  tables.push(long);
  const many = good.slice();
  dv(many).setUint32(0, 0xffffffff, true);
  tables.push(many);
  const wrongLen = good.slice();
  dv(wrongLen).setUint32(4, 0xfffffff0, true);
  tables.push(wrongLen);
  tables.push(packStrings(["c", "r", "f"])); // not 4 strings per field
  for (let i = 0; i < 200; i++) {
    const t = good.slice();
    t[Math.floor(Math.random() * Math.min(t.length, 24))] ^= 1 << Math.floor(Math.random() * 8);
    tables.push(t);
  }
  for (const t of tables) {
    const r = await zk.call("openFields", h, t).then(
      (v) => ({ v }),
      (e) => ({ e }),
    );
    if (r.e) {
      assert.ok(r.e instanceof ZkvaultError && r.e.code === "invalid_argument", `${r.e.code}: ${r.e.message}`);
    } else {
      // A flipped bit inside a string still parses: then it is an item error or a result.
      unpackResults(r.v, () => null, (code) => assert.notEqual(code, "internal"));
    }
  }
  // Index batches: a shape that does not fit the strings.
  const strs = packStrings(["emails", "a@example.com"]);
  for (const shape of [[], [1], [3], [0, 2], [1, 1, 1], [2, 0]]) {
    await assert.rejects(zk.call("indexValues", h, "contacts", strs, packUint32(shape)), { code: "invalid_argument" }, JSON.stringify(shape));
  }
  await assert.rejects(zk.call("indexValues", h, "contacts", strs, new Uint8Array(3)), { code: "invalid_argument" });
  assert.match(await space.sealField({ collection: "c", recordId: "r", field: "g" }, "alive"), /^enc:v2:1:/);
  await space.forget();
});

test("batches through the API: per-item errors with codes, non-strings refused, Unicode", { skip }, async () => {
  const space = await zk.createSpace("vault-batch-items");
  const ref = { collection: "notes", recordId: "r-1", field: "text" };
  const [{ ciphertext }] = await space.sealFields([{ ...ref, value: "grüße 😀" }]);
  const out = await space.openFields([
    { ...ref, ciphertext },
    { ...ref, ciphertext: undefined },
    { ...ref, recordId: "other", ciphertext },
    { ...ref, field: "bad name!", ciphertext },
    { ...ref, ciphertext: ciphertext.replace("enc:v2:1:", "enc:v2:2:") },
  ]);
  assert.equal(out[0].text, "grüße 😀");
  assert.deepEqual(out.slice(1).map((r) => r.error.code), ["parse", "incorrect_key", "parse", "unknown_key_version"]);
  assert.ok(out.slice(1).every((r) => r.error instanceof ZkvaultError && r.error.message.length > 0));
  await assert.rejects(space.openFields([{ ...ref, ciphertext: 42 }]), { code: "invalid_argument" });
  assert.deepEqual(await space.openFields([]), []);

  const q = await space.indexValuesBatch("contacts", [
    { index: "emails", value: "Ada@Example.COM" },
    { index: "emails", value: ["ada@example.com"] },
    { index: "no_such_index", value: "x" },
    { index: "emails", value: ["a", "b"] },
    { index: "emails", value: "not an email" },
  ]);
  assert.deepEqual(q[0].values, q[1].values);
  assert.equal(q[0].values.length, 1);
  assert.deepEqual(q.slice(2).map((r) => r.error.code), ["schema", "schema", q[4].error.code]);
  assert.ok(q[4].error instanceof ZkvaultError);
  // After a rotation, one value per version: under a 64-bit index, since the two
  // versions' 8-bit values collide (and are given once) one time in 256.
  const wide = { collection: "contacts", fields: { emails: { type: "string", encrypted: true, multi: true } }, indexes: { emails: { fields: ["emails"], normalizer: "email", bits: 64 } } };
  const [one] = await space.indexValuesBatch(wide, [{ index: "emails", value: "ada@example.com" }]);
  await space.rotate();
  const [two] = await space.indexValuesBatch(wide, [{ index: "emails", value: "ada@example.com" }]);
  assert.equal(two.values.length, 2);
  assert.ok(two.values.includes(one.values[0]));
  const [two8] = await space.indexValuesBatch("contacts", [{ index: "emails", value: "ada@example.com" }]);
  assert.ok(two8.values.includes(q[0].values[0]));
  await assert.rejects(space.indexValuesBatch("contacts", [{ index: "emails", value: [7] }]), { code: "invalid_argument" });
  await space.forget();
});

test("field batches open in JavaScript as the module's OpenFields opens them", { skip }, async () => {
  // space.openFields opens with src/fieldopen.js and WebCrypto; the module's own
  // openFields export (Go's OpenFields, the reference) must give every item the same
  // outcome. Failures sit all over the batch.
  const space = await zk.createSpace("vault-batch-split");
  const n = 300;
  const items = Array.from({ length: n }, (_, i) => ({ collection: "c", recordId: `r-${i}`, field: "f", value: "v".repeat(i % 50) + i, pad: i % 3 === 0 }));
  const sealed = await space.sealFields(items);
  const batch = items.map(({ value, pad, ...ref }, i) => ({ ...ref, ciphertext: sealed[i].ciphertext }));
  for (let i = 0; i < n; i += 7) {
    const c = batch[i].ciphertext;
    const k = 12 + (i % 20);
    const flipped = c[k] === "A" ? "B" : "A";
    batch[i] = { ...batch[i], ciphertext: c.slice(0, k) + flipped + c.slice(k + 1) }; // tampered
  }
  for (let i = 3; i < n; i += 11) batch[i] = { ...batch[i], recordId: "moved" }; // wrong associated data
  for (let i = 5; i < n; i += 13) batch[i] = { ...batch[i], ciphertext: batch[i].ciphertext.replace("enc:v2:1:", "enc:v2:7:") };
  for (let i = 6; i < n; i += 17) batch[i] = { ...batch[i], ciphertext: batch[i].ciphertext + "=" };

  const strs = batch.flatMap((b) => [b.collection, b.recordId, b.field, b.ciphertext]);
  const ref = unpackResults(
    await zk.call("openFields", space.handle, packStrings(strs)),
    (b) => `ok ${new TextDecoder().decode(b)}`,
    (code) => `error ${code}`,
  );
  const show = (r) => (r.error ? `error ${r.error.code}` : `ok ${r.text}`);
  const out = await space.openFields(batch);
  out.forEach((r, i) => assert.equal(show(r), ref[i], `item ${i}`));
  for (const [i, r] of out.entries()) if (!r.error) assert.equal(new TextDecoder().decode(r.value), items[i].value);
  assert.ok(ref.filter((r) => r.startsWith("error")).length > 50 && ref.filter((r) => r.startsWith("ok")).length > 150);
  for (const code of ["parse", "incorrect_key", "unknown_key_version"]) assert.ok(out.some((r) => r.error?.code === code), code);

  // A result looks as before: own enumerable value and text, value a Uint8Array with
  // a buffer of its own (made on first access), assignable.
  const r0 = out.find((r) => !r.error);
  assert.deepEqual(Object.keys(r0), ["value", "text"]);
  const spread = { ...r0 };
  assert.ok(spread.value instanceof Uint8Array && spread.value === r0.value);
  assert.equal(r0.value.buffer.byteLength, r0.value.length);
  assert.equal(Object.getOwnPropertyDescriptor(r0, "value").writable, true);
  r0.value = "replaced";
  assert.equal(r0.value, "replaced");
  const r1 = out.filter((r) => !r.error)[1];
  r1.value = 7;
  assert.equal(r1.value, 7);
  assert.deepEqual(JSON.parse(JSON.stringify(out.find((r, i) => !r.error && i > 20))).text, out.find((r, i) => !r.error && i > 20).text);

  // A version the keyring lacks is remembered as such only until the keyring changes.
  const v2 = batch[1].ciphertext.replace("enc:v2:1:", "enc:v2:2:");
  assert.equal((await space.openFields([{ ...batch[1], ciphertext: v2 }]))[0].error.code, "unknown_key_version");
  await space.rotate();
  const [fresh] = await space.sealFields([{ ...batch[1], value: "after rotation" }]);
  assert.match(fresh.ciphertext, /^enc:v2:2:/);
  const [opened] = await space.openFields([{ ...batch[1], ciphertext: fresh.ciphertext }]);
  assert.equal(opened.text, "after rotation");
  await space.forget();
  await assert.rejects(space.openFields(batch.slice(0, 2)), { code: "closed" });
});

test("field batches reuse their buffers: every value is zeroed before its buffer is kept, stale bytes change no result", { skip }, async () => {
  // src/fieldopen.js keeps a batch's buffers for the next batches. The one that held
  // the values must be zeroed first, and the bytes a kept buffer still holds (public
  // ciphertexts, or zeros) must not change what a later batch gives.
  const space = await zk.createSpace("vault-batch-pool");
  const n = 400;
  const secret = (i) => `SECRET-${i}-` + "s".repeat(200 + (i % 37));
  const binary = (i) => Uint8Array.from({ length: 180 + (i % 23) }, (_, k) => (k * 131 + i * 7 + 0x80) & 0xff);
  const ref = (i) => ({ collection: "c", recordId: `r-${i}`, field: "f" });
  const sealedText = await space.sealFields(Array.from({ length: n }, (_, i) => ({ ...ref(i), value: secret(i) })));
  const sealedBin = await space.sealFields(Array.from({ length: n }, (_, i) => ({ ...ref(i), value: binary(i), pad: true })));
  const text = sealedText.map((s, i) => ({ ...ref(i), ciphertext: s.ciphertext }));
  const bin = sealedBin.map((s, i) => ({ ...ref(i), ciphertext: s.ciphertext }));
  // Failures in between: a moved item and a tampered one leave their places unwritten.
  const tamper = (c) => c.slice(0, 20) + (c[20] === "A" ? "B" : "A") + c.slice(21);
  const mixed = text.map((it, i) => (i % 9 === 4 ? { ...it, recordId: "moved" } : i % 9 === 7 ? { ...it, ciphertext: tamper(it.ciphertext) } : it));

  for (const [name, batch, want] of [
    ["binary", bin, (i) => ({ value: binary(i) })],
    ["text after binary", text, (i) => ({ value: new TextEncoder().encode(secret(i)), text: secret(i) })],
    ["mixed", mixed, (i) => (i % 9 === 4 || i % 9 === 7 ? { error: "incorrect_key" } : { text: secret(i) })],
    ["binary after text", bin, (i) => ({ value: binary(i) })],
  ]) {
    const out = await space.openFields(batch);
    out.forEach((r, i) => {
      const w = want(i);
      if (w.error) return assert.equal(r.error?.code, w.error, `${name} ${i}`);
      assert.ok(!r.error, `${name} ${i}: ${r.error?.message}`);
      if (w.text !== undefined) assert.equal(r.text, w.text, `${name} ${i}`);
      if (w.value) assert.deepEqual(r.value, w.value, `${name} ${i}`);
    });
    const kept = pooledBuffersForTesting();
    assert.ok(kept.length > 0, `${name}: buffers kept`);
    const marker = new TextEncoder().encode("SECRET-");
    for (const b of kept) {
      const u = new Uint8Array(b);
      for (let k = u.indexOf(marker[0]); k >= 0; k = u.indexOf(marker[0], k + 1)) {
        assert.ok(!marker.every((c, j) => u[k + j] === c), `${name}: a kept buffer holds a value`);
      }
    }
  }
  await space.forget();
});

test("field batches in Node open with the AES-GCM module; one over its memory limit opens with WebCrypto and leaves the module's memory as it was", { skip }, async () => {
  const { fieldPathsForTesting, limitGCMForTesting } = await import("../src/fieldcrypto.js");
  const { loadedGCM } = await import("../src/gcm.js");
  const space = await zk.createSpace("vault-gcm-limit");
  try {
    const items = Array.from({ length: 300 }, (_, i) => ({ collection: "c", recordId: `r-${i}`, field: "f", value: "v".repeat(i * 7) + i, pad: i % 2 === 0 }));
    const sealed = await space.sealFields(items);
    const batch = items.map(({ value, pad, ...ref }, i) => ({ ...ref, ciphertext: sealed[i].ciphertext }));
    const check = (out) => out.length === items.length && Array.from(out).every((r, i) => r?.text === items[i].value);
    const p0 = fieldPathsForTesting();
    assert.ok(check(await space.openFields(batch)), "opened with the module");
    const p1 = fieldPathsForTesting();
    assert.equal(p1.gcm - p0.gcm, items.length, "the batch did not go through the AES-GCM module");
    const before = loadedGCM().bytes.length;
    limitGCMForTesting(64 << 10); // under this batch's data
    let out;
    try {
      out = await space.openFields(batch);
    } finally {
      limitGCMForTesting(null);
    }
    const p2 = fieldPathsForTesting();
    assert.ok(check(out), "opened with WebCrypto");
    assert.equal(p2.webcrypto - p1.webcrypto, items.length);
    assert.equal(p2.gcm, p1.gcm);
    assert.equal(loadedGCM().bytes.length, before, "the module's memory grew for a batch over its limit");
  } finally {
    await space.forget();
  }
});
