// The API against the real zkvault.wasm (built from ./jsbridge) in Node: round
// trips, batches with per-item errors, error codes, panic containment, blob streams in
// bounded memory, key pairs, sessions, the core's frozen vectors, and values sealed
// here opened natively (jsbridge/internal/verify).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ExpiringSession, load, loadModule, Passphrase, Space, Zkvault, ZkvaultError } from "../src/index.js";
import { buildWasm, memoryBackend, vectorData, verifyNative } from "./helpers.js";
import { readAll, runVectors, sealForNative, WEAK_ARGON2ID, WEAK_PBKDF2 } from "./kit.js";
import { blobBackpressure, blobDamageCases, blobRoundTrips } from "./blobkit.js";

const build = await buildWasm();
const skip = build ? false : "no Go toolchain";
let zk;
const started = Date.now();

before(async () => {
  if (!build) return;
  const t = performance.now();
  zk = await load({ wasm: build.wasm, wasmExec: build.wasmExec });
  console.log(`# zkvault.wasm started in ${(performance.now() - t).toFixed(0)} ms`);
});
after(() => console.log(`# zkvault suite took ${((Date.now() - started) / 1000).toFixed(1)} s`));

const ref = (recordId, field = "text") => ({ collection: "whatsapp_messages", recordId, field });

test("load resolves with the API once ready", { skip }, async () => {
  assert.equal(zk.version, "0.1.0");
  const schemas = await zk.schemas();
  assert.ok(schemas.some((s) => s.collection === "whatsapp_messages"));
});

test("fields: a batch round trip, with per-item errors", { skip }, async () => {
  const space = await zk.createSpace("vault-fields");
  const sealed = await space.sealFields([
    { ...ref("m1"), value: "hello", pad: true },
    { ...ref("m2"), value: new Uint8Array([1, 2, 3]) },
    { collection: "bad name!", recordId: "m3", field: "text", value: "x" },
    { ...ref("m4"), value: new Uint8Array((1 << 20) + 1) },
  ]);
  assert.match(sealed[0].ciphertext, /^enc:v2:1:/);
  assert.match(sealed[1].ciphertext, /^enc:v2:1:/);
  assert.ok(sealed[2].error instanceof ZkvaultError);
  assert.equal(sealed[2].error.code, "parse");
  assert.equal(sealed[3].error.code, "too_large");

  const opened = await space.openFields([
    { ...ref("m1"), ciphertext: sealed[0].ciphertext },
    { ...ref("m2"), ciphertext: sealed[1].ciphertext },
    { ...ref("m1-moved"), ciphertext: sealed[0].ciphertext },
    { ...ref("m1"), ciphertext: "enc:v2:9:" + sealed[0].ciphertext.slice(9) },
    { ...ref("m1"), ciphertext: "not a ciphertext" },
  ]);
  assert.equal(opened[0].text, "hello");
  assert.deepEqual([...opened[1].value], [1, 2, 3]);
  assert.deepEqual(
    opened.slice(2).map((r) => r.error.code),
    ["incorrect_key", "unknown_key_version", "parse"],
  );
  assert.equal(await space.sealField(ref("m5"), "one").then((ct) => space.openField(ref("m5"), ct)).then((b) => new TextDecoder().decode(b)), "one");
  await space.forget();
});

test("a batch of 10,000 fields crosses the boundary once", { skip }, async () => {
  const space = await zk.createSpace("vault-batch");
  const items = Array.from({ length: 10_000 }, (_, i) => ({ ...ref(`m${i}`), value: `value ${i}` }));
  let t = performance.now();
  const sealed = await space.sealFields(items);
  const sealMs = performance.now() - t;
  t = performance.now();
  const opened = await space.openFields(items.map((it, i) => ({ ...it, ciphertext: sealed[i].ciphertext })));
  const openMs = performance.now() - t;
  console.log(`# 10,000 fields: seal ${sealMs.toFixed(0)} ms, open ${openMs.toFixed(0)} ms`);
  assert.ok(opened.every((r, i) => r.text === `value ${i}`));
  await space.forget();
});

