// zkvault v2 formats, implemented from docs/spec/*.md alone (no Go source was read).
//
// Node >= 20, WebCrypto via globalThis.crypto.subtle. Argon2id (not in WebCrypto) via the
// hash-wasm package. Every function names the spec section it implements. Where the spec
// left something open, a comment "SPEC GAP" says what was assumed (see README.md).

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();

// ---------------------------------------------------------------------------------------
// Errors. `code` is the outcome string the vector files use.

export class ZkError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.code = code;
  }
}
export const PARSE = 'parse error';
export const INCORRECT_KEY = 'incorrect key';
export const UNKNOWN_VERSION = 'unknown key version';
export const WORK_FACTOR = 'work factor too high';
export const HEADER_FAILURE = 'header failure';   // §5.9: stream header does not parse
export const PAYLOAD_FAILURE = 'payload failure'; // §5.9: header parses, body fails
export const DECRYPT = 'decrypt error';           // §1.11 prim.ErrDecrypt / §7 ErrDecrypt
export const MALFORMED = 'malformed';             // §7
export const NOT_ENCRYPTED = 'not encrypted';     // §7

// ---------------------------------------------------------------------------------------
// Conventions (00-overview): bytes, hex, base64url, tuple.

export const utf8 = (s) => te.encode(s);
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
export function utf8Decode(b) {
  return fatalDecoder.decode(b); // throws TypeError on invalid UTF-8; keeps a leading U+FEFF
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function toHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Conventions: hex is lowercase; decoders MUST reject uppercase.
export function fromHex(s) {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) {
    throw new ZkError(PARSE, 'bad hex');
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function b64encode(bytes, alphabet, pad) {
  let s = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + alphabet[n & 63];
  }
  const r = bytes.length - i;
  if (r === 1) {
    const n = bytes[i] << 16;
    s += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + (pad ? '==' : '');
  } else if (r === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + (pad ? '=' : '');
  }
  return s;
}

// Strict decoder over an unpadded body: only alphabet characters, a length that is not
// 1 mod 4, and zero trailing bits (canonical). Returns null on any violation.
function b64decodeStrict(body, alphabet) {
  if (body.length % 4 === 1) return null;
  const vals = new Uint8Array(body.length);
  for (let i = 0; i < body.length; i++) {
    const v = alphabet.indexOf(body[i]);
    if (v < 0) return null;
    vals[i] = v;
  }
  const outLen = Math.floor((body.length * 6) / 8);
  const out = new Uint8Array(outLen);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < vals.length; i++) {
    acc = (acc << 6) | vals[i];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  if (acc !== 0) return null; // non-canonical trailing bits
  return out;
}

export const b64urlEncode = (b) => b64encode(b, B64URL, false);

// Conventions: base64url, RFC 4648 §5, no padding, strict.
export function b64urlDecode(s) {
  const out = b64decodeStrict(s, B64URL);
  if (out === null) throw new ZkError(PARSE, 'bad base64url');
  return out;
}

export const b64stdEncode = (b) => b64encode(b, B64STD, true);

// §7 (legacy): standard base64 with padding, strict.
export function b64stdDecode(s) {
  if (s.length % 4 !== 0) return null;
  let body = s;
  if (body.endsWith('==')) body = body.slice(0, -2);
  else if (body.endsWith('=')) body = body.slice(0, -1);
  if (body.includes('=')) return null;
  // after stripping, the padding must be exactly what the length needs
  const out = b64decodeStrict(body, B64STD);
  if (out === null) return null;
  if (b64stdEncode(out) !== s) return null;
  return out;
}

function asBytes(p) {
  if (typeof p === 'string') return utf8(p);
  if (p instanceof Uint8Array) return p;
  throw new TypeError('tuple part must be string or Uint8Array');
}

export function u32be(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}
export function u16be(n) {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n);
  return b;
}
const readU32 = (b, o) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o);
const readU16 = (b, o) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(o);

// Conventions: tuple(p1, …, pn) = u32be(len(p1)) || p1 || … .
export function tuple(...parts) {
  const segs = [];
  for (const p of parts) {
    const b = asBytes(p);
    segs.push(u32be(b.length), b);
  }
  return concat(...segs);
}

// ---------------------------------------------------------------------------------------
// §1 Primitives (WebCrypto).

export async function sha256(b) {
  return new Uint8Array(await subtle.digest('SHA-256', b));
}

// §1.6 HKDF-SHA256; salt "none" = empty.
export async function hkdf(secret, salt, info, length = 32) {
  if (!(length >= 1 && length <= 8160)) throw new Error('hkdf length out of range');
  const k = await subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: salt ?? new Uint8Array(0), info },
    k,
    length * 8,
  );
  return new Uint8Array(bits);
}

// §1.5 HMAC-SHA256; empty key refused.
export async function hmacSha256(key, msg) {
  if (key.length === 0) throw new Error('empty HMAC key');
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, msg));
}

