// The throughput benchmarks: each window.bench[name]() runs one repetition and
// resolves with {ms, ...}. run.mjs calls them alternately (zkvault, baseline, …) and
// takes medians. Setup (sealing the inputs, importing keys) is done once per page
// and is not timed.
import { aadOf, asciiValue, enc, loadZk, randomBytes, subtle } from "./common.js";

const N = 10_000;
const FIELD = 1024;
const SPACE = "bench-space";

const zk = await loadZk();
const { Passphrase } = await import("/pkg/src/index.js");
const { fieldWorkerStateForTesting } = await import("/pkg/src/fieldcrypto.js");
const space = await zk.createSpace(SPACE);

let fields; // {zk: items for openFields, web: {iv, ct, aad}, text: ["enc:v2:1:..."], key}
async function fieldSetup() {
  if (fields) return fields;
  const values = Array.from({ length: N }, (_, i) => asciiValue(i, FIELD));
  const refs = values.map((_, i) => ({ collection: "bench", recordId: `r${i}`, field: "body" }));
  const sealed = await space.sealFields(refs.map((r, i) => ({ ...r, value: values[i], pad: false })));
  const zkItems = refs.map((r, i) => {
    if (sealed[i].error) throw sealed[i].error;
    return { ...r, ciphertext: sealed[i].ciphertext };
  });
  // The plain-JS side: the same values under its own AES-256-GCM key, each with its
  // own associated data and nonce, ready as bytes.
  const key = await subtle.importKey("raw", randomBytes(32), "AES-GCM", false, ["encrypt", "decrypt"]);
  const web = [];
  const text = [];
  for (let i = 0; i < N; i++) {
    const iv = randomBytes(12);
    const aad = aadOf(SPACE, "bench", `r${i}`, "body");
    const ct = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, enc.encode(values[i])));
    web.push({ iv, ct, aad });
    const raw = new Uint8Array(12 + ct.length);
    raw.set(iv);
    raw.set(ct, 12);
    text.push("enc:v2:1:" + raw.toBase64({ alphabet: "base64url", omitPadding: true }));
  }
  // Check both sides open what they sealed.
  const [first] = await space.openFields([zkItems[0]]);
  if (first.text !== values[0]) throw new Error("zkvault field round trip failed");
  fields = { zkItems, web, text, key, values };
  return fields;
}