test("spaces: envelopes for a passphrase and a key pair, rotation, locking", { skip }, async () => {
  const space = await zk.createSpace("vault-env");
  const ct1 = await space.sealField(ref("m1"), "v1");
  const pass = new Passphrase("correct horse battery staple", WEAK_PBKDF2);
  const env1 = await space.envelope(pass);
  assert.equal(env1.kind, "passphrase");
  assert.equal(await space.rotate(), 2);
  const ct2 = await space.sealField(ref("m1"), "v2");
  assert.match(ct2, /^enc:v2:2:/);
  const envs = await space.envelopes(pass);
  assert.deepEqual(envs.map((e) => e.secret_version), [1, 2]);

  const kp = await zk.generateKeyPair();
  assert.equal(kp.privateKey.extractable, false);
  const envKey = await space.envelopes(kp, { principalId: "alice" });
  const stored = { id: "vault-env", kind: "vault", encrypted: true, secret_version: 2, envelopes: [...envs, ...envKey] };

  for (const identity of [new Passphrase("correct horse battery staple"), kp]) {
    const s = await zk.openSpace(stored, identity);
    assert.deepEqual(s.versions, [1, 2]);
    assert.equal(new TextDecoder().decode(await s.openField(ref("m1"), ct1)), "v1");
    assert.equal(new TextDecoder().decode(await s.openField(ref("m1"), ct2)), "v2");
    await s.forget();
  }
  await assert.rejects(zk.openSpace(stored, new Passphrase("wrong")), { code: "incorrect_key" });
  await space.forget();
  await assert.rejects(space.sealField(ref("m1"), "x"), { code: "closed" });
  await kp.close();
});

test("passphrase parameters: weak ones refused, excessive ones refused before work", { skip }, async () => {
  const space = await zk.createSpace("vault-params");
  await assert.rejects(space.envelope(new Passphrase("p", { kdf: "pbkdf2", iterations: 1000 })), { code: "weak_parameters" });
  await assert.rejects(space.envelope(new Passphrase("p", { kdf: "argon2id", memoryKiB: 1 << 30 })), { code: "work_factor" });
  await assert.rejects(space.envelope(new Passphrase("p", { kdf: "scrypt" })), { code: "invalid_argument" });
  await space.forget();
});

test("records: seal and open a batch, index values and matches", { skip }, async () => {
  const space = await zk.createSpace("vault-records");
  const fields = { chatId: "c@g.us", chatName: "Family", isFromMe: false, isGroupChat: true, messageId: "M1", senderJid: "41795550123@s.whatsapp.net", senderName: "Zoë Müller", senderPhoneNumber: "+41 79 555 01 23", text: "Lunch?", timestamp: 1763800000000 };
  const out = await space.sealRecords("whatsapp_messages", [
    { id: "wa-1", fields },
    { id: "wa-2", fields: { ...fields, nope: 1 } },
  ], { region: "CH" });
  assert.ok(out[0].record.fields.text.startsWith("enc:v2:"));
  assert.equal(out[1].error.code, "schema");
  const [opened] = await space.openRecords("whatsapp_messages", [out[0].record]);
  assert.deepEqual(opened.errors, {});
  assert.deepEqual(opened.fields, fields);
  const [q] = await space.indexValuesBatch("whatsapp_messages", [{ index: "senderPhoneNumber", value: "079 555 01 23" }], { region: "CH" });
  assert.ok(q.values.some((v) => out[0].record.index.senderPhoneNumber.includes(v)));
  assert.equal(await space.matches("whatsapp_messages", "senderName", opened, "zoe muller"), true);
  assert.equal(await space.matches("whatsapp_messages", "senderName", opened, "someone else"), false);
  await space.forget();
});

