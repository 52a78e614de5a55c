// gen-vectors.mjs writes vectors.json: known-answer vectors for the legacy
// (contexter.md) formats that package legacy reads.
//
// It is an independent implementation in plain Node 20: WebCrypto
// (globalThis.crypto.subtle), TextEncoder, atob/btoa and Buffer only; no npm
// packages, no Go. It reproduces what the legacy JavaScript did:
//
//   * keys: PBKDF2-HMAC-SHA256(passphrase UTF-8, fixed salt, 100000) imported
//     with importKey("raw", …, "PBKDF2") and deriveKey / deriveBits;
//   * text form: AES-256-GCM through WebCrypto, whose output is
//     ciphertext || tag, split into enc:v1:<iv>:<tag>:<ciphertext> with
//     standard padded base64 (the desktop client's Buffer#toString("base64"));
//   * binary form: "CTXE" || 0x01 || iv || tag || ciphertext;
//   * blind indexes: HMAC-SHA256 hex, "" for an empty input;
//   * normalisers: String.prototype.normalize("NFD"), /\p{M}/gu,
//     toLowerCase, trim, exactly as the legacy code wrote them.
//
// IVs are fixed (the first 12 bytes of SHA-256 of the vector's name) so the
// output is deterministic. Every vector is also run through a copy of the
// legacy dashboard's decryption code, and the outcome it had is recorded as
// "legacy" ("success" or "failure"); the script refuses to write a vector
// that zkvault expects to succeed but the legacy code could not read.
//
// The output is frozen: the Go tests read vectors.json and never run Node.
// Regenerate only on purpose:  node wasm/legacy/testdata/gen-vectors.mjs
// and check that `git diff` shows no change to an existing vector.

import { writeFileSync } from "node:fs"

const subtle = globalThis.crypto.subtle
const enc = new TextEncoder()

// ---- the legacy constants ----------------------------------------------

const SALT = "contexter-e2e-v1"
const INDEX_SALT = "contexter-search-index-v1"
const PBKDF2_ITERATIONS = 100000
const KEY_LENGTH = 256 // bits
const ENCRYPTED_PREFIX = "enc:v1:"
const IV_LENGTH = 12
const AUTH_TAG_LENGTH = 16

// ---- small helpers ------------------------------------------------------

const hex = (u8) => Buffer.from(u8).toString("hex")
const fromHex = (h) => new Uint8Array(Buffer.from(h, "hex"))
const b64 = (u8) => Buffer.from(u8).toString("base64")
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

async function ivFor(name) {
  const d = new Uint8Array(await subtle.digest("SHA-256", enc.encode("iv:" + name)))
  return d.slice(0, IV_LENGTH)
}

// Deterministic filler bytes: SHA-256 in counter mode over a label.
async function filler(label, n) {
  const out = new Uint8Array(n)
  for (let i = 0, c = 0; i < n; c++) {
    const d = new Uint8Array(await subtle.digest("SHA-256", enc.encode(`${label}:${c}`)))
    out.set(d.slice(0, Math.min(32, n - i)), i)
    i += 32
  }
  return out
}

// ---- key derivation, as the dashboard did it ------------------------------

async function passphraseKey(passphrase) {
  return subtle.importKey("raw", enc.encode(passphrase), "PBKDF2", false, [
    "deriveBits",
    "deriveKey",
  ])
}

function pbkdf2Params(salt) {
  return { name: "PBKDF2", salt: enc.encode(salt), iterations: PBKDF2_ITERATIONS, hash: "SHA-256" }
}

async function deriveKeys(passphrase) {
  const base = await passphraseKey(passphrase)
  const aes = await subtle.deriveKey(
    pbkdf2Params(SALT),
    base,
    { name: "AES-GCM", length: KEY_LENGTH },
    false,
    ["encrypt", "decrypt"],
  )
  const hmac = await subtle.deriveKey(
    pbkdf2Params(INDEX_SALT),
    base,
    { name: "HMAC", hash: "SHA-256", length: KEY_LENGTH },
    false,
    ["sign"],
  )
  // The raw bits, only to print them in the vectors and the spec.
  const encBits = new Uint8Array(await subtle.deriveBits(pbkdf2Params(SALT), base, KEY_LENGTH))
  const idxBits = new Uint8Array(await subtle.deriveBits(pbkdf2Params(INDEX_SALT), base, KEY_LENGTH))
  return { aes, hmac, encBits, idxBits }
}

