// §4.3 normalisers, implemented from docs/spec/04-blind-indexes.md alone.
//
// Unicode data: case folding (CaseFolding.txt status C and F), general categories,
// scripts and White_Space at Unicode 15.0.0 come from the @unicode/unicode-15.0.0 npm
// package (generated from the UCD). NFC/NFKD use String.prototype.normalize (Node's ICU;
// normalisation of characters assigned in 15.0.0 is stable, §4.4).
import { readFileSync } from 'node:fs';
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

// §4.3 definitions. fold: CaseFolding.txt C+F, except the Cherokee capitals
// U+13A0…U+13EF → U+AB70…U+ABBF and U+13F0…U+13F5 → U+13F8…U+13FD (§4.3, as x/text).
function cherokeeCapitalToSmall(cp) {
  if (cp >= 0x13a0 && cp <= 0x13ef) return String.fromCodePoint(cp - 0x13a0 + 0xab70);
  if (cp >= 0x13f0 && cp <= 0x13f5) return String.fromCodePoint(cp + 8);
  return undefined;
}
export function fold(s) {
  let out = '';
  for (const ch of s) out += cherokeeCapitalToSmall(ch.codePointAt(0)) ?? FOLD_F.get(ch) ?? FOLD_C.get(ch) ?? ch;
  return out;
}
// §4.3 foldNFKD: NFKD, then at most 4 rounds of NFKD(fold(s)), stopping early when a
// round changes nothing; after the 4th round s is the result even if not stable.
export function foldNFKD(s) {
  s = s.normalize('NFKD');
  for (let i = 0; i < 4; i++) {
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

// §4.3.6 / appendix 4a: the phone table, read at load time from the spec's own Markdown
// (docs/spec/04a-phone-table.md, §4a.1 gives the syntax), so the spec stays the single
// source. Columns: region | code | IDD | trunk | NSN lengths | trunkInNSN; "—" is "".
export function parsePhoneTable(md) {
  const rowsAt = md.indexOf('## 4a.3 Rows');
  if (rowsAt < 0) throw new Error('04a-phone-table.md: no "## 4a.3 Rows" section');
  const lines = md.slice(rowsAt).split('\n');
  const rows = [];
  let header = null;
  for (const line of lines) {
    if (!line.startsWith('|')) { if (header && rows.length) break; continue; }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (!header) { header = cells; continue; }
    if (cells.every((c) => /^-+$/.test(c))) continue;
    if (cells.length !== 6) throw new Error(`04a-phone-table.md: bad row ${line}`);
    const [region, code, idd, trunk, lengths, trunkInNSN] = cells;
    const none = (c) => (c === '\u2014' ? '' : c);
    if (!/^([A-Z]{2}|001)$/.test(region) || !/^[1-9][0-9]{0,2}$/.test(code) ||
        !/^([0-9]+|\u2014)$/.test(idd) || !/^([0-9]+|\u2014)$/.test(trunk) ||
        !/^[0-9]+(, [0-9]+)*$/.test(lengths) || !/^(yes|no)$/.test(trunkInNSN)) {
      throw new Error(`04a-phone-table.md: bad row ${line}`);
    }
    rows.push({
      region, code, idd: none(idd), trunk: none(trunk),
      lengths: lengths.split(', ').map(Number), trunkInNSN: trunkInNSN === 'yes',
    });
  }
  if (header?.join('|') !== 'region|code|IDD|trunk|NSN lengths|trunkInNSN') throw new Error('04a-phone-table.md: unexpected header');
  return rows;
}

export const PHONE_TABLE = parsePhoneTable(readFileSync(new URL('../04a-phone-table.md', import.meta.url), 'utf8'));
const PHONE_CODES = new Set(PHONE_TABLE.map((r) => r.code));

// Region option: 2 ASCII letters, ASCII case ignored; "001" rows are not regions.
function rowOf(region) {
  return region.length === 2 ? PHONE_TABLE.find((r) => r.region === region) : undefined;
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
    if (!row) throw new ZkError(E.unknownRegion);
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
    if (tel && ch === ';') break; // rest ignored unread, no extension check
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
    // §4.3.1 step 3 "Extension check": digits, separators, `,` and `;` only; the first
    // other character decides (letter → phone-letters, else phone-character); no digit →
    // phone-character.
    let extDigit = false;
    for (; i < cps.length; i++) {
      const ch = cps[i];
      if (isNd(ch)) { extDigit = true; continue; }
      if (isSeparator(ch) || ch === ',' || ch === ';') continue;
      if (isL(ch)) throw new ZkError(E.letters);
      throw new ZkError(E.character);
    }
    if (!extDigit) throw new ZkError(E.character);
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
      if (PHONE_CODES.has(c)) {
        const rows = PHONE_TABLE.filter((r) => r.code === c);
        cc = c;
        plan = {
          lengths: [...new Set(rows.flatMap((r) => r.lengths))].sort((a, b) => a - b),
          trunk: rows[0].trunk,
          trunkInNSN: rows.some((r) => r.trunkInNSN),
        };
        break;
      }
    }
    if (!cc) throw new ZkError(E.unknownCC);
    nsn = digits.slice(cc.length);
  } else {
    cc = row.code;
    plan = { lengths: row.lengths, trunk: row.trunk, trunkInNSN: row.trunkInNSN };
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