// §1.7 PBKDF2-HMAC-SHA256.
export async function pbkdf2(password, salt, iterations, dkLen = 32) {
  if (!(iterations >= 1 && iterations <= 0xffffffff)) throw new Error('pbkdf2 iterations');
  const k = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    k,
    dkLen * 8,
  );
  return new Uint8Array(bits);
}

// §1.4 AES-256-GCM, 12-byte nonce, 16-byte tag appended.
async function aesKey(key, usage) {
  if (key.length !== 32) throw new Error('AES key must be 32 bytes');
  return subtle.importKey('raw', key, 'AES-GCM', false, [usage]);
}

export async function aesGcmSeal(key, nonce, plaintext, aad = new Uint8Array(0)) {
  if (nonce.length !== 12) throw new Error('nonce must be 12 bytes');
  const k = await aesKey(key, 'encrypt');
  return new Uint8Array(
    await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, k, plaintext),
  );
}

// Any failure → DECRYPT (prim.ErrDecrypt), no detail.
export async function aesGcmOpen(key, nonce, sealed, aad = new Uint8Array(0)) {
  if (nonce.length !== 12 || sealed.length < 16) throw new ZkError(DECRYPT);
  const k = await aesKey(key, 'decrypt');
  try {
    return new Uint8Array(
      await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, k, sealed),
    );
  } catch {
    throw new ZkError(DECRYPT);
  }
}

// §1.9 keys. PEM → DER.
export function pemToDer(pem, type = 'PRIVATE KEY') {
  const re = new RegExp(`-----BEGIN ${type}-----([A-Za-z0-9+/=\\s]+)-----END ${type}-----`);
  const m = pem.match(re);
  if (!m) throw new Error(`no ${type} PEM block`);
  const body = m[1].replace(/\s+/g, '');
  const der = b64stdDecode(body);
  if (der === null) throw new Error('bad PEM base64');
  return der;
}

// A private-key identity (§2.4 "key holder"): PKCS #8 DER → OAEP key + SPKI + fingerprint.
export async function importPrivateKey(pkcs8) {
  const alg = { name: 'RSA-OAEP', hash: 'SHA-256' };
  const priv = await subtle.importKey('pkcs8', pkcs8, alg, true, ['decrypt']);
  const jwk = await subtle.exportKey('jwk', priv);
  const pub = await subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256', ext: true }, alg, true, ['encrypt']);
  const spki = new Uint8Array(await subtle.exportKey('spki', pub));
  const nBits = b64urlDecode(jwk.n).length * 8;
  if (nBits !== 4096 || jwk.e !== 'AQAB') throw new Error('not an RSA-4096 e=65537 key');
  return { priv, pub, spki, fingerprint: await sha256(spki), pkcs8 };
}

// §1.9 fingerprint display form: 16 groups of 4 hex digits.
export function fingerprintDisplay(fp) {
  return toHex(fp).match(/.{4}/g).join(' ');
}

// §1.8 RSA-OAEP-SHA256 decrypt with label; any failure → DECRYPT.
export async function rsaOaepDecrypt(priv, ct, label) {
  if (ct.length !== 512) throw new ZkError(DECRYPT);
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP', label }, priv, ct));
  } catch {
    throw new ZkError(DECRYPT);
  }
}
export async function rsaOaepEncrypt(pub, msg, label) {
  if (msg.length > 446) throw new Error('RSA-OAEP message too long');
  return new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP', label }, pub, msg));
}

// ---------------------------------------------------------------------------------------
// §9 labels.

export const L = {
  field: 'zkvault/v2/field',
  index: 'zkvault/v2/index',
  blob: 'zkvault/v2/blob',
  envelope: 'zkvault/v2/envelope',
  envelopeRSA: 'zkvault/v2/envelope/rsa',
  spaceSecret: 'zkvault/v2/space-secret',
  privateKey: 'zkvault/v2/private-key',
  groupKey: 'zkvault/v2/group-key',
  recordId: 'zkvault/v2/record-id',
  keyringCheck: 'zkvault/v2/keyring-check',
  session: 'zkvault/v2/session',
};

// ---------------------------------------------------------------------------------------
// §0 identifiers, §8.1.

export const ID_RE = /^[A-Za-z0-9_\-:@+=][A-Za-z0-9._\-:@+=]{0,127}$/;
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const KID_RE = /^[1-9][0-9]{0,9}$/;

export function parseKid(s) {
  if (!KID_RE.test(s)) return null;
  const v = Number(s);
  if (v > 0xffffffff) return null;
  return v;
}

// ---------------------------------------------------------------------------------------
// §2.2 key schedule.

export const fieldKey = (S, spaceId) => hkdf(S, new Uint8Array(0), tuple(L.field, spaceId));
export const indexKey = (S, spaceId, collection, indexName) =>
  hkdf(S, new Uint8Array(0), tuple(L.index, spaceId, collection, indexName));
