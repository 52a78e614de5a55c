import assert from "node:assert/strict";
import { test } from "node:test";

import { KeyStore, MASTER_KEY_NAME, RememberedDevice, userKeyName } from "../src/index.js";
import { memoryBackend } from "./helpers.js";

// ECDSA rather than the RSA-4096 of real principals: RSA key generation takes seconds
// on a small machine, and the store does not care which kind of key it keeps. The
// browser suite stores RSA-OAEP 4096 keys.
const ecdsa = { name: "ECDSA", namedCurve: "P-256" };
const pair = (extractable) => crypto.subtle.generateKey(ecdsa, extractable, ["sign", "verify"]);
const fixed = await pair(false);
const extractable = await pair(true);

test("names", () => {
  assert.equal(MASTER_KEY_NAME, "zkvault-master-key");
  assert.equal(userKeyName("p-123"), "user:p-123");
  assert.throws(() => userKeyName(""), TypeError);
  assert.throws(() => userKeyName(7), TypeError);
});

test("put, get, list and delete a non-extractable key pair", async () => {
  const ks = new KeyStore({ backend: memoryBackend() });
  assert.equal(await ks.get("user:a"), null);
  await ks.put("user:a", { privateKey: fixed.privateKey, publicKey: fixed.publicKey, meta: { fingerprint: "ab" } });
  await ks.put(MASTER_KEY_NAME, { privateKey: fixed.privateKey });
  assert.deepEqual(await ks.list(), ["user:a", MASTER_KEY_NAME]);
  const got = await ks.get("user:a");
  assert.equal(got.privateKey.extractable, false);
  assert.equal(got.publicKey.type, "public");
  assert.deepEqual(got.meta, { fingerprint: "ab" });
  assert.equal(typeof got.storedAt, "number");
  const master = await ks.get(MASTER_KEY_NAME);
  assert.equal(master.publicKey, null);
  assert.deepEqual(master.meta, {});
  // The stored key still works.
  const msg = new TextEncoder().encode("hi");
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, got.privateKey, msg);
  assert.ok(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, got.publicKey, sig, msg));
  await ks.delete("user:a");
  await ks.delete("user:a"); // a missing entry is not an error
  assert.deepEqual(await ks.list(), [MASTER_KEY_NAME]);
  assert.equal(await ks.get("user:a"), null);
});

test("refuses an extractable private key, and stores nothing", async () => {
  const backend = memoryBackend();
  const ks = new KeyStore({ backend });
  await assert.rejects(ks.put("user:a", { privateKey: extractable.privateKey }), /refusing to store an extractable/);
  assert.equal(backend.map.size, 0);
});

test("refuses what is not a private key", async () => {
  const ks = new KeyStore({ backend: memoryBackend() });
  await assert.rejects(ks.put("user:a", { privateKey: fixed.publicKey }), /private or secret key, not public/);
  await assert.rejects(ks.put("user:a", { privateKey: new Uint8Array(32) }), TypeError);
  await assert.rejects(ks.put("user:a", {}), TypeError);
  await assert.rejects(ks.put("user:a"), TypeError);
  await assert.rejects(ks.put("user:a", { privateKey: fixed.privateKey, publicKey: fixed.privateKey }), /publicKey/);
  await assert.rejects(ks.put("user:a", { privateKey: fixed.privateKey, meta: "x" }), /meta/);
  await assert.rejects(ks.put("", { privateKey: fixed.privateKey }), /key name/);
  await assert.rejects(ks.get(42), /key name/);
});

test("get refuses an extractable key written by other code", async () => {
  const backend = memoryBackend();
  await backend.put("user:a", { privateKey: extractable.privateKey });
  await assert.rejects(new KeyStore({ backend }).get("user:a"), /extractable/);
});

test("without IndexedDB: constructing works, using fails clearly", async () => {
  const ks = new KeyStore();
  await assert.rejects(ks.list(), /IndexedDB is not available/);
  assert.throws(() => new KeyStore({ backend: { get() {} } }), /backend must have a put\(\) method/);
});

test("RememberedDevice keeps a key until forget", async () => {
  const backend = memoryBackend();
  const device = new RememberedDevice(userKeyName("a"), { backend });
  assert.equal(device.name, "user:a");
  assert.equal(await device.load(), null);
  await device.remember(fixed.privateKey, { publicKey: fixed.publicKey, meta: { principal: "a" } });
  const again = new RememberedDevice("user:a", { backend }); // as after a reload
  const got = await again.load();
  assert.equal(got.privateKey.extractable, false);
  assert.deepEqual(got.meta, { principal: "a" });
  await again.forget();
  assert.equal(await device.load(), null);
  await assert.rejects(device.remember(extractable.privateKey), /extractable/);
  assert.throws(() => new RememberedDevice(""), TypeError);
});
