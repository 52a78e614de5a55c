// Generates src/gcmwasm.js: the AES-256-GCM WebAssembly module that opens field
// batches on the page (docs/spec 10.5.2), as WebAssembly text assembled with wabt, in
// two builds: one with relaxed SIMD's swizzle (Chromium, Firefox) and one without.
//
//   node scripts/gen-gcm.mjs            write src/gcmwasm.js
//   node scripts/gen-gcm.mjs -wat       print the text of the plain build
//
// test/gcm.test.js checks that src/gcmwasm.js is what this script writes.
//
// What the module does, in constant time (no branch and no memory address depends on
// a secret; every table is indexed lane by lane inside a SIMD register):
//
//   setkey(ctx, key)   expands the 32-byte AES key at key into the context at ctx
//                      (CTX bytes, 16-aligned) and zeroes the 32 bytes at key
//   open(ctx, iv, ct, len, aad, alen, out) → 1 or 0
//                      AES-256-GCM decryption, 12-byte nonce at iv, ciphertext of len
//                      bytes at ct followed by its 16-byte tag, associated data of
//                      alen bytes at aad; on 1 the plaintext is at out (len bytes), on
//                      0 those len bytes are zeros
//   seal(ctx, iv, pt, len, aad, alen, out)
//                      encryption: len bytes of ciphertext then the tag at out
//
// Bytes 0…127 of the memory are the module's scratch space (64…79 always zero);
// contexts and data go anywhere else (src/gcm.js lays them out).

import { readFileSync, writeFileSync } from "node:fs";
import { mul, towerTables } from "./gcm-tower.mjs";

/** Bytes of one key's context: 15 round keys, then GHASH's 24 words of H. */
export const CTX = 9216;
const HOFF = 240;
/** Where in a context the 16-lane GHASH tables start (16 × 2 × 16 vectors of 16 bytes). */
const TOFF = 1024;
/**
 * The module's own bytes (0…SCRATCH−1): its scratch space (0…127, and in it a block
 * of zeros it never writes), then its constant permutations (CONSTS…), written by a
 * data segment.
 */
export const SCRATCH = 384;
const ZERO = 64;
const CONSTS = 128;
/** Bytes of the work area open16 needs besides its streams. */
export const WORK = 640;
/** Blocks of AES run side by side in the counter-mode loop. */
const LANES = 4;

const T = (() => {
  const t = towerTables();
  const L = (x) => t.IN_LO[x & 15] ^ t.IN_HI[x >> 4];
  return { ...t, LF: t.F.map(L), LG: t.G.map(L), L2F: t.F.map((v) => L(mul(v, 2))), L2G: t.G.map((v) => L(mul(v, 2))), L63: L(0x63) };
})();

