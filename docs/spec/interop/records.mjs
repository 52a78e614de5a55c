// §6 schemas and records, implemented from docs/spec/06-schemas-records.md.
import { readFileSync, readdirSync } from 'node:fs';
import * as zk from './zkvault-spec.mjs';
import { normalize } from './normalize.mjs';

const { ZkError } = zk;

// §6.3 shipped schemas: the normative JSON files wasm/schemas/<collection>.json, loaded
// as they are (absent booleans are false, absent indexes / time_field are none).
const SCHEMA_DIR = new URL('../../../wasm/schemas/', import.meta.url);
function loadSchema(file) {
  const s = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8'));
  const fields = {};
  for (const [name, f] of Object.entries(s.fields)) {
    fields[name] = {
      type: f.type, encrypted: !!f.encrypted, multi: !!f.multi, pad: !!f.pad, filter: !!f.filter, blob: !!f.blob,
    };
  }
  return { collection: s.collection, fields, indexes: s.indexes ?? {}, time_field: s.time_field ?? '' };
}
export const SCHEMAS = Object.fromEntries(
  readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json')).sort()
    .map((n) => { const s = loadSchema(n); return [s.collection, s]; }),
);

const SCHEMA_ERROR = 'schema error';

function typeOk(f, v) {
  const one = (x) => {
    switch (f.type) {
      case 'string': return typeof x === 'string';
      case 'number': return typeof x === 'number' && Number.isFinite(x);
      case 'bool': return typeof x === 'boolean';
      case 'time': return Number.isInteger(x) && Math.abs(x) <= 8.64e15;
      case 'json': return true;
      default: return false;
    }
  };
  if (f.multi) return Array.isArray(v) && v.every(one);
  return one(v);
}

// §6.2 "JSON encoding": the writer's bytes (Go json.Marshal): compact, object members in
// key byte order, < > & U+2028 U+2029 escaped as \u003c \u003e \u0026 \u2028 \u2029,
// \b \f \n \r \t short escapes, other controls \u00xx (lowercase hex), -0 written "-0",
// numbers otherwise as ECMAScript writes them (same thresholds 1e-6 / 1e21).
function goJSONString(str) {
  let out = '"';
  for (const ch of str) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16).padStart(4, '0');
    else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd'; // lone surrogate (invalid UTF-8 in Go)
    else out += ch;
  }
  return out + '"';
}
export function goJSON(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ZkError(SCHEMA_ERROR, 'NaN or Inf');
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if (typeof v === 'string') return goJSONString(v);
  if (Array.isArray(v)) return '[' + v.map(goJSON).join(',') + ']';
  const keys = Object.keys(v).sort((a, b) => {
    const x = zk.utf8(a), y = zk.utf8(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
  return '{' + keys.map((k) => goJSONString(k) + ':' + goJSON(v[k])).join(',') + '}';
}
const jsonBytes = (v) => zk.utf8(goJSON(v));

// §6.2 sealing. rand: the concatenated 12-byte nonces, in field-name byte order.
// `unverifiable`, if given, collects the names of indexes whose normaliser cannot be
// evaluated from the spec alone (NOT_SPECIFIED); they are left out instead of failing.
export async function sealRecord({ keyring, spaceId, schema, id, fields, version, region = '', rand, unverifiable }) {
  if (!zk.ID_RE.test(id)) throw new ZkError(SCHEMA_ERROR, 'record id');
  const out = {};
  const present = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    const f = schema.fields[name];
    if (!f) throw new ZkError(SCHEMA_ERROR, `unknown field ${name}`);
    if (!typeOk(f, value)) throw new ZkError(SCHEMA_ERROR, `type of ${name}`);
    present[name] = value;
  }
  const names = Object.keys(present).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let r = 0;
  for (const name of names) {
    const f = schema.fields[name];
    if (!f.encrypted) { out[name] = present[name]; continue; }
    const nonce = rand.subarray(r, r + 12);
    r += 12;
    out[name] = await zk.sealField({
      keyring, spaceId, collection: schema.collection, recordId: id, field: name, kid: version,
      value: jsonBytes(present[name]), pad: !!f.pad, nonce,
    });
  }
  const index = {};
  const S = keyring.get(version);
  for (const [iname, ix] of Object.entries(schema.indexes ?? {})) {
    const key = await zk.indexKey(S, spaceId, schema.collection, iname);
    const norm = (v) => {
      try {
        return normalize(ix.normalizer, v, region);
      } catch (e) {
        if (e instanceof ZkError && e.code === 'not specified') throw e;
        return ''; // rejected: no entry / empty part
      }
    };
    let values;
    try {
      values = await indexValues(key, ix, present, norm);
    } catch (e) {
      if (unverifiable && e instanceof ZkError && e.code === 'not specified') { unverifiable.push(iname); continue; }
      throw e;
    }
    if (values.size) index[iname] = [...values].sort();
  }
  const rec = { id, fields: out };
  if (Object.keys(index).length) rec.index = index;
  return rec;
}

// §6.2 step 5: the distinct index values of one index.
async function indexValues(key, ix, present, norm) {
  const values = new Set();
  if (ix.fields.length === 1) {
    // single field: one value per distinct normalised value; "" or rejected → no entry
    const v = present[ix.fields[0]];
    const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
    const normed = new Set(list.map(norm).filter((x) => x !== ''));
    for (const n of normed) values.add((await zk.computeIndex(key, ix.bits, [n])).value);
  } else {
    // compound: missing or rejected part is ""; none if every part is empty
    const parts = ix.fields.map((f) => (present[f] === undefined ? '' : norm(present[f])));
    if (parts.some((p) => p !== '')) values.add((await zk.computeIndex(key, ix.bits, parts)).value);
  }
  return values;
}

// §6.2 opening: per-field results.
export async function openRecord({ keyring, spaceId, schema, record }) {
  const fields = {};
  const errors = {};
  for (const [name, value] of Object.entries(record.fields)) {
    const f = schema.fields[name];
    if (!f) { errors[name] = SCHEMA_ERROR; continue; }
    if (!f.encrypted) {
      if (!typeOk(f, value)) { errors[name] = SCHEMA_ERROR; continue; }
      fields[name] = value;
      continue;
    }
    if (typeof value !== 'string') { errors[name] = SCHEMA_ERROR; continue; }
    try {
      const pt = await zk.openField({ keyring, spaceId, collection: schema.collection, recordId: record.id, field: name, text: value });
      const v = JSON.parse(zk.utf8Decode(pt));
      if (!typeOk(f, v)) { errors[name] = SCHEMA_ERROR; continue; }
      fields[name] = v;
    } catch (e) {
      if (e instanceof ZkError) errors[name] = e.code;
      else errors[name] = SCHEMA_ERROR;
    }
  }
  return { fields, errors };
}
