// The shared test kit of the Node suite and the Chromium suite: the core's frozen
// vectors (wasm/testdata/*.json, made natively) opened through the JS API, and the
// output the JS API seals for the native verifier (jsbridge/internal/verify). Plain
// ES module, no Node imports: the browser pages import it too.

import { Passphrase } from "../src/index.js";

export const hex = {
  decode: (s) => Uint8Array.from((s ?? "").match(/../g) ?? [], (b) => parseInt(b, 16)),
  encode: (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""),
};

export const b64url = {
  encode(b) {
    let s = "";
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  },
  decode(s) {
    const b = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  },
};

/** The vector files' outcome names as error codes. */
const CODE = {
  "parse error": "parse",
  "incorrect key": "incorrect_key",
  "unknown key version": "unknown_key_version",
  "work factor too high": "work_factor",
  "corrupt blob": "corrupt",
};

export const FILES = ["fields", "envelopes", "records", "blobs", "keyrings"];
export const KEYS = ["rsa4096-1", "rsa4096-2", "rsa4096-3"];

/** Bytes of a whole ReadableStream. */
export async function readAll(stream) {
  const parts = [];
  let n = 0;
  for await (const p of stream) {
    parts.push(p);
    n += p.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A KeyPair for a PKCS #8 PEM test key (non-extractable in the end). */
export async function keyPairFromPEM(zk, pem) {
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const alg = { name: "RSA-OAEP", hash: "SHA-256" };
  const ext = await crypto.subtle.importKey("pkcs8", der, alg, true, ["decrypt"]);
  const jwk = await crypto.subtle.exportKey("jwk", ext);
  const pub = await crypto.subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e, alg: jwk.alg, ext: true }, alg, true, ["encrypt"]);
  const priv = await crypto.subtle.importKey("pkcs8", der, alg, false, ["decrypt"]);
  return zk.keyPairFromCryptoKeys(priv, pub, 1);
}

/**
 * Runs every vector of data ({fields, envelopes, records, blobs, keyrings}: the
 * parsed files; pems: {name: PEM}; otherHandover: the handover text of the test
 * secrets under "vault-other") through the API. Resolves with one {file, name, ok,
 * detail} per vector.
 */
// The vectors the JS API has no call for, by file and name, with the reason.
// The native Go suites run them. runVectors checks that exactly these are the
// ones left out, so that a new vector the API cannot express fails the suite.
export const NOT_APPLICABLE = new Map([
  ["envelopes: kind 1, space secret opened as a private key", "the API opens a sealed private key with a passphrase only"],
]);

