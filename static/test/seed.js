// Seeds a zkvault server with a vault as the ingest client would: records and
// blobs encrypted in Node with the same JavaScript package the dashboard uses
// (static/pkg/), uploaded with the admin secret.
import { deflateSync } from "node:zlib";

export const VAULT = "vault-1";
export const PASSPHRASE = "correct horse battery staple — 🔑 dashboard test";
export const STORED_PHONE = "4155550100"; // stored without country code (region US)
export const SEARCH_PHONE = "+1 (415) 555-0100"; // what the test types

const pkgURL = new URL("../pkg/", import.meta.url);

async function call(base, secret, method, path, body, headers = {}) {
  const res = await fetch(base + "/api/v1" + path, {
    method,
    headers: { Authorization: `Bearer ${secret}`, ...(body && !(body instanceof Uint8Array) ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body instanceof Uint8Array ? body : body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// ---- a tiny PNG encoder (RGBA, no filter), enough for test images

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** A PNG of w×h whose pixel (x, y) is color(x, y) → [r, g, b]. */
export function png(w, h, color) {
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b] = color(x, y);
      raw.set([r, g, b, 255], y * (w * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** Quadrants: red, green / blue, white; the test reads them back from the page. */
export const QUADRANTS = { tl: [220, 30, 40], tr: [30, 170, 60], bl: [30, 60, 200], br: [255, 255, 255] };
export function quadrantColor(w, h) {
  return (x, y) => (y < h / 2 ? (x < w / 2 ? QUADRANTS.tl : QUADRANTS.tr) : x < w / 2 ? QUADRANTS.bl : QUADRANTS.br);
}

async function readAll(stream) {
  const parts = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * Creates the vault and its data. Resolves with what the test checks against:
 * {attachment: {name, bytes}, screenshot: {w, h}, locations: n, envelopes}.
 */
export async function seed(base, admin, { log = () => {} } = {}) {
  const pkg = await import(new URL("index.js", pkgURL));
  const zk = await pkg.load({ wasm: new URL("zkvault.wasm", pkgURL), wasmExec: new URL("wasm_exec.js", pkgURL) });
  const P = (p, o) => call(base, admin, "POST", p, o);

  // The owner principal (a token needs one).
  const kp = await zk.generateKeyPair({ seal: { passphrase: new pkg.Passphrase(PASSPHRASE), principalId: "owner" } });
  await P("/principals", kp.principal);
  await kp.close();

  const space = await zk.createSpace(VAULT);
  const t = Date.now();
  const envelope = await space.envelope(new pkg.Passphrase(PASSPHRASE)); // Argon2id defaults, as a real vault
  log(`envelope (Argon2id) ${Date.now() - t} ms`);
  const all = await zk.schemas();
  const names = ["imessages", "whatsapp_messages", "contacts", "screenshots", "imessage_attachments", "locations"];
  const schemas = all.filter((s) => names.includes(s.collection));
  await P("/spaces", { id: VAULT, kind: "vault", encrypted: true, secret_version: 1, envelopes: [envelope], schemas, relations: [{ role: "owner", principal: "owner" }] });

  const opts = { region: "US" };
  const schema = (n) => schemas.find((s) => s.collection === n);
  async function put(coll, records) {
    const sealed = await space.sealRecords(schema(coll), records, opts);
    const out = sealed.map((r, i) => {
      if (r.error) throw new Error(`seal ${coll}/${records[i].id}: ${r.error.message}`);
      return r.record;
    });
    return out;
  }
  async function upload(coll, stored) {
    await P(`/spaces/${VAULT}/collections/${coll}/records`, { records: stored });
  }
  const day = 24 * 3600 * 1000;
  const t0 = Date.UTC(2026, 9, 1, 9, 0, 0);

  // Contacts: Ada's number stored without country code; the test searches "+1 (415) 555-0100".
  const contacts = [
    { id: "c-ada", fields: { firstName: "Ada", lastName: "Lovelace", organization: "Analytical Engines Ltd", emails: ["ada@example.org"], phoneNumbers: [STORED_PHONE], contactId: "ab-1" } },
    { id: "c-grace", fields: { firstName: "Grace", lastName: "Hopper", organization: "US Navy", emails: ["grace@example.org", "hopper@navy.example"], phoneNumbers: ["+1 212 555 0199"], contactId: "ab-2" } },
    { id: "c-alan", fields: { firstName: "Alan", lastName: "Turing", emails: ["alan@example.org"], phoneNumbers: ["+44 20 7946 0958"], contactId: "ab-3" } },
    { id: "c-edsger", fields: { firstName: "Edsger", lastName: "Dijkstra", organization: "TU Eindhoven", emails: [], phoneNumbers: ["+31 40 247 9111"], contactId: "ab-4" } },
    { id: "c-barbara", fields: { firstName: "Barbara", lastName: "Liskov", organization: "MIT", emails: ["liskov@example.edu"], phoneNumbers: ["(617) 555-0142"], contactId: "ab-5" } },
  ];
  // Decoys: numbers whose 8-bit blind index collides with Ada's, so that the
  // server answers the search with false positives the dashboard must drop.
  const target = await space.indexValues(schema("contacts"), "phoneNumbers", STORED_PHONE, opts);
  const decoys = [];
  for (let n = 0; decoys.length < 2 && n < 40; n++) {
    const tries = Array.from({ length: 256 }, (_, i) => `+1 303 555 ${String(n * 256 + i).padStart(4, "0")}`);
    const got = await space.indexValuesBatch(schema("contacts"), tries.map((value) => ({ index: "phoneNumbers", value })), opts);
    got.forEach((g, i) => {
      if (decoys.length < 2 && g.values?.[0] === target[0]) decoys.push(tries[i]);
    });
  }
  if (decoys.length < 2) throw new Error("no colliding decoy numbers found");
  decoys.forEach((phone, i) => contacts.push({ id: `c-decoy-${i}`, fields: { firstName: ["Charles", "Mary"][i], lastName: ["Babbage", "Somerville"][i], emails: [], phoneNumbers: [phone], contactId: `ab-d${i}` } }));
  const sc = await put("contacts", contacts);
  // One record that cannot be decrypted: a ciphertext moved from another record.
  const broken = structuredClone(sc.find((r) => r.id === "c-barbara"));
  broken.id = "c-broken";
  await upload("contacts", [...sc, broken]);

  const chats = { family: "chat-family", ada: "chat-ada" };
  const im = [];
  const texts = ["Are we still on for Sunday?", "Yes! I'll bring the notes on the engine.", "Running 10 minutes late", "No worries", "Did you see the new punch-card design?", "Lunch at noon tomorrow?", "The loom patterns are beautiful", "Call me when you land"];
  texts.forEach((text, i) =>
    im.push({
      id: `im-${i + 1}`,
      fields: {
        text,
        subject: i === 4 ? "Punch cards" : "",
        contactIdentifier: i % 2 ? "+1 212 555 0199" : "+14155550100",
        chatName: i % 3 === 0 ? "Family" : "Ada",
        date: t0 + i * 3 * 3600 * 1000,
        isFromMe: i % 2 === 1,
        isRead: true,
        isSent: true,
        isDelivered: true,
        hasAttachments: i === 2,
        service: "iMessage",
        chatId: i % 3 === 0 ? chats.family : chats.ada,
      },
    }),
  );
  // A busy chat later on, so that the list has a second page.
  for (let i = 0; i < 30; i++) {
    im.push({ id: `im-bulk-${String(i).padStart(2, "0")}`, fields: { text: `Bulk message ${i + 1}`, contactIdentifier: "+1 212 555 0199", chatName: "Bulk", date: t0 + 3 * day + i * 60e3, isFromMe: i % 2 === 0, service: "SMS", chatId: "chat-bulk" } });
  }
  const sim = await put("imessages", im);
  const imBroken = structuredClone(sim[1]);
  imBroken.id = "im-broken";
  imBroken.fields.date = t0 + 5 * 3600 * 1000;
  await upload("imessages", [...sim, imBroken]);

  const wa = [
    { id: "wa-1", fields: { text: "Hello from WhatsApp", chatName: "Engines", senderName: "Ada Lovelace", senderPhoneNumber: STORED_PHONE, senderJid: "14155550100@s.whatsapp.net", chatId: "engines@g.us", messageId: "m1", timestamp: t0 + day, isFromMe: false, isGroupChat: true } },
    { id: "wa-2", fields: { text: "Weekly sync moved to Thursday", chatName: "Engines", senderName: "Grace Hopper", senderPhoneNumber: "+1 212 555 0199", senderJid: "12125550199@s.whatsapp.net", chatId: "engines@g.us", messageId: "m2", timestamp: t0 + day + 3600e3, isFromMe: false, isGroupChat: true } },
    { id: "wa-3", fields: { text: "👍", chatName: "Engines", senderName: "Me", senderPhoneNumber: "+1 650 555 0101", senderJid: "me", chatId: "engines@g.us", messageId: "m3", timestamp: t0 + day + 7200e3, isFromMe: true, isGroupChat: true } },
  ];
  await upload("whatsapp_messages", await put("whatsapp_messages", wa));

  // Locations: a walk around San Francisco.
  const loc = [];
  for (let i = 0; i < 30; i++) {
    const a = (i / 30) * Math.PI * 1.6;
    loc.push({ id: `loc-${String(i).padStart(2, "0")}`, fields: { latitude: 37.7749 + 0.02 * Math.sin(a) + 0.0005 * i, longitude: -122.4194 + 0.03 * Math.cos(a), accuracy: 5 + (i % 7) * 3, timestamp: t0 + i * 1800e3 } });
  }
  await upload("locations", await put("locations", loc));

  // Screenshots: PNGs with known pixels, as encrypted blobs.
  const shots = [];
  const sizes = [
    [120, 160],
    [160, 120],
    [90, 160],
  ];
  for (let i = 0; i < sizes.length; i++) {
    const [w, hh] = sizes[i];
    const image = i === 0 ? png(w, hh, quadrantColor(w, hh)) : png(w, hh, (x, y) => [40 + ((x * 3 + i * 60) % 200), 80 + ((y * 2) % 150), 180 - i * 40]);
    const blobId = `shot-${i + 1}`;
    const enc = await readAll(space.encryptBlob(blobId, image));
    await call(base, admin, "PUT", `/spaces/${VAULT}/blobs/${blobId}?collection=screenshots&record=s-${i + 1}`, new Uint8Array(enc), { "Content-Type": "application/octet-stream" });
    shots.push({ id: `s-${i + 1}`, fields: { image: blobId, width: w, height: hh, fileSize: image.length, takenAt: t0 + i * day } });
  }
  await upload("screenshots", await put("screenshots", shots));

  // Attachments: a file of 300 KB of pseudo-random bytes with a non-ASCII name.
  const bytes = Buffer.alloc(300_000);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = x >> 16;
  }
  const attName = "Rapport annuel – été 2026.pdf";
  const atts = [
    { id: "a-1", name: attName, type: "application/pdf", data: bytes },
    { id: "a-2", name: "notes.txt", type: "text/plain", data: Buffer.from("Meeting notes\n- engine\n- loom\n") },
  ];
  const attRecs = [];
  for (const a of atts) {
    const blobId = `att-${a.id}`;
    const enc = await readAll(space.encryptBlob(blobId, a.data));
    await call(base, admin, "PUT", `/spaces/${VAULT}/blobs/${blobId}?collection=imessage_attachments&record=${a.id}`, new Uint8Array(enc), { "Content-Type": "application/octet-stream" });
    attRecs.push({ id: a.id, fields: { file: blobId, filename: a.name, mimeType: a.type, fileSize: a.data.length, messageId: "im-3", createdAt: t0 + 2 * 3 * 3600e3 } });
  }
  await upload("imessage_attachments", await put("imessage_attachments", attRecs));

  await space.forget();
  const stored = await call(base, admin, "GET", `/spaces/${VAULT}`);
  return { decoys, attachment: { name: attName, bytes }, screenshot: { w: 120, h: 160 }, locations: loc.length, space: stored };
}