// ---- the legacy writers ---------------------------------------------------

async function gcmSeal(key, iv, plaintext) {
  const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv }, key, plaintext))
  const ct = sealed.slice(0, sealed.length - AUTH_TAG_LENGTH)
  const tag = sealed.slice(sealed.length - AUTH_TAG_LENGTH)
  return { ct, tag }
}

// encryptText / encryptBinaryToString: empty stays empty.
async function encryptToString(key, iv, plaintext) {
  if (plaintext.length === 0) return ""
  const { ct, tag } = await gcmSeal(key, iv, plaintext)
  return `${ENCRYPTED_PREFIX}${b64(iv)}:${b64(tag)}:${b64(ct)}`
}

// encryptBuffer: empty stays empty.
async function encryptBuffer(key, iv, plaintext) {
  if (plaintext.length === 0) return plaintext
  const { ct, tag } = await gcmSeal(key, iv, plaintext)
  return concat(enc.encode("CTXE"), new Uint8Array([0x01]), iv, tag, ct)
}

// computeSearchIndex: "" for an empty input.
async function searchIndex(hmacKey, value) {
  if (!value) return ""
  return hex(new Uint8Array(await subtle.sign("HMAC", hmacKey, enc.encode(value))))
}

// ---- the legacy readers (the dashboard's code, minus the UI) ---------------

// decryptText / decryptBinaryToBase64, returning the plaintext bytes, the
// value itself when it is not encrypted, or null for a failure.
async function legacyDecryptString(key, ciphertext) {
  if (!ciphertext) return { kind: "empty" }
  if (!ciphertext.startsWith(ENCRYPTED_PREFIX)) return { kind: "not encrypted" }
  const parts = ciphertext.slice(ENCRYPTED_PREFIX.length).split(":")
  if (parts.length !== 3) return null
  try {
    const [ivB64, authTagB64, encryptedB64] = parts
    const iv = Uint8Array.from(atob(ivB64), (c) => c.charCodeAt(0))
    const authTag = Uint8Array.from(atob(authTagB64), (c) => c.charCodeAt(0))
    const encrypted = Uint8Array.from(atob(encryptedB64), (c) => c.charCodeAt(0))
    const combined = concat(encrypted, authTag)
    const pt = await subtle.decrypt({ name: "AES-GCM", iv }, key, combined)
    return { kind: "plaintext", bytes: new Uint8Array(pt) }
  } catch {
    return null
  }
}

// decryptBuffer (desktop) / decryptBufferFromDataUrl (dashboard).
async function legacyDecryptBuffer(key, bytes) {
  if (bytes.length === 0) return { kind: "empty" }
  const magic = String.fromCharCode(...bytes.subarray(0, 4))
  if (magic !== "CTXE") return { kind: "not encrypted" }
  if (bytes[4] !== 0x01) return null
  try {
    const iv = bytes.subarray(5, 5 + IV_LENGTH)
    const authTag = bytes.subarray(5 + IV_LENGTH, 5 + IV_LENGTH + AUTH_TAG_LENGTH)
    const encrypted = bytes.subarray(5 + IV_LENGTH + AUTH_TAG_LENGTH)
    const pt = await subtle.decrypt({ name: "AES-GCM", iv }, key, concat(encrypted, authTag))
    return { kind: "plaintext", bytes: new Uint8Array(pt) }
  } catch {
    return null
  }
}

// ---- the legacy normalisers ------------------------------------------------

function stripAccents(str) {
  return str.normalize("NFD").replace(/\p{M}/gu, "")
}

function normalizePhone(phone) {
  const digits = phone.replace(/\D/g, "")
  if (digits.length === 0) return ""
  return `+${digits}`
}

function normalizeName(name) {
  return stripAccents(name)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
}