export async function runVectors(zk, data) {
  const results = [];
  const notApplicable = [];
  const spaces = new Map();
  const space = async (id) => {
    if (!spaces.has(id)) {
      const text = id === "vault-test" ? data.keyrings.vectors.find((v) => v.name === "handover, current 2").handover : data.otherHandover;
      spaces.set(id, await zk.openHandover(id, text));
    }
    return spaces.get(id);
  };
  const keys = {};
  for (const k of KEYS) keys[k] = await keyPairFromPEM(zk, data.pems[k]);

  async function each(file, vectors, fn) {
    for (const v of vectors) {
      try {
        const detail = await fn(v);
        if (detail?.notApplicable) {
          notApplicable.push({ file, name: v.name, why: detail.notApplicable });
          continue;
        }
        results.push({ file, name: v.name, ok: detail === true, detail: detail === true ? "" : String(detail) });
      } catch (e) {
        results.push({ file, name: v.name, ok: false, detail: `threw ${e?.code ?? ""} ${e?.message ?? e}` });
      }
    }
  }
  const expectCode = (v, err) => {
    const want = CODE[v.result];
    if (!err) return `succeeded, want ${v.result}`;
    return err.code === want ? true : `code ${err.code} (${err.message}), want ${want}`;
  };

  // fields.json: open every ciphertext; seal again and open what was sealed.
  await each("fields", data.fields.vectors, async (v) => {
    const s = await space(v.space_id ?? data.fields.space_id);
    const ref = { collection: v.collection, recordId: v.record_id, field: v.field };
    const [r] = await s.openFields([{ ...ref, ciphertext: v.ciphertext }]);
    if (v.result !== "success") return expectCode(v, r.error);
    if (r.error) return `error ${r.error.code}`;
    if (hex.encode(r.value) !== (v.value ?? "")) return "wrong plaintext";
    return true;
  });

  // envelopes.json, by what the context says is wrapped.
  await each("envelopes", data.envelopes.vectors, async (v) => {
    const [label, id, version] = v.context;
    // The API opens sealed private keys with a passphrase only.
    if (label === "zkvault/v2/private-key" && v.key) return { notApplicable: "the API opens a sealed private key with a passphrase only" };
    const identity = v.key ? keys[v.key] : new Passphrase(v.passphrase ?? "wrong passphrase");
    let info = null;
    try {
      info = await zk.inspectEnvelope(v.envelope);
    } catch {}
    let err = null;
    let detail = true;
    try {
      if (label === "zkvault/v2/space-secret") {
        const env = { secret_version: Number(version), data: v.envelope };
        if (v.key) Object.assign(env, { kind: "principal", principal: "p", fingerprint: info?.fingerprint ?? keys[v.key].fingerprint, key_version: info?.keyVersion ?? 1 });
        else env.kind = "passphrase";
        const s = await zk.openSpace({ id, kind: "vault", encrypted: true, secret_version: Number(version), envelopes: [env] }, identity);
        // The payload is a test secret iff a field vector of that version opens.
        const fv = data.fields.vectors.find((f) => f.result === "success" && f.ciphertext.startsWith(`enc:v2:${version}:`));
        const secrets = data.fields.secrets;
        if (v.payload !== secrets[version]) detail = "payload is not a test secret: cannot check";
        else {
          const [r] = await s.openFields([{ collection: fv.collection, recordId: fv.record_id, field: fv.field, ciphertext: fv.ciphertext }]);
          if (id !== data.fields.space_id || r.error) detail = "opened, but not to the expected secret";
        }
        await s.forget();
      } else if (label === "zkvault/v2/private-key") {
        const kp = await zk.openSealedKey({ sealedKey: v.envelope, passphrase: identity, principalId: id, keyVersion: Number(version) });
        if (kp.fingerprint !== keys[v.payload_key].fingerprint) detail = "opened another key";
        await kp.close();
      } else if (label === "zkvault/v2/group-key") {
        const kp = await zk.openGroupKey(identity, v.envelope, id, Number(version));
        if (kp.fingerprint !== keys[v.payload_key].fingerprint) detail = "opened another key";
        await kp.close();
      } else detail = "unknown context";
    } catch (e) {
      err = e;
    }
    if (v.result !== "success") return expectCode(v, err);
    if (err) {
      // The empty payload cannot be a space secret: opening it as one must fail.
      if (v.payload === undefined && label === "zkvault/v2/space-secret") return true;
      throw err;
    }
    return detail;
  });

  // records.json: open, compare with the fields; re-seal and open again.
  await each("records", data.records.vectors, async (v) => {
    const s = await space(v.space_id ?? data.records.space_id);
    const r = await s.openRecord(v.schema, v.record);
    if (v.result === "success") {
      if (Object.keys(r.errors).length) return `field errors ${JSON.stringify(Object.keys(r.errors))}`;
      if (JSON.stringify(sortKeys(r.fields)) !== JSON.stringify(sortKeys(v.fields))) return "fields differ";
      const again = await s.sealRecord(v.schema, v.id, v.fields, { region: v.region });
      const back = await s.openRecord(v.schema, again);
      if (JSON.stringify(sortKeys(back.fields)) !== JSON.stringify(sortKeys(v.fields))) return "re-sealed record differs";
      return true;
    }
    const got = Object.fromEntries(Object.entries(r.errors).map(([k, e]) => [k, e.code]));
    const want = Object.fromEntries(Object.entries(v.field_errors).map(([k, e]) => [k, CODE[e]]));
    return JSON.stringify(sortKeys(got)) === JSON.stringify(sortKeys(want)) ? true : `field errors ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
  });

  // blobs.json: stream-decrypt; range-read the successes.
  await each("blobs", data.blobs.vectors, async (v) => {
    const s = await space(v.space_id ?? data.blobs.space_id);
    const blob = b64url.decode(v.blob);
    let out;
    try {
      out = await readAll(s.decryptBlob(v.blob_id, blob));
    } catch (e) {
      if (v.result === "success") throw e;
      return expectCode(v, e);
    }
    if (v.result !== "success") return `decrypted, want ${v.result}`;
    if (hex.encode(out) !== (v.plaintext ?? "")) return "wrong plaintext";
    if (out.length > 2) {
      const read = async (off, n) => blob.subarray(off, off + n);
      const part = await s.readBlobRange(v.blob_id, { size: blob.length, read }, 1, out.length - 2);
      if (hex.encode(part) !== hex.encode(out.subarray(1, out.length - 1))) return "wrong range";
    }
    return true;
  });

  // keyrings.json: handovers and sealed keyrings.
  await each("keyrings", data.keyrings.vectors, async (v) => {
    const id = v.space_id ?? data.keyrings.space_id;
    let s;
    try {
      if (v.sealed !== undefined) {
        const key = await crypto.subtle.importKey("raw", hex.decode(v.session_key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
        s = await zk.openSealedSpace(id, key, hex.decode(v.sealed));
      } else {
        s = await zk.openHandover(id, v.handover);
      }
    } catch (e) {
      if (v.result === "success") throw e;
      return expectCode(v, e);
    }
    if (v.result !== "success") return `opened, want ${v.result}`;
    const ok = s.currentVersion === Number(v.current);
    await s.forget();
    return ok ? true : `current ${s.currentVersion}, want ${v.current}`;
  });

  for (const s of spaces.values()) await s.forget();
  for (const k of Object.values(keys)) await k.close();
  const left = notApplicable.map((n) => `${n.file}: ${n.name}`).sort();
  const expected = [...NOT_APPLICABLE.keys()].sort();
  results.push({
    file: "all",
    name: "only the known vectors are left out",
    ok: JSON.stringify(left) === JSON.stringify(expected),
    detail: `left out ${JSON.stringify(left)}, expected ${JSON.stringify(expected)}`,
  });
  return results;
}

function sortKeys(o) {
  if (Array.isArray(o)) return o.map(sortKeys);
  if (o && typeof o === "object") return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  return o;
}

/** Weak passphrase parameters: for tests only, where speed matters more. */
export const WEAK_PBKDF2 = { kdf: "pbkdf2", iterations: 1000, insecureAllowWeak: true };
export const WEAK_ARGON2ID = { kdf: "argon2id", memoryKiB: 64, time: 1, parallelism: 1, insecureAllowWeak: true };

/**
 * Seals a bit of everything with the JS API, for jsbridge/internal/verify to open
 * natively. where names the runtime ("node", "chromium").
 */
export async function sealForNative(zk, where) {
  const passphrase = "native-check " + where;
  const space = await zk.createSpace(`js-${where}`);
  await space.rotate(); // two versions: the envelope below wraps the current one
  const env = await space.envelope(new Passphrase(passphrase, WEAK_PBKDF2));
  const out = {
    where,
    passphrase,
    space: { id: space.id, kind: "vault", encrypted: true, secret_version: space.currentVersion, envelopes: [env] },
    fields: [],
    records: [],
    blobs: [],
    keys: [],
  };
  const items = [
    { collection: "contacts", recordId: "c-1", field: "firstName", value: '"Zoë"', pad: true },
    { collection: "notes", recordId: "n-1", field: "body", value: "x".repeat(5000) },
    { collection: "notes", recordId: "n-2", field: "body", value: new Uint8Array([0, 1, 2, 255]) },
  ];
  const sealed = await space.sealFields(items);
  items.forEach((it, i) => {
    const value = typeof it.value === "string" ? new TextEncoder().encode(it.value) : it.value;
    out.fields.push({ collection: it.collection, recordId: it.recordId, field: it.field, ciphertext: sealed[i].ciphertext, value: b64url.encode(value) });
  });
  const fields = {
    chatId: "120363025246125486@g.us",
    chatName: "Family",
    isFromMe: false,
    isGroupChat: true,
    messageId: "3EB0C767D26A1B2C3D4E",
    senderJid: "41795550123@s.whatsapp.net",
    senderName: "Zoë Müller",
    senderPhoneNumber: "+41 79 555 01 23",
    text: `sealed in ${where} 🍝`,
    timestamp: 1763800000000,
  };
  const record = await space.sealRecord("whatsapp_messages", "wa-js-1", fields, { region: "CH" });
  out.records.push({ schema: "whatsapp_messages", region: "CH", record, fields, queries: { senderPhoneNumber: ["079 555 01 23"], senderName: ["ZOE MULLER"] } });
  const plain = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
  const blob = await readAll(space.encryptBlob("blob-js-1", plain));
  out.blobs.push({ id: "blob-js-1", blob: b64url.encode(blob), plaintext: b64url.encode(plain) });
  // The edges of chunking: empty, and a full final chunk written in odd pieces.
  for (const [id, n] of [["blob-js-empty", 0], ["blob-js-3C", 3 << 16]]) {
    const p = new Uint8Array(n).map((_, i) => (i * 13) & 0xff);
    let off = 0;
    const pieces = new ReadableStream({
      pull(c) {
        if (off >= n) return c.close();
        c.enqueue(p.slice(off, (off += 65_537)));
      },
    });
    const b = await readAll(space.encryptBlob(id, pieces));
    out.blobs.push({ id, blob: b64url.encode(b), plaintext: b64url.encode(p) });
  }

  const kp = await zk.generateKeyPair({
    seal: { principalId: `user-${where}`, passphrase: new Passphrase(passphrase, WEAK_ARGON2ID) },
    backup: { principalId: `user-${where}`, passphrase: new Passphrase(passphrase, WEAK_PBKDF2) },
  });
  const kenv = await space.envelope(kp, { principalId: `user-${where}` });
  out.keys.push({
    principalId: `user-${where}`,
    keyVersion: 1,
    passphrase,
    sealedKey: kp.sealedKey,
    sealedPEM: kp.sealedPEM,
    fingerprint: kp.fingerprint,
    envelope: kenv,
  });
  await kp.close();
  await space.forget();
  return out;
}
