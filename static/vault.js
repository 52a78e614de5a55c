// The unlocked vault: the crypto module, the open space, and the session that
// keeps it unlocked across reloads for at most one hour.
//
// What is kept in the browser: ExpiringSession.storeSpace seals the space's
// keyring inside the module under a fresh non-extractable AES-GCM key, and
// stores both in IndexedDB. No passphrase and no raw key is ever in
// localStorage, sessionStorage, a cookie, a URL or a request.

import { api } from "./api.js";

const PKG = "/pkg/";
export const SESSION_TTL_MS = 60 * 60 * 1000;

let modPromise = null;
let zk = null;
let space = null; // the unlocked Space
let spaceInfo = null; // the api.Space (SpaceView) it came from
let session = null; // its ExpiringSession
let expiresAt = 0;
let lockTimer = 0;
const listeners = new Set();

/** Loads the package and the module once; resolves with {zk, pkg}. */
export function loadModule() {
  modPromise ??= (async () => {
    let pkg;
    try {
      pkg = await import(PKG + "index.js");
    } catch (e) {
      throw new Error("The crypto module is missing from this server (static/pkg/): it must be built with the dashboard (make wasm).", { cause: e });
    }
    zk = await pkg.load({ wasm: PKG + "zkvault.wasm", wasmExec: PKG + "wasm_exec.js" });
    return { zk, pkg };
  })();
  modPromise.catch(() => {
    modPromise = null;
  });
  return modPromise;
}

export const current = () => space;
export const currentInfo = () => spaceInfo;
export const timeLeft = () => (space ? Math.max(0, expiresAt - Date.now()) : 0);
export const onChange = (f) => (listeners.add(f), () => listeners.delete(f));
const emit = () => listeners.forEach((f) => f());

function sessionFor(pkg, id) {
  return new pkg.ExpiringSession({ name: `space:${id}`, ttlMs: SESSION_TTL_MS });
}

async function adopt(pkg, s, info, { store = true } = {}) {
  if (space && space !== s) await space.forget().catch(() => {});
  space = s;
  spaceInfo = info;
  session = sessionFor(pkg, s.id);
  if (store) expiresAt = await session.storeSpace(s);
  else expiresAt = Date.now() + (await session.timeLeft());
  clearTimeout(lockTimer);
  lockTimer = setTimeout(() => lock("expired"), Math.max(0, expiresAt - Date.now()));
  emit();
}