function normalizeContact(contact) {
  return contact.includes("@") ? contact.trim().toLowerCase() : normalizePhone(contact)
}

const normalisers = { phone: normalizePhone, name: normalizeName, contact: normalizeContact, none: (s) => s }

// ---- passphrases -------------------------------------------------------------

const PASSPHRASES = {
  main: "correct horse battery staple",
  unicode: "pässwörd 🔑 ünïcödé",
  wrong: "Correct horse battery staple",
}

const keys = {}
for (const [id, p] of Object.entries(PASSPHRASES)) keys[id] = await deriveKeys(p)

// ---- mutations used by the failure vectors ---------------------------------------

function splitValue(v) {
  const [iv, tag, ct] = v.slice(ENCRYPTED_PREFIX.length).split(":")
  return { iv, tag, ct }
}
const joinValue = ({ iv, tag, ct }) => `${ENCRYPTED_PREFIX}${iv}:${tag}:${ct}`
function flipB64(part, byteIndex) {
  const b = new Uint8Array(Buffer.from(part, "base64"))
  b[byteIndex] ^= 0x01
  return b64(b)
}
function resizeB64(part, n) {
  const b = new Uint8Array(Buffer.from(part, "base64"))
  const out = new Uint8Array(n)
  out.set(b.subarray(0, Math.min(n, b.length)))
  if (n > b.length) out.fill(0xaa, b.length)
  return b64(out)
}

// ---- text vectors ----------------------------------------------------------------

const textVectors = []

// addText encrypts plaintext (a string or bytes) under keys[pass] with a
// fixed IV and records a success vector that zkvault must reproduce
// byte for byte.
async function addText(name, pass, plaintext, kind = "text") {
  const pt = typeof plaintext === "string" ? enc.encode(plaintext) : plaintext
  const iv = await ivFor(name)
  const value = await encryptToString(keys[pass].aes, iv, pt)
  const v = { name, kind, passphrase: pass, iv: hex(iv), value, result: "success", plaintext_hex: hex(pt) }
  if (typeof plaintext === "string") v.plaintext = plaintext
  textVectors.push(v)
  return value
}

// addTextCase records a value that was not made by the writer (a mutation
// or a hand-written string) with zkvault's expected outcome.
function addTextCase(name, pass, value, result, extra = {}) {
  textVectors.push({ name, kind: "text", passphrase: pass, value, result, ...extra })
}

const hello = await addText("ascii text", "main", "Hello, world!")
await addText("unicode text", "main", "Olá 👋 — 日本語 ✓ Ωμέγα")
await addText("one character", "main", "x")
await addText("phone number field", "main", "+1 (555) 010-9999")
await addText("latitude field", "main", "37.774929")
await addText("json field", "main", '["alice@example.com","bob@example.org"]')
await addText("long text", "main", "The quick brown fox jumps over the lazy dog. ".repeat(40))
await addText("colon and newline in plaintext", "main", "a:b:c\nd\r\n\te")
await addText("non-ascii passphrase", "unicode", "secret under a non-ASCII passphrase")
await addText("attachment bytes not utf-8", "main", await filler("attachment", 300), "bytes")
await addText("attachment png header", "main", fromHex("89504e470d0a1a0a0000000d49484452"), "bytes")
await addText("attachment bytes that are utf-8", "main", enc.encode("plain text attachment\n"), "bytes")

// An empty value is stored as an empty string and read as one.
textVectors.push({ name: "empty value", kind: "text", passphrase: "main", value: "", result: "success", plaintext_hex: "", plaintext: "" })

// Not written by the legacy code (it stores "" for an empty plaintext), but
// a well-formed encryption of zero bytes that the legacy reader accepts.
{
  const iv = await ivFor("empty ciphertext part")
  const { ct, tag } = await gcmSeal(keys.main.aes, iv, new Uint8Array(0))
  textVectors.push({
    name: "empty ciphertext part",
    kind: "text",
    passphrase: "main",
    value: `${ENCRYPTED_PREFIX}${b64(iv)}:${b64(tag)}:${b64(ct)}`,
    result: "success",
    plaintext_hex: "",
    plaintext: "",
  })
}

