// §4.3 normalisers, implemented from docs/spec/04-blind-indexes.md alone.
//
// Unicode data: case folding (CaseFolding.txt status C and F), general categories,
// scripts and White_Space at Unicode 15.0.0 come from the @unicode/unicode-15.0.0 npm
// package (generated from the UCD). NFC/NFKD use String.prototype.normalize (Node's ICU;
// normalisation of characters assigned in 15.0.0 is stable, §4.4).
import { ZkError, utf8, utf8Decode } from './zkvault-spec.mjs';

const U = '@unicode/unicode-15.0.0';
const FOLD_C = (await import(`${U}/Case_Folding/C/symbols.mjs`)).default; // Map char → char
const FOLD_F = (await import(`${U}/Case_Folding/F/symbols.mjs`)).default; // Map char → string
const prop = async (path) => {
  const re = (await import(`${U}/${path}/regex.mjs`)).default;
  const whole = new RegExp(`^(?:${re.source})$`);
  return (ch) => whole.test(ch);
};
const isNd = await prop('General_Category/Decimal_Number');
const isMn = await prop('General_Category/Nonspacing_Mark');
const isM = await prop('General_Category/Mark');
const isCf = await prop('General_Category/Format');
const isCc = await prop('General_Category/Control');
const isPd = await prop('General_Category/Dash_Punctuation');
const isL = await prop('General_Category/Letter');
const isSpace = await prop('Binary_Property/White_Space');
const isLatin = await prop('Script/Latin');
const isGreek = await prop('Script/Greek');

// Named outcomes, §4.3.5.
export const E = {
  unknownNormalizer: 'unknown-normalizer', invalidUTF8: 'invalid-utf8', tooLong: 'input-too-long',
  unknownRegion: 'unknown-region', character: 'phone-character', letters: 'phone-letters',
  noCC: 'phone-no-country-code', unknownCC: 'phone-unknown-country-code',
  tooShort: 'phone-too-short', phoneTooLong: 'phone-too-long', length: 'phone-length',
  trunk: 'phone-trunk-prefix', emailAt: 'email-at', emailEmpty: 'email-empty-part', emailChar: 'email-character',
};
// Not an outcome of the format: this implementation cannot decide the case from the
// spec alone (a phone-table row the spec does not list).
export const NOT_SPECIFIED = 'not specified';

export const MAX_INPUT = 65536;

// §4.3 definitions.
export function fold(s) {
  let out = '';
  for (const ch of s) out += FOLD_F.get(ch) ?? FOLD_C.get(ch) ?? ch;
  return out;
}
export function foldNFKD(s) {
  s = s.normalize('NFKD');
  for (let i = 0; i < 8; i++) { // spec: "at most 4 rounds"; loop until stable
    const t = fold(s).normalize('NFKD');
    if (t === s) return s;
    s = t;
  }
  return s;
}

// §4.3.3 text.
export function normText(value) {
  const s = foldNFKD(value);
  let out = '';
  let base = null;
  for (const ch of s) {
    if (isCf(ch)) continue;
    let c = ch;
    if (isSpace(c) || isCc(c)) c = ' ';
    else if (isMn(c) && base !== null && (isLatin(base) || isGreek(base))) continue;
    out += c;
    if (!isM(c)) base = c;
  }
  return out.normalize('NFC').replace(/^ +| +$/g, '').replace(/ {2,}/g, ' ');
}

// §4.3.2 email.
export function normEmail(value) {
  let s = foldNFKD(value);
  s = Array.from(s).filter((ch) => !isCf(ch)).join('');
  s = s.normalize('NFC');
  s = trimBy(s, isSpace);
  if (s === '') return '';
  for (const ch of s) if (isSpace(ch) || isCc(ch)) throw new ZkError(E.emailChar);
  const at = s.split('@');
  if (at.length !== 2) throw new ZkError(E.emailAt);
  let [local, domain] = at;
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (local === '' || domain === '' || domain.split('.').some((l) => l === '')) throw new ZkError(E.emailEmpty);
  return `${local}@${domain}`;
}

function trimBy(s, pred) {
  const cps = Array.from(s);
  let a = 0, b = cps.length;
  while (a < b && pred(cps[a])) a++;
  while (b > a && pred(cps[b - 1])) b--;
  return cps.slice(a, b).join('');
}

