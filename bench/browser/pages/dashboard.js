// The dashboard's first page: 1,000 WhatsApp messages, from "records fetched" (the
// page's JSON parsed, objects in memory, as static/vault.js page() gets them from
// api.records) to "1,000 decrypted messages in the DOM, laid out".
//
// zkvault: space.openRecords(schema, records) in one batch (static/vault.js openAll)
// with the shipped schema, then the rows rendered with textContent.
// Legacy (the reference dashboard, shared/reference/contexter-formats.md): the
// encrypted fields stored as enc:v1:<iv>:<tag>:<ct> (standard base64), and before
// every single decryption PBKDF2-HMAC-SHA256(passphrase, "contexter-e2e-v1",
// 100,000) → AES-256-GCM key, then decrypt (tag re-joined), awaited one by one;
// then the same render. That costs ~0.1 s per value, so one repetition decrypts the
// first LEGACY_SAMPLE messages for real and extrapolates that time linearly to
// 1,000; the render of all 1,000 rows is measured for real (see README.md).
import { enc, randomBytes, subtle } from "./common.js";

const N = 1000;
// Messages decrypted for real per legacy repetition (?legacySample=1000 decrypts the
// whole page, ~1.5 min: to check the extrapolation by hand, not in make bench).
const LEGACY_SAMPLE = Math.min(1000, Number(new URLSearchParams(location.search).get("legacySample")) || 50);
const ITER = 100_000;
const PASSPHRASE = "correct horse battery staple 42";
const LEGACY_ENCRYPTED = ["text", "chatName", "senderName", "senderPhoneNumber"]; // contexter.md

const zk = await (await import("./common.js")).loadZk();
const space = await zk.createSpace("bench-dashboard");
const schema = (await zk.schemas()).find((s) => s.collection === "whatsapp_messages");
if (!schema) throw new Error("no shipped whatsapp_messages schema");
const list = document.getElementById("list");
const utf8d = new TextDecoder();

// ---- the 1,000 messages

const WORDS = "the a meeting tomorrow at noon sounds good see you there lunch call me when you land thanks 👍 ok sure photo from the trip running late on my way happy birthday".split(" ");
function rnd(n) {
  return crypto.getRandomValues(new Uint32Array(1))[0] % n;
}
function sentence() {
  const n = 3 + rnd(40); // 3..42 words: ~15..250 characters
  const w = [];
  for (let i = 0; i < n; i++) w.push(WORDS[rnd(WORDS.length)]);
  return w.join(" ");
}
const CHATS = Array.from({ length: 20 }, (_, i) => ({ name: `Chat ${i} ${sentence().slice(0, 20)}`, id: `chat-${i}@g.us` }));
const PEOPLE = Array.from({ length: 50 }, (_, i) => ({ name: `Person ${i}`, phone: `+1415555${String(1000 + i)}` }));
const T0 = Date.UTC(2026, 9, 1, 9, 0, 0);
const plain = Array.from({ length: N }, (_, i) => {
  const c = CHATS[i % CHATS.length];
  const p = PEOPLE[rnd(PEOPLE.length)];
  const me = i % 5 === 0;
  return {
    id: `wa-${String(i).padStart(5, "0")}`,
    fields: {
      text: sentence(),
      chatName: c.name,
      senderName: me ? "Me" : p.name,
      senderPhoneNumber: me ? "+16505550101" : p.phone,
      senderJid: `${(me ? "+16505550101" : p.phone).slice(1)}@s.whatsapp.net`,
      chatId: c.id,
      messageId: `m${i}`,
      timestamp: T0 + i * 60_000,
      isFromMe: me,
      isGroupChat: true,
    },
  };
});

// ---- the same render for both sides (browse.js's message(), reduced: textContent only)

function render(rows) {
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const f = r.fields;
    const a = document.createElement("article");
    a.className = f.isFromMe ? "msg card mine" : "msg card";
    a.dataset.id = r.id;
    const head = document.createElement("header");
    const who = document.createElement("strong");
    who.textContent = f.isFromMe ? "Me" : f.senderName || f.senderPhoneNumber || "Unknown";
    const phone = document.createElement("span");
    phone.textContent = f.isFromMe ? "" : f.senderPhoneNumber ?? "";
    const t = document.createElement("time");
    t.textContent = new Date(f.timestamp).toISOString();
    head.append(who, phone, t);
    const p = document.createElement("p");
    p.textContent = f.text || "(no text)";
    const foot = document.createElement("footer");
    foot.textContent = f.chatName ?? "";
    a.append(head, p, foot);
    frag.append(a);
  }
  list.replaceChildren(frag);
  return list.offsetHeight; // force style and layout: "shown", not just appended
}

function checkDom(n) {
  if (list.children.length !== n) throw new Error(`rendered ${list.children.length} rows, want ${n}`);
  const last = list.children[n - 1].querySelector("p").textContent;
  if (last !== (plain[n - 1].fields.text || "(no text)")) throw new Error("last row text differs");
}

