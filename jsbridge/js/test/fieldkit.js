// The enc:v2 differential check, shared by the Node suite (fieldcorpus.test.js) and
// the browser suite (/pkg/test/fieldkit.js): every item of the corpus Go made
// (wasm/field_corpus_test.go: valid fields and every kind of damage, with Go's
// outcome) must open through space.openFields (src/fieldopen.js, the package's own
// implementation of the format) exactly as Go opened it: the same value, or the same
// error code. Alone, in one batch of everything, and in mixed batches large enough
// for the field worker where there is one.

const utf8d = new TextDecoder();

function fromBase64(s) {
  const bin = atob(s);
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
  return b;
}

function sameBytes(a, b) {
  if (!(a instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Opens the corpus in the space it was made for and returns the mismatches (strings;
 * none when the JS path agrees with Go on every item) and counts.
 * @param {object} zk the loaded package
 * @param {{spaceId: string, handover: string, fields: object[]}} corpus
 * @param {{seed?: number}} [options]
 */
export async function checkFieldCorpus(zk, corpus, { seed = 1 } = {}) {
  const space = await zk.openHandover(corpus.spaceId, corpus.handover);
  const fields = corpus.fields.map((f) => ({ ...f, want: f.value === undefined ? null : fromBase64(f.value) }));
  const mismatches = [];
  const check = (how, f, r) => {
    if (f.want === null) {
      if (!r || !r.error || r.error.code !== f.code || r.value !== undefined || r.text !== undefined) {
        mismatches.push(`${how}: ${f.name}: want error ${f.code}, got ${r?.error ? `error ${r.error.code}` : "a value"}`);
      } else if (typeof r.error.message !== "string" || r.error.message === "") {
        mismatches.push(`${how}: ${f.name}: error without message`);
      }
      return;
    }
    if (!r || r.error) {
      mismatches.push(`${how}: ${f.name}: want a value, got error ${r?.error?.code}: ${r?.error?.message}`);
      return;
    }
    if (r.text !== utf8d.decode(f.want)) mismatches.push(`${how}: ${f.name}: wrong text`);
    const v = r.value;
    if (!sameBytes(v, f.want)) mismatches.push(`${how}: ${f.name}: wrong value`);
    else if (v.byteOffset !== 0 || v.buffer.byteLength !== v.length) mismatches.push(`${how}: ${f.name}: value is not a buffer of its own`);
    else if (r.value !== v) mismatches.push(`${how}: ${f.name}: value is not the same object twice`);
  };
  const item = ({ collection, recordId, field, ciphertext }) => ({ collection, recordId, field, ciphertext });
  try {
    // Alone.
    for (const f of fields) {
      const [r] = await space.openFields([item(f)]);
      check("alone", f, r);
    }
    // All in one batch, in order.
    const all = await space.openFields(fields.map(item));
    fields.forEach((f, i) => check("one batch", f, all[i]));
    // Mixed batches: the small items many times over in a shuffled order, every
    // kind of outcome on both sides of wherever the batch is split.
    let x = seed >>> 0 || 1;
    const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const small = fields.filter((f) => f.ciphertext.length < 4096);
    for (let round = 0; round < 3; round++) {
      const batch = [];
      for (let k = 0; k < 6; k++) for (const f of small) batch.push(f);
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [batch[i], batch[j]] = [batch[j], batch[i]];
      }
      const out = await space.openFields(batch.map(item));
      batch.forEach((f, i) => check(`mixed batch ${round} item ${i}`, f, out[i]));
    }
    const outcomes = {};
    for (const f of fields) outcomes[f.code ?? "ok"] = (outcomes[f.code ?? "ok"] ?? 0) + 1;
    return { mismatches: mismatches.slice(0, 20), mismatchCount: mismatches.length, items: fields.length, outcomes };
  } finally {
    await space.forget();
  }
}
