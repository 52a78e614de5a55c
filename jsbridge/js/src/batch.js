// The binary form of large batches (jsbridge/batch.go has the format): the strings
// of a batch go to the module as one Uint8Array (a string table), the results come
// back as one (a result table). No JSON on these paths: a batch of 10,000 fields
// costs one UTF-8 encoding and two copies.

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** A batch item's string that is not a string: the whole call is refused, as before. */
export class BatchArgumentError extends TypeError {}

/**
 * Packs strings into a string table: u32 n, u32 byte length × n, the UTF-8 bytes.
 * undefined and null count as "" (what JSON would have sent); anything else that is
 * not a string throws a BatchArgumentError.
 * @param {ArrayLike<string | null | undefined>} list
 * @returns {Uint8Array}
 */
export function packStrings(list) {
  const n = list.length;
  const head = 4 + 4 * n;
  let size = head;
  for (let i = 0; i < n; i++) {
    const s = list[i];
    if (typeof s === "string") size += s.length;
    else if (s !== undefined && s !== null) throw new BatchArgumentError(`zkvault: batch item ${i}: not a string`);
  }
  // ASCII fills exactly size bytes; anything else grows the buffer below.
  let buf = new Uint8Array(size);
  let dv = new DataView(buf.buffer);
  dv.setUint32(0, n, true);
  // All ASCII (index queries, ids, names): the strings joined (join writes
  // undefined and null as "") and encoded by one encodeInto call, which is
  // far cheaper than a loop over every character; each string's byte length
  // is then its length. Any other character needs more bytes than the buffer
  // has left, so encodeInto stops short and the loop below starts again.
  if (n > 1) {
    const all = Array.prototype.join.call(list, "");
    const r = utf8.encodeInto(all, buf.subarray(head));
    if (r.read === all.length && r.written === all.length) {
      for (let i = 0; i < n; i++) {
        const s = list[i];
        dv.setUint32(4 + 4 * i, typeof s === "string" ? s.length : 0, true);
      }
      return buf;
    }
  }
  let pos = head;
  for (let i = 0; i < n; i++) {
    const s = list[i] ?? "";
    const start = pos;
    const len = s.length;
    if (len <= 128 && pos + len <= buf.length) {
      // Short strings (ids, names, e-mail addresses): a plain loop beats a
      // TextEncoder call, which costs about 0.5 µs in Chromium (the loop about
      // 2.5 ns a character). Only while the buffer has room: a non-ASCII string
      // before this one may have taken it (the bytes past its end were lost).
      let k = 0;
      for (; k < len; k++) {
        const c = s.charCodeAt(k);
        if (c >= 0x80) break;
        buf[pos + k] = c;
      }
      if (k === len) {
        pos += len;
        dv.setUint32(4 + 4 * i, len, true);
        continue;
      }
    }
    let read = 0;
    for (;;) {
      const r = utf8.encodeInto(read === 0 ? s : s.substring(read), buf.subarray(pos));
      read += r.read;
      pos += r.written;
      if (read >= len) break;
      // Not ASCII: at most 3 bytes per UTF-16 unit still to write (encodeInto stops
      // between code points, never inside a surrogate pair).
      const bigger = new Uint8Array(Math.max(buf.length * 2, pos + 3 * (len - read) + (size - head)));
      bigger.set(buf.subarray(0, pos));
      buf = bigger;
      dv = new DataView(buf.buffer);
    }
    dv.setUint32(4 + 4 * i, pos - start, true);
  }
  return buf.subarray(0, pos);
}

/** u32 little-endian values as bytes (the shape of an index batch). */
export function packUint32(values) {
  const b = new Uint8Array(4 * values.length);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint32(4 * i, values[i], true);
  return b;
}

/**
 * Reads a result table: calls ok(bytes, i) for each result (bytes: a view into the
 * table) and fail(code, message, i) for each item error. Resolves with what they
 * return, in order. A malformed table throws.
 * @template T
 * @param {Uint8Array} table
 * @param {(bytes: Uint8Array, i: number) => T} ok
 * @param {(code: string, message: string, i: number) => T} fail
 * @returns {T[]}
 */
export function unpackResults(table, ok, fail) {
  if (!(table instanceof Uint8Array) || table.length < 4) throw new Error("zkvault: malformed result table");
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const n = dv.getUint32(0, true);
  let pos = 4 + 5 * n;
  if (pos > table.length) throw new Error("zkvault: malformed result table");
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const status = table[4 + 5 * i];
    const len = dv.getUint32(5 + 5 * i, true);
    if (len > table.length - pos) throw new Error("zkvault: malformed result table");
    const bytes = table.subarray(pos, pos + len);
    pos += len;
    if (status === 0) {
      out[i] = ok(bytes, i);
    } else if (status === 1) {
      const text = utf8d.decode(bytes);
      const nl = text.indexOf("\n");
      out[i] = nl < 0 ? fail("internal", text, i) : fail(text.slice(0, nl), text.slice(nl + 1), i);
    } else {
      throw new Error("zkvault: malformed result table");
    }
  }
  if (pos !== table.length) throw new Error("zkvault: malformed result table");
  return out;
}