// ---- zkvault: sealed with the shipped schema, "fetched" as the server's JSON

const sealed = await space.sealRecords(schema, plain, { region: "US" });
const stored = sealed.map((r, i) => {
  if (r.error) throw new Error(`seal ${plain[i].id}: ${r.error.message}`);
  return { id: r.record.id, fields: r.record.fields }; // api.Record as a page returns it
});
const pageJSON = JSON.stringify({ records: stored, next_cursor: null });

// ---- legacy: enc:v1 values, as the reference's client stored them

const b64 = (u8) => u8.toBase64();
const unb64 = (s) => Uint8Array.fromBase64(s);
const SALT = enc.encode("contexter-e2e-v1");
async function legacyKey() {
  const base = await subtle.importKey("raw", enc.encode(PASSPHRASE), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: SALT, iterations: ITER }, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}
async function legacySeal(key, s) {
  if (s === "") return "";
  const iv = randomBytes(12);
  const out = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv }, key, enc.encode(s)));
  const ct = out.subarray(0, out.length - 16);
  const tag = out.subarray(out.length - 16);
  return `enc:v1:${b64(iv)}:${b64(tag)}:${b64(ct)}`;
}
// What the reference dashboard did for each value: derive the key again, then decrypt.
async function legacyOpen(s) {
  if (typeof s !== "string" || !s.startsWith("enc:v1:")) return s;
  const [, , iv, tag, ct] = s.split(":");
  const base = await subtle.importKey("raw", enc.encode(PASSPHRASE), "PBKDF2", false, ["deriveKey"]);
  const key = await subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: SALT, iterations: ITER }, base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  const c = unb64(ct);
  const t = unb64(tag);
  const joined = new Uint8Array(c.length + t.length);
  joined.set(c);
  joined.set(t, c.length);
  return utf8d.decode(await subtle.decrypt({ name: "AES-GCM", iv: unb64(iv) }, key, joined));
}
const lkey = await legacyKey();
const legacyRows = [];
for (const r of plain) {
  const row = { id: r.id, ...r.fields };
  for (const f of LEGACY_ENCRYPTED) row[f] = await legacySeal(lkey, r.fields[f]);
  legacyRows.push(row);
}
const legacyJSON = JSON.stringify({ data: legacyRows });

// Check both sides round-trip before anything is timed.
{
  const [o] = await space.openRecords(schema, [stored[0]]);
  if (o.error || o.fields.text !== plain[0].fields.text || o.fields.senderPhoneNumber !== plain[0].fields.senderPhoneNumber) throw new Error("zkvault round trip failed");
  if ((await legacyOpen(legacyRows[0].text)) !== plain[0].fields.text) throw new Error("legacy round trip failed");
}

window.bench = {
  info: () => ({ n: N, legacySample: LEGACY_SAMPLE, legacyValuesPerMessage: LEGACY_ENCRYPTED.length, iterations: ITER, pageBytes: pageJSON.length, legacyPageBytes: legacyJSON.length }),

  DashboardFirstPage1000: async () => {
    list.replaceChildren();
    const { records } = JSON.parse(pageJSON); // fetched: objects in memory
    const t0 = performance.now();
    const opened = await space.openRecords(schema, records);
    const rows = opened.map((o, i) => {
      if (o.error) throw o.error;
      return { ...o, id: records[i].id };
    });
    const t1 = performance.now();
    render(rows);
    const t2 = performance.now();
    checkDom(N);
    return { ms: t2 - t0, openMs: t1 - t0, renderMs: t2 - t1 };
  },

  // Legacy, one by one, the first LEGACY_SAMPLE messages for real; the decryption time
  // extrapolated to N messages (linear: every value costs one PBKDF2), plus the real
  // render of N rows (the rows past the sample rendered from the known plaintexts,
  // which are what the decryption returns).
  BaselineLegacyFirstPage1000: async () => {
    list.replaceChildren();
    const { data } = JSON.parse(legacyJSON);
    const t0 = performance.now();
    const rows = [];
    let values = 0;
    for (let i = 0; i < LEGACY_SAMPLE; i++) {
      const r = data[i];
      const fields = { ...r };
      for (const f of LEGACY_ENCRYPTED) {
        if (r[f]) values++;
        fields[f] = await legacyOpen(r[f]);
      }
      rows.push({ id: r.id, fields });
    }
    const t1 = performance.now();
    for (let i = LEGACY_SAMPLE; i < N; i++) rows.push({ id: plain[i].id, fields: { ...plain[i].fields } });
    const t2 = performance.now();
    render(rows);
    const t3 = performance.now();
    checkDom(N);
    if (rows[LEGACY_SAMPLE - 1].fields.text !== plain[LEGACY_SAMPLE - 1].fields.text) throw new Error("legacy decryption differs");
    const decryptMs = ((t1 - t0) * N) / LEGACY_SAMPLE;
    return { ms: decryptMs + (t3 - t2), sampleMs: t1 - t0, perValueMs: (t1 - t0) / values, renderMs: t3 - t2 };
  },
};
window.benchReady = true;
