// Steps of the API tests: the real zkvault.wasm in Chromium, under the page's CSP.
// The vectors and the native check use the same kit as the Node suite
// (/pkg/test/kit.js is jsbridge/js/test/kit.js).
import { ExpiringSession, load, Passphrase, RememberedDevice, userKeyName } from "/pkg/src/index.js";
import { readAll, runVectors, sealForNative, WEAK_PBKDF2 } from "/pkg/test/kit.js";
import { blobBackpressure, blobDamageCases, blobRoundTrips } from "/pkg/test/blobkit.js";
import { checkFieldCorpus } from "/pkg/test/fieldkit.js";
import { checkGCMContexts, checkGCMOpen16, checkGCMRandom, checkGCMWycheproof } from "/pkg/test/gcmkit.js";
import { publish } from "/pages/common.js";

const zk = await load();
const ref = (recordId) => ({ collection: "whatsapp_messages", recordId, field: "text" });

/** src/fieldcrypto.js, once its field worker runs (the first call starts it; 5 s at most). */
async function fieldCryptoWithWorker() {
  const fc = await import("/pkg/src/fieldcrypto.js");
  for (let i = 0; i < 100 && !(await fc.fieldWorkerStateForTesting()).running; i++) await new Promise((ok) => setTimeout(ok, 50));
  return fc;
}
const STORED_SPACE = "vault-browser";