const h = splitValue(hello)
addTextCase("wrong passphrase", "wrong", hello, "decrypt error")
addTextCase("flipped ciphertext bit", "main", joinValue({ ...h, ct: flipB64(h.ct, 0) }), "decrypt error")
addTextCase("flipped tag bit", "main", joinValue({ ...h, tag: flipB64(h.tag, 15) }), "decrypt error")
addTextCase("flipped iv bit", "main", joinValue({ ...h, iv: flipB64(h.iv, 11) }), "decrypt error")
addTextCase("tag and ciphertext swapped", "main", joinValue({ ...h, tag: h.ct, ct: h.tag }), "malformed")
addTextCase("truncated tag", "main", joinValue({ ...h, tag: resizeB64(h.tag, 15) }), "malformed")
addTextCase("tag too long", "main", joinValue({ ...h, tag: resizeB64(h.tag, 17) }), "malformed")
addTextCase("short iv", "main", joinValue({ ...h, iv: resizeB64(h.iv, 8) }), "malformed")
addTextCase("16-byte iv", "main", joinValue({ ...h, iv: resizeB64(h.iv, 16) }), "malformed")
addTextCase("empty iv part", "main", joinValue({ ...h, iv: "" }), "malformed")
addTextCase("empty tag part", "main", joinValue({ ...h, tag: "" }), "malformed")
addTextCase("bad base64 character", "main", joinValue({ ...h, ct: "*" + h.ct.slice(1) }), "malformed")
{
  // Pick a part that has a character the URL-safe alphabet replaces.
  const key = ["iv", "tag", "ct"].find((k) => /[+/]/.test(h[k]))
  if (!key) throw new Error("no + or / in the ascii text vector; change its plaintext")
  const urlSafe = h[key].replaceAll("+", "-").replaceAll("/", "_")
  addTextCase("url-safe base64 alphabet", "main", joinValue({ ...h, [key]: urlSafe }), "malformed")
}
addTextCase("unpadded base64", "main", joinValue({ ...h, ct: h.ct.replace(/=+$/, "") }), "malformed", {
  note: "the legacy atob accepts it; the legacy writers always padded",
})
{
  // "SGVsbG8=" -> "SGVsbG9=": same decoded bytes, non-zero trailing bits.
  const last = h.ct.replace(/=+$/, "")
  const pad = h.ct.slice(last.length)
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  if (pad.length === 0) throw new Error("the ascii text ciphertext has no padding; change its plaintext")
  const c = alphabet[alphabet.indexOf(last.at(-1)) ^ 1]
  addTextCase("non-canonical base64", "main", joinValue({ ...h, ct: last.slice(0, -1) + c + pad }), "malformed", {
    note: "the legacy atob accepts it; the legacy writers only wrote canonical base64",
  })
}
addTextCase("base64 with a line break", "main", joinValue({ ...h, ct: h.ct.slice(0, 4) + "\n" + h.ct.slice(4) }), "malformed", {
  note: "the legacy atob skips whitespace; the legacy writers never wrote any",
})
addTextCase("two parts", "main", `${ENCRYPTED_PREFIX}${h.iv}:${h.tag}${h.ct}`, "malformed")
addTextCase("four parts", "main", `${hello}:`, "malformed")
addTextCase("prefix only", "main", ENCRYPTED_PREFIX, "malformed")
addTextCase("plaintext", "main", "Hello, world!", "not encrypted")
addTextCase("other version prefix", "main", hello.replace("enc:v1:", "enc:v2:"), "not encrypted")
addTextCase("upper-case prefix", "main", hello.replace("enc:v1:", "ENC:V1:"), "not encrypted")
addTextCase("leading space", "main", " " + hello, "not encrypted")
addTextCase("prefix without colon", "main", "enc:v1", "not encrypted")

// ---- binary (CTXE) vectors ------------------------------------------------------

const binaryVectors = []