test("error codes: every wrong argument is invalid_argument, never a crash", { skip }, async () => {
  const space = await zk.createSpace("vault-args");
  const h = space.handle;
  const wrong = [
    ["spaceCreate"],
    ["spaceCreate", 42],
    ["spaceCreate", "bad id!"],
    ["sealFields", h, "not json", []],
    ["sealFields", h, "[]", "not an array"],
    ["sealFields", "x", "[]", []],
    ["sealFields", 1.5, "[]", []],
    ["openFields", h, JSON.stringify({ not: "an array" })],
    ["openFields", h, JSON.stringify([{ collection: 1 }])],
    ["spaceOpen", "{}", "{}"],
    ["spaceOpen", JSON.stringify({ id: "s" }), JSON.stringify({ passphrase: "p", key: 3 })],
    ["spaceEnvelope", h, JSON.stringify({}), 0],
    ["spaceEnvelope", h, JSON.stringify({ passphrase: "p" }), -1],
    ["sealRecords", h, "no_such_schema", "[]"],
    ["sealRecords", h, "{not json", "[]"],
    ["blobEncryptBegin", h, 7],
    ["blobDecryptBegin", h, "b", "not bytes"],
    ["blobReadRange", h, "b", 10, 0, 1, "not a function"],
    ["keyFromCryptoKeys", {}, {}, 1],
    ["keyFromCryptoKeys", null, undefined, 1],
    ["keyOpenSealed", "!!", "p", "u", 1],
    ["spaceSealKeyring", h, {}],
    ["legacyNormalize", "nope", "x"],
    ["fingerprint", "AAAA"],
    ["inspectEnvelope", 7],
  ];
  for (const [name, ...args] of wrong) {
    const err = await zk.call(name, ...args).then(
      () => null,
      (e) => e,
    );
    assert.ok(err instanceof ZkvaultError, `${name}(${args.map(String).join(", ")}) rejects with a ZkvaultError: ${err}`);
    assert.ok(["invalid_argument", "parse", "closed", "invalid_key", "schema", "incorrect_key"].includes(err.code), `${name}: ${err.code} ${err.message}`);
  }
  // A wrong value inside a batch fails that item only.
  const items = await zk.call("sealFields", h, JSON.stringify([{ collection: "c", recordId: "r", field: "f" }, { collection: "c", recordId: "r", field: "g" }]), ["not bytes", new Uint8Array(1)]);
  assert.equal(items[0].error.code, "invalid_argument");
  assert.match(items[1].ciphertext, /^enc:v2:/);
  // Still alive, and the space still works.
  assert.match(await space.sealField(ref("m1"), "alive"), /^enc:v2:/);
  await space.forget();
});

test("a panic in the module is contained: internal error, and the runtime goes on", { skip }, async () => {
  await assert.rejects(zk.call("_panicForTesting"), (e) => e instanceof ZkvaultError && e.code === "internal");
  await assert.rejects(zk.call("_panicForTesting"), { code: "internal" });
  const space = await zk.createSpace("vault-after-panic");
  assert.match(await space.sealField(ref("m1"), "still here"), /^enc:v2:1:/);
  await space.forget();
});

test("blobs: 32 MiB through encrypt and decrypt streams in bounded memory", { skip }, async () => {
  const space = await zk.createSpace("vault-blob");
  const total = 32 << 20;
  const piece = 256 << 10;
  let produced = 0;
  const source = new ReadableStream({
    pull(c) {
      if (produced >= total) return c.close();
      const b = new Uint8Array(piece);
      for (let i = 0; i < b.length; i += 4096) b[i] = (produced + i) & 0xff;
      produced += piece;
      c.enqueue(b);
    },
  }, { highWaterMark: 0 });
  const before = (await zk.stats()).memoryBytes;
  const t = performance.now();
  const plain = space.decryptBlob("blob-1", space.encryptBlob("blob-1", source));
  let n = 0;
  let ok = true;
  for await (const chunk of plain) {
    for (let i = (4096 - (n % 4096)) % 4096; i < chunk.length; i += 4096) if (chunk[i] !== ((n + i) & 0xff)) ok = false;
    n += chunk.length;
  }
  const ms = performance.now() - t;
  const grew = (await zk.stats()).memoryBytes - before;
  console.log(`# 32 MiB encrypt+decrypt stream: ${ms.toFixed(0)} ms (${(total / 1048576 / (ms / 1000)).toFixed(1)} MiB/s), module memory +${(grew / 1048576).toFixed(1)} MiB`);
  assert.equal(n, total);
  assert.ok(ok, "plaintext round trips");
  assert.ok(grew < 16 << 20, `module memory grew by ${grew} bytes for a 32 MiB blob`);
  await space.forget();
});