export const blobKey = (S, spaceId, blobId, header) =>
  hkdf(S, header.subarray(12, 44), tuple(L.blob, spaceId, blobId, header));

// §2.2 id key: from the lowest version the keyring holds.
export function idKey(keyring, spaceId) {
  const vmin = Math.min(...keyring.keys());
  return hkdf(keyring.get(vmin), new Uint8Array(0), tuple(L.recordId, spaceId));
}

// A keyring: Map<number version, Uint8Array secret>.
export function keyringFrom(secretsHex) {
  const m = new Map();
  for (const [k, v] of Object.entries(secretsHex)) m.set(Number(k), fromHex(v));
  return m;
}

// ---------------------------------------------------------------------------------------
// §3 fields enc:v2.

export const MAX_VALUE = 1048576;
export const MAX_INNER = 1081344; // Padmé(1,048,577)

// §3.2 Padmé.
export function padme(Lh) {
  if (Lh <= 2) return Lh;
  const E = Math.floor(Math.log2(Lh));
  const S = Math.floor(Math.log2(E)) + 1;
  const lastBits = E - S;
  const mask = 2 ** lastBits - 1;
  // (L + mask) & ~mask, without 32-bit overflow
  return Math.floor((Lh + mask) / (mask + 1)) * (mask + 1);
}

export function pad(value, on) {
  const n = on ? padme(value.length + 1) : value.length + 1;
  const inner = new Uint8Array(n);
  inner.set(value, 0);
  inner[value.length] = 0x80;
  return inner;
}

export function unpad(inner) {
  let i = inner.length - 1;
  while (i >= 0 && inner[i] === 0) i--;
  if (i < 0 || inner[i] !== 0x80) throw new ZkError(INCORRECT_KEY);
  return inner.subarray(0, i);
}

const b64urlLen = (n) => Math.floor(n / 3) * 4 + [0, 2, 3][n % 3];
export const MAX_FIELD_TEXT = 'enc:v2:'.length + 10 + 1 + b64urlLen(12 + MAX_INNER + 16);

export const fieldAAD = (spaceId, collection, recordId, field, kid) =>
  tuple(L.field, spaceId, collection, recordId, field, String(kid));

// §3.3 step 1.
export function parseField(text) {
  if (typeof text !== 'string') throw new ZkError(PARSE, 'not a string');
  if (text.length > MAX_FIELD_TEXT) throw new ZkError(PARSE, 'too long');
  if (!text.startsWith('enc:v2:')) throw new ZkError(PARSE, 'prefix');
  const rest = text.slice(7);
  const c = rest.indexOf(':');
  if (c < 0) throw new ZkError(PARSE, 'no kid separator');
  const kid = parseKid(rest.slice(0, c));
  if (kid === null) throw new ZkError(PARSE, 'kid');
  const body = b64urlDecode(rest.slice(c + 1));
  if (body.length < 12 + 1 + 16 || body.length > 12 + MAX_INNER + 16) throw new ZkError(PARSE, 'body length');
  return { kid, nonce: body.subarray(0, 12), sealed: body.subarray(12) };
}

// §3.1.
export async function sealField({ keyring, spaceId, collection, recordId, field, kid, value, pad: padOn, nonce }) {
  if (value.length > MAX_VALUE) throw new ZkError('too large');
  const S = keyring.get(kid);
  if (!S) throw new ZkError(UNKNOWN_VERSION);
  nonce ??= globalThis.crypto.getRandomValues(new Uint8Array(12));
  const key = await fieldKey(S, spaceId);
  const sealed = await aesGcmSeal(key, nonce, pad(value, padOn), fieldAAD(spaceId, collection, recordId, field, kid));
  return `enc:v2:${kid}:${b64urlEncode(concat(nonce, sealed))}`;
}

// §3.3.
export async function openField({ keyring, spaceId, collection, recordId, field, text }) {
  const { kid, nonce, sealed } = parseField(text);
  const S = keyring.get(kid);
  if (!S) throw new ZkError(UNKNOWN_VERSION);
  const key = await fieldKey(S, spaceId);
  let inner;
  try {
    inner = await aesGcmOpen(key, nonce, sealed, fieldAAD(spaceId, collection, recordId, field, kid));
  } catch {
    throw new ZkError(INCORRECT_KEY);
  }
  return unpad(inner);
}

// ---------------------------------------------------------------------------------------
// §5 blob streams.

export const BLOB_MAGIC = fromHex('5a4b4202');
export const HEADER_LEN = 44;
export const MIN_CHUNK = 1024;
export const MAX_CHUNK = 16777216;
export const DEFAULT_CHUNK = 65536;
const TAG = 16;

export function makeHeader(keyVersion, chunkSize, salt) {
  return concat(BLOB_MAGIC, u32be(keyVersion), u32be(chunkSize), salt);
}

