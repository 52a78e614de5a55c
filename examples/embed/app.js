// A third-party page that embeds @zkvault/zkvault: it encrypts a contact form's
// fields for a recipient (a passphrase, or an RSA public key pasted as PEM) and
// decrypts them again. The page holds no secret: each submission gets its own space
// (a fresh secret that never leaves the module), wrapped for the recipient; the
// reader's private key is a non-extractable CryptoKey kept in IndexedDB.
//
// No bundler and no import map (the CSP forbids inline scripts): the package is
// imported by its path in node_modules, and finds zkvault.wasm beside its src/.
import { load, Passphrase, RememberedDevice, userKeyName } from "./node_modules/@zkvault/zkvault/src/index.js";

const $ = (id) => document.getElementById(id);
const FIELDS = ["name", "email", "message"];
const COLLECTION = "contact_form";
const device = new RememberedDevice(userKeyName("reader"));

const status = (text, error = false) => {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
};

const zk = await load();
let reader = null; // the reader's KeyPair, once created or reloaded

async function loadReader() {
  const entry = await device.load();
  reader = entry ? await zk.keyPairFromCryptoKeys(entry.privateKey, entry.publicKey, entry.meta.keyVersion ?? 1) : null;
  $("myPublicKey").value = reader ? reader.publicKeyPEM : "";
  $("myFingerprint").textContent = reader ? `Fingerprint: ${reader.fingerprintGrouped}` : "";
  $("forget").disabled = !reader;
}

async function recipient() {
  const mode = document.querySelector("input[name=mode]:checked").value;
  if (mode === "passphrase") {
    const p = $("recipientPassphrase").value;
    if (!p) throw new Error("enter the passphrase the reader knows");
    // PBKDF2 runs in the browser's WebCrypto; Argon2id (the default) in the module.
    return new Passphrase(p, { kdf: "pbkdf2" });
  }
  return zk.principalFromPublicKey($("recipientPublicKey").value, { id: "reader" });
}

async function encrypt(event) {
  event.preventDefault();
  const id = `form-${crypto.randomUUID()}`;
  const space = await zk.createSpace(id);
  try {
    const envelope = await space.envelope(await recipient());
    const sealed = await space.sealFields(
      FIELDS.map((field) => ({ collection: COLLECTION, recordId: id, field, value: $(field).value, pad: true })),
    );
    const fields = {};
    sealed.forEach((r, i) => {
      if (r.error) throw r.error;
      fields[FIELDS[i]] = r.ciphertext;
    });
    const submission = { space: { id, kind: "form", encrypted: true, secret_version: 1, envelopes: [envelope] }, fields };
    $("sealed").value = JSON.stringify(submission, null, 2);
    status(`Encrypted for ${envelope.kind === "principal" ? `the key ${envelope.fingerprint.slice(0, 16)}…` : "the passphrase"}.`);
  } finally {
    await space.forget(); // the secret is zeroed in the module
  }
}

async function decrypt() {
  const submission = JSON.parse($("sealed").value);
  const p = $("readerPassphrase").value;
  if (!p && !reader) throw new Error("enter the passphrase, or create a key pair first");
  const space = await zk.openSpace(submission.space, p ? new Passphrase(p) : reader);
  try {
    const names = Object.keys(submission.fields);
    const opened = await space.openFields(
      names.map((field) => ({ collection: COLLECTION, recordId: submission.space.id, field, ciphertext: submission.fields[field] })),
    );
    $("opened").replaceChildren(
      ...opened.flatMap((r, i) => {
        const dt = document.createElement("dt");
        dt.textContent = names[i];
        const dd = document.createElement("dd");
        dd.id = `opened-${names[i]}`;
        dd.textContent = r.error ? `cannot decrypt (${r.error.code})` : r.text;
        if (r.error) dd.className = "error";
        return [dt, dd];
      }),
    );
    status("Decrypted.");
  } finally {
    await space.forget();
  }
}

async function generate() {
  status("Generating an RSA-4096 key pair…");
  const kp = await zk.generateKeyPair();
  await device.remember(kp.privateKey, { publicKey: kp.publicKey, meta: { keyVersion: kp.keyVersion, fingerprint: kp.fingerprint } });
  await loadReader();
  status("Key pair created; its private key cannot leave this browser.");
}

async function forget() {
  await device.forget();
  await loadReader();
  status("Key pair forgotten.");
}

/** Runs an action, reporting failures (with the module's error code) in the page. */
const guard = (fn) => async (event) => {
  try {
    await fn(event);
  } catch (err) {
    event?.preventDefault?.();
    status(`Failed: ${err.code ? `${err.code}: ` : ""}${err.message}`, true);
  }
};

$("form").addEventListener("submit", guard(encrypt));
$("decrypt").addEventListener("click", guard(decrypt));
$("generate").addEventListener("click", guard(generate));
$("forget").addEventListener("click", guard(forget));
await loadReader();
for (const id of ["encrypt", "decrypt", "generate"]) $(id).disabled = false;
status(`Ready (zkvault ${zk.version}).`);
document.body.dataset.ready = "true";