// §4.3.6 phone table: ONLY the rows the spec lists (12 of 254). SPEC GAP: the other 242
// rows, and the full set of 215 calling codes, are only in wasm/index/phone_table.go.
// trunkInNSN is complete from the prose ("true for BY, KZ and RU").
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
export const PHONE_TABLE_FROM_SPEC = [
  { region: 'US', code: '1', idd: '011', trunk: '1', lengths: [10] },
  { region: 'CA', code: '1', idd: '011', trunk: '1', lengths: [7, 10] },
  { region: 'GB', code: '44', idd: '00', trunk: '0', lengths: [7, 9, 10] },
  { region: 'FR', code: '33', idd: '00', trunk: '0', lengths: [9] },
  { region: 'DE', code: '49', idd: '00', trunk: '0', lengths: range(4, 15) },
  { region: 'IT', code: '39', idd: '00', trunk: '', lengths: range(6, 12) },
  { region: 'ES', code: '34', idd: '00', trunk: '', lengths: [9] },
  { region: 'RU', code: '7', idd: '810', trunk: '8', lengths: [10, 14], trunkInNSN: true },
  { region: 'JP', code: '81', idd: '010', trunk: '0', lengths: range(8, 17) },
  { region: 'AU', code: '61', idd: '0011', trunk: '0', lengths: [...range(5, 10), 12] },
  { region: 'IN', code: '91', idd: '00', trunk: '0', lengths: range(8, 13) },
  { region: 'BR', code: '55', idd: '', trunk: '0', lengths: range(8, 11) },
];
// Calling codes the spec names without a row (§4.3.6 "001 for the 9 non-geographic codes").
const CODES_NAMED_WITHOUT_ROW = ['800', '808', '870', '878', '881', '882', '883', '888', '979'];
// Other regions that §4.3.6 names as rows of the table (list of national-format caveats)
// and that share a calling code with a listed row: the union of lengths for these codes
// may be wider than what the listed rows give. Reported, not used.
export const CODES_WITH_UNLISTED_ROWS = { 1: 'NANP islands (AG AI AS BB BM …)', 7: 'KZ', 44: 'GG IM JE', 61: 'CC CX' };

// Regions that cannot be rows: the table holds ISO 3166-1 alpha-2 codes (and "001");
// these are the ISO user-assigned codes, never a country.
const USER_ASSIGNED = /^(AA|Q[M-Z]|X[A-Z]|ZZ)$/;

function rowOf(region) {
  return PHONE_TABLE_FROM_SPEC.find((r) => r.region === region);
}

const SEPARATOR_SET = new Set([
  '(', ')', '[', ']', '.', '/', '~',
  '\u00AD', '\u200B', '\u2060', '\uFEFF', '\u2053', '\u2212', '\u223C', '\u30FC',
  '\uFF08', '\uFF09', '\uFF3B', '\uFF3D', '\uFF0E', '\uFF0F', '\uFF5E',
]);
const isSeparator = (ch) => isSpace(ch) || isPd(ch) || SEPARATOR_SET.has(ch);