// §5.2. Takes the first 44 bytes of the blob (or fewer if the blob is shorter).
export function parseHeader(blob) {
  if (blob.length < HEADER_LEN) throw new ZkError(HEADER_FAILURE, 'short');
  const h = blob.subarray(0, HEADER_LEN);
  if (h[0] !== 0x5a || h[1] !== 0x4b || h[2] !== 0x42) throw new ZkError(HEADER_FAILURE, 'magic');
  if (h[3] !== 0x02) throw new ZkError(HEADER_FAILURE, 'format version');
  const keyVersion = readU32(h, 4);
  const chunkSize = readU32(h, 8);
  const salt = h.subarray(12, 44);
  if (keyVersion === 0) throw new ZkError(HEADER_FAILURE, 'key version 0');
  if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) throw new ZkError(HEADER_FAILURE, 'chunk size');
  if (salt.every((x) => x === 0)) throw new ZkError(HEADER_FAILURE, 'zero salt');
  return { header: h, keyVersion, chunkSize, salt };
}

export function chunkNonce(i, final) {
  const n = new Uint8Array(12);
  // u88be(i): i < 2^32, so only bytes 7..10 are non-zero
  new DataView(n.buffer).setUint32(7, i);
  n[11] = final ? 1 : 0;
  return n;
}

// §5.4.
export async function encryptBlob(key, keyVersion, chunkSize, salt, plaintext) {
  const header = makeHeader(keyVersion, chunkSize, salt);
  const P = plaintext.length;
  const n = P === 0 ? 1 : Math.ceil(P / chunkSize);
  if (n > 2 ** 32) throw new Error('too many chunks');
  const parts = [header];
  for (let i = 0; i < n; i++) {
    const pt = plaintext.subarray(i * chunkSize, Math.min((i + 1) * chunkSize, P));
    parts.push(await aesGcmSeal(key, chunkNonce(i, i === n - 1), pt));
  }
  return concat(...parts);
}

// §5.5. Returns the plaintext; throws HEADER_FAILURE or PAYLOAD_FAILURE.
export async function decryptBlob(key, blob) {
  const { chunkSize } = parseHeader(blob);
  return decryptBody(key, blob, chunkSize);
}

async function decryptBody(key, blob, chunkSize) {
  const body = blob.subarray(HEADER_LEN);
  const piece = chunkSize + TAG;
  const out = [];
  let off = 0;
  let i = 0;
  for (;;) {
    const end = Math.min(off + piece, body.length);
    const p = body.subarray(off, end);
    const final = end === body.length; // shorter than a piece, or exactly one and nothing follows
    if (p.length < TAG) throw new ZkError(PAYLOAD_FAILURE, 'piece shorter than a tag');
    if (final && p.length === TAG && i !== 0) throw new ZkError(PAYLOAD_FAILURE, 'empty final chunk');
    if (i >= 2 ** 32) throw new ZkError(PAYLOAD_FAILURE, 'too many chunks');
    try {
      out.push(await aesGcmOpen(key, chunkNonce(i, final), p));
    } catch {
      throw new ZkError(PAYLOAD_FAILURE, `chunk ${i}`);
    }
    if (final) break;
    off = end;
    i++;
  }
  return concat(...out);
}

// §5.6.
export function encryptedSize(P, C) {
  const n = P === 0 ? 1 : Math.ceil(P / C);
  return HEADER_LEN + P + TAG * n;
}
export function plaintextSize(E, C) {
  const B = E - HEADER_LEN;
  if (B < TAG) return null;
  const q = Math.floor(B / (C + TAG));
  const r = B % (C + TAG);
  let n, P;
  if (r === 0) { n = q; P = q * C; }
  else if (r < TAG) return null;
  else if (r === TAG && q > 0) return null;
  else { n = q + 1; P = q * C + r - TAG; }
  if (n > 2 ** 32) return null;
  return P;
}

// §5.7 random access: decrypt plaintext range [a, b) from a complete blob in memory.
// Computes n from the blob length and opens the final chunk first (SHOULD of §5.7).
export async function readRange(key, blob, a, b) {
  const { chunkSize: C } = parseHeader(blob);
  const E = blob.length;
  const P = plaintextSize(E, C);
  if (P === null) throw new ZkError(PAYLOAD_FAILURE, 'no blob has this length');
  const n = P === 0 ? 1 : Math.ceil(P / C);
  if (!(0 <= a && a < b && b <= P)) throw new RangeError('range');
  const start = (i) => HEADER_LEN + i * (C + TAG);
  const len = (i) => (i < n - 1 ? C + TAG : E - start(n - 1));
  const open = async (i) => {
    try {
      return await aesGcmOpen(key, chunkNonce(i, i === n - 1), blob.subarray(start(i), start(i) + len(i)));
    } catch {
      throw new ZkError(PAYLOAD_FAILURE, `chunk ${i}`);
    }
  };
  const last = await open(n - 1);
  const out = [];
  for (let i = Math.floor(a / C); i <= Math.floor((b - 1) / C); i++) {
    const pt = i === n - 1 ? last : await open(i);
    out.push(pt.subarray(Math.max(a, i * C) - i * C, Math.min(b, (i + 1) * C) - i * C));
  }
  return concat(...out);
}

