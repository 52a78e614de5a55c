// §6 schemas and records, implemented from docs/spec/06-schemas-records.md.
import * as zk from './zkvault-spec.mjs';
import { normalize } from './normalize.mjs';

const { ZkError } = zk;

// §6.3 shipped schemas, transcribed from the table (the JSON files in wasm/schemas/ were
// not read). SPEC GAP: the table gives encrypted/plaintext, indexes and bits, but not
// every field's type, `multi`, `pad` or `filter`; these are assumed from the prose
// ("every free-text and identifier field is padded", "emails (multi)", …).
const enc = (type = 'string', extra = {}) => ({ type, encrypted: true, pad: true, ...extra });
const plain = (type, extra = {}) => ({ type, ...extra });
const idx = (fields, normalizer, bits = 8) => ({ fields, normalizer, bits });

export const SCHEMAS = {
  whatsapp_messages: {
    collection: 'whatsapp_messages',
    fields: {
      text: enc(), chatName: enc(), senderName: enc(), senderPhoneNumber: enc(), senderJid: enc(), chatId: enc(),
      messageId: plain('string'), timestamp: plain('time', { filter: true }), isFromMe: plain('bool'), isGroupChat: plain('bool'),
    },
    indexes: {
      chatName: idx(['chatName'], 'text'), senderName: idx(['senderName'], 'text'),
      senderPhoneNumber: idx(['senderPhoneNumber'], 'phone'), chatId: idx(['chatId'], 'exact'),
    },
    time_field: 'timestamp',
  },
  contacts: {
    collection: 'contacts',
    fields: {
      firstName: enc(), lastName: enc(), organization: enc(),
      emails: enc('string', { multi: true }), phoneNumbers: enc('string', { multi: true }),
      contactId: plain('string'),
    },
    indexes: {
      name: idx(['firstName', 'lastName'], 'text'), emails: idx(['emails'], 'email'), phoneNumbers: idx(['phoneNumbers'], 'phone'),
    },
  },
  messages: {
    collection: 'messages',
    fields: {
      text: enc(), attachmentName: enc(), attachmentType: enc(),
      attachment: plain('string', { blob: true }), attachmentSize: plain('number'), sender: plain('string'), sentAt: plain('time', { filter: true }),
    },
    indexes: {},
    time_field: 'sentAt',
  },
};

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

// SPEC GAP §6.2 step 4: "compact JSON encoding" does not say how strings are escaped
// (Go escapes < > & U+2028 U+2029 by default; JSON.stringify does not) nor how numbers
// are formatted (1e21 vs 1e+21). Assumed JSON.stringify; the vectors contain no such case.
const jsonBytes = (v) => zk.utf8(JSON.stringify(v));

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