async function addBinary(name, pass, pt) {
  const iv = await ivFor(name)
  const value = await encryptBuffer(keys[pass].aes, iv, pt)
  binaryVectors.push({ name, passphrase: pass, iv: hex(iv), value_hex: hex(value), result: "success", plaintext_hex: hex(pt) })
  return value
}
function addBinaryCase(name, pass, value, result, extra = {}) {
  binaryVectors.push({ name, passphrase: pass, value_hex: hex(value), result, ...extra })
}

const webpLike = concat(enc.encode("RIFF"), fromHex("24000000"), enc.encode("WEBPVP8 "), await filler("webp", 28))
const shot = await addBinary("screenshot", "main", webpLike)
await addBinary("one byte", "main", fromHex("00"))
await addBinary("one kibibyte", "main", await filler("kib", 1024))
await addBinary("non-ascii passphrase", "unicode", enc.encode("binary under a non-ASCII passphrase"))
binaryVectors.push({ name: "empty value", passphrase: "main", value_hex: "", result: "success", plaintext_hex: "" })
{
  const iv = await ivFor("empty ciphertext")
  const { ct, tag } = await gcmSeal(keys.main.aes, iv, new Uint8Array(0))
  binaryVectors.push({
    name: "empty ciphertext",
    passphrase: "main",
    value_hex: hex(concat(enc.encode("CTXE"), new Uint8Array([1]), iv, tag, ct)),
    result: "success",
    plaintext_hex: "",
  })
}

const flip = (b, i) => {
  const c = b.slice()
  c[i] ^= 0x01
  return c
}
addBinaryCase("wrong passphrase", "wrong", shot, "decrypt error")
addBinaryCase("flipped ciphertext bit", "main", flip(shot, shot.length - 1), "decrypt error")
addBinaryCase("flipped tag bit", "main", flip(shot, 5 + 12), "decrypt error")
addBinaryCase("flipped iv bit", "main", flip(shot, 5), "decrypt error")
addBinaryCase("truncated ciphertext", "main", shot.slice(0, shot.length - 1), "decrypt error")
addBinaryCase("version 0x02", "main", (() => { const c = shot.slice(); c[4] = 0x02; return c })(), "malformed")
addBinaryCase("version 0x00", "main", (() => { const c = shot.slice(); c[4] = 0x00; return c })(), "malformed")
addBinaryCase("magic only", "main", enc.encode("CTXE"), "malformed")
addBinaryCase("header only", "main", shot.slice(0, 5), "malformed")
addBinaryCase("truncated iv", "main", shot.slice(0, 5 + 7), "malformed")
addBinaryCase("truncated tag", "main", shot.slice(0, 5 + 12 + 15), "malformed")
addBinaryCase("plaintext webp", "main", webpLike, "not encrypted")
addBinaryCase("shorter than magic", "main", enc.encode("CT"), "not encrypted")
addBinaryCase("lower-case magic", "main", concat(enc.encode("ctxe"), shot.slice(4)), "not encrypted")

// ---- blind indexes and normalisers --------------------------------------------------

const indexVectors = []
async function addIndex(normaliser, input, pass = "main") {
  const normalised = normalisers[normaliser](input)
  indexVectors.push({ normaliser, passphrase: pass, input, normalised, index: await searchIndex(keys[pass].hmac, normalised) })
}

for (const s of [
  "+1 (555) 010-9999",
  "555.010.9999",
  "+44 20 7946 0958",
  "00 33 1 23 45 67 89",
  "+1 555 010 9999 ext. 12",
  "",
  "   ",
  "no digits",
  "１２３４", // full-width digits are not \d in JS
  "٠١٢٣ 45", // Arabic-Indic digits are not \d in JS
  "+𝟏𝟐𝟑 9", // mathematical digits (outside the BMP)
  "5511987654321@s.whatsapp.net",
]) await addIndex("phone", s)

for (const s of [
  "José Álvarez",
  "Zoë",
  "  Family Chat 👨‍👩‍👧 2024! ",
  "Mc'Donald-Smith Jr.",
  "Иван Петров",
  "李小龙",
  "محمد",
  "नमस्ते",
  "Ødegaard",
  "straße",
  "İstanbul",
  "ﬁsh", // U+FB01 LATIN SMALL LIGATURE FI: NFD does not decompose it
  "Ａｂｃ", // full-width letters
  "Æsir",
  "\u212A\u212B", // KELVIN SIGN, ANGSTROM SIGN: NFD maps them to K and A + ring
  "\u01C5ivko", // Dž (title case digraph)
  "e\u0301te\u0301",
  "ΟΔΟΣ",
  "",
  "123 Main St",
]) await addIndex("name", s)