// §2.6 blobs through the space API. Outcomes: 'corrupt blob' | UNKNOWN_VERSION.
export const CORRUPT_BLOB = 'corrupt blob';
export async function openSpaceBlob({ keyring, spaceId, blobId, blob }) {
  let h;
  try {
    h = parseHeader(blob);
  } catch {
    throw new ZkError(CORRUPT_BLOB);
  }
  const S = keyring.get(h.keyVersion);
  if (!S) throw new ZkError(UNKNOWN_VERSION);
  const key = await blobKey(S, spaceId, blobId, h.header);
  try {
    return await decryptBody(key, blob, h.chunkSize);
  } catch {
    throw new ZkError(CORRUPT_BLOB);
  }
}
export async function sealSpaceBlob({ keyring, spaceId, blobId, version, salt, plaintext, chunkSize = DEFAULT_CHUNK }) {
  const S = keyring.get(version);
  if (!S) throw new ZkError(UNKNOWN_VERSION);
  const header = makeHeader(version, chunkSize, salt);
  const key = await blobKey(S, spaceId, blobId, header);
  return encryptBlob(key, version, chunkSize, salt, plaintext);
}

// ---------------------------------------------------------------------------------------
// §2.3 envelopes.

export const ENV_MAGIC = fromHex('5a4b4502');
export const MAX_PAYLOAD = 65536;
export const MAX_ENVELOPE = 5 + 550 + 12 + MAX_PAYLOAD + 16;
export const ARGON_MAX = { memory: 262144, time: 16, parallelism: 16, product: 1048576 };
export const PBKDF2_MAX = 10000000;

export const contextBytes = (parts) => tuple(...parts);

// §2.3 Parsing. Returns { kind, header, nonce, sealed, ...kind fields }.
export function parseEnvelope(env) {
  if (env.length > MAX_ENVELOPE) throw new ZkError(PARSE, 'too long');
  let o = 0;
  const need = (n) => {
    if (env.length - o < n) throw new ZkError(PARSE, 'truncated');
    const s = env.subarray(o, o + n);
    o += n;
    return s;
  };
  const magic = need(4);
  if (!equalBytes(magic, ENV_MAGIC)) throw new ZkError(PARSE, 'magic');
  const kind = need(1)[0];
  const r = { kind };
  if (kind === 1) {
    r.fingerprint = need(32);
    r.keyVersion = readU32(need(4), 0);
    r.wrappedLen = readU16(need(2), 0);
    if (r.wrappedLen !== 512) throw new ZkError(PARSE, 'wrapped length');
    r.wrapped = need(512);
    // §2.3 Parsing: the recipient key version is 1 … 2^32−1; 0 is a parse error.
    if (r.keyVersion === 0) throw new ZkError(PARSE, 'key version 0');
  } else if (kind === 2 || kind === 3) {
    const sl = need(1)[0];
    if (sl < 16 || sl > 64) throw new ZkError(PARSE, 'salt length');
    r.salt = need(sl);
    if (kind === 2) {
      r.memory = readU32(need(4), 0);
      r.time = readU32(need(4), 0);
      r.parallelism = need(1)[0];
      if (r.time < 1 || r.parallelism < 1 || r.memory < 8 * r.parallelism) throw new ZkError(PARSE, 'argon2 params');
    } else {
      r.iterations = readU32(need(4), 0);
      if (r.iterations < 1) throw new ZkError(PARSE, 'iterations');
    }
  } else {
    throw new ZkError(PARSE, 'unknown kind');
  }
  r.header = env.subarray(0, o);
  r.nonce = need(12);
  r.sealed = env.subarray(o);
  if (r.sealed.length < 16 || r.sealed.length > MAX_PAYLOAD + 16) throw new ZkError(PARSE, 'payload length');
  return r;
}

// §2.3 Parameters: maxima, checked before any work.
export function checkWorkFactor(p) {
  if (p.kind === 2) {
    if (p.memory > ARGON_MAX.memory || p.time > ARGON_MAX.time || p.parallelism > ARGON_MAX.parallelism ||
        p.memory * p.time > ARGON_MAX.product) throw new ZkError(WORK_FACTOR);
  } else if (p.kind === 3) {
    if (p.iterations > PBKDF2_MAX) throw new ZkError(WORK_FACTOR);
  }
}