/** The module's text; relaxed: i8x16.relaxed_swizzle instead of i8x16.swizzle. */
export function moduleText(relaxed) {
  const SWZ = relaxed ? "i8x16.relaxed_swizzle" : "i8x16.swizzle";
  const out = [];
  const e = (s) => out.push(s);
  const bytes = (arr) => `(v128.const i8x16 ${arr.join(" ")})`;
  const splat = (b) => bytes(new Array(16).fill(b));
  const g = (n) => `(local.get $${n})`;
  const swz = (t, v) => `(${SWZ} ${g(t)} ${v})`;
  const nib = (v) => `(v128.and ${v} ${g("m0f")})`;
  const hi = (v) => `(v128.and (i32x4.shr_u ${v} (i32.const 4)) ${g("m0f")})`;

  // State bytes are column-major (byte 4c + r, as AES lays out its input).
  const SR = [];
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) SR.push(r + 4 * ((c + r) % 4));
  const BE64 = [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8];
  const shuf = (idx, v) => `(i8x16.shuffle ${idx.join(" ")} ${v} ${v})`;

  // ShiftRows is deferred, as in Hamburg's AES: round k leaves the state permuted by
  // σ^−k (σ: ShiftRows as a gather, v'[i] = v[σ(i)]), u_k[i] = x_k[σ^−k(i)]. Then a
  // round needs no ShiftRows: MixColumns(ShiftRows(y)) in those coordinates is
  // 2·y + 3·π1(y) + π2(y) + π3(y) with π_r = σ^k ∘ ρ_r ∘ σ^−k (ρ_r: each column
  // rotated by r rows), which depends on k mod 4 only, and is u + π1(u) + π3(y) with
  // u = 2·y + π1(y) (π1 ∘ π1 = π2): three permutations a round instead of four.
  // Round key k is stored permuted by σ^−k; the last round gathers by σ^14 = σ^2.
  // The permutations are constants in memory (CONSTS), as gather vectors: at
  // CONSTS + 32m, π1 then π3 for k ≡ m (mod 4); at CONSTS + 128 + 16m, σ^−m; at
  // CONSTS + 192, σ^2.
  const power = (k) => SR.map((_, i) => {
    for (let j = 0; j < k; j++) i = SR[i];
    return i;
  });
  const inverse16 = (p) => {
    const q = new Array(16);
    p.forEach((v, i) => (q[v] = i));
    return q;
  };
  const rho = (r) => SR.map((_, i) => 4 * (i >> 2) + (((i & 3) + r) % 4));
  const piOf = (m, r) => SR.map((_, i) => power(m)[rho(r)[inverse16(power(m))[i]]]);
  const constBytes = [];
  for (let m = 0; m < 4; m++) constBytes.push(...piOf(m, 1), ...piOf(m, 3));
  for (let m = 0; m < 4; m++) constBytes.push(...inverse16(power(m)));
  constBytes.push(...power(2));

  // The tables are mutable globals, copied into locals where a function starts, and
  // the permutations are swizzle vectors in memory (above), not constants: V8 builds
  // a v128.const from two 64-bit immediates (four instructions) wherever it runs
  // short of registers, and a constant i8x16.shuffle pattern at every use, which made
  // counter mode a third slower. A global's value is loaded once and spilled like any
  // other value; a vector in memory is an operand of the swizzle.
  const tables = ["inlo", "inhi", "inv", "ak", "tf", "tg", "lf", "lg", "l2f", "l2g", "m0f"];
  const tableValues = { inlo: T.IN_LO, inhi: T.IN_HI, inv: T.INV, ak: T.AK, tf: T.F, tg: T.G, lf: T.LF, lg: T.LG, l2f: T.L2F, l2g: T.L2G, m0f: new Array(16).fill(15) };
  const tableLocals = tables.map((t) => `(local $${t} v128)`).join(" ");
  const setTables = () => e(`  ${tables.map((t) => `(local.set $${t} (global.get $${t}))`).join(" ")}`);
  // S(x) + 0x63 for the 16 bytes of local x into local s (gcm-tower.mjs); uses the
  // locals c, i, k, j, a with the suffix.
  const sbox = (x, s, sfx) => {
    const [c, i, k, j, a] = ["c", "i", "k", "j", "a"].map((n) => n + sfx);
    e(`  (local.set $${c} (v128.xor ${swz("inlo", nib(g(x)))} ${swz("inhi", hi(g(x)))}))`);
    e(`  (local.set $${k} ${nib(g(c))}) (local.set $${i} ${hi(g(c))})`);
    e(`  (local.set $${a} ${swz("ak", g(k))}) (local.set $${j} (v128.xor ${g(i)} ${g(k)}))`);
    e(
      `  (local.set $${s} (v128.xor ${swz("tf", `(v128.xor ${swz("inv", `(v128.xor ${swz("inv", g(i))} ${g(a)})`)} ${g(j)})`)} ${swz("tg", `(v128.xor ${swz("inv", `(v128.xor ${swz("inv", g(j))} ${g(a)})`)} ${g(i)})`)}))`,
    );
  };
  // The locals of inverse and roundF with the suffix.
  const sboxLocals = (sfx) => ["i", "k", "j", "a", "s", "t"].map((n) => `(local $${n}${sfx} v128)`).join(" ");
  // The rounds of counter mode keep the state in the (i, k) coordinates of
  // gcm-tower.mjs, c = L(x), as Hamburg's vector-permute AES does: L is linear, so a
  // round maps c to L(MixColumns(ShiftRows(S(x)))) + L(round key) with the output
  // tables LF, LG (L of S + 0x63) and L2F, L2G (L of twice it): each output byte of a
  // column is 2·s(r) + 3·s(r+1) + s(r+2) + s(r+3), four row rotations after ShiftRows,
  // and L(0x63) (which the column's coefficients add once) is in the round keys
  // (setkey). The last round goes back with F, G. Entering: c = L(x) + L(round key 0).
  const enter = (x, k) => e(`  (local.set $${x} (v128.xor (v128.xor ${swz("inlo", nib(g(x)))} ${swz("inhi", hi(g(x)))}) ${k}))`);
  // (io, jo) of the state c in local x: into locals i, j (reused), from k, a.
  const inverse = (x, sfx) => {
    const [i, k, j, a] = ["i", "k", "j", "a"].map((n) => n + sfx);
    e(`  (local.set $${k} ${nib(g(x))}) (local.set $${i} ${hi(g(x))})`);
    e(`  (local.set $${a} ${swz("ak", g(k))}) (local.set $${j} (v128.xor ${g(i)} ${g(k)}))`);
    e(`  (local.set $${k} (v128.xor ${swz("inv", `(v128.xor ${swz("inv", g(i))} ${g(a)})`)} ${g(j)}))`); // io
    e(`  (local.set $${j} (v128.xor ${swz("inv", `(v128.xor ${swz("inv", g(j))} ${g(a)})`)} ${g(i)}))`); // jo
    return [g(k), g(j)];
  };
  // v gathered by the permutation at CONSTS + off (+ the local m, 32·(k mod 4)).
  const gather = (v, off) => `(${SWZ} ${v} (v128.load offset=${CONSTS + off} (local.get $m)))`;
  // A middle round (k = 1…13): the local m is 32·(k mod 4).
  const roundF = (x, k, sfx) => {
    const [io, jo] = inverse(x, sfx);
    const s = `s${sfx}`;
    const u = `t${sfx}`;
    e(`  (local.set $${s} (v128.xor ${swz("lf", io)} ${swz("lg", jo)}))`); // L(y)
    e(`  (local.set $${u} (v128.xor (v128.xor ${swz("l2f", io)} ${swz("l2g", jo)}) ${gather(g(s), 0)}))`); // L(2y) + π1(L(y))
    e(`  (local.set $${x} (v128.xor (v128.xor ${g(u)} ${gather(g(u), 0)}) (v128.xor ${gather(g(s), 16)} ${k})))`);
  };
  const lastF = (x, k, sfx) => {
    const [io, jo] = inverse(x, sfx);
    e(`  (local.set $${x} (v128.xor (${SWZ} (v128.xor ${swz("tf", io)} ${swz("tg", jo)}) (v128.load (i32.const ${CONSTS + 192}))) ${k}))`);
  };
  // Sets m for round k = 14 − n.
  const setM = () => e("   (local.set $m (i32.shl (i32.and (i32.sub (i32.const 14) (local.get $n)) (i32.const 3)) (i32.const 5)))");
  const rk = (r) => `(v128.load offset=${16 * r} (local.get $rk))`;

  e('(module (memory (export "mem") 1)');
  for (const t of tables) e(`(global $${t} (mut v128) ${bytes(tableValues[t])})`);
  e(`(data (i32.const ${CONSTS}) "${constBytes.map((b) => "\\" + b.toString(16).padStart(2, "0")).join("")}")`);

  // One block.
  e(`(func $enc1 (param $x v128) (param $rk i32) (result v128) (local $n i32) (local $m i32) ${tableLocals} ${sboxLocals("")}`);
  setTables();
  enter("x", rk(0));
  e("  (local.set $n (i32.const 13))");
  e("  (loop $r");
  e("   (local.set $rk (i32.add (local.get $rk) (i32.const 16)))");
  setM();
  roundF("x", rk(0), "");
  e("   (br_if $r (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))");
  lastF("x", rk(1), "");
  e("  (local.get $x))");

  // LANES blocks of counter mode: nonce || big-endian ctr, ctr+1, …
  const xs = [...Array(LANES).keys()];
  e(
    `(func $ks (param $nonce v128) (param $ctr i32) (param $rk i32) (result ${xs.map(() => "v128").join(" ")}) (local $n i32) (local $m i32) (local $k v128) ${tableLocals} ${xs.map((j) => `(local $x${j} v128) ${sboxLocals(j)}`).join(" ")}`,
  );
  setTables();
  e(`  (local.set $k ${rk(0)})`);
  for (const j of xs) {
    e(`  (local.set $x${j} (i32x4.replace_lane 3 ${g("nonce")} (call $bswap32 (i32.add ${g("ctr")} (i32.const ${j})))))`);
    enter(`x${j}`, g("k"));
  }
  e("  (local.set $n (i32.const 13))");
  e("  (loop $r");
  e("   (local.set $rk (i32.add (local.get $rk) (i32.const 16)))");
  setM();
  e(`   (local.set $k ${rk(0)})`);
  for (const j of xs) roundF(`x${j}`, g("k"), j);
  e("   (br_if $r (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))");
  e(`  (local.set $k ${rk(1)})`);
  for (const j of xs) lastF(`x${j}`, g("k"), j);
  e(`  ${xs.map((j) => g(`x${j}`)).join(" ")})`);

  e("(func $bswap32 (param $x i32) (result i32)");
  e("  (i32.rotl (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff)) (i32.and (i32.shl (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))) (i32.const 16)))");

  // Bit reversal of 64 bits, for the few words not reversed with SIMD.
  e("(func $rev64 (param $x i64) (result i64)");
  for (const [sh, m] of [
    [1, "0x5555555555555555"],
    [2, "0x3333333333333333"],
    [4, "0x0f0f0f0f0f0f0f0f"],
    [8, "0x00ff00ff00ff00ff"],
    [16, "0x0000ffff0000ffff"],
  ]) {
    e(`  (local.set $x (i64.or (i64.and (i64.shr_u (local.get $x) (i64.const ${sh})) (i64.const ${m})) (i64.shl (i64.and (local.get $x) (i64.const ${m})) (i64.const ${sh}))))`);
  }
  e("  (i64.rotl (local.get $x) (i64.const 32)))");

  // GHASH, in GCM's reflected bit order, blocks as two big-endian 64-bit words
  // (b1, b0): X ← (X + B)·H for one block; for four, X ← (X + B1)·H⁴ + B2·H³ + B3·H² +
  // B4·H, reduced once. Each 128×128 product is Karatsuba's three 64×64 carry-less
  // products; the low 64 bits of one come from integer products of operands whose
  // bits are 4 apart (no carry reaches the next bit that counts: at most 15 terms
  // meet below bit 60, 16 only at bit 60 and up, whose carries leave the word), the
  // high 64 bits from the same on the bit-reversed operands (reversed back, shifted
  // by one). Each power of H is kept as 6 words (h0, h1, h0 + h1, and each
  // bit-reversed) of 4 parts (the word & 0x1111…<<p): 192 bytes a power, H¹ first.
  const M = ["0x1111111111111111", "0x2222222222222222", "0x4444444444444444", "0x8888888888888888"];
  const POW = 192;
  const ghLocals = "(local $y0 i64) (local $y1 i64) (local $y0r i64) (local $y1r i64) (local $z0 i64) (local $z1 i64) (local $z2 i64) (local $z0h i64) (local $z1h i64) (local $z2h i64) (local $r0 i64) (local $r1 i64) (local $r2 i64) (local $r3 i64) (local $u i64)";
  // acc ^= low 64 bits of x ⊗ (word w of power pow)
  // (The product is a function: inlined 30 times it made the module 6 KB larger for
  // about a tenth of the one-field GHASH, which open16 now does for most fields.)
  const bmulAcc = (acc, x, pow, w) => {
    e(`  (local.set $${acc} (i64.xor (local.get $${acc}) (call $bmul ${x} (i32.add (local.get $ctx) (i32.const ${HOFF + POW * pow + 32 * w})))))`);
  };
  e("(func $bmul (param $x i64) (param $y i32) (result i64) (local $a0 i64) (local $a1 i64) (local $a2 i64) (local $a3 i64)");
  for (let p = 0; p < 4; p++) e(`  (local.set $a${p} (i64.and (local.get $x) (i64.const ${M[p]})))`);
  {
    const y = (q) => `(i64.load offset=${8 * q} (local.get $y))`;
    const z = (c) => {
      const t = [0, 1, 2, 3].map((a) => `(i64.mul (local.get $a${a}) ${y((c - a + 4) % 4)})`);
      return `(i64.and (i64.xor (i64.xor ${t[0]} ${t[1]}) (i64.xor ${t[2]} ${t[3]})) (i64.const ${M[c]}))`;
    };
    e(`  (i64.or (i64.or ${z(0)} ${z(1)}) (i64.or ${z(2)} ${z(3)})))`);
  }
  // The products of one block (y1, y0 and their reversals in locals) with power pow.
  const mulBlock = (pow) => {
    bmulAcc("z0", g("y0"), pow, 0);
    bmulAcc("z1", g("y1"), pow, 1);
    bmulAcc("z2", `(i64.xor ${g("y0")} ${g("y1")})`, pow, 2);
    bmulAcc("z0h", g("y0r"), pow, 3);
    bmulAcc("z1h", g("y1r"), pow, 4);
    bmulAcc("z2h", `(i64.xor ${g("y0r")} ${g("y1r")})`, pow, 5);
  };
  const zero = () => e(`  ${["z0", "z1", "z2", "z0h", "z1h", "z2h"].map((v) => `(local.set $${v} (i64.const 0))`).join(" ")}`);
  // Karatsuba's middle, the high halves back, the 256-bit product (w3, w2, w1, w0) =
  // (z1h, z1 + z2h, z0h + z2, z0) shifted left by one, and the terms of degree 128
  // and up, (r1, r0), reduced twice by x^7 + x^2 + x + 1: leaves X on the stack
  // and closes the function.
  const reduce = () => {
    e("  (local.set $z2 (i64.xor (local.get $z2) (i64.xor (local.get $z0) (local.get $z1))))");
    e("  (local.set $z2h (i64.xor (local.get $z2h) (i64.xor (local.get $z0h) (local.get $z1h))))");
    for (const v of ["z0h", "z1h", "z2h"]) e(`  (local.set $${v} (i64.shr_u (call $rev64 (local.get $${v})) (i64.const 1)))`);
    e("  (local.set $z2h (i64.xor (local.get $z1) (local.get $z2h)))");
    e("  (local.set $z2 (i64.xor (local.get $z0h) (local.get $z2)))");
    e("  (local.set $r3 (i64.or (i64.shl (local.get $z1h) (i64.const 1)) (i64.shr_u (local.get $z2h) (i64.const 63))))");
    e("  (local.set $r2 (i64.or (i64.shl (local.get $z2h) (i64.const 1)) (i64.shr_u (local.get $z2) (i64.const 63))))");
    e("  (local.set $r1 (i64.or (i64.shl (local.get $z2) (i64.const 1)) (i64.shr_u (local.get $z0) (i64.const 63))))");
    e("  (local.set $r0 (i64.shl (local.get $z0) (i64.const 1)))");
    const sh = (op, v, n) => `(i64.${op} (local.get $${v}) (i64.const ${n}))`;
    e(`  (local.set $u (i64.xor (i64.xor ${sh("shl", "r0", 63)} ${sh("shl", "r0", 62)}) ${sh("shl", "r0", 57)}))`);
    const x1 = `(i64.xor (i64.xor (i64.xor (local.get $r3) (local.get $r1)) (i64.xor ${sh("shr_u", "r1", 1)} ${sh("shr_u", "r1", 2)})) (i64.xor (i64.xor ${sh("shr_u", "r1", 7)} (local.get $u)) (i64.xor (i64.xor ${sh("shr_u", "u", 1)} ${sh("shr_u", "u", 2)}) ${sh("shr_u", "u", 7)})))`;
    const x0 = `(i64.xor (i64.xor (i64.xor (local.get $r2) (local.get $r0)) (i64.xor (i64.or ${sh("shr_u", "r0", 1)} ${sh("shl", "r1", 63)}) (i64.or ${sh("shr_u", "r0", 2)} ${sh("shl", "r1", 62)}))) (i64.xor (i64.or ${sh("shr_u", "r0", 7)} ${sh("shl", "r1", 57)}) (i64.xor (i64.xor ${sh("shl", "u", 63)} ${sh("shl", "u", 62)}) ${sh("shl", "u", 57)})))`;
    e(`  ${x1} ${x0})`);
  };
  // The bits of each byte reversed: the bit reversal of a big-endian word, as bytes
  // in memory order.
  const REVLO = [];
  const REVHI = [];
  for (let n = 0; n < 16; n++) {
    const r = ((n & 1) << 3) | ((n & 2) << 1) | ((n & 4) >> 1) | ((n & 8) >> 3);
    REVLO.push(r << 4);
    REVHI.push(r);
  }
  const m0f = splat(15);
  const bitrev = (v) => `(v128.or (${SWZ} ${bytes(REVLO)} (v128.and ${v} ${m0f})) (${SWZ} ${bytes(REVHI)} (v128.and (i32x4.shr_u ${v} (i32.const 4)) ${m0f})))`;

  // One block: (x1, x0) ← ((x1, x0) + (b1, b0))·H.
  e(`(func $gmul1 (param $x1 i64) (param $x0 i64) (param $b1 i64) (param $b0 i64) (param $ctx i32) (result i64 i64) ${ghLocals}`);
  e("  (local.set $y1 (i64.xor (local.get $x1) (local.get $b1))) (local.set $y0 (i64.xor (local.get $x0) (local.get $b0)))");
  e("  (local.set $y1r (call $rev64 (local.get $y1))) (local.set $y0r (call $rev64 (local.get $y0)))");
  zero();
  mulBlock(0);
  reduce();

  // Four blocks, given as they are in memory (v0…v3).
  e(`(func $gmul4 (param $x1 i64) (param $x0 i64) (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128) (param $ctx i32) (result i64 i64) (local $be v128) (local $rv v128) ${ghLocals}`);
  zero();
  for (let b = 0; b < 4; b++) {
    e(`  (local.set $be ${shuf(BE64, g(`v${b}`))}) (local.set $rv ${bitrev(g(`v${b}`))})`);
    e("  (local.set $y1 (i64x2.extract_lane 0 (local.get $be))) (local.set $y0 (i64x2.extract_lane 1 (local.get $be)))");
    e("  (local.set $y1r (i64x2.extract_lane 0 (local.get $rv))) (local.set $y0r (i64x2.extract_lane 1 (local.get $rv)))");
    if (b === 0) {
      e("  (local.set $y1 (i64.xor (local.get $y1) (local.get $x1))) (local.set $y0 (i64.xor (local.get $y0) (local.get $x0)))");
      // X reversed: back to memory order, then each byte's bits.
      e(`  (local.set $rv ${bitrev(shuf(BE64, "(i64x2.replace_lane 1 (i64x2.splat (local.get $x1)) (local.get $x0))"))})`);
      e("  (local.set $y1r (i64.xor (local.get $y1r) (i64x2.extract_lane 0 (local.get $rv)))) (local.set $y0r (i64.xor (local.get $y0r) (i64x2.extract_lane 1 (local.get $rv))))");
    }
    mulBlock(3 - b);
  }
  reduce();

  // GHASH over len bytes at p (the last block padded with zeros), one block at a time.
  e("(func $ghash (param $x1 i64) (param $x0 i64) (param $p i32) (param $len i32) (param $ctx i32) (result i64 i64) (local $end i32) (local $v v128)");
  e("  (local.set $end (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -16))))");
  e("  (block $done (loop $l");
  e("   (br_if $done (i32.ge_u (local.get $p) (local.get $end)))");
  e(`   (local.set $v ${shuf(BE64, "(v128.load (local.get $p))")})`);
  e("   (call $gmul1 (local.get $x1) (local.get $x0) (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v)) (local.get $ctx))");
  e("   (local.set $x0) (local.set $x1)");
  e("   (local.set $p (i32.add (local.get $p) (i32.const 16))) (br $l)))");
  e("  (if (i32.and (local.get $len) (i32.const 15)) (then");
  e("   (v128.store (i32.const 0) (v128.const i64x2 0 0))");
  e("   (memory.copy (i32.const 0) (local.get $p) (i32.and (local.get $len) (i32.const 15)))");
  e(`   (local.set $v ${shuf(BE64, "(v128.load (i32.const 0))")})`);
  e("   (v128.store (i32.const 0) (v128.const i64x2 0 0))");
  e("   (call $gmul1 (local.get $x1) (local.get $x0) (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v)) (local.get $ctx))");
  e("   (local.set $x0) (local.set $x1)))");
  e("  (local.get $x1) (local.get $x0))");

  // Counter mode from counter 2, len bytes at src to dst, and GHASH over the
  // ciphertext (src when decrypting, enc 0; dst when encrypting, enc 1) after that of
  // the associated data: returns the tag, E(J0) + GHASH. enc 2: counter mode only
  // (open16 computes the tags), returns E(J0).
  e(
    `(func $gcm (param $ctx i32) (param $nonce v128) (param $src i32) (param $len i32) (param $dst i32) (param $aad i32) (param $alen i32) (param $enc i32) (result v128) (local $x1 i64) (local $x0 i64) (local $c i32) (local $end i32) (local $i i32) (local $rest i32) ${xs.map((j) => `(local $k${j} v128) (local $s${j} v128)`).join(" ")}`,
  );
  e("  (if (i32.ne (local.get $enc) (i32.const 2)) (then (call $ghash (i64.const 0) (i64.const 0) (local.get $aad) (local.get $alen) (local.get $ctx)) (local.set $x0) (local.set $x1)))");
  e("  (local.set $c (i32.const 2))");
  e(`  (local.set $end (i32.add (local.get $src) (i32.and (local.get $len) (i32.const ${-16 * LANES}))))`);
  e("  (block $done (loop $l");
  e("   (br_if $done (i32.ge_u (local.get $src) (local.get $end)))");
  e(`   (call $ks (local.get $nonce) (local.get $c) (local.get $ctx)) ${xs.map((j) => `(local.set $k${LANES - 1 - j})`).join(" ")}`);
  for (const j of xs) {
    e(`   (local.set $s${j} (v128.load offset=${16 * j} (local.get $src)))`);
    e(`   (local.set $k${j} (v128.xor (local.get $s${j}) (local.get $k${j})))`);
    e(`   (v128.store offset=${16 * j} (local.get $dst) (local.get $k${j}))`);
  }
  e(`   (if (local.get $enc) (then ${xs.map((j) => `(local.set $s${j} (local.get $k${j}))`).join(" ")}))`);
  e(`   (if (i32.ne (local.get $enc) (i32.const 2)) (then (call $gmul4 (local.get $x1) (local.get $x0) ${xs.map((j) => g(`s${j}`)).join(" ")} (local.get $ctx)) (local.set $x0) (local.set $x1)))`);
  e(`   (local.set $src (i32.add (local.get $src) (i32.const ${16 * LANES}))) (local.set $dst (i32.add (local.get $dst) (i32.const ${16 * LANES})))`);
  e(`   (local.set $c (i32.add (local.get $c) (i32.const ${LANES}))) (br $l)))`);
  e(`  (local.set $rest (i32.and (local.get $len) (i32.const ${16 * LANES - 1})))`);
  e("  (if (local.get $rest) (then");
  e(`   (call $ks (local.get $nonce) (local.get $c) (local.get $ctx)) ${xs.map((j) => `(local.set $k${LANES - 1 - j})`).join(" ")}`);
  for (const j of xs) e(`   (v128.store offset=${16 * j} (i32.const 0) (local.get $k${j}))`);
  e("   (local.set $i (i32.const 0))");
  e("   (loop $b");
  e("    (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.xor (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.load8_u (local.get $i))))");
  e("    (br_if $b (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $rest))))");
  e(`   (memory.fill (i32.const 0) (i32.const 0) (i32.const ${16 * LANES}))`);
  e("   (if (i32.ne (local.get $enc) (i32.const 2)) (then (call $ghash (local.get $x1) (local.get $x0) (select (local.get $dst) (local.get $src) (local.get $enc)) (local.get $rest) (local.get $ctx)) (local.set $x0) (local.set $x1)))))");
  e(
    "  (if (i32.ne (local.get $enc) (i32.const 2)) (then (call $gmul1 (local.get $x1) (local.get $x0) (i64.shl (i64.extend_i32_u (local.get $alen)) (i64.const 3)) (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 3)) (local.get $ctx)) (local.set $x0) (local.set $x1)))",
  );
  e(
    `  (v128.xor (call $enc1 (i32x4.replace_lane 3 (local.get $nonce) (i32.const 0x01000000)) (local.get $ctx)) ${shuf(BE64, "(i64x2.replace_lane 1 (i64x2.splat (local.get $x1)) (local.get $x0))")}))`,
  );

  // Decryption: the plaintext is written as the tag is computed, and zeroed if the
  // tag does not match.
  e('(func (export "open") (param $ctx i32) (param $iv i32) (param $ct i32) (param $len i32) (param $aad i32) (param $alen i32) (param $out i32) (result i32)');
  e("  (if (v128.any_true (v128.xor (call $gcm (local.get $ctx) (v128.load (local.get $iv)) (local.get $ct) (local.get $len) (local.get $out) (local.get $aad) (local.get $alen) (i32.const 0)) (v128.load (i32.add (local.get $ct) (local.get $len)))))");
  e("   (then (memory.fill (local.get $out) (i32.const 0) (local.get $len)) (return (i32.const 0))))");
  e("  (i32.const 1))");

  e('(func (export "seal") (param $ctx i32) (param $iv i32) (param $pt i32) (param $len i32) (param $aad i32) (param $alen i32) (param $out i32)');
  e("  (v128.store (i32.add (local.get $out) (local.get $len)) (call $gcm (local.get $ctx) (v128.load (local.get $iv)) (local.get $pt) (local.get $len) (local.get $out) (local.get $aad) (local.get $alen) (i32.const 1))))");

  // Key expansion (FIPS 197, 5.2), the S-box as above; then 0x63 into round keys 1…14
  // (SubBytes leaves it out: it passes ShiftRows and MixColumns unchanged), H = E(0),
  // and the words of H, H², H³, H⁴.
  e(`(func $keysToL (param $ctx i32) (local $i i32) (local $v v128) ${tableLocals}`);
  setTables();
  e("  (local.set $i (i32.const 0))");
  e("  (loop $f");
  e("   (local.set $v (v128.load (i32.add (local.get $ctx) (local.get $i))))");
  e(`   (v128.store (i32.add (local.get $ctx) (local.get $i)) (${SWZ} (v128.xor (v128.xor ${swz("inlo", nib(g("v")))} ${swz("inhi", hi(g("v")))}) (select ${splat(T.L63)} (v128.const i64x2 0 0) (local.get $i))) (v128.load offset=${CONSTS + 128} (i32.and (local.get $i) (i32.const 48)))))`);
  e("   (br_if $f (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (i32.const 224))))");
  e(`  (v128.store offset=224 (local.get $ctx) (v128.xor (v128.load offset=224 (local.get $ctx)) ${splat(0x63)}))`);
  e("  (local.set $v (v128.const i64x2 0 0)))");

  e('(func (export "setkey") (param $ctx i32) (param $key i32) (local $i i32) (local $t i32) (local $rcon i32) (local $v v128) (local $h0 i64) (local $h1 i64) (local $p i32)');
  e("  (memory.copy (local.get $ctx) (local.get $key) (i32.const 32))");
  e("  (memory.fill (local.get $key) (i32.const 0) (i32.const 32))");
  e("  (local.set $i (i32.const 8)) (local.set $rcon (i32.const 1))");
  e("  (loop $l");
  e("   (local.set $t (i32.load (i32.add (local.get $ctx) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))))");
  e("   (if (i32.eqz (i32.and (local.get $i) (i32.const 7)))");
  e("    (then (local.set $t (i32.xor (call $subword (i32.rotr (local.get $t) (i32.const 8))) (local.get $rcon)))");
  e("          (local.set $rcon (i32.shl (local.get $rcon) (i32.const 1))))");
  e("    (else (if (i32.eq (i32.and (local.get $i) (i32.const 7)) (i32.const 4)) (then (local.set $t (call $subword (local.get $t)))))))");
  e("   (i32.store (i32.add (local.get $ctx) (i32.shl (local.get $i) (i32.const 2)))");
  e("     (i32.xor (local.get $t) (i32.load (i32.add (local.get $ctx) (i32.shl (i32.sub (local.get $i) (i32.const 8)) (i32.const 2))))))");
  e("   (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 60))))");
  // Round keys 0…13 into the (i, k) coordinates (enter, roundF), with L(0x63) in
  // 1…13, round key k permuted by σ^−k; round key 14 stays, with 0x63 (lastF).
  e(`  (call $keysToL (local.get $ctx))`);
  e(`  (local.set $v ${shuf(BE64, "(call $enc1 (v128.const i64x2 0 0) (local.get $ctx))")})`);
  e("  (local.set $h1 (i64x2.extract_lane 0 (local.get $v))) (local.set $h0 (i64x2.extract_lane 1 (local.get $v)))");
  e("  (local.set $v (v128.const i64x2 0 0))");
  e(`  (local.set $p (i32.add (local.get $ctx) (i32.const ${HOFF})))`);
  e("  (call $powerWords (local.get $p) (local.get $h1) (local.get $h0))");
  e("  (call $tables16 (local.get $ctx) (local.get $h1) (local.get $h0))");
  e("  (local.set $i (i32.const 1))");
  e("  (loop $pw");
  e("   (call $gmul1 (local.get $h1) (local.get $h0) (i64.const 0) (i64.const 0) (local.get $ctx)) (local.set $h0) (local.set $h1)");
  e(`   (local.set $p (i32.add (local.get $p) (i32.const ${POW})))`);
  e("   (call $powerWords (local.get $p) (local.get $h1) (local.get $h0))");
  e("   (br_if $pw (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))");
  e("  (local.set $h0 (i64.const 0)) (local.set $h1 (i64.const 0)))");

  // The tables of the 16-lane GHASH: X·H is linear in X, so it is the sum over the
  // 32 nibbles of X of T[b][half][nibble], T[b][half][n] = (n in that nibble of byte b)·H.
  // Vector (b, half, o) holds byte o of T[b][half][n] in lane n, for i8x16.swizzle by a
  // vector of nibbles (one lane per field). Built from Ub[j] = H·x^(8b+j) (a byte's
  // bit 7 − j is the coefficient of x^(8b+j)), multiplying by x without a branch.
  {
    const u = (j) => [`$u1_${j}`, `$u0_${j}`];
    const locals = [...Array(8).keys()].map((j) => `(local ${u(j)[0]} i64) (local ${u(j)[1]} i64)`).join(" ");
    e(`(func $tables16 (param $ctx i32) (param $h1 i64) (param $h0 i64) (local $b i32) (local $n i32) (local $t i32) (local $e1 i64) (local $e0 i64) (local $m i64) ${locals}`);
    const mulx = (d, a) =>
      e(
        `  (local.set ${d[1]} (i64.or (i64.shr_u (local.get ${a[1]}) (i64.const 1)) (i64.shl (local.get ${a[0]}) (i64.const 63)))) (local.set ${d[0]} (i64.xor (i64.shr_u (local.get ${a[0]}) (i64.const 1)) (i64.and (i64.sub (i64.const 0) (i64.and (local.get ${a[1]}) (i64.const 1))) (i64.const 0xe100000000000000))))`,
      );
    e("  (local.set $b (i32.const 0))");
    e("  (loop $lb");
    e(`   (local.set ${u(0)[0]} (local.get $h1)) (local.set ${u(0)[1]} (local.get $h0))`);
    for (let j = 1; j < 8; j++) mulx(u(j), u(j - 1));
    e("   (local.set $n (i32.const 0))");
    e("   (loop $ln");
    for (const half of [0, 1]) {
      e("    (local.set $e1 (i64.const 0)) (local.set $e0 (i64.const 0))");
      for (let t = 0; t < 4; t++) {
        const j = half === 0 ? 7 - t : 3 - t;
        e(`    (local.set $m (i64.sub (i64.const 0) (i64.extend_i32_u (i32.and (i32.shr_u (local.get $n) (i32.const ${t})) (i32.const 1)))))`);
        e(`    (local.set $e1 (i64.xor (local.get $e1) (i64.and (local.get $m) (local.get ${u(j)[0]})))) (local.set $e0 (i64.xor (local.get $e0) (i64.and (local.get $m) (local.get ${u(j)[1]}))))`);
      }
      // Byte o of the entry into lane n of vector (b, half, o).
      e(`    (local.set $t (i32.add (i32.add (local.get $ctx) (local.get $n)) (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 1)) (i32.const ${half})) (i32.const 8))))`);
      for (let o = 0; o < 16; o++) {
        const w = o < 8 ? "$e1" : "$e0";
        e(`    (i64.store8 offset=${TOFF + 16 * o} (local.get $t) (i64.shr_u (local.get ${w}) (i64.const ${56 - 8 * (o % 8)})))`);
      }
    }
    e("    (br_if $ln (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const 16))))");
    mulx(["$h1", "$h0"], u(7));
    e("   (br_if $lb (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (i32.const 16))))");
    e(`  ${[...Array(8).keys()].map((j) => `(local.set ${u(j)[0]} (i64.const 0)) (local.set ${u(j)[1]} (i64.const 0))`).join(" ")}`);
    e("  (local.set $e1 (i64.const 0)) (local.set $e0 (i64.const 0)))");
  }

  // A 16 × 16 byte transpose of locals a0…a15 (rows) into a0…a15 (columns): four
  // rounds of interleaving rows i and i + 8.
  const LO = [];
  const HI = [];
  for (let j = 0; j < 8; j++) LO.push(j, 16 + j), HI.push(8 + j, 24 + j);
  const transpose = () => {
    let from = "a";
    let to = "t";
    for (let r = 0; r < 4; r++) {
      for (let i = 0; i < 8; i++) {
        e(`  (local.set $${to}${2 * i} (i8x16.shuffle ${LO.join(" ")} (local.get $${from}${i}) (local.get $${from}${i + 8})))`);
        e(`  (local.set $${to}${2 * i + 1} (i8x16.shuffle ${HI.join(" ")} (local.get $${from}${i}) (local.get $${from}${i + 8})))`);
      }
      [from, to] = [to, from];
    }
  };
  const rowLocals = [...Array(16).keys()].map((k) => `(local $a${k} v128) (local $t${k} v128)`).join(" ");

  // GHASH of 16 fields at once, one lane each (byte-sliced: vector b holds byte b of
  // every field's X), over steps blocks: lane k's block of step s is at
  // base_k + 16·s from step start_k on (bases at lanes, starts at lanes + 64), zeros
  // before (so every field's stream ends on the last step: leading zero blocks leave
  // GHASH at 0). X is at state (256 bytes; the 256 after are used too) at the end.
  e(`(func $ghash16 (param $ctx i32) (param $lanes i32) (param $steps i32) (param $state i32) (local $s i32) (local $tmp i32) (local $tb i32) (local $xb i32) (local $cur i32) (local $nxt i32) (local $x v128) (local $lo v128) (local $hi v128) (local $m0f v128) ${rowLocals} ${[...Array(8).keys()].map((o) => `(local $c${o} v128)`).join(" ")}`);
  e("  (local.set $cur (local.get $state)) (local.set $nxt (i32.add (local.get $state) (i32.const 256))) (local.set $m0f (global.get $m0f))");
  e("  (block $done (loop $l");
  e("   (br_if $done (i32.ge_u (local.get $s) (local.get $steps)))");
  for (let k = 0; k < 16; k++) {
    e(`   (local.set $a${k} (v128.load (select (i32.add (i32.load offset=${4 * k} (local.get $lanes)) (i32.shl (local.get $s) (i32.const 4))) (i32.const ${ZERO}) (i32.ge_u (local.get $s) (i32.load offset=${64 + 4 * k} (local.get $lanes))))))`);
  }
  transpose();
  for (let b = 0; b < 16; b++) e(`   (v128.store offset=${16 * b} (local.get $cur) (v128.xor (v128.load offset=${16 * b} (local.get $cur)) (local.get $a${b})))`);
  // X·H, 8 bytes of the product at a time: for each byte b of X, its two nibbles
  // pick lanes of the 16 vectors of (b, half) for those 8 bytes.
  for (let pass = 0; pass < 2; pass++) {
    e(`   ${[...Array(8).keys()].map((o) => `(local.set $c${o} (v128.const i64x2 0 0))`).join(" ")}`);
    e(`   (local.set $tb (i32.add (local.get $ctx) (i32.const ${TOFF}))) (local.set $xb (local.get $cur))`);
    e("   (loop $lb");
    e("    (local.set $x (v128.load (local.get $xb)))");
    e("    (local.set $lo (v128.and (local.get $x) (local.get $m0f))) (local.set $hi (v128.and (i32x4.shr_u (local.get $x) (i32.const 4)) (local.get $m0f)))");
    for (let o = 0; o < 8; o++) {
      const vec = (half) => `(v128.load offset=${16 * (16 * half + 8 * pass + o)} (local.get $tb))`;
      e(`    (local.set $c${o} (v128.xor (local.get $c${o}) (v128.xor (${SWZ} ${vec(0)} (local.get $lo)) (${SWZ} ${vec(1)} (local.get $hi)))))`);
    }
    e("    (local.set $tb (i32.add (local.get $tb) (i32.const 512)))");
    e("    (br_if $lb (i32.lt_u (local.tee $xb (i32.add (local.get $xb) (i32.const 16))) (i32.add (local.get $cur) (i32.const 256)))))");
    for (let o = 0; o < 8; o++) e(`   (v128.store offset=${16 * (8 * pass + o)} (local.get $nxt) (local.get $c${o}))`);
  }
  e("   (local.set $x (v128.const i64x2 0 0)) (local.set $lo (local.get $x)) (local.set $hi (local.get $x))");
  e("   (local.set $tmp (local.get $cur)) (local.set $cur (local.get $nxt)) (local.set $nxt (local.get $tmp))");
  e("   (local.set $s (i32.add (local.get $s) (i32.const 1)))");
  e("   (br $l)))");
  e("  (memory.copy (local.get $state) (local.get $cur) (i32.const 256)))");

  // Opens n ≤ 16 fields under the context at ctx, GHASH 16 at a time: desc holds 32
  // bytes a field (iv, ct, len, aad, alen, out, then the status written back: 1
  // opened, 0 refused with zeros at out), as open() takes them; work is WORK bytes and,
  // after them, each field's GHASH stream (its associated data and ciphertext, each
  // padded to 16 bytes, and the lengths block).
  e(`(func (export "open16") (param $ctx i32) (param $desc i32) (param $n i32) (param $work i32) (local $k i32) (local $d i32) (local $w i32) (local $q i32) (local $len i32) (local $alen i32) (local $b i32) (local $bmax i32) (local $tag v128) ${rowLocals}`);
  e("  (local.set $w (i32.add (local.get $work) (i32.const 640)))");
  e("  (block $done (loop $l");
  e("   (br_if $done (i32.ge_u (local.get $k) (local.get $n)))");
  e("   (local.set $d (i32.add (local.get $desc) (i32.shl (local.get $k) (i32.const 5))))");
  e("   (local.set $len (i32.load offset=8 (local.get $d))) (local.set $alen (i32.load offset=16 (local.get $d)))");
  e("   (memory.copy (local.get $w) (i32.load offset=12 (local.get $d)) (local.get $alen))");
  e("   (local.set $q (i32.and (i32.add (local.get $alen) (i32.const 15)) (i32.const -16)))");
  e("   (memory.fill (i32.add (local.get $w) (local.get $alen)) (i32.const 0) (i32.sub (local.get $q) (local.get $alen)))");
  e("   (local.set $q (i32.add (local.get $w) (local.get $q)))");
  e("   (memory.copy (local.get $q) (i32.load offset=4 (local.get $d)) (local.get $len))");
  e("   (local.set $b (i32.and (i32.add (local.get $len) (i32.const 15)) (i32.const -16)))");
  e("   (memory.fill (i32.add (local.get $q) (local.get $len)) (i32.const 0) (i32.sub (local.get $b) (local.get $len)))");
  e("   (local.set $q (i32.add (local.get $q) (local.get $b)))");
  e(`   (v128.store (local.get $q) ${shuf(BE64, "(i64x2.replace_lane 1 (i64x2.splat (i64.shl (i64.extend_i32_u (local.get $alen)) (i64.const 3))) (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 3)))")})`);
  e("   (local.set $b (i32.add (i32.shr_u (i32.sub (local.get $q) (local.get $w)) (i32.const 4)) (i32.const 1)))");
  e("   (i32.store (i32.add (local.get $work) (i32.shl (local.get $k) (i32.const 2))) (local.get $w))");
  e("   (i32.store offset=64 (i32.add (local.get $work) (i32.shl (local.get $k) (i32.const 2))) (local.get $b))");
  e("   (if (i32.gt_u (local.get $b) (local.get $bmax)) (then (local.set $bmax (local.get $b))))");
  e("   (local.set $w (i32.add (local.get $q) (i32.const 16)))");
  e("   (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $l)))");
  // Starts: a field of b blocks starts at step bmax − b (its base moved back to match);
  // lanes without a field never start.
  e("  (local.set $k (i32.const 0))");
  e("  (loop $st");
  e("   (local.set $d (i32.add (local.get $work) (i32.shl (local.get $k) (i32.const 2))))");
  e("   (if (i32.lt_u (local.get $k) (local.get $n))");
  e("    (then (local.set $b (i32.sub (local.get $bmax) (i32.load offset=64 (local.get $d))))");
  e("          (i32.store (local.get $d) (i32.sub (i32.load (local.get $d)) (i32.shl (local.get $b) (i32.const 4))))");
  e("          (i32.store offset=64 (local.get $d) (local.get $b)))");
  e("    (else (i32.store (local.get $d) (i32.const 0)) (i32.store offset=64 (local.get $d) (local.get $bmax))))");
  e("   (br_if $st (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 16))))");
  e("  (memory.fill (i32.add (local.get $work) (i32.const 128)) (i32.const 0) (i32.const 512))");
  e("  (call $ghash16 (local.get $ctx) (local.get $work) (local.get $bmax) (i32.add (local.get $work) (i32.const 128)))");
  // The 16 states back to one row a field (over the second half of the state area).
  for (let k = 0; k < 16; k++) e(`  (local.set $a${k} (v128.load offset=${128 + 16 * k} (local.get $work)))`);
  transpose();
  for (let k = 0; k < 16; k++) e(`  (v128.store offset=${384 + 16 * k} (local.get $work) (local.get $a${k}))`);
  e(`  ${[...Array(16).keys()].map((k) => `(local.set $a${k} (v128.const i64x2 0 0)) (local.set $t${k} (local.get $a${k}))`).join(" ")}`);
  // Each field: counter mode into its output and E(J0), the tag compared, the output
  // zeroed if it differs.
  e("  (local.set $k (i32.const 0))");
  e("  (block $tags (loop $lt");
  e("   (br_if $tags (i32.ge_u (local.get $k) (local.get $n)))");
  e("   (local.set $d (i32.add (local.get $desc) (i32.shl (local.get $k) (i32.const 5))))");
  e("   (local.set $len (i32.load offset=8 (local.get $d)))");
  e("   (local.set $tag (v128.xor (v128.load offset=384 (i32.add (local.get $work) (i32.shl (local.get $k) (i32.const 4)))) (call $gcm (local.get $ctx) (v128.load (i32.load (local.get $d))) (i32.load offset=4 (local.get $d)) (local.get $len) (i32.load offset=20 (local.get $d)) (i32.const 0) (i32.const 0) (i32.const 2))))");
  e("   (i32.store offset=24 (local.get $d) (i32.eqz (v128.any_true (v128.xor (local.get $tag) (v128.load (i32.add (i32.load offset=4 (local.get $d)) (local.get $len)))))))");
  e("   (if (i32.eqz (i32.load offset=24 (local.get $d))) (then (memory.fill (i32.load offset=20 (local.get $d)) (i32.const 0) (local.get $len))))");
  e("   (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $lt)))");
  e("  (memory.fill (i32.add (local.get $work) (i32.const 128)) (i32.const 0) (i32.const 512))");
  e("  (local.set $tag (v128.const i64x2 0 0)))");

  // Stores the 6 words of 4 parts of one power (h1, h0) at p.
  e("(func $powerWords (param $p i32) (param $h1 i64) (param $h0 i64)");
  const words = ["(local.get $h0)", "(local.get $h1)", "(i64.xor (local.get $h0) (local.get $h1))", "(call $rev64 (local.get $h0))", "(call $rev64 (local.get $h1))", "(i64.xor (call $rev64 (local.get $h0)) (call $rev64 (local.get $h1)))"];
  words.forEach((w, n) => {
    for (let q = 0; q < 4; q++) e(`  (i64.store offset=${32 * n + 8 * q} (local.get $p) (i64.and ${w} (i64.const ${M[q]})))`);
  });
  e(")");

  e(`(func $subword (param $w i32) (result i32) (local $x v128) (local $s v128) ${tables.map((t) => `(local $${t} v128)`).join(" ")} ${["c", "i", "k", "j", "a"].map((n) => `(local $${n} v128)`).join(" ")}`);
  setTables();
  e("  (local.set $x (i32x4.splat (local.get $w)))");
  sbox("x", "s", "");
  e("  (i32.xor (i32x4.extract_lane 0 (local.get $s)) (i32.const 0x63636363)))");
  e(")");
  return out.join("\n");
}

