// Checks zkvault-spec.mjs (written from docs/spec alone) against the frozen vectors.
// Run: cd docs/spec/interop && npm ci && node --test
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as zk from './zkvault-spec.mjs';
import { SCHEMAS, sealRecord, openRecord, goJSON } from './records.mjs';
import { normalize, PHONE_TABLE } from './normalize.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const load = (rel) => JSON.parse(readFileSync(join(repo, rel), 'utf8'));
const { fromHex, toHex, utf8, b64urlDecode, b64urlEncode } = zk;

// Runs fn and returns 'success' with its value, or the ZkError code.
async function outcome(fn) {
  try {
    return { code: 'success', value: await fn() };
  } catch (e) {
    if (e instanceof zk.ZkError) return { code: e.code, error: e };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
describe('§1 primitives: known answers quoted in 01-primitives.md', () => {
  test('AES-256-GCM (McGrew–Viega test case 14)', async () => {
    const s = await zk.aesGcmSeal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(16));
    assert.equal(toHex(s), 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919');
  });
  test('HKDF: secret 0b×32, salt none, info = "zkvault/v2/field" (raw, not a tuple)', async () => {
    const k = await zk.hkdf(new Uint8Array(32).fill(0x0b), new Uint8Array(0), utf8('zkvault/v2/field'));
    assert.equal(toHex(k), '60d39ce8f3e4645fa8458ea78c49b6ae83df71f03a3dc1e359ec08dfdcda0f99');
  });
  test('HKDF: empty salt = 32 zero bytes', async () => {
    const a = await zk.hkdf(new Uint8Array(32).fill(0x0b), new Uint8Array(0), utf8('x'));
    const b = await zk.hkdf(new Uint8Array(32).fill(0x0b), new Uint8Array(32), utf8('x'));
    assert.deepEqual(a, b);
  });
  test('PBKDF2 "password"/"salt"/1/32', async () => {
    const k = await zk.pbkdf2(utf8('password'), utf8('salt'), 1, 32);
    assert.equal(toHex(k), '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b');
  });
  test('§9 label bytes', () => {
    const want = {
      field: '7a6b7661756c742f76322f6669656c64', index: '7a6b7661756c742f76322f696e646578',
      blob: '7a6b7661756c742f76322f626c6f62', envelope: '7a6b7661756c742f76322f656e76656c6f7065',
      envelopeRSA: '7a6b7661756c742f76322f656e76656c6f70652f727361',
      spaceSecret: '7a6b7661756c742f76322f73706163652d736563726574',
      privateKey: '7a6b7661756c742f76322f707269766174652d6b6579',
      groupKey: '7a6b7661756c742f76322f67726f75702d6b6579',
      recordId: '7a6b7661756c742f76322f7265636f72642d6964',
      keyringCheck: '7a6b7661756c742f76322f6b657972696e672d636865636b',
      session: '7a6b7661756c742f76322f73657373696f6e',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(toHex(utf8(zk.L[k])), v, k);
  });
  test('§3.2 Padmé examples', () => {
    const ex = [[1, 1], [9, 10], [17, 18], [100, 104], [1001, 1024], [1025, 1088], [1048577, 1081344], [15, 16], [9, 10]];
    for (const [a, b] of ex) assert.equal(zk.padme(a), b, `Padmé(${a})`);
  });
  test('§8.2 enc:v2 text limit = 1,441,848', () => assert.equal(zk.MAX_FIELD_TEXT, 1441848));
  test('§5.6 size examples (C = 1024)', () => {
    for (const [P, E] of [[0, 60], [1, 61], [1023, 1083], [1024, 1084], [1025, 1101], [2500, 2592], [3072, 3164]]) {
      assert.equal(zk.encryptedSize(P, 1024), E);
      assert.equal(zk.plaintextSize(E, 1024), P);
    }
    assert.equal(zk.plaintextSize(1100, 1024), null);
  });
});

// ---------------------------------------------------------------------------------------
describe('§2.2 worked example (key schedule)', () => {
  const S = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  test('field key', async () => {
    assert.equal(toHex(await zk.fieldKey(S, 'vault-test')), '1aa08a71207e18540f6dd43bd3e6c35896e8bc43cf19f381abf38f0d4e5dee0c');
  });
  test('index key', async () => {
    assert.equal(toHex(await zk.indexKey(S, 'vault-test', 'whatsapp_messages', 'senderPhoneNumber')),
      '0e9b919a5b69f9b5e2fed2681ddb1e2d286609592450291f9dc191dfc9749886');
  });
  test('blob key', async () => {
    const header = fromHex('5a4b42020000000100010000' + '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20');
    assert.equal(toHex(await zk.blobKey(S, 'vault-test', 'blob-1', header)), '626454202de065b3b4d47ba1de268d807cabe3167ecb4faeabc6591197154bb9');
  });
});

// ---------------------------------------------------------------------------------------
describe('wasm/testdata/idkey.json (§2.2 id key)', () => {
  const file = load('wasm/testdata/idkey.json');
  const all = zk.keyringFrom(file.secrets);
  for (const v of file.vectors) {
    test(`success: ${v.name}`, async () => {
      const keyring = new Map(v.versions.map((n) => [n, all.get(n)]));
      assert.equal(toHex(await zk.idKey(keyring, v.space_id ?? file.space_id)), v.id_key);
    });
  }
});

// ---------------------------------------------------------------------------------------
describe('wasm/testdata/keyrings.json (§2.7)', () => {
  const file = load('wasm/testdata/keyrings.json');
  const secrets = zk.keyringFrom(file.secrets);
  for (const v of file.vectors) {
    test(`${v.result}: ${v.name}`, async () => {
      const spaceId = v.space_id ?? file.space_id;
      const got = await outcome(() => (v.handover !== undefined
        ? zk.decodeHandover(v.handover, spaceId)
        : zk.openSealedKeyring(fromHex(v.session_key), fromHex(v.sealed), spaceId)));
      assert.equal(got.code, v.result, got.error?.message);
      if (v.result !== 'success') return;
      assert.equal(got.value.current, v.current);
      assert.deepEqual(got.value.keyring, secrets);
      if (v.handover !== undefined) {
        assert.equal(await zk.encodeHandover(secrets, v.current, spaceId), v.handover);
      } else {
        assert.equal(toHex(await zk.sealKeyring(fromHex(v.session_key), fromHex(v.nonce), secrets, v.current, spaceId)), v.sealed);
      }
    });
  }
  test('§2.7 worked example: check value', async () => {
    const kr = b64urlDecode(file.vectors.find((x) => x.name === 'handover, current 1').handover);
    assert.equal(toHex(kr.subarray(kr.length - 16)), '85502cd584799f60b5558da2664e923c');
    assert.equal(toHex(kr.subarray(0, 9)), '5a4b4b02' + '00000001' + '02');
  });
});

// ---------------------------------------------------------------------------------------
describe('wasm/stream/testdata/vectors.json (§5)', () => {
  const file = load('wasm/stream/testdata/vectors.json');
  for (const v of file.vectors) {
    test(`${v.outcome}: ${v.name}`, async () => {
      const key = fromHex(v.key);
      const blob = fromHex(v.blob);
      const got = await outcome(() => zk.decryptBlob(key, blob));
      assert.equal(got.code, v.outcome, got.error?.message);
      if (v.outcome === 'success') {
        assert.equal(toHex(got.value), v.plaintext ?? '');
        const enc = await zk.encryptBlob(key, v.key_version, v.chunk_size, fromHex(v.salt), got.value);
        assert.equal(toHex(enc), v.blob, 'encrypting plaintext under key and header gives blob');
        assert.equal(zk.plaintextSize(blob.length, v.chunk_size), got.value.length);
        // plaintext bytes are k mod 251
        assert.ok(got.value.every((b, k) => b === k % 251));
      }
    });
  }
  test('§5.8 worked example: SHA-256 of the blob and chunk layout', async () => {
    const v = file.vectors.find((x) => x.name === 'worked example');
    const blob = fromHex(v.blob);
    assert.equal(toHex(await zk.sha256(blob)), '8f53b29d1d7b469fbc9a865b2f0bfec9003864b7121fcef8c0e2b3dc41355e5f');
    assert.equal(toHex(blob.subarray(44, 60)), '0ebdb7ddb12985ba00a1a33e14219f96');
    assert.equal(toHex(blob.subarray(1084 - 16, 1084)), 'c6e74bdb6f5732a60319734d9a79b45b');
    assert.equal(toHex(blob.subarray(1084, 1100)), '34f9632c12a55e370de055b126b0a323');
    assert.equal(toHex(blob.subarray(2124, 2140)), '60180fe1fdbf375527e9f253a7043c22');
    assert.equal(toHex(blob.subarray(2592 - 16)), '8d3af4c2af3c4dab32401a80b1c2fbc9');
  });
  test('§5.7 random access: [1000, 1100) of the worked example, and every success vector', async () => {
    for (const v of file.vectors.filter((x) => x.outcome === 'success' && x.plaintext)) {
      const key = fromHex(v.key), blob = fromHex(v.blob), pt = fromHex(v.plaintext);
      const ranges = v.name === 'worked example' ? [[1000, 1100], [0, 2500], [2047, 2049], [2499, 2500]] : [[0, pt.length]];
      for (const [a, b] of ranges) assert.equal(toHex(await zk.readRange(key, blob, a, b)), toHex(pt.subarray(a, b)), `${v.name} [${a},${b})`);
    }
    // a blob cut at a chunk boundary has a valid length; the final chunk's flag shows the cut
    const cut = file.vectors.find((x) => x.name === 'truncated: final chunk missing');
    await assert.rejects(zk.readRange(fromHex(cut.key), fromHex(cut.blob), 0, 10), (e) => e.code === zk.PAYLOAD_FAILURE);
  });
});

// ---------------------------------------------------------------------------------------
describe('wasm/testdata/blobs.json (§2.6)', () => {
  const file = load('wasm/testdata/blobs.json');
  const keyring = zk.keyringFrom(file.secrets);
  for (const v of file.vectors) {
    test(`${v.result}: ${v.name}`, async () => {
      const blob = b64urlDecode(v.blob);
      const spaceId = v.space_id ?? file.space_id;
      const got = await outcome(() => zk.openSpaceBlob({ keyring, spaceId, blobId: v.blob_id, blob }));
      assert.equal(got.code, v.result, got.error?.message);
      if (v.result === 'success') {
        assert.equal(toHex(got.value), v.plaintext ?? '');
        const sealed = await zk.sealSpaceBlob({ keyring, spaceId, blobId: v.blob_id, version: v.version, salt: fromHex(v.rand), plaintext: got.value });
        assert.equal(b64urlEncode(sealed), v.blob);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
describe('wasm/testdata/fields.json (§3)', () => {
  const file = load('wasm/testdata/fields.json');
  const keyring = zk.keyringFrom(file.secrets);
  for (const v of file.vectors) {
    test(`${v.result}: ${v.name}`, async () => {
      const place = { keyring, spaceId: v.space_id ?? file.space_id, collection: v.collection, recordId: v.record_id, field: v.field };
      const got = await outcome(() => zk.openField({ ...place, text: v.ciphertext }));
      assert.equal(got.code, v.result, got.error?.message);
      if (v.result === 'success') {
        assert.equal(toHex(got.value), v.value ?? '');
        const kid = zk.parseField(v.ciphertext).kid;
        const sealed = await zk.sealField({ ...place, kid, value: fromHex(v.value ?? ''), pad: v.pad ?? false, nonce: fromHex(v.nonce) });
        assert.equal(sealed, v.ciphertext);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
describe('wasm/testdata/envelopes.json (§2.3)', () => {
  const file = load('wasm/testdata/envelopes.json');
  const keys = {};
  const pem = (name) => readFileSync(join(repo, 'wasm', 'testdata', `${name}.pk8.pem`), 'utf8');
  before(async () => {
    for (const n of ['rsa4096-1', 'rsa4096-2', 'rsa4096-3']) keys[n] = await zk.importPrivateKey(zk.pemToDer(pem(n)));
  });
  // Layout: wasm/testdata/README.md "File layouts" (`key` names the RSA test key, absent
  // `passphrase` = "", `payload_key` = that key's PKCS #8 DER, absent payload = empty,
  // `rand` = salt || nonce, `seal_key` informative).
  const identity = (v) => (v.key ? { key: keys[v.key] } : { passphrase: v.passphrase ?? '' });
  const expectedPayload = (v) => (v.payload_key ? keys[v.payload_key].pkcs8 : fromHex(v.payload ?? ''));

  for (const v of file.vectors) {
    test(`${v.result}: ${v.name}`, async () => {
      const env = b64urlDecode(v.envelope);
      const got = await outcome(() => zk.openEnvelope(env, identity(v), v.context));
      assert.equal(got.code, v.result, got.error?.message);
      if (v.result !== 'success') return;
      assert.equal(toHex(got.value), toHex(expectedPayload(v)));
      const p = zk.parseEnvelope(env);
      if (v.rand) {
        // kinds 2 and 3: re-produce byte for byte from rand = salt || nonce
        const rand = fromHex(v.rand);
        const salt = rand.subarray(0, rand.length - 12), nonce = rand.subarray(rand.length - 12);
        const params = p.kind === 2 ? { kind: 2, memory: p.memory, time: p.time, parallelism: p.parallelism } : { kind: 3, iterations: p.iterations };
        const sealed = await zk.sealPassphraseEnvelope({ passphrase: v.seal_passphrase, params, salt, nonce, payload: got.value, context: v.context });
        assert.equal(b64urlEncode(sealed), v.envelope);
      } else if (v.seal_key) {
        // kind 1: our own seal for the same recipient must open (RSA-OAEP is randomised)
        assert.equal(p.kind, 1);
        assert.deepEqual(p.fingerprint, keys[v.seal_key].fingerprint);
        const mine = await zk.sealRSAEnvelope({ recipient: keys[v.seal_key], keyVersion: p.keyVersion, payload: got.value, context: v.context });
        assert.equal(mine.length, env.length);
        assert.deepEqual(await zk.openEnvelope(mine, { key: keys[v.seal_key] }, v.context), got.value);
      }
    });
  }

  test('§2.4 sealed PEM backup: round trip of vector "kind 3 PBKDF2 600000, sealed private key"', async () => {
    const v = file.vectors.find((x) => x.name === 'kind 3 PBKDF2 600000, sealed private key');
    const [, principal, kv] = v.context;
    const pemText = zk.writeSealedPEM({ envelope: b64urlDecode(v.envelope), fingerprint: keys[v.payload_key].fingerprint, keyVersion: kv, principal });
    assert.deepEqual(await zk.readSealedPEM(pemText, v.passphrase), keys[v.payload_key].pkcs8);
    // an edited header fails like a wrong passphrase
    await assert.rejects(zk.readSealedPEM(pemText.replace('Key-Version: 3', 'Key-Version: 4'), v.passphrase), (e) => e.code === zk.INCORRECT_KEY);
    await assert.rejects(zk.readSealedPEM(pemText.replace(/Fingerprint: ./, 'Fingerprint: 0'), v.passphrase), (e) => e.code === zk.INCORRECT_KEY || e.code === zk.PARSE);
  });
  test('§2.3 worked example kind 2: K and header', async () => {
    const K = await zk.argon2id({ password: utf8('correct horse battery staple'), salt: fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'), time: 1, memory: 64, parallelism: 1 });
    assert.equal(toHex(K), 'a30464b8c0e7e1d5b41a4292785e248e98dbfcb3bbcb819a2ce5027110ac5415');
    const ctx = zk.contextBytes(['zkvault/v2/space-secret', 'vault-test', '1']);
    assert.equal(toHex(ctx), '00000017' + toHex(utf8('zkvault/v2/space-secret')) + '0000000a' + toHex(utf8('vault-test')) + '0000000131');
  });
  test('§2.3 worked example kind 3: K', async () => {
    const salt = Uint8Array.from({ length: 32 }, (_, i) => 0xb0 + i);
    const K = await zk.pbkdf2(utf8('correct horse battery staple'), salt, 1000, 32);
    assert.equal(toHex(K), '403678d003f1d436edd7393c535dd4cd79ef8c571e53e6f83d7fd01ca747b0dd');
  });
  test('§2.3 worked example kind 1: fingerprint and total length', async () => {
    assert.equal(toHex(keys['rsa4096-1'].fingerprint), '267b05fd92ea2cefdc58b03085d8e09805bd794cbed90b3ad203480ecba9b5c3');
    assert.equal(keys['rsa4096-1'].spki.length, 550);
    // §1.9 SPKI layout
    const spki = toHex(keys['rsa4096-1'].spki);
    assert.ok(spki.startsWith('30820222300d06092a864886f70d0101010500038202' + '0f00' + '3082020a0282020100'), spki.slice(0, 60));
    assert.ok(spki.endsWith('0203010001'));
    assert.equal(zk.fingerprintDisplay(keys['rsa4096-1'].fingerprint).length, 79);
    const v = file.vectors.find((x) => x.name === 'kind 1 RSA, space secret');
    assert.equal(b64urlDecode(v.envelope).length, 615);
  });
});

// ---------------------------------------------------------------------------------------
describe('wasm/legacy/testdata/vectors.json (§7)', () => {
  const file = load('wasm/legacy/testdata/vectors.json');
  const keys = {};
  before(async () => {
    for (const [name, k] of Object.entries(file.keys)) keys[name] = await zk.legacyKeys(k.passphrase);
  });
  test('keys', () => {
    for (const [name, k] of Object.entries(file.keys)) {
      assert.equal(toHex(keys[name].enc), k.encryption_key, name);
      assert.equal(toHex(keys[name].search), k.search_key, name);
    }
  });
  for (const v of file.text) {
    test(`text ${v.result}: ${v.name}`, async () => {
      const k = keys[v.passphrase];
      const got = await outcome(() => (v.kind === 'text' ? zk.legacyDecryptString(k, v.value) : zk.legacyDecryptBytes(k, v.value)));
      assert.equal(got.code, v.result, got.error?.message);
      if (v.result !== 'success') return;
      if (v.kind === 'text') {
        assert.equal(got.value, v.plaintext);
        assert.equal(toHex(utf8(got.value)), v.plaintext_hex);
      } else {
        assert.equal(toHex(got.value), v.plaintext_hex);
      }
      if (v.iv) assert.equal(await zk.legacyEncryptBytes(k, fromHex(v.iv), fromHex(v.plaintext_hex)), v.value);
    });
  }
  for (const v of file.binary) {
    test(`binary ${v.result}: ${v.name}`, async () => {
      const k = keys[v.passphrase];
      const got = await outcome(() => zk.legacyDecryptBinary(k, fromHex(v.value_hex)));
      assert.equal(got.code, v.result, got.error?.message);
      if (v.result !== 'success') return;
      assert.equal(toHex(got.value), v.plaintext_hex);
      if (v.iv) assert.equal(toHex(await zk.legacyEncryptBinary(k, fromHex(v.iv), fromHex(v.plaintext_hex))), v.value_hex);
    });
  }
  const norm = { phone: zk.legacyPhone, name: zk.legacyName, contact: zk.legacyContact, none: (x) => x };
  for (const v of file.index) {
    test(`index ${v.normaliser}: ${JSON.stringify(v.input)}`, async () => {
      const n = norm[v.normaliser](v.input);
      assert.equal(n, v.normalised);
      assert.equal(await zk.legacyIndex(keys[v.passphrase], n), v.index);
    });
  }
});

// ---------------------------------------------------------------------------------------
describe('wasm/index/testdata/compute.json (§4)', () => {
  const file = load('wasm/index/testdata/compute.json');
  for (const v of file.vectors) {
    test(`${v.error ?? 'success'}: bits ${v.bits} parts ${JSON.stringify(v.parts)}`, async () => {
      const got = await outcome(() => zk.computeIndex(fromHex(v.key), v.bits, v.parts));
      assert.equal(got.code, v.error ?? 'success', got.error?.message);
      if (!v.error) {
        assert.equal(toHex(got.value.hmac), v.hmac);
        assert.equal(got.value.value, v.value);
      }
    });
  }
});

describe('§4.9 worked example', () => {
  test('phone value under the index key of §2.2', async () => {
    const S = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const key = await zk.indexKey(S, 'vault-test', 'whatsapp_messages', 'senderPhoneNumber');
    assert.equal(toHex(key), '0e9b919a5b69f9b5e2fed2681ddb1e2d286609592450291f9dc191dfc9749886');
    const n = normalize('phone', '+44 (0)20 7946 0958', '');
    assert.equal(n, '+442079460958');
    assert.equal(toHex(zk.tuple(n)), '0000000d2b343432303739343630393538');
    const r = await zk.computeIndex(key, 8, [n]);
    assert.equal(toHex(r.hmac), 'c18d7275dd191a8038dee2711b4abd6f8cde961ac4a205b8bd796b45d8a9ebb4');
    assert.equal(r.value, 'c1');
    assert.equal((await zk.computeIndex(key, 12, [n])).value, 'c180');
    assert.equal((await zk.computeIndex(key, 20, [n])).value, 'c18d70');
    assert.ok(zk.validIndexValue('c180', 12) && !zk.validIndexValue('c181', 12) && !zk.validIndexValue('C180', 12));
  });
  test('compound ("Ada", "LOVELACE") under text', async () => {
    const key = fromHex('0e9b919a5b69f9b5e2fed2681ddb1e2d286609592450291f9dc191dfc9749886');
    const parts = ['Ada', 'LOVELACE'].map((x) => normalize('text', x));
    assert.deepEqual(parts, ['ada', 'lovelace']);
    assert.equal(toHex(zk.tuple(...parts)), '00000003616461000000086c6f76656c616365');
    const r = await zk.computeIndex(key, 16, parts);
    assert.equal(toHex(r.hmac), 'f0848769ceaa0f1bf904b00d4e91ab6cdb33c6df39aa77e1f14dad0d72f8fd71');
    assert.equal(r.value, 'f084');
  });
  test('§4.3.3 examples in the prose', () => {
    for (const [a, b] of [['José', 'jose'], ['JOSE', 'jose'], ['Jose\u0301', 'jose'], ['Ελένη', 'ελενη'], ['ΕΛΕΝΗ', 'ελενη'], ['Straße', 'strasse'],
      ['ＡＢＣ　ｄｅｆ', 'abc def'], ['Ⅻ', 'xii'], ['Иван', 'иван'], ['ИВАН', 'иван'], ['王小明', '王小明'], ['Йосиф', 'йосиф'], ['ｶﾞｯｺｳ', 'ガッコウ'], ['Søren', 'søren']]) {
      assert.equal(normalize('text', a), b, a);
    }
  });
});

// ---------------------------------------------------------------------------------------
describe('§4.3.1 step 3 examples (extension rules)', () => {
  test('extension examples in the prose', () => {
    const cases = [
      ['+1 415 555 0100 ext. 12', '+14155550100'], ['+1 415 555 0100;12', '+14155550100'],
      ['+1 415 555 0100 x', 'phone-character'], ['+1 415 555 0100 x12a', 'phone-letters'],
      ['+1 415 555 0100 extx 12', 'phone-letters'], ['tel:+1-415-555-0100;ext=1a#', '+14155550100'],
      ['+1 415 555 0100 ext 1#2', 'phone-character'], ['x12 +1 415', 'phone-letters'],
    ];
    for (const [input, want] of cases) {
      let got;
      try { got = normalize('phone', input); } catch (e) { got = e.code; }
      assert.equal(got, want, input);
    }
  });
});

describe('wasm/index/testdata/normalize.json (§4)', () => {
  const file = load('wasm/index/testdata/normalize.json');
  test('appendix 4a phone table: 254 rows, 245 regions + 9 non-geographic, 215 calling codes', () => {
    assert.equal(PHONE_TABLE.length, 254);
    assert.equal(PHONE_TABLE.filter((r) => r.region === '001').length, 9);
    assert.equal(new Set(PHONE_TABLE.map((r) => r.code)).size, 215);
    // §4a.2's list of calling codes is the set of the rows' codes, and prefix-free.
    const md = readFileSync(new URL('../04a-phone-table.md', import.meta.url), 'utf8');
    const sec = md.slice(md.indexOf('## 4a.2'), md.indexOf('## 4a.3'));
    const listed = sec.split('\n').filter((l) => /^[0-9 ]+$/.test(l)).join(' ').trim().split(/ +/);
    assert.deepEqual([...listed].sort(), [...new Set(PHONE_TABLE.map((r) => r.code))].sort());
    for (const a of listed) for (const b of listed) if (a !== b) assert.ok(!b.startsWith(a), `${a} prefix of ${b}`);
    for (const c of new Set(PHONE_TABLE.map((r) => r.code))) {
      assert.equal(new Set(PHONE_TABLE.filter((r) => r.code === c).map((r) => r.trunk)).size, 1, `trunk of code ${c}`);
    }
  });
  for (const v of file.vectors) {
    const input = v.input_hex !== undefined ? fromHex(v.input_hex) : v.input;
    test(`${v.normalizer} ${v.error ?? 'ok'}: ${JSON.stringify(v.input_hex ?? v.input)}${v.region ? ' region ' + v.region : ''}`, async (t) => {
      const got = await outcome(() => normalize(v.normalizer, input, v.region ?? ''));
      assert.equal(got.code, v.error ? v.error : 'success', got.error?.message);
      if (!v.error) assert.equal(got.value, v.output);
    });
  }
});

// ---------------------------------------------------------------------------------------
describe('wasm/testdata/records.json (§6)', () => {
  const file = load('wasm/testdata/records.json');
  const keyring = zk.keyringFrom(file.secrets);
  for (const v of file.vectors) {
    test(`${v.result}: ${v.name}`, async (t) => {
      const schema = SCHEMAS[v.schema];
      assert.ok(schema, `schema ${v.schema} (from §6.3)`);
      const opened = await openRecord({ keyring, spaceId: file.space_id, schema, record: v.record });
      if (v.result !== 'success') {
        assert.deepEqual(opened.errors, v.field_errors);
        return;
      }
      assert.deepEqual(opened.errors, {});
      assert.deepEqual(opened.fields, v.fields);
      const unverifiable = [];
      const sealed = await sealRecord({
        keyring, spaceId: file.space_id, schema, id: v.id, fields: v.fields, version: v.version,
        region: v.region ?? '', rand: fromHex(v.rand), unverifiable,
      });
      const want = structuredClone(v.record);
      assert.deepEqual(unverifiable, [], 'every index is decidable from the spec (appendix 4a)');
      assert.deepEqual(sealed, want);
    });
  }
  test('whatsapp senderPhoneNumber "+41 79 555 01 23" region CH is "+41795550123" (appendix 4a row CH)', async () => {
    assert.equal(normalize('phone', '+41 79 555 01 23', 'CH'), '+41795550123');
    const v = file.vectors.find((x) => x.name === 'whatsapp message');
    const key = await zk.indexKey(keyring.get(1), file.space_id, 'whatsapp_messages', 'senderPhoneNumber');
    assert.deepEqual([(await zk.computeIndex(key, 8, ['+41795550123'])).value], v.record.index.senderPhoneNumber);
  });
  test('§6.2 JSON encoding examples (writer bytes)', () => {
    assert.equal(goJSON('<>&\u2028\u2029\b\f\n\r\t\u0001"\\/é'), '"\\u003c\\u003e\\u0026\\u2028\\u2029\\b\\f\\n\\r\\t\\u0001\\"\\\\/é"');
    for (const [v, t] of [[48.2, '48.2'], [100, '100'], [1e-6, '0.000001'], [1e20, '100000000000000000000'], [1e21, '1e+21'], [1e-7, '1e-7'], [-0, '-0']]) assert.equal(goJSON(v), t);
    assert.equal(goJSON({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  });
  test('§6.3 shipped schemas loaded from wasm/schemas/*.json: 7 collections', () => {
    assert.deepEqual(Object.keys(SCHEMAS).sort(), ['contacts', 'imessage_attachments', 'imessages', 'locations', 'messages', 'screenshots', 'whatsapp_messages']);
  });
  test('§6.4 worked example: chatName inner plaintext is Padmé(9) = 10 bytes', async () => {
    const v = file.vectors.find((x) => x.name === 'whatsapp message');
    const { sealed } = zk.parseField(v.record.fields.chatName);
    assert.equal(sealed.length - 16, 10);
  });
});