let argon2idImpl = null;
export async function argon2id({ password, salt, time, memory, parallelism }) {
  if (!argon2idImpl) argon2idImpl = (await import('hash-wasm')).argon2id;
  return argon2idImpl({
    password, salt, iterations: time, memorySize: memory, parallelism, hashLength: 32, outputType: 'binary',
  });
}

// §2.5: a passphrase identity remembers the derived key per (parameters, salt).
const kdfCache = new Map();
async function passphraseKey(p, passphrase) {
  const id = JSON.stringify([passphrase, p.kind, p.memory, p.time, p.parallelism, p.iterations, toHex(p.salt)]);
  if (!kdfCache.has(id)) {
    const pw = utf8(passphrase); // §2.3: UTF-8 as given, no normalisation
    kdfCache.set(id, p.kind === 2
      ? argon2id({ password: pw, salt: p.salt, time: p.time, memory: p.memory, parallelism: p.parallelism })
      : pbkdf2(pw, p.salt, p.iterations, 32));
  }
  return kdfCache.get(id);
}

export const envelopeAAD = (ctx, header) => tuple(L.envelope, ctx, header);
export const rsaLabel = (ctx) => tuple(L.envelopeRSA, ctx);

// identity: { passphrase: string } or { key: await importPrivateKey(...) }.
// context: array of tuple parts, e.g. ["zkvault/v2/space-secret", "vault-test", "1"].
export async function openEnvelope(env, identity, context) {
  // §2.3 "Order of outcomes": parse error, then kind mismatch (incorrect key), then the
  // work factor (passphrase identities only), then the KDF / RSA and AES-GCM.
  const p = parseEnvelope(env);
  const rsaIdentity = !!identity.key;
  if (rsaIdentity !== (p.kind === 1)) throw new ZkError(INCORRECT_KEY, 'envelope of another kind');
  if (!rsaIdentity) checkWorkFactor(p);
  const ctx = contextBytes(context);
  let K;
  if (p.kind === 1) {
    if (!equalBytes(p.fingerprint, identity.key.fingerprint)) throw new ZkError(INCORRECT_KEY);
    try {
      K = await rsaOaepDecrypt(identity.key.priv, p.wrapped, rsaLabel(ctx));
    } catch {
      throw new ZkError(INCORRECT_KEY);
    }
    if (K.length !== 32) throw new ZkError(INCORRECT_KEY);
  } else {
    // §2.3 "Empty passphrase": opening does not refuse "" (absent = "").
    K = await passphraseKey(p, identity.passphrase ?? '');
  }
  try {
    return await aesGcmOpen(K, p.nonce, p.sealed, envelopeAAD(ctx, p.header));
  } catch {
    throw new ZkError(INCORRECT_KEY);
  }
}

// Kind 2/3 sealing with explicit salt and nonce (so vectors can be re-produced).
// params: { kind: 2, memory, time, parallelism } | { kind: 3, iterations }.
export async function sealPassphraseEnvelope({ passphrase, params, salt, nonce, payload, context }) {
  if (payload.length > MAX_PAYLOAD) throw new Error('payload too large');
  if (salt.length < 16 || salt.length > 64) throw new Error('salt length');
  let header;
  if (params.kind === 2) {
    header = concat(ENV_MAGIC, Uint8Array.of(2, salt.length), salt, u32be(params.memory), u32be(params.time), Uint8Array.of(params.parallelism));
  } else {
    header = concat(ENV_MAGIC, Uint8Array.of(3, salt.length), salt, u32be(params.iterations));
  }
  const K = await passphraseKey({ ...params, salt }, passphrase);
  const ctx = contextBytes(context);
  return concat(header, nonce, await aesGcmSeal(K, nonce, payload, envelopeAAD(ctx, header)));
}

// Kind 1 sealing (randomised): recipient = { pub, fingerprint }.
export async function sealRSAEnvelope({ recipient, keyVersion, payload, context, K, nonce }) {
  K ??= globalThis.crypto.getRandomValues(new Uint8Array(32));
  nonce ??= globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ctx = contextBytes(context);
  const wrapped = await rsaOaepEncrypt(recipient.pub, K, rsaLabel(ctx));
  const header = concat(ENV_MAGIC, Uint8Array.of(1), recipient.fingerprint, u32be(keyVersion), u16be(512), wrapped);
  return concat(header, nonce, await aesGcmSeal(K, nonce, payload, envelopeAAD(ctx, header)));
}

// ---------------------------------------------------------------------------------------
// §7 legacy.

export async function legacyKeys(passphrase) {
  if (passphrase === '') throw new Error('empty passphrase refused');
  const P = utf8(passphrase);
  return {
    enc: await pbkdf2(P, utf8('contexter-e2e-v1'), 100000, 32),
    search: await pbkdf2(P, utf8('contexter-search-index-v1'), 100000, 32),
  };
}