test("blobs: a native blob cut, reordered, duplicated or altered fails with code corrupt after an authentic prefix", { skip, timeout: 120_000 }, async (t) => {
  const a = JSON.parse(await verifyNative("blob", "vault-native", String(3 * 65536 + 1000)));
  const b = JSON.parse(await verifyNative("blob", "vault-native", String(3 * 65536)));
  for (const r of await blobDamageCases(zk, "vault-native", a, b)) await t.test(r.name, () => assert.ok(r.ok, r.detail));
});

test("blobs: every size where chunking has an edge round trips, fed in odd pieces", { skip }, async (t) => {
  for (const r of await blobRoundTrips(zk)) await t.test(r.name, () => assert.ok(r.ok, r.detail));
});

test("blobs: the output's consumer paces the input (backpressure), and cancelling it cancels the source", { skip }, async () => {
  const { encrypt, decrypt } = await blobBackpressure(zk);
  for (const r of [encrypt, decrypt]) {
    assert.ok(r.pulled <= 12, `read ${r.pulled} pieces ahead of a consumer that took 2`);
    assert.ok(r.cancelled, "source cancelled");
  }
});

test("blobs: a cut or altered blob errors with code corrupt; ranges read only what they need", { skip }, async () => {
  const space = await zk.createSpace("vault-blob2");
  const plain = new Uint8Array(300_000).map((_, i) => i & 0xff);
  const blob = await readAll(space.encryptBlob("b", new Blob([plain])));
  await assert.rejects(readAll(space.decryptBlob("b", blob.subarray(0, blob.length - 100))), { code: "corrupt" });
  const altered = blob.slice();
  altered[100_000] ^= 1;
  await assert.rejects(readAll(space.decryptBlob("b", altered)), { code: "corrupt" });
  await assert.rejects(readAll(space.decryptBlob("other-id", blob)), { code: "corrupt" });

  const reads = [];
  const part = await space.readBlobRange("b", { size: blob.length, read: async (off, n) => (reads.push([off, n]), blob.subarray(off, off + n)) }, 200_000, 1000);
  assert.deepEqual([...part], [...plain.subarray(200_000, 201_000)]);
  assert.ok(reads.reduce((s, [, n]) => s + n, 0) < 3 * 65_600, `read ${JSON.stringify(reads)}`);
  const fromBlob = await space.readBlobRange("b", new Blob([blob]), 299_990, 100);
  assert.deepEqual([...fromBlob], [...plain.subarray(299_990)]);
  await space.forget();
});

