// The package opens field batches with its own implementation of enc:v2
// (src/fieldopen.js); here it must agree with Go on every item of a corpus Go made
// natively (test/fieldkit.js). Node has no setFromBase64 before Node 22's successors,
// so this also runs the fallback base64url decoder where it is absent.
import assert from "node:assert/strict";
import { test } from "node:test";

import { load } from "../src/index.js";
import { decodeB64Into } from "../src/fieldopen.js";
import { checkFieldCorpus } from "./fieldkit.js";
import { buildWasm, fieldCorpus } from "./helpers.js";

const build = await buildWasm();
const skip = build ? false : "no Go toolchain";

test("every item of Go's enc:v2 corpus opens as Go opened it", { skip }, async () => {
  const zk = await load({ wasm: build.wasm, wasmExec: build.wasmExec });
  const corpus = await fieldCorpus();
  const r = await checkFieldCorpus(zk, corpus);
  assert.deepEqual(r.mismatches, [], `${r.mismatchCount} mismatches`);
  assert.ok(r.items > 150, `${r.items} items`);
  for (const k of ["ok", "parse", "unknown_key_version", "incorrect_key"]) assert.ok(r.outcomes[k] >= 3, `${k}: ${JSON.stringify(r.outcomes)}`);
});

test("the base64url decoder accepts exactly strict base64url without padding", () => {
  // Against a reference: the bytes re-encoded must give the text back.
  const enc = (b) => Buffer.from(b).toString("base64url");
  for (let n = 0; n < 40; n++) {
    const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
    const t = enc(b);
    const out = new Uint8Array(Math.floor(t.length / 4) * 3 + [0, 0, 1, 2][t.length & 3]);
    assert.ok(decodeB64Into(t, 0, out), t);
    assert.deepEqual([...out], [...b]);
    for (const bad of [t + "=", t + "==", t + " ", " " + t, t + "\n", t.replace(/.$/, "+"), t + "A", t + "é"]) {
      if (bad === t) continue;
      const o = new Uint8Array(Math.floor(bad.length / 4) * 3 + [0, 0, 1, 2][bad.length & 3]);
      if (decodeB64Into(bad, 0, o)) assert.equal(enc(o), bad, `accepted ${JSON.stringify(bad)}`);
    }
  }
});