publish({
  version: () => zk.version,

  vectors: (data) => runVectors(zk, data),

  sealForNative: () => sealForNative(zk, "chromium"),

  async fields() {
    const space = await zk.createSpace("vault-b1");
    const sealed = await space.sealFields([
      { ...ref("m1"), value: "hello from Chromium", pad: true },
      { collection: "bad name!", recordId: "m2", field: "text", value: "x" },
    ]);
    const opened = await space.openFields([
      { ...ref("m1"), ciphertext: sealed[0].ciphertext },
      { ...ref("m9"), ciphertext: sealed[0].ciphertext },
    ]);
    await space.forget();
    return { text: opened[0].text, errors: [sealed[1].error.code, opened[1].error.code] };
  },

  // Go's enc:v2 corpus (test/fieldkit.js) through the package's own field opening:
  // with the field worker taking half of every large batch, then on this thread only.
  async fieldCorpus(corpus) {
    const fc = await fieldCryptoWithWorker();
    const before = (await fc.fieldWorkerStateForTesting()).batches;
    // The corpus opened with seed under a test switch: on() first, off() after.
    const corpusWith = async (seed, on, off) => {
      on();
      try {
        return await checkFieldCorpus(zk, corpus, { seed });
      } finally {
        off();
      }
    };
    const unpin = () => fc.pinWorkerShareForTesting(null);
    const withWorker = await corpusWith(7, () => fc.pinWorkerShareForTesting(0.5), unpin);
    // The worker given 90 %: the page, done early, takes back chunks it has not started.
    const mostlyWorker = await corpusWith(9, () => fc.pinWorkerShareForTesting(0.9), unpin);
    const workerBatches = (await fc.fieldWorkerStateForTesting()).batches - before;
    const alone = await corpusWith(
      11,
      () => fc.disableWorkerForTesting(true),
      () => fc.disableWorkerForTesting(false),
    );
    const after = await fc.fieldWorkerStateForTesting(true);
    // Those runs opened with the AES-GCM modules; now with WebCrypto, on both threads.
    const pageGCM = fc.fieldPathsForTesting();
    const workerGCM = after.paths;
    const webcrypto = await corpusWith(
      13,
      () => {
        fc.disableGCMForTesting(true);
        fc.pinWorkerShareForTesting(0.5);
      },
      () => {
        unpin();
        fc.disableGCMForTesting(false);
      },
    );
    const last = await fc.fieldWorkerStateForTesting(true);
    const pageLast = fc.fieldPathsForTesting();
    return {
      withWorker,
      mostlyWorker,
      alone,
      webcrypto,
      workerBatches,
      aloneBatches: after.batches - before - workerBatches,
      keysLeft: last.keys,
      gcmKeysLeft: last.gcmKeys,
      paths: {
        pageGCM: pageGCM.gcm,
        workerGCM: workerGCM.gcm,
        pageWebCrypto: pageLast.webcrypto - pageGCM.webcrypto,
        workerWebCrypto: last.paths.webcrypto - workerGCM.webcrypto,
        gcmWhileOff: pageLast.gcm - pageGCM.gcm + last.paths.gcm - workerGCM.gcm,
      },
      setFromBase64: typeof Uint8Array.prototype.setFromBase64 === "function",
    };
  },

  // The AES-GCM module's own checks (test/gcmkit.js) on both of its builds.
  async gcm(wycheproof) {
    const { instantiateGCM } = await import("/pkg/src/gcm.js");
    const out = {};
    for (const build of ["relaxed", "plain"]) {
      const g = await instantiateGCM(build);
      if (!g) {
        out[build] = null;
        continue;
      }
      out[build] = {
        wycheproof: wycheproof ? checkGCMWycheproof(g, wycheproof) : null,
        random: await checkGCMRandom(g),
        contexts: await checkGCMContexts(await instantiateGCM(build)),
        open16: await checkGCMOpen16(g),
      };
    }
    return out;
  },

  // A field batch of ≥ 64 items is shared between this thread and the field worker
  // (src/fieldcrypto.js); every item must come out as when opened alone,
  // failures on every side of each split, and forget() must leave the worker no key.
  async fieldWorker() {
    const fc = await fieldCryptoWithWorker();
    const state = (ask) => fc.fieldWorkerStateForTesting(ask);
    const space = await zk.createSpace("vault-worker");
    const other = await zk.createSpace("vault-worker-2");
    const n = 1500; // big enough that the split policies give the worker a share under load
    const items = Array.from({ length: n }, (_, i) => ({ ...ref(`r-${i}`), value: "w".repeat(i % 70) + i, pad: i % 3 === 0 }));
    const sealed = await space.sealFields(items);
    const batch = items.map(({ value, pad, ...r }, i) => ({ ...r, ciphertext: sealed[i].ciphertext }));
    for (let i = 0; i < n; i += 7) {
      const c = batch[i].ciphertext;
      const k = 12 + (i % 40);
      batch[i] = { ...batch[i], ciphertext: c.slice(0, k) + (c[k] === "A" ? "B" : "A") + c.slice(k + 1) }; // tampered
    }
    for (let i = 3; i < n; i += 11) batch[i] = { ...batch[i], recordId: "moved" }; // wrong associated data
    const show = (r) => (r.error ? `error ${r.error.code}: ${r.error.message}` : `ok ${r.text}`);
    const alone = [];
    for (const it of batch) alone.push(show((await space.openFields([it]))[0]));
    const before = (await state()).batches;
    const mismatches = [];
    // Half of WebCrypto's share to the worker (it adapts otherwise: a batch this small
    // may not be worth the round trip on a loaded machine); then adapting again.
    for (const share of [0.5, 0.2, 0.8, null, null, null]) {
      fc.pinWorkerShareForTesting(share);
      const out = await space.openFields(batch);
      if (out.length !== n) mismatches.push(`share ${share}: ${out.length} results`);
      for (let i = 0; i < n; i++) {
        // Every index: a hole (no result) must count too.
        const got = out[i] === undefined ? "no result" : show(out[i]);
        if (got !== alone[i]) mismatches.push(`share ${share}, item ${i}: ${got} ≠ ${alone[i]}`);
      }
    }
    fc.pinWorkerShareForTesting(0.5);
    const used = (await state(true));
    const { loadedGCM } = await import("/pkg/src/gcm.js");
    const pageKeysInUse = loadedGCM().keys;
    await space.forget();
    const forgotten = await state(true);
    const afterForget = forgotten.keys;
    // A space still open sends its key again with its next batch.
    const sealed2 = await other.sealFields(items);
    const out2 = await other.openFields(items.map(({ value, pad, ...r }, i) => ({ ...r, ciphertext: sealed2[i].ciphertext })));
    const again = await state(true);
    fc.pinWorkerShareForTesting(null);
    await other.forget();
    return {
      running: used.running,
      batches: used.batches - before,
      keysInUse: used.keys,
      gcmKeysInUse: used.gcmKeys,
      pageGCMKeysInUse: pageKeysInUse,
      afterForget,
      gcmAfterForget: forgotten.gcmKeys,
      pageGCMAfterForget: loadedGCM().keys,
      workerGCMItems: used.paths.gcm,
      afterSecondForget: (await state(true)).keys,
      otherOk: out2.length === n && Array.from(out2).every((r, i) => r?.text === items[i].value),
      otherUsedWorker: again.batches > used.batches && again.keys === 1,
      debug: { again, used },
      failures: alone.filter((s) => s.startsWith("error")).length,
      mismatches: mismatches.slice(0, 5),
    };
  },

  // The worker fails its jobs (it has lost its keys): the page opens those chunks
  // itself, every item as when opened alone, and the next batch uses the worker again.
  async fieldWorkerFails() {
    const fc = await fieldCryptoWithWorker();
    const state = (ask) => fc.fieldWorkerStateForTesting(ask);
    const space = await zk.createSpace("vault-worker-fails");
    const n = 1200;
    const items = Array.from({ length: n }, (_, i) => ({ ...ref(`r-${i}`), value: "f".repeat(i % 60) + i, pad: i % 2 === 0 }));
    const sealed = await space.sealFields(items);
    const batch = items.map(({ value, pad, ...r }, i) => ({ ...r, ciphertext: sealed[i].ciphertext }));
    for (let i = 5; i < n; i += 13) batch[i] = { ...batch[i], recordId: "moved" }; // fails wherever it is opened
    const want = (r, i) => r !== undefined && (i % 13 === 5 ? r.error?.code === "incorrect_key" : r.text === items[i].value);
    // Every index, holes included (every() would skip a hole).
    const all = (out) => out.length === n && Array.from(out).every(want);
    fc.pinWorkerShareForTesting(0.8);
    try {
      await space.openFields(batch); // the worker holds the key now
      const before = await state();
      // No chunk is taken back: each fails in the worker, and only the page's
      // fallback can open it.
      fc.loseWorkerKeysForTesting();
      fc.keepChunksForTesting(true);
      let out;
      try {
        out = await space.openFields(batch);
      } finally {
        fc.keepChunksForTesting(false);
      }
      const mid = await state(true);
      const again = await space.openFields(batch);
      const after = await state(true);
      return {
        allOpened: all(out),
        againOpened: all(again),
        failedChunks: mid.failed - before.failed,
        chunks: mid.last.chunks,
        keysWhileLost: mid.keys,
        failedAgain: after.failed - mid.failed,
        workerAgain: after.batches > mid.batches && after.keys === 1,
      };
    } finally {
      fc.pinWorkerShareForTesting(null);
      await space.forget();
    }
  },

  // The worker closes itself without a word while it opens a chunk: the page gives
  // up on it, opens that chunk itself, and later batches run on the page.
  async fieldWorkerStops() {
    const fc = await fieldCryptoWithWorker();
    const state = () => fc.fieldWorkerStateForTesting();
    const space = await zk.createSpace("vault-worker-stops");
    const n = 1500;
    const items = Array.from({ length: n }, (_, i) => ({ ...ref(`r-${i}`), value: `value ${i} ` + "s".repeat(i % 70) }));
    const sealed = await space.sealFields(items);
    const batch = items.map(({ value, ...r }, i) => ({ ...r, ciphertext: sealed[i].ciphertext }));
    const all = (out) => out.length === n && Array.from(out).every((r, i) => r !== undefined && r.text === items[i].value);
    fc.pinWorkerShareForTesting(0.6);
    try {
      await space.openFields(batch); // the worker holds the key now
      const before = await state();
      fc.stallWorkerForTesting(200);
      const t0 = performance.now();
      const out = await space.openFields(batch);
      const ms = performance.now() - t0;
      const mid = await state();
      const again = await space.openFields(batch);
      return {
        workerBefore: before.running && before.batches > 0,
        allOpened: all(out),
        ms,
        abandoned: mid.abandoned - before.abandoned,
        runningAfter: mid.running,
        againOpened: all(again),
      };
    } finally {
      fc.stallWorkerForTesting(null);
      fc.pinWorkerShareForTesting(null);
      await space.forget();
    }
  },

  async panic() {
    const codes = [];
    for (let i = 0; i < 2; i++) await zk.call("_panicForTesting").catch((e) => codes.push(e.code));
    const space = await zk.createSpace("vault-after-panic");
    const ok = (await space.sealField(ref("m1"), "alive")).startsWith("enc:v2:");
    await space.forget();
    return { codes, ok };
  },

  async blob(mib) {
    const space = await zk.createSpace("vault-blob");
    const total = mib << 20;
    const piece = 256 << 10;
    let produced = 0;
    const source = new ReadableStream(
      {
        pull(c) {
          if (produced >= total) return c.close();
          const b = new Uint8Array(piece);
          for (let i = 0; i < b.length; i += 4096) b[i] = (produced + i) & 0xff;
          produced += piece;
          c.enqueue(b);
        },
      },
      { highWaterMark: 0 },
    );
    const before = (await zk.stats()).memoryBytes;
    const t = performance.now();
    let n = 0;
    let ok = true;
    for await (const chunk of space.decryptBlob("b", space.encryptBlob("b", source))) {
      for (let i = (4096 - (n % 4096)) % 4096; i < chunk.length; i += 4096) if (chunk[i] !== ((n + i) & 0xff)) ok = false;
      n += chunk.length;
    }
    const ms = performance.now() - t;
    const grew = (await zk.stats()).memoryBytes - before;
    // A File-like Blob read by range.
    const small = new Uint8Array(200_000).map((_, i) => i & 0xff);
    const stored = new Blob([await readAll(space.encryptBlob("r", new Blob([small])))]);
    const part = await space.readBlobRange("r", stored, 150_000, 10);
    await space.forget();
    return { n, ok, ms, grew, range: [...part], want: [...small.subarray(150_000, 150_010)] };
  },

  blobDamage: (a, b) => blobDamageCases(zk, "vault-native", a, b),

  blobSizes: () => blobRoundTrips(zk),

  blobBackpressure: () => blobBackpressure(zk),

  // A key pair generated in the page, remembered in IndexedDB, a space enveloped for
  // it and kept in an expiring session: reloaded in the next step.
  async keysBeforeReload() {
    const kp = await zk.generateKeyPair();
    await new RememberedDevice(userKeyName("alice")).remember(kp.privateKey, { publicKey: kp.publicKey, meta: { keyVersion: kp.keyVersion } });
    const space = await zk.createSpace(STORED_SPACE);
    const ct = await space.sealField(ref("m1"), "survives reloads");
    const env = await space.envelope(kp, { principalId: "alice" });
    await new ExpiringSession({ name: `space:${STORED_SPACE}` }).storeSpace(space);
    await space.forget();
    return { ct, env, fingerprint: kp.fingerprint, extractable: kp.privateKey.extractable };
  },

  async keysAfterReload(ct, env) {
    const entry = await new RememberedDevice(userKeyName("alice")).load();
    const kp = await zk.keyPairFromCryptoKeys(entry.privateKey, entry.publicKey, entry.meta.keyVersion);
    const viaKey = await zk.openSpace({ id: STORED_SPACE, kind: "vault", encrypted: true, secret_version: 1, envelopes: [env] }, kp);
    const a = new TextDecoder().decode(await viaKey.openField(ref("m1"), ct));
    const session = new ExpiringSession({ name: `space:${STORED_SPACE}` });
    const fromSession = await session.loadSpace(zk);
    const b = new TextDecoder().decode(await fromSession.openField(ref("m1"), ct));
    await session.lock();
    await new RememberedDevice(userKeyName("alice")).forget();
    await viaKey.forget();
    await fromSession.forget();
    return { a, b, fingerprint: kp.fingerprint, handles: (await zk.stats()).handles - 1 };
  },

  async passphraseSpace() {
    const space = await zk.createSpace("vault-pass");
    const env = await space.envelope(new Passphrase("pâté über 🔑", WEAK_PBKDF2));
    const s2 = await zk.openSpace({ id: "vault-pass", kind: "vault", encrypted: true, secret_version: 1, envelopes: [env] }, new Passphrase("pâté über 🔑"));
    const ok = s2.versions.join() === "1";
    let wrong;
    await zk.openSpace({ id: "vault-pass", kind: "vault", encrypted: true, secret_version: 1, envelopes: [env] }, new Passphrase("nope")).catch((e) => (wrong = e.code));
    await space.forget();
    await s2.forget();
    return { ok, wrong };
  },
});