test("key pairs: sealed under a passphrase, backed up, reopened, with fingerprints", { skip }, async () => {
  const pass = new Passphrase("tulip-anchor-velvet-42", WEAK_ARGON2ID);
  const t = performance.now();
  const kp = await zk.generateKeyPair({ seal: { principalId: "user-alice", passphrase: pass }, backup: { principalId: "master", passphrase: pass } });
  console.log(`# generate + seal + backup: ${(performance.now() - t).toFixed(0)} ms`);
  assert.equal(kp.privateKey.extractable, false);
  assert.match(kp.fingerprint, /^[0-9a-f]{64}$/);
  assert.match(kp.fingerprintGrouped, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  assert.equal(kp.principal.fingerprint, kp.fingerprint);
  assert.equal(kp.principal.sealed_key, kp.sealedKey);
  assert.match(kp.sealedPEM, /BEGIN ZKVAULT SEALED PRIVATE KEY/);
  assert.equal((await zk.fingerprint(kp.publicKeyPEM)).fingerprint, kp.fingerprint);

  const reopened = await zk.openSealedKey({ sealedKey: kp.sealedKey, passphrase: pass, principalId: "user-alice" });
  assert.equal(reopened.fingerprint, kp.fingerprint);
  assert.equal(reopened.privateKey.extractable, false);
  await assert.rejects(zk.openSealedKey({ sealedKey: kp.sealedKey, passphrase: new Passphrase("wrong"), principalId: "user-alice" }), { code: "incorrect_key" });
  await assert.rejects(zk.openSealedKey({ sealedKey: kp.sealedKey, passphrase: pass, principalId: "user-bob" }), { code: "incorrect_key" });

  const imported = await zk.importSealedPEM(kp.sealedPEM, pass);
  assert.equal(imported.fingerprint, kp.fingerprint);
  assert.equal(imported.principalId, "master");

  const fromStore = await zk.keyPairFromCryptoKeys(kp.privateKey, kp.publicKey, 1);
  assert.equal(fromStore.fingerprint, kp.fingerprint);
  const other = await zk.generateKeyPair();
  await assert.rejects(zk.keyPairFromCryptoKeys(kp.privateKey, other.publicKey, 1), { code: "invalid_key" });

  // A recipient from the pasted public key: what the embedding example does.
  const principal = await zk.principalFromPublicKey(kp.publicKeyPEM, { id: "user-alice" });
  const space = await zk.createSpace("vault-keys");
  const env = await space.envelope(principal);
  assert.equal(env.fingerprint, kp.fingerprint);
  const s2 = await zk.openSpace({ id: "vault-keys", kind: "vault", encrypted: true, secret_version: 1, envelopes: [env] }, reopened);
  await s2.forget();
  await space.forget();
  for (const k of [kp, reopened, imported, fromStore, other]) await k.close();
});

test("queue keys: generated sealed for members, re-sealed for a new member, opened non-extractable", { skip }, async () => {
  const alice = await zk.generateKeyPair();
  const bob = await zk.generateKeyPair();
  const queue = await zk.generateKeyPair({ keyVersion: 2, group: { groupId: "queue-cardio", recipients: [await alice.principalFor("alice")] } });
  assert.equal(queue.sealedGroupKeys.length, 1);
  const viaAlice = await zk.openGroupKey(alice, queue.sealedGroupKeys[0], "queue-cardio", 2);
  assert.equal(viaAlice.fingerprint, queue.fingerprint);
  assert.equal(viaAlice.privateKey.extractable, false);
  const [forBob] = await zk.resealGroupKey(alice, queue.sealedGroupKeys[0], "queue-cardio", 2, [bob]);
  const viaBob = await zk.openGroupKey(bob, forBob, "queue-cardio", 2);
  assert.equal(viaBob.fingerprint, queue.fingerprint);
  await assert.rejects(zk.openGroupKey(bob, forBob, "queue-other", 2), { code: "incorrect_key" });
  await assert.rejects(zk.resealGroupKey(bob, queue.sealedGroupKeys[0], "queue-cardio", 2, [bob]), { code: "incorrect_key" });
  for (const k of [alice, bob, queue, viaAlice, viaBob]) await k.close();
});

test("ExpiringSession keeps a space sealed by the module, and drops it after the hour", { skip }, async () => {
  let now = 1_000_000;
  const backend = memoryBackend();
  const session = new ExpiringSession({ name: "space:vault-s", backend, now: () => now });
  const space = await zk.createSpace("vault-s");
  const ct = await space.sealField(ref("m1"), "kept");
  await session.storeSpace(space);
  const rec = backend.map.get("space:vault-s");
  assert.deepEqual(Object.keys(rec).sort(), ["expiresAt", "kind", "sealed", "spaceId", "v", "wrappingKey"]);
  assert.equal(rec.wrappingKey.extractable, false);
  await space.forget();

  const back = await session.loadSpace(zk);
  assert.ok(back instanceof Space);
  assert.equal(new TextDecoder().decode(await back.openField(ref("m1"), ct)), "kept");
  await back.forget();
  await assert.rejects(session.load(), /use loadSpace/);

  now += 60 * 60 * 1000;
  assert.equal(await session.loadSpace(zk), null);
  assert.equal(backend.map.size, 0);
});

test("a keyring is sealed only under a non-extractable AES-256-GCM key", { skip }, async () => {
  const space = await zk.createSpace("vault-seal");
  const extractable = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  await assert.rejects(space.sealKeyring(extractable), { code: "invalid_argument" });
  const aes128 = await crypto.subtle.generateKey({ name: "AES-GCM", length: 128 }, false, ["encrypt", "decrypt"]);
  await assert.rejects(space.sealKeyring(aes128), { code: "invalid_argument" });
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const sealed = await space.sealKeyring(key);
  await assert.rejects(zk.openSealedSpace("vault-other", key, sealed), { code: "incorrect_key" });
  const other = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  await assert.rejects(zk.openSealedSpace("vault-seal", other, sealed), { code: "incorrect_key" });
  const again = await zk.openSealedSpace("vault-seal", key, sealed);
  assert.deepEqual(again.versions, [1]);
  await again.forget();
  await space.forget();
});

test("legacy: the vault document's values and indexes read in the module", { skip }, async () => {
  const { readFile } = await import("node:fs/promises");
  const { repoRoot } = await import("./helpers.js");
  const v = JSON.parse(await readFile(join(repoRoot, "wasm/legacy/testdata/vectors.json"), "utf8"));
  const keys = await zk.legacyKeys(new Passphrase(v.keys.main.passphrase));
  const texts = v.text.filter((t) => t.passphrase === "main");
  const out = await keys.decrypt(texts.map((t) => t.value));
  texts.forEach((t, i) => {
    if (t.result === "success") assert.equal(Buffer.from(out[i].value).toString("hex"), t.plaintext_hex ?? "", t.name);
    else assert.ok(out[i].error, t.name);
  });
  const bins = v.binary.filter((b) => b.passphrase === "main" && b.result === "success");
  const bout = await keys.decrypt(bins.map((b) => Uint8Array.from(Buffer.from(b.value_hex, "hex"))));
  bins.forEach((b, i) => assert.equal(Buffer.from(bout[i].value).toString("hex"), b.plaintext_hex, b.name));
  const idx = v.index.filter((x) => x.passphrase === "main");
  for (const x of idx.filter((x) => ["phone", "name", "contact"].includes(x.normaliser))) {
    assert.equal(await zk.legacyNormalize(x.normaliser, x.input), x.normalised, `${x.normaliser} ${x.input}`);
  }
  assert.deepEqual(await keys.index(idx.map((x) => x.normalised)), idx.map((x) => x.index));
  await keys.close();
});

test("the core's frozen vectors open through the JS API", { skip, timeout: 120_000 }, async (t) => {
  const results = await runVectors(zk, await vectorData());
  assert.ok(results.length > 100, `${results.length} vectors`);
  for (const r of results) await t.test(`${r.file}: ${r.name}`, () => assert.ok(r.ok, r.detail));
});

test("values sealed by the JS API in Node open natively", { skip, timeout: 120_000 }, async () => {
  const out = await sealForNative(zk, "node");
  const dir = await mkdtemp(join(tmpdir(), "zkvault-native-"));
  try {
    const file = join(dir, "node.json");
    await writeFile(file, JSON.stringify(out));
    assert.match(await verifyNative("check", file), /open natively/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("every export survives arguments of every wrong type (a fresh module instance)", { skip, timeout: 120_000 }, async () => {
  const raw = await loadModule({ wasm: build.wasm, wasmExec: build.wasmExec });
  const names = Object.keys(raw).filter((n) => typeof raw[n] === "function" && n !== "_panicForTesting");
  assert.ok(names.length > 30, names.join());
  const junk = [undefined, null, 0, -1, 1, 2.5, 2 ** 40, NaN, "", "x", "{}", "[]", "[1,{}]", '{"passphrase":"p"}', {}, [], [1, "a"], new Uint8Array(3), () => 1, true];
  let calls = 0;
  for (const name of names) {
    for (let i = 0; i < junk.length; i++) {
      const args = [0, 7, 5, 3, 9, 11].map((m, k) => junk[(i * m + k) % junk.length]);
      if (name === "keyGenerate" && args[0] === "{}") continue; // a real key pair: slow, and fine
      calls++;
      await raw[name](...args).then(
        () => {},
        (e) => assert.ok(e instanceof Error && typeof e.code === "string" && e.code !== "internal", `${name}: ${e?.code} ${e?.message}`),
      );
    }
  }
  const zk2 = new Zkvault(raw);
  const space = await zk2.createSpace("after-junk");
  assert.match(await space.sealField(ref("m1"), "alive"), /^enc:v2:1:/);
  console.log(`# ${calls} calls with wrong arguments to ${names.length} exports; the module still works`);
});

test("no handles leak", { skip }, async () => {
  assert.equal((await zk.stats()).handles, 0);
});
