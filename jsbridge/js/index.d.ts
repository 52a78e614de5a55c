// Type declarations for @zkvault/zkvault.

/**
 * The API object the Go side hands over when it is ready. Its methods are declared
 * here as they are exported from jsbridge/main.go.
 */
export interface ZkvaultAPI {
  readonly [name: string]: unknown;
}

export interface LoadOptions {
  /**
   * Where zkvault.wasm is: a URL or string (fetched in browsers, read from disk for
   * file: URLs and, outside browsers, paths), a Response or a promise of one, or the
   * bytes. Default: zkvault.wasm beside the package's src/ directory.
   */
  wasm?: string | URL | Response | PromiseLike<Response> | ArrayBuffer | ArrayBufferView;
  /** A precompiled module (Cloudflare Workers, which cannot compile at run time). */
  module?: WebAssembly.Module;
  /** Where Go's wasm_exec.js is, if globalThis.Go is not already defined. */
  wasmExec?: string | URL;
  /** The Go class from wasm_exec.js, instead of globalThis.Go. */
  Go?: new () => GoRuntime;
  /** How long to wait for the Go side to signal readiness. Default 30000. */
  timeoutMs?: number;
}

/** The part of wasm_exec.js's Go class that load uses. */
export interface GoRuntime {
  argv: string[];
  env: Record<string, string>;
  exit: (code: number) => void;
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
}

/** Starts the WebAssembly module and resolves with its API once it is ready. */
export function load(options?: LoadOptions): Promise<ZkvaultAPI>;

/** Environment variable through which Go learns the name of the ready callback. */
export const READY_ENV: "ZKVAULT_READY";
/** Prefix of the global name of the ready callback. */
export const READY_PREFIX: "__zkvaultReady_";
export const DEFAULT_READY_TIMEOUT_MS: number;

/**
 * Where KeyStore and the sessions keep their records; IndexedDB unless another is
 * injected (tests).
 */
export interface Backend {
  get(key: string): Promise<any>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<IDBValidKey[]>;
}

export interface StorageOptions {
  /** IndexedDB database name. Default "zkvault". */
  dbName?: string;
  /** IndexedDB factory. Default globalThis.indexedDB. */
  indexedDB?: IDBFactory;
  /** Replaces IndexedDB altogether. */
  backend?: Backend;
}

export const DEFAULT_DB_NAME: "zkvault";

/** Key store name of the platform master (recovery) key. */
export const MASTER_KEY_NAME: "zkvault-master-key";

/** Key store name of a user's private key: `user:<principalId>`. */
export function userKeyName(principalId: string): `user:${string}`;

export interface KeyEntry {
  privateKey: CryptoKey;
  publicKey: CryptoKey | null;
  meta: Record<string, unknown>;
  /** When it was stored, in milliseconds since the epoch. */
  storedAt: number;
}

/** Long-term keys kept in IndexedDB as non-extractable CryptoKeys. */
export class KeyStore {
  constructor(options?: StorageOptions);
  /** Stores a key pair; refuses an extractable private key. */
  put(name: string, entry: { privateKey: CryptoKey; publicKey?: CryptoKey; meta?: Record<string, unknown> }): Promise<void>;
  get(name: string): Promise<KeyEntry | null>;
  delete(name: string): Promise<void>;
  /** Names of the stored entries, sorted. */
  list(): Promise<string[]>;
}

export const DEFAULT_TTL_MS: number;
export const MAX_TTL_MS: number;
export const MAX_SECRET_BYTES: number;

export interface ExpiringSessionOptions extends StorageOptions {
  /** Tells sessions apart, e.g. "space:<id>". Default "default". */
  name?: string;
  /** Lifetime from store(). Default one hour, at most 24 hours. */
  ttlMs?: number;
  /** Clock, in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

/**
 * An unlocked secret or key kept for a limited time, across reloads. A secret is
 * stored only encrypted under a non-extractable session wrapping key.
 */
export class ExpiringSession {
  constructor(options?: ExpiringSessionOptions);
  readonly name: string;
  /** Starts or restarts the session; resolves with the expiry time. */
  store(value: Uint8Array | CryptoKey): Promise<number>;
  /** What the session holds, or null when there is none or it has expired. */
  load(): Promise<Uint8Array | CryptoKey | null>;
  /** Milliseconds left; 0 when there is no session. */
  timeLeft(): Promise<number>;
  /** Ends the session now. */
  lock(): Promise<void>;
  /** Deletes every expired session; resolves with how many. */
  static sweep(options?: StorageOptions & { now?: () => number }): Promise<number>;
}

/** "Remember this browser": a non-extractable private key kept until forget(). */
export class RememberedDevice {
  constructor(name: string, options?: StorageOptions);
  readonly name: string;
  remember(privateKey: CryptoKey, extra?: { publicKey?: CryptoKey; meta?: Record<string, unknown> }): Promise<void>;
  load(): Promise<KeyEntry | null>;
  forget(): Promise<void>;
}