for (const s of [
  " Alice@Example.COM ",
  "bob@example.org",
  "ΟΔΟΣ@example.gr", // final sigma: JS lowercases to ς
  "Σ@example.gr", // not final: σ
  "ΑΣ.ΒΣ@x.gr",
  "İnci@example.com", // JS lowercases İ to i + U+0307
  "\u00A0carol@example.com\u00A0",
  "\uFEFFdave@example.com", // JS trim removes U+FEFF
  "\u0085erin@example.com", // JS trim keeps U+0085 (NEL)
  "\u3000frank@example.com\u2029",
  "+1 (555) 010-9999",
  "contact without at sign",
  "",
]) await addIndex("contact", s)

await addIndex("none", "Family Chat")
await addIndex("none", "")
await addIndex("phone", "+1 (555) 010-9999", "unicode")

// ---- check every vector against the legacy readers -----------------------------------

for (const v of textVectors) {
  const got = await legacyDecryptString(keys[v.passphrase].aes, v.value)
  v.legacy = got === null ? "failure" : "success"
  if (v.result === "success") {
    if (got === null) throw new Error(`text vector ${v.name}: legacy reader failed`)
    const bytes = got.kind === "plaintext" ? hex(got.bytes) : ""
    if (bytes !== v.plaintext_hex) throw new Error(`text vector ${v.name}: legacy reader disagrees`)
  }
  if (v.result === "not encrypted" && got?.kind !== "not encrypted") throw new Error(`text vector ${v.name}`)
  if (v.result === "decrypt error" && got !== null) throw new Error(`text vector ${v.name}: legacy reader accepted it`)
}
for (const v of binaryVectors) {
  const got = await legacyDecryptBuffer(keys[v.passphrase].aes, fromHex(v.value_hex))
  v.legacy = got === null ? "failure" : "success"
  if (v.result === "success") {
    if (got === null) throw new Error(`binary vector ${v.name}: legacy reader failed`)
    const bytes = got.kind === "plaintext" ? hex(got.bytes) : ""
    if (bytes !== v.plaintext_hex) throw new Error(`binary vector ${v.name}: legacy reader disagrees`)
  }
  if (v.result === "not encrypted" && got?.kind !== "not encrypted") throw new Error(`binary vector ${v.name}`)
  if (v.result === "decrypt error" && got !== null) throw new Error(`binary vector ${v.name}: legacy reader accepted it`)
}

// ---- write ------------------------------------------------------------------------------

const out = {
  description:
    "Known-answer vectors for the legacy enc:v1 / CTXE formats and blind indexes, made by gen-vectors.mjs " +
    "with Node WebCrypto. result is zkvault's expected outcome (success, not encrypted, malformed, decrypt error); " +
    "legacy is what the legacy JavaScript reader did with the value. Frozen: do not edit by hand.",
  generator: `gen-vectors.mjs, Node ${process.versions.node}, ICU ${process.versions.icu}, Unicode ${process.versions.unicode}`,
  keys: Object.fromEntries(
    Object.entries(PASSPHRASES).map(([id, p]) => [
      id,
      { passphrase: p, encryption_key: hex(keys[id].encBits), search_key: hex(keys[id].idxBits) },
    ]),
  ),
  text: textVectors,
  binary: binaryVectors,
  index: indexVectors,
}

const path = new URL("./vectors.json", import.meta.url)
// Escape invisible and space-like characters so that the file shows them.
const json = JSON.stringify(out, null, 1).replace(
  /[\u0080-\u00a0\u00ad\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/g,
  (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
)
writeFileSync(path, json + "\n")
console.log(`wrote ${path.pathname}: ${textVectors.length} text, ${binaryVectors.length} binary, ${indexVectors.length} index vectors`)
