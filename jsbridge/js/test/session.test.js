import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_TTL_MS, ExpiringSession, MAX_SECRET_BYTES, MAX_TTL_MS } from "../src/index.js";
import { memoryBackend } from "./helpers.js";

function clock(start = 1_700_000_000_000) {
  const c = () => c.t;
  c.t = start;
  return c;
}

const secret = () => crypto.getRandomValues(new Uint8Array(32));

function contains(haystack, needle) {
  const h = new Uint8Array(haystack.buffer ?? haystack, haystack.byteOffset ?? 0, haystack.byteLength);
  outer: for (let i = 0; i + needle.length <= h.length; i++) {
    for (let j = 0; j < needle.length; j++) if (h[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

test("default lifetime is one hour", async () => {
  assert.equal(DEFAULT_TTL_MS, 3_600_000);
  const now = clock();
  const s = new ExpiringSession({ backend: memoryBackend(), now });
  assert.equal(s.name, "default");
  assert.equal(await s.store(secret()), now.t + 3_600_000);
  assert.equal(await s.timeLeft(), 3_600_000);
});

test("a secret is kept until its expiry, then deleted", async () => {
  const now = clock();
  const backend = memoryBackend();
  const s = new ExpiringSession({ name: "space:1", ttlMs: 1000, now, backend });
  const key = secret();
  assert.equal(await s.load(), null);
  assert.equal(await s.timeLeft(), 0);
  await s.store(key);

  now.t += 999;
  const again = new ExpiringSession({ name: "space:1", ttlMs: 1000, now, backend }); // as after a reload
  assert.deepEqual(await again.load(), key);
  assert.equal(await again.timeLeft(), 1);

  now.t += 1;
  assert.equal(await again.load(), null);
  assert.equal(backend.map.size, 0, "the wrapping key and the wrapped secret are deleted");
});

test("timeLeft deletes an expired session too", async () => {
  const now = clock();
  const backend = memoryBackend();
  const s = new ExpiringSession({ ttlMs: 10, now, backend });
  await s.store(secret());
  now.t += 10;
  assert.equal(await s.timeLeft(), 0);
  assert.equal(backend.map.size, 0);
});

test("the secret is stored only encrypted, under a non-extractable key", async () => {
  const backend = memoryBackend();
  const key = secret();
  await new ExpiringSession({ backend }).store(key);
  const rec = backend.map.get("default");
  assert.equal(rec.kind, "bytes");
  assert.equal(rec.wrappingKey.extractable, false);
  assert.deepEqual(rec.wrappingKey.usages.sort(), ["decrypt", "encrypt"]);
  assert.equal(rec.iv.length, 12);
  assert.equal(rec.ciphertext.byteLength, 32 + 16);
  assert.ok(!contains(new Uint8Array(rec.ciphertext), key));
  assert.ok(!contains(new TextEncoder().encode(JSON.stringify(rec, (_, v) => (ArrayBuffer.isView(v) ? [...v] : v))), key));
  await assert.rejects(crypto.subtle.exportKey("raw", rec.wrappingKey));
});

test("store replaces, with a fresh wrapping key; lock deletes at once", async () => {
  const backend = memoryBackend();
  const s = new ExpiringSession({ backend });
  await s.store(secret());
  const first = backend.map.get("default").wrappingKey;
  const key = secret();
  await s.store(key);
  assert.notEqual(backend.map.get("default").wrappingKey, first);
  assert.deepEqual(await s.load(), key);
  await s.lock();
  assert.equal(backend.map.size, 0);
  assert.equal(await s.load(), null);
  await s.lock(); // locking twice is fine
});

test("an edited expiry fails to decrypt, and the record is removed", async () => {
  const now = clock();
  const backend = memoryBackend();
  const s = new ExpiringSession({ ttlMs: 1000, now, backend });
  await s.store(secret());
  backend.map.get("default").expiresAt += 3_600_000;
  await assert.rejects(s.load(), /could not be read and has been removed/);
  assert.equal(backend.map.size, 0);
});

test("a record moved to another session name fails to decrypt", async () => {
  const backend = memoryBackend();
  await new ExpiringSession({ name: "a", backend }).store(secret());
  backend.map.set("b", backend.map.get("a"));
  await assert.rejects(new ExpiringSession({ name: "b", backend }).load(), /could not be read/);
  assert.deepEqual([...backend.map.keys()], ["a"]);
});

test("a corrupt ciphertext is reported and removed", async () => {
  const backend = memoryBackend();
  const s = new ExpiringSession({ backend });
  await s.store(secret());
  new Uint8Array(backend.map.get("default").ciphertext)[0] ^= 1;
  await assert.rejects(s.load(), /could not be read/);
  assert.equal(backend.map.size, 0);
});

test("a record of an unknown version counts as expired", async () => {
  const backend = memoryBackend();
  const s = new ExpiringSession({ backend });
  await s.store(secret());
  backend.map.get("default").v = 2;
  assert.equal(await s.load(), null);
  assert.equal(backend.map.size, 0);
});

test("a non-extractable private key is kept as it is, until expiry", async () => {
  const now = clock();
  const backend = memoryBackend();
  const s = new ExpiringSession({ ttlMs: 50, now, backend });
  const { privateKey } = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  await s.store(privateKey);
  const got = await s.load();
  assert.equal(got.type, "private");
  assert.equal(got.extractable, false);
  now.t += 50;
  assert.equal(await s.load(), null);
  assert.equal(backend.map.size, 0);

  const ext = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
  await assert.rejects(s.store(ext), /refusing to store an extractable session key/);
  assert.equal(backend.map.size, 0);
});

test("argument checks", async () => {
  const backend = memoryBackend();
  for (const ttlMs of [0, -1, NaN, Infinity, MAX_TTL_MS + 1, "60"]) {
    assert.throws(() => new ExpiringSession({ ttlMs, backend }), RangeError, String(ttlMs));
  }
  assert.ok(new ExpiringSession({ ttlMs: MAX_TTL_MS, backend }));
  assert.throws(() => new ExpiringSession({ name: "", backend }), TypeError);
  assert.throws(() => new ExpiringSession({ now: 5, backend }), TypeError);
  const s = new ExpiringSession({ backend });
  await assert.rejects(s.store(new Uint8Array(0)), RangeError);
  await assert.rejects(s.store(new Uint8Array(MAX_SECRET_BYTES + 1)), RangeError);
  await assert.rejects(s.store("passphrase"), TypeError);
  await assert.rejects(s.store([1, 2, 3]), TypeError);
  assert.equal(backend.map.size, 0);
});

test("sweep deletes expired sessions of every name, and only those", async () => {
  const now = clock();
  const backend = memoryBackend();
  await new ExpiringSession({ name: "short", ttlMs: 10, now, backend }).store(secret());
  await new ExpiringSession({ name: "long", ttlMs: 1000, now, backend }).store(secret());
  now.t += 10;
  assert.equal(await ExpiringSession.sweep({ backend, now }), 1);
  assert.deepEqual([...backend.map.keys()], ["long"]);
});