// Value of a decimal digit of any script: Nd characters come in contiguous runs of ten,
// 0 … 9 (Unicode stability policy), so the value is the offset in its run.
function digitValue(ch) {
  let cp = ch.codePointAt(0);
  let start = cp;
  while (isNd(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

const EXT_WORDS = new Set(['x', 'ext', 'extn', 'extension']);

// §4.3.1 phone.
export function normPhone(value, region = '') {
  // 1. Region.
  let row = null;
  if (region !== '') {
    const R = region.replace(/[a-z]/g, (c) => c.toUpperCase());
    row = rowOf(R);
    if (!row) {
      if (!/^[A-Z]{2}$/.test(R) || USER_ASSIGNED.test(R)) throw new ZkError(E.unknownRegion);
      throw new ZkError(NOT_SPECIFIED, `phone table row for region ${R} is not in §4.3.6`);
    }
  }
  // 2. Trim separators; "" → ""; drop a leading tel:.
  let s = trimBy(value, isSeparator);
  if (s === '') return '';
  let tel = false;
  if (s.slice(0, 4).toLowerCase() === 'tel:') { s = s.slice(4); tel = true; }
  // 3. Read.
  const cps = Array.from(s);
  let digits = '';
  let plus = false;
  let i = 0;
  let ended = false;
  for (; i < cps.length; i++) {
    const ch = cps[i];
    if (isNd(ch)) {
      digits += String(digitValue(ch));
      if (digits.length > 32) throw new ZkError(E.phoneTooLong);
      continue;
    }
    if (ch === '+' || ch === '\uFF0B') {
      if (digits === '' && !plus) { plus = true; continue; }
      throw new ZkError(E.character);
    }
    if (isSeparator(ch)) continue;
    if (tel && ch === ';') { ended = true; i = cps.length; break; }
    if (digits !== '') {
      if (ch === ',' || ch === ';' || ch === '#') { ended = true; i++; break; }
      if (/[A-Za-z]/.test(ch)) {
        let j = i;
        while (j < cps.length && /[A-Za-z]/.test(cps[j])) j++;
        const word = cps.slice(i, j).join('').toLowerCase();
        if (EXT_WORDS.has(word)) {
          if (j < cps.length && (cps[j] === '.' || cps[j] === ':' || cps[j] === '=')) j++;
          ended = true; i = j; break;
        }
        throw new ZkError(E.letters);
      }
    }
    if (isL(ch)) throw new ZkError(E.letters);
    throw new ZkError(E.character);
  }
  if (ended) {
    // SPEC GAP (§4.3.1 step 3): "What follows MUST be at least one digit, otherwise only
    // separators, `,` and `;`". Assumed: every code point after the end marker is a
    // digit, a separator, `,` or `;`.
    for (; i < cps.length; i++) {
      const ch = cps[i];
      if (isNd(ch) || isSeparator(ch) || ch === ',' || ch === ';') continue;
      if (isL(ch)) throw new ZkError(E.letters);
      throw new ZkError(E.character);
    }
  }
  // 5. International prefix.
  let international = plus;
  if (!plus) {
    if (row && row.idd !== '' && digits.startsWith(row.idd)) { digits = digits.slice(row.idd.length); international = true; }
    else if (digits.startsWith('00')) { digits = digits.slice(2); international = true; }
    else if (!row) throw new ZkError(digits === '' ? E.tooShort : E.noCC);
  }
  // 6. Country code and plan.
  let cc, nsn, plan;
  if (international) {
    if (digits === '') throw new ZkError(E.tooShort);
    for (const n of [1, 2, 3]) {
      const c = digits.slice(0, n);
      if (c.length < n || c[0] === '0') break;
      const rows = PHONE_TABLE_FROM_SPEC.filter((r) => r.code === c);
      if (rows.length) {
        cc = c;
        plan = {
          lengths: [...new Set(rows.flatMap((r) => r.lengths))].sort((a, b) => a - b),
          trunk: rows[0].trunk,
          trunkInNSN: rows.some((r) => r.trunkInNSN),
        };
        break;
      }
      if (CODES_NAMED_WITHOUT_ROW.includes(c)) throw new ZkError(NOT_SPECIFIED, `calling code ${c}: row not in §4.3.6`);
    }
    if (!cc) throw new ZkError(NOT_SPECIFIED, `calling code of ${digits.slice(0, 3)}…: the set of 215 codes is not in §4.3.6`);
    nsn = digits.slice(cc.length);
  } else {
    cc = row.code;
    plan = { lengths: row.lengths, trunk: row.trunk, trunkInNSN: !!row.trunkInNSN };
    nsn = digits;
  }
  // 7. Trunk prefix.
  const possible = (n) => plan.lengths.includes(n);
  const t = plan.trunk;
  if (t !== '' && nsn.startsWith(t)) {
    if (possible(nsn.length - t.length) && !(plan.trunkInNSN && possible(nsn.length))) nsn = nsn.slice(t.length);
    if (!plan.trunkInNSN && nsn.startsWith(t)) throw new ZkError(E.trunk);
  }
  // 8. Length.
  const Ln = nsn.length;
  if (cc.length + Ln > 15 || Ln > Math.max(...plan.lengths)) throw new ZkError(E.phoneTooLong);
  if (Ln < Math.min(...plan.lengths)) throw new ZkError(E.tooShort);
  if (!possible(Ln)) throw new ZkError(E.length);
  // 9.
  return `+${cc}${nsn}`;
}

// §4.3 common steps and dispatch. input: string or Uint8Array (bytes that may not be UTF-8).
export function normalize(name, input, region = '') {
  if (!['phone', 'email', 'text', 'exact'].includes(name)) throw new ZkError(E.unknownNormalizer);
  let value;
  if (typeof input === 'string') {
    value = input;
    if (/\p{Surrogate}/u.test(value)) throw new ZkError(E.invalidUTF8); // lone surrogate
  } else {
    try { value = utf8Decode(input); } catch { throw new ZkError(E.invalidUTF8); }
  }
  if (utf8(value).length > MAX_INPUT) throw new ZkError(E.tooLong);
  let out;
  switch (name) {
    case 'exact': out = value; break;
    case 'text': out = normText(value); break;
    case 'email': out = normEmail(value); break;
    case 'phone': out = normPhone(value, region); break;
  }
  if (utf8(out).length > MAX_INPUT) throw new ZkError(E.tooLong);
  return out;
}
