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
  type ZkvaultAPI,
} from "@zkvault/zkvault";

export async function example(): Promise<void> {
  const zk: ZkvaultAPI = await load({ wasm: new URL("https://example.test/zkvault.wasm"), timeoutMs: 5000 });
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

  const env: "ZKVAULT_READY" = READY_ENV;
  void env;
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