// §7.2 DecryptBytes. Returns Uint8Array.
export async function legacyDecryptBytes(keys, value) {
  if (value === '') return new Uint8Array(0);
  if (!value.startsWith('enc:v1:')) throw new ZkError(NOT_ENCRYPTED);
  const parts = value.slice(7).split(':');
  if (parts.length !== 3) throw new ZkError(MALFORMED, 'parts');
  const [iv, tag, ct] = parts.map(b64stdDecode);
  if (iv === null || tag === null || ct === null) throw new ZkError(MALFORMED, 'base64');
  if (iv.length !== 12 || tag.length !== 16) throw new ZkError(MALFORMED, 'lengths');
  if (ct.length > 2 ** 30) throw new ZkError(MALFORMED, 'too large');
  return aesGcmOpen(keys.enc, iv, concat(ct, tag));
}

// §7.2 DecryptString.
export async function legacyDecryptString(keys, value) {
  const b = await legacyDecryptBytes(keys, value);
  try {
    return utf8Decode(b);
  } catch {
    throw new ZkError('not utf-8');
  }
}

// Writer (for vectors): "enc:v1:" || b64(iv) || ":" || b64(tag) || ":" || b64(ct).
export async function legacyEncryptBytes(keys, iv, plaintext) {
  const s = await aesGcmSeal(keys.enc, iv, plaintext);
  const ct = s.subarray(0, s.length - 16), tag = s.subarray(s.length - 16);
  return `enc:v1:${b64stdEncode(iv)}:${b64stdEncode(tag)}:${b64stdEncode(ct)}`;
}

const CTXE = fromHex('43545845');
// §7.3.
export async function legacyDecryptBinary(keys, v) {
  if (v.length === 0) return new Uint8Array(0);
  if (v.length < 4 || !equalBytes(v.subarray(0, 4), CTXE)) throw new ZkError(NOT_ENCRYPTED);
  if (v.length < 5 || v[4] !== 0x01 || v.length < 33) throw new ZkError(MALFORMED);
  const iv = v.subarray(5, 17), tag = v.subarray(17, 33), ct = v.subarray(33);
  return aesGcmOpen(keys.enc, iv, concat(ct, tag));
}
export async function legacyEncryptBinary(keys, iv, plaintext) {
  const s = await aesGcmSeal(keys.enc, iv, plaintext);
  return concat(CTXE, Uint8Array.of(1), iv, s.subarray(s.length - 16), s.subarray(0, s.length - 16));
}

// §7.4 normalisers (legacy JavaScript semantics; we are JavaScript, so use its built-ins).
export function legacyPhone(v) {
  const d = v.replace(/\D/g, '');
  return d === '' ? '' : '+' + d;
}
export function legacyName(v) {
  return v.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}
export function legacyContact(v) {
  return v.includes('@') ? v.trim().toLowerCase() : legacyPhone(v);
}
export async function legacyIndex(keys, v) {
  if (v === '') return '';
  return toHex(await hmacSha256(keys.search, utf8(v)));
}

// ---------------------------------------------------------------------------------------
// §4.2 blind indexes: Compute. value = first `bits` bits of HMAC-SHA256(index key,
// tuple(parts...)), no label in the input (§4.1, 00-overview Conventions).
export const INDEX_ERR = {
  bits: 'invalid-bits', noParts: 'no-parts', empty: 'empty-value', tooMany: 'too-many-parts', utf8: 'invalid-utf8',
};
export const MAX_INDEX_PARTS = 8; // index.MaxParts
// §4.2 order of Compute's errors: bits, no parts, too many parts, invalid UTF-8 (first
// failing part), empty value.
export async function computeIndex(key, bits, parts) {
  if (!Number.isInteger(bits) || bits < 1 || bits > 256) throw new ZkError(INDEX_ERR.bits);
  if (parts.length === 0) throw new ZkError(INDEX_ERR.noParts);
  if (parts.length > MAX_INDEX_PARTS) throw new ZkError(INDEX_ERR.tooMany);
  if (parts.some((p) => typeof p !== 'string' || /\p{Surrogate}/u.test(p))) throw new ZkError(INDEX_ERR.utf8);
  if (parts.every((p) => p === '')) throw new ZkError(INDEX_ERR.empty);
  const mac = await hmacSha256(key, tuple(...parts));
  const m = Math.ceil(bits / 8);
  const v = mac.slice(0, m);
  v[m - 1] &= (0xff << (8 * m - bits)) & 0xff;
  return { hmac: mac, value: toHex(v) };
}

// §4.2 index.ValidValue.
export function validIndexValue(text, bits) {
  const m = Math.ceil(bits / 8);
  if (typeof text !== 'string' || text.length !== 2 * m || !/^[0-9a-f]*$/.test(text)) return false;
  const last = parseInt(text.slice(-2), 16);
  return (last & ~((0xff << (8 * m - bits)) & 0xff) & 0xff) === 0;
}