/** The vault spaces the caller may read. */
export async function listVaults() {
  const out = [];
  let cursor;
  do {
    const page = await api.spaces(cursor);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out.filter((s) => s.kind === "vault" && s.encrypted);
}

/**
 * Unlocks a space with a passphrase. Rejects with a ZkvaultError code
 * "incorrect_key" for a wrong passphrase.
 */
export async function unlockWithPassphrase(info, passphrase) {
  const { zk, pkg } = await loadModule();
  const s = await zk.openSpace(info, new pkg.Passphrase(passphrase));
  await adopt(pkg, s, info);
  return s;
}

/** Unlocks from the key a client handed over (URL fragment). */
export async function unlockWithHandover(spaceId, key) {
  const { zk, pkg } = await loadModule();
  const s = await zk.openHandover(spaceId, key);
  let info = null;
  try {
    info = await api.space(spaceId);
  } catch (e) {
    await s.forget();
    throw e;
  }
  await adopt(pkg, s, info);
  return s;
}

/** Restores an unlocked space from this browser's session, if one is live. */
export async function restore() {
  const { zk, pkg } = await loadModule();
  await pkg.ExpiringSession.sweep().catch(() => {});
  for (const info of await listVaults()) {
    const sess = sessionFor(pkg, info.id);
    if ((await sess.timeLeft()) <= 0) continue;
    const s = await sess.loadSpace(zk);
    if (s) {
      await adopt(pkg, s, info, { store: false });
      return s;
    }
  }
  return null;
}

/** Locks now: deletes the stored session and zeroes the secrets in the module. */
export async function lock(reason = "locked") {
  clearTimeout(lockTimer);
  const s = space;
  const sess = session;
  space = null;
  spaceInfo = null;
  session = null;
  expiresAt = 0;
  await sess?.lock().catch(() => {});
  await s?.forget().catch(() => {});
  lastLockReason = reason;
  emit();
}

let lastLockReason = "";
export const lockReason = () => lastLockReason;

/** Locks every stored session of this browser (logout). */
export async function lockAll() {
  await lock("logout");
  try {
    const { pkg } = await loadModule();
    for (const info of await listVaults().catch(() => [])) await sessionFor(pkg, info.id).lock().catch(() => {});
  } catch {
    // module missing: nothing stored
  }
}

// ---- collections

/** The dashboard's six collections, in menu order. */
export const COLLECTIONS = [
  { name: "imessages", title: "iMessages", kind: "messages", text: "text" },
  { name: "whatsapp_messages", title: "WhatsApp", kind: "messages", text: "text" },
  { name: "contacts", title: "Contacts", kind: "contacts" },
  { name: "screenshots", title: "Screenshots", kind: "screenshots" },
  { name: "imessage_attachments", title: "Attachments", kind: "attachments" },
  { name: "locations", title: "Locations", kind: "locations" },
];

/** The schema of a collection: the space's copy only for what exists; the shipped one for what to trust. */
let shipped = null;
export async function schema(name) {
  if (!shipped) {
    const { zk } = await loadModule();
    shipped = Object.fromEntries((await zk.schemas()).map((s) => [s.collection, s]));
  }
  return shipped[name] ?? spaceInfo?.schemas?.find((s) => s.collection === name) ?? null;
}

export function hasCollection(name) {
  return !!spaceInfo?.schemas?.some((s) => s.collection === name);
}

/**
 * A page of opened records: {items: [{id, fields, errors, error?, stored}], next}.
 * A record that cannot be opened stays in the list with `error`.
 */
export async function page(collection, query) {
  const s = requireSpace();
  const res = await api.records(s.id, collection, query);
  const items = await openAll(collection, res.records);
  return { items, next: res.next_cursor ?? null };
}

export async function openAll(collection, records) {
  const s = requireSpace();
  if (records.length === 0) return [];
  const sc = await schema(collection);
  const opened = await s.openRecords(sc, records);
  return opened.map((o, i) => ({ ...o, id: records[i].id, stored: records[i], errors: o.errors ?? {} }));
}

function requireSpace() {
  if (!space) {
    const e = new Error("The vault is locked.");
    e.name = "Locked";
    throw e;
  }
  return space;
}

/**
 * Exact search through a blind index. candidates: the query values to try (each a
 * string, or one string per field for a compound index). Resolves with
 * {items, candidates, falsePositives}. Queries the index for every secret version,
 * opens the records found, and keeps only those that really match one candidate
 * (a truncated index collides on purpose).
 */
export async function search(collection, index, candidates, { region } = {}) {
  const s = requireSpace();
  const sc = await schema(collection);
  const opts = region ? { region } : undefined;
  const batch = await s.indexValuesBatch(sc, candidates.map((value) => ({ index, value })), opts);
  const usable = [];
  const hexes = new Set();
  batch.forEach((r, i) => {
    if (r.error) return; // e.g. not a phone number in this normaliser
    usable.push(candidates[i]);
    for (const v of r.values) hexes.add(v);
  });
  if (usable.length === 0) {
    const e = batch.find((r) => r.error)?.error;
    return { items: [], candidates: 0, falsePositives: 0, invalid: e ?? null };
  }
  const seen = new Map();
  for (const v of hexes) {
    let cursor;
    do {
      const res = await api.records(s.id, collection, { index, value: v, cursor, limit: 200 });
      for (const r of res.records) seen.set(r.id, r);
      cursor = res.next_cursor;
    } while (cursor);
  }
  const opened = await openAll(collection, [...seen.values()]);
  const items = [];
  let falsePositives = 0;
  for (const o of opened) {
    if (o.error) {
      items.push(o); // cannot tell: shown, marked unreadable
      continue;
    }
    let hit = false;
    for (const c of usable) {
      if (await s.matches(sc, index, o, c, opts)) {
        hit = true;
        break;
      }
    }
    if (hit) items.push(o);
    else falsePositives++;
  }
  return { items, candidates: seen.size, falsePositives, invalid: null };
}

/**
 * Downloads and decrypts a blob. Resolves with a Blob of the plaintext once the
 * whole stream is authenticated. onProgress(done, total) in stored bytes.
 */
export async function fetchBlob(blobId, { type = "", onProgress, signal } = {}) {
  const s = requireSpace();
  const res = await api.blob(s.id, blobId, signal);
  const total = Number(res.headers.get("Content-Length")) || 0;
  let done = 0;
  const counted = res.body.pipeThrough(
    new TransformStream({
      transform(chunk, c) {
        done += chunk.byteLength;
        onProgress?.(done, total);
        c.enqueue(chunk);
      },
    }),
  );
  const parts = [];
  const reader = counted.pipeThrough(s.blobDecryptor(blobId)).getReader();
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    parts.push(value);
  }
  return new Blob(parts, { type });
}

/** The image type of bytes by their magic number ("" if unknown). */
export async function sniffImage(blob) {
  const b = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  const is = (...m) => m.every((x, i) => x === null || b[i] === x);
  if (is(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (is(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (is(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (is(0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return "";
}
