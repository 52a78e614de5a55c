// The S-box of AES as lookups of 16 entries (docs/spec 10.5.2): the tables that
// gen-gcm.mjs puts in the AES-GCM module, derived here from the field arithmetic
// and checked against the S-box on all 256 inputs.
//
// GF(2^8) (AES's polynomial 0x11b) contains GF(2^4) as the 16 elements with
// x^16 = x; {1, B} is a basis of GF(2^8) over it for B = 242, so each byte is
// X = i + B·k with i, k in GF(2^4), each written as 4 bits (the coordinates in a basis
// of GF(2^4) over GF(2)). The inverse of X comes out of GF(2^4) inverses and sums alone
// (the idea of Hamburg's "vector permute" AES, CHES 2009; the parameters here were
// found by search and are checked below):
//
//   j   = i + k              a/k  = A·k⁻¹ (A = 12)
//   iak = i⁻¹ + a/k          jak  = j⁻¹ + a/k
//   io  = iak⁻¹ + j          jo   = jak⁻¹ + i
//   S(X) + 0x63 = F[io] + G[jo]
//
// where 0⁻¹ is "infinity", written 0x80: a 16-entry lookup (wasm's i8x16.swizzle)
// gives 0 for an index of 16 or more, which is exactly 1/infinity = 0, and an index
// that carries 0x80 after a sum stays out of range. The map byte → (i, k) is linear,
// so it is two lookups (low and high nibble) and a XOR. No lookup has a secret
// address in memory: every table lives in a register and is indexed lane by lane.

/** Multiplication in GF(2^8) mod x^8 + x^4 + x^3 + x + 1. */
export function mul(a, b) {
  let p = 0;
  while (b) {
    if (b & 1) p ^= a;
    a = (a << 1) ^ (a & 0x80 ? 0x11b : 0);
    b >>= 1;
  }
  return p & 0xff;
}

const INV8 = new Uint8Array(256);
for (let x = 1; x < 256; x++) for (let y = 1; y < 256; y++) if (mul(x, y) === 1) INV8[x] = y;
const rotl = (x, n) => ((x << n) | (x >> (8 - n))) & 0xff;

/** AES's S-box, from its definition (inverse, then the affine map). */
export const SBOX = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  const y = INV8[x];
  SBOX[x] = y ^ rotl(y, 1) ^ rotl(y, 2) ^ rotl(y, 3) ^ rotl(y, 4) ^ 0x63;
}

const A = 12;
const B = 242;

/** The tables (16 bytes each); throws if they do not give the S-box. */
export function towerTables() {
  const sub = [];
  for (let x = 0; x < 256; x++) {
    let y = x;
    for (let i = 0; i < 4; i++) y = mul(y, y);
    if (y === x) sub.push(x);
  }
  const basis = [];
  const span = new Set([0]);
  for (const s of sub) {
    if (span.has(s)) continue;
    basis.push(s);
    for (const v of [...span]) span.add(v ^ s);
    if (basis.length === 4) break;
  }
  const elem = (c) => basis.reduce((acc, b, i) => ((c >> i) & 1 ? acc ^ b : acc), 0);
  const code = new Map();
  for (let c = 0; c < 16; c++) code.set(elem(c), c);
  const toIK = new Uint8Array(256);
  for (let ci = 0; ci < 16; ci++) for (let ck = 0; ck < 16; ck++) toIK[elem(ci) ^ mul(elem(ck), B)] = (ci << 4) | ck;
  const IN_LO = [];
  const IN_HI = [];
  for (let n = 0; n < 16; n++) {
    IN_LO.push(toIK[n]);
    IN_HI.push(toIK[n << 4]);
  }
  for (let x = 0; x < 256; x++) {
    if ((IN_LO[x & 15] ^ IN_HI[x >> 4]) !== toIK[x]) throw new Error("gcm-tower: the map to (i, k) is not linear");
  }
  const INV = [0x80];
  const AK = [0x80];
  for (let c = 1; c < 16; c++) {
    const inv = INV8[elem(c)];
    INV.push(code.get(inv));
    AK.push(code.get(mul(A, inv)));
  }
  const look = (t, i) => (i < 16 ? t[i] : 0);
  const mids = (x) => {
    const c = IN_LO[x & 15] ^ IN_HI[x >> 4];
    const k = c & 15;
    const i = c >> 4;
    const j = i ^ k;
    const ak = look(AK, k);
    return [look(INV, look(INV, i) ^ ak) ^ j, look(INV, look(INV, j) ^ ak) ^ i];
  };
  // Solve S(x) + 0x63 = F[io] + G[jo] (out-of-range indexes give 0).
  const F = new Array(16).fill(-1);
  const G = new Array(16).fill(-1);
  const obs = [];
  for (let x = 0; x < 256; x++) obs.push([...mids(x), SBOX[x] ^ 0x63]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [io, jo, y] of obs) {
      const f = io >= 16 ? 0 : F[io];
      const g = jo >= 16 ? 0 : G[jo];
      if (f >= 0 && g < 0) {
        G[jo] = f ^ y;
        changed = true;
      } else if (g >= 0 && f < 0) {
        F[io] = g ^ y;
        changed = true;
      }
    }
    if (!changed) {
      const o = obs.find(([io]) => io < 16 && F[io] < 0);
      if (o) {
        F[o[0]] = 0;
        changed = true;
      }
    }
  }
  const Ft = F.map((v) => Math.max(v, 0));
  const Gt = G.map((v) => Math.max(v, 0));
  for (let x = 0; x < 256; x++) {
    const [io, jo] = mids(x);
    if ((look(Ft, io) ^ look(Gt, jo) ^ 0x63) !== SBOX[x]) throw new Error(`gcm-tower: the tables miss the S-box at ${x}`);
  }
  return { IN_LO, IN_HI, INV, AK, F: Ft, G: Gt };
}