// ---------------------------------------------------------------------------------------
// §2.4 sealed PEM backup of a principal's / master's private key. No vector freezes it;
// tested by round trip only.
export const SEALED_PEM_TYPE = 'ZKVAULT SEALED PRIVATE KEY';

export function writeSealedPEM({ envelope, fingerprint, keyVersion, principal }) {
  const b64 = b64stdEncode(envelope).match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${SEALED_PEM_TYPE}-----\n` +
    `Fingerprint: ${toHex(fingerprint)}\nKey-Version: ${keyVersion}\nPrincipal: ${principal}\n\n` +
    `${b64}\n-----END ${SEALED_PEM_TYPE}-----\n`;
}

// Returns the opened PKCS #8 DER after checking the fingerprint.
export async function readSealedPEM(text, passphrase) {
  const m = text.match(/-----BEGIN ZKVAULT SEALED PRIVATE KEY-----\r?\n([\s\S]*?)\r?\n-----END ZKVAULT SEALED PRIVATE KEY-----/);
  if (!m) throw new ZkError(PARSE, 'no sealed PEM block');
  const [head, ...rest] = m[1].split(/\r?\n\r?\n/);
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i < 0) throw new ZkError(PARSE, 'header line');
    headers[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  const env = b64stdDecode(rest.join('').replace(/\s+/g, ''));
  if (env === null) throw new ZkError(PARSE, 'base64');
  const { Fingerprint: fp, 'Key-Version': kv, Principal: principal } = headers;
  if (!fp || !/^[0-9a-f]{64}$/.test(fp) || !kv || parseKid(kv) === null || !principal || !ID_RE.test(principal)) {
    throw new ZkError(PARSE, 'headers');
  }
  const pkcs8 = await openEnvelope(env, { passphrase }, [L.privateKey, principal, kv]);
  const key = await importPrivateKey(pkcs8);
  if (toHex(key.fingerprint) !== fp) throw new ZkError(INCORRECT_KEY, 'fingerprint');
  return pkcs8;
}

// ---------------------------------------------------------------------------------------
// §2.7 keyrings: handover text and sealed (session) keyrings.
export const KEYRING_MAGIC = fromHex('5a4b4b02');

export async function encodeKeyring(keyring, current, spaceId) {
  const versions = [...keyring.keys()].sort((a, b) => a - b);
  if (versions.length < 1 || versions.length > 255 || !keyring.has(current)) throw new Error('bad keyring');
  const body = concat(KEYRING_MAGIC, u32be(current), Uint8Array.of(versions.length),
    ...versions.flatMap((v) => [u32be(v), keyring.get(v)]));
  const check = await hkdf(keyring.get(current), new Uint8Array(0), tuple(L.keyringCheck, spaceId, body), 16);
  return concat(body, check);
}

// Returns { current, keyring: Map }.
export async function decodeKeyring(bytes, spaceId) {
  if (bytes.length < 9 || !equalBytes(bytes.subarray(0, 4), KEYRING_MAGIC)) throw new ZkError(PARSE, 'magic');
  const current = readU32(bytes, 4);
  const n = bytes[8];
  if (bytes.length - 9 !== n * 36 + 16) throw new ZkError(PARSE, 'length');
  if (n < 1) throw new ZkError(PARSE, 'n');
  const keyring = new Map();
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const o = 9 + 36 * i;
    const v = readU32(bytes, o);
    if (v <= prev) throw new ZkError(PARSE, 'versions');
    prev = v;
    keyring.set(v, bytes.slice(o + 4, o + 36));
  }
  if (!keyring.has(current)) throw new ZkError(PARSE, 'current');
  const body = bytes.subarray(0, bytes.length - 16);
  const check = await hkdf(keyring.get(current), new Uint8Array(0), tuple(L.keyringCheck, spaceId, body), 16);
  if (!equalBytes(check, bytes.subarray(bytes.length - 16))) throw new ZkError(INCORRECT_KEY);
  return { current, keyring };
}

export const encodeHandover = async (keyring, current, spaceId) => b64urlEncode(await encodeKeyring(keyring, current, spaceId));
export const decodeHandover = (text, spaceId) => decodeKeyring(b64urlDecode(text), spaceId);

export async function sealKeyring(sessionKey, nonce, keyring, current, spaceId) {
  const kr = await encodeKeyring(keyring, current, spaceId);
  return concat(nonce, await aesGcmSeal(sessionKey, nonce, kr, tuple(L.session, spaceId)));
}
export async function openSealedKeyring(sessionKey, sealed, spaceId) {
  if (sealed.length < 28) throw new ZkError(PARSE, 'short');
  let kr;
  try {
    kr = await aesGcmOpen(sessionKey, sealed.subarray(0, 12), sealed.subarray(12), tuple(L.session, spaceId));
  } catch {
    throw new ZkError(INCORRECT_KEY);
  }
  return decodeKeyring(kr, spaceId);
}
