// Compiled by `npm run check:types` (tsc --noEmit), never run: it checks that
// index.d.ts describes the API as the README uses it, through the package's own
// "exports" (a self-reference by package name).
import {
  DEFAULT_TTL_MS,
  ExpiringSession,
  KeyStore,
  load,
  MASTER_KEY_NAME,
  READY_ENV,
  RememberedDevice,
  userKeyName,
  type Backend,
  type KeyEntry,
  Passphrase,
  ZkvaultError,
  loadModule,
  type Envelope,
  type ErrorCode,
  type KeyPair,
  type Space,
  type Zkvault,
  type ZkvaultModule,
} from "@zkvault/zkvault";

export async function example(): Promise<void> {
  const zk: Zkvault = await load({ wasm: new URL("https://example.test/zkvault.wasm"), timeoutMs: 5000 });
  const raw: ZkvaultModule = await loadModule();
  void raw.version;

  const space: Space = await zk.createSpace("vault-1");
  const [sealed] = await space.sealFields([{ collection: "c", recordId: "r", field: "f", value: "v", pad: true }]);
  if (sealed.error) {
    const code: ErrorCode = sealed.error.code;
    void code;
  } else {
    const ct: string = sealed.ciphertext;
    const [opened] = await space.openFields([{ collection: "c", recordId: "r", field: "f", ciphertext: ct }]);
    if (!opened.error) void (opened.text.length + opened.value.length);
  }
  const env: Envelope = await space.envelope(new Passphrase("p", { kdf: "pbkdf2" }));
  const kp: KeyPair = await zk.generateKeyPair({ seal: { principalId: "u", passphrase: new Passphrase("p") } });
  const principal = await zk.principalFromPublicKey(kp.publicKeyPEM, { id: "u" });
  await space.envelope(principal);
  const s2 = await zk.openSpace({ id: "vault-1", envelopes: [env] }, kp);
  const rec = await s2.sealRecord("whatsapp_messages", "wa-1", { text: "hi" }, { region: "CH" });
  const back = await s2.openRecord("whatsapp_messages", rec);
  void back.errors;
  const stream: ReadableStream<Uint8Array> = space.encryptBlob("b", new Blob(["x"]));
  void space.decryptBlob("b", stream);
  const part: Uint8Array = await space.readBlobRange("b", { size: 100, read: async () => new Uint8Array(0) }, 0, 10);
  void part;
  try {
    await space.forget();
  } catch (e) {
    if (e instanceof ZkvaultError && e.code === "closed") void e.message;
  }
  void zk;
  await load({ module: new WebAssembly.Module(new Uint8Array(8)) });
  await load({ wasm: fetch("/zkvault.wasm") });

  const name: `user:${string}` = userKeyName("p1");
  const ks = new KeyStore({ dbName: "zkvault" });
  const { privateKey, publicKey } = await crypto.subtle.generateKey(
    { name: "RSA-OAEP", modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    false,
    ["decrypt"],
  );
  await ks.put(name, { privateKey, publicKey, meta: { fingerprint: "x" } });
  await ks.put(MASTER_KEY_NAME, { privateKey });
  const entry: KeyEntry | null = await ks.get(name);
  const names: string[] = await ks.list();
  void entry;
  void names;

  const s = new ExpiringSession({ name: "space:1", ttlMs: DEFAULT_TTL_MS, now: () => Date.now() });
  const expiresAt: number = await s.store(new Uint8Array(32));
  await s.storeSpace(space);
  const again: Space | null = await s.loadSpace(zk);
  void again;
  const held: Uint8Array | CryptoKey | null = await s.load();
  const left: number = await s.timeLeft();
  await s.lock();
  const swept: number = await ExpiringSession.sweep();
  void [expiresAt, held, left, swept];

  const d = new RememberedDevice(name);
  await d.remember(privateKey, { publicKey });
  const remembered: KeyEntry | null = await d.load();
  void remembered;
  await d.forget();

  const readyEnv: "ZKVAULT_READY" = READY_ENV;
  void readyEnv;
  const memory: Backend = {
    get: async () => undefined,
    put: async () => {},
    delete: async () => {},
    keys: async () => [],
  };
  new KeyStore({ backend: memory });

  // @ts-expect-error: misspelt option
  await load({ timeout: 5 });
  // @ts-expect-error: a passphrase is not a secret to store
  await s.store("passphrase");
}