async function assemble(text) {
  const { default: wabtInit } = await import("wabt");
  const wabt = await wabtInit();
  const m = wabt.parseWat("gcm.wat", text, { simd: true, relaxed_simd: true, bulk_memory: true, multi_value: true });
  m.validate();
  const bin = m.toBinary({}).buffer;
  m.destroy();
  return Buffer.from(bin);
}

/** The text of src/gcmwasm.js. */
export async function generate() {
  const relaxed = await assemble(moduleText(true));
  const plain = await assemble(moduleText(false));
  const wrap = (b) => b.toString("base64").replace(/.{1,100}/g, (s) => `  "${s}" +\n`);
  return `// Code generated by scripts/gen-gcm.mjs; DO NOT EDIT.
// The AES-256-GCM module of field batches (docs/spec 10.5.2), two builds.

/** Bytes of one key's context in the module's memory. */
export const CTX = ${CTX};

/** Bytes 0…SCRATCH−1 of the memory are the module's own. */
export const SCRATCH = ${SCRATCH};

/** Bytes of open16's work area besides its streams. */
export const WORK = ${WORK};

/** With i8x16.relaxed_swizzle (${relaxed.length} bytes). */
export const RELAXED =
${wrap(relaxed)}  "";

/** With i8x16.swizzle only (${plain.length} bytes). */
export const PLAIN =
${wrap(plain)}  "";
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "-wat") {
    process.stdout.write(moduleText(false) + "\n");
  } else {
    const dst = new URL("../src/gcmwasm.js", import.meta.url);
    const text = await generate();
    let old = "";
    try {
      old = readFileSync(dst, "utf8");
    } catch {}
    if (old !== text) writeFileSync(dst, text);
  }
}