let index;
async function indexSetup() {
  if (index) return index;
  const emails = Array.from({ length: N }, (_, i) => `user.${i}.${Math.random().toString(36).slice(2, 8)}@example.com`);
  const key = await subtle.importKey("raw", randomBytes(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  index = { emails, queries: emails.map((value) => ({ index: "emails", value })), key };
  return index;
}

let unlock;
async function unlockSetup() {
  if (unlock) return unlock;
  const passphrase = new Passphrase("correct horse battery staple 42");
  const kp = await zk.generateKeyPair({ seal: { principalId: "bench-user", passphrase } });
  const info = await zk.inspectEnvelope(kp.sealedKey);
  await kp.close();
  unlock = { passphrase, sealedKey: kp.sealedKey, info };
  return unlock;
}

function hex(buf, bytes) {
  const b = new Uint8Array(buf, 0, bytes);
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

async function timed(f) {
  const t0 = performance.now();
  const extra = await f();
  return { ms: performance.now() - t0, ...extra };
}

const utf8d = new TextDecoder();

window.bench = {
  setup: async (name) => {
    if (name === "fields") await fieldSetup();
    if (name === "index") await indexSetup();
    if (name === "unlock") return (await unlockSetup()).info;
    return null;
  },

  // 10,000 enc:v2 fields of 1 KiB, each with its own AAD, in one batch call.
  // Also says whether the field worker took part and its share (diagnosis: the
  // package measures both ways and keeps the faster, docs/spec 10.5.1).
  FieldsOpen10k: async () => {
    const { zkItems } = await fieldSetup();
    const before = await fieldWorkerStateForTesting();
    const r = await timed(async () => {
      const out = await space.openFields(zkItems);
      let bad = 0;
      for (const r of out) if (r.error || r.text.length !== FIELD) bad++;
      if (bad) throw new Error(`${bad} fields did not open`);
      return { n: N };
    });
    const after = await fieldWorkerStateForTesting();
    const worker = after.batches > before.batches;
    return { ...r, worker, share: worker ? after.last.theirs / N : 0 };
  },
  // Plain WebCrypto: all 10,000 decrypt calls in flight at once.
  BaselineWebCryptoInFlight: async () => {
    const { web, key } = await fieldSetup();
    return timed(async () => {
      const out = await Promise.all(web.map(({ iv, ct, aad }) => subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, ct)));
      if (out.length !== N || out[N - 1].byteLength !== FIELD) throw new Error("baseline failed");
      return { n: N };
    });
  },
  // Plain WebCrypto: awaited one by one.
  BaselineWebCryptoSerial: async () => {
    const { web, key } = await fieldSetup();
    return timed(async () => {
      let n = 0;
      for (const { iv, ct, aad } of web) {
        const p = await subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad }, key, ct);
        if (p.byteLength === FIELD) n++;
      }
      if (n !== N) throw new Error("baseline failed");
      return { n: N };
    });
  },
  // Plain WebCrypto doing what openFields does: from the stored text (base64url),
  // building each AAD, decoding the UTF-8, all in flight. Report only.
  BaselineWebCryptoInFlightText: async () => {
    const { text, key } = await fieldSetup();
    return timed(async () => {
      const out = await Promise.all(
        text.map(async (t, i) => {
          const raw = Uint8Array.fromBase64(t.slice(t.indexOf(":", 7) + 1), { alphabet: "base64url" });
          const aad = aadOf(SPACE, "bench", `r${i}`, "body");
          const p = await subtle.decrypt({ name: "AES-GCM", iv: raw.subarray(0, 12), additionalData: aad }, key, raw.subarray(12));
          return utf8d.decode(p);
        }),
      );
      if (out[N - 1].length !== FIELD) throw new Error("baseline failed");
      return { n: N };
    });
  },

  // 10,000 blind indexes (contacts.emails: normalise, HMAC-SHA256, truncate) in one batch.
  IndexValues10k: async () => {
    const { queries } = await indexSetup();
    return timed(async () => {
      const out = await space.indexValuesBatch("contacts", queries);
      if (out.length !== N || out.some((r) => r.error)) throw new Error("index failed");
      return { n: N };
    });
  },
  // Plain WebCrypto HMAC-SHA256 of each value, awaited one by one (hex-truncated as the index is).
  BaselineHMACSerial: async () => {
    const { emails, key } = await indexSetup();
    return timed(async () => {
      const out = [];
      for (const e of emails) out.push(hex(await subtle.sign("HMAC", key, enc.encode(e.toLowerCase())), 1));
      if (out.length !== N) throw new Error("baseline failed");
      return { n: N };
    });
  },
  // The same, all in flight. Report only.
  BaselineHMACInFlight: async () => {
    const { emails, key } = await indexSetup();
    return timed(async () => {
      const sums = await Promise.all(emails.map((e) => subtle.sign("HMAC", key, enc.encode(e.toLowerCase()))));
      const out = sums.map((s) => hex(s, 1));
      if (out.length !== N) throw new Error("baseline failed");
      return { n: N };
    });
  },

  // RSA-4096 key pair, non-extractable private key (what generateKeyPair() gives).
  RSAGenerate: async () =>
    timed(async () => {
      const kp = await zk.generateKeyPair();
      await kp.close();
      return {};
    }),
  BaselineRSAGenerate: async () =>
    timed(async () => {
      await subtle.generateKey(
        { name: "RSA-OAEP", modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        false,
        ["encrypt", "decrypt"],
      );
      return {};
    }),

  // Unlock: a private key sealed under a passphrase with the default Argon2id
  // parameters, opened into a usable (non-extractable) key.
  UnlockArgon2id: async () => {
    const { passphrase, sealedKey } = await unlockSetup();
    return timed(async () => {
      const kp = await zk.openSealedKey({ sealedKey, passphrase, principalId: "bench-user" });
      if (kp.privateKey.extractable) throw new Error("extractable");
      await kp.close();
      return {};
    });
  },
};
window.benchReady = true;
