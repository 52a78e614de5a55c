// Type declarations for @zkvault/zkvault.

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

/** Starts the WebAssembly module and resolves with the API once it is ready. */
export function load(options?: LoadOptions): Promise<Zkvault>;

/**
 * Starts the WebAssembly module and resolves with the raw object zkvault.wasm hands
 * over (the functions jsbridge/*.go exports), without the classes around it.
 */
export function loadModule(options?: LoadOptions): Promise<ZkvaultModule>;

/** The raw object zkvault.wasm hands over. Use the classes instead. */
export interface ZkvaultModule {
  readonly version: string;
  readonly [name: string]: unknown;
}

/** The stable codes of ZkvaultError. */
export type ErrorCode =
  /** wrong key or passphrase, or altered ciphertext (says no more, on purpose) */
  | "incorrect_key"
  /** a secret version the space's keyring does not hold */
  | "unknown_key_version"
  /** malformed ciphertext, envelope, keyring, PEM or identifier */
  | "parse"
  /** a damaged, truncated or moved blob */
  | "corrupt"
  /** passphrase KDF parameters above the maxima (refused before any work) */
  | "work_factor"
  /** passphrase KDF parameters below the minima */
  | "weak_parameters"
  /** a value above the format's maximum */
  | "too_large"
  /** the operation needs an extractable private key */
  | "not_extractable"
  /** a key of the wrong type, size or parameters (or a key pair that does not match) */
  | "invalid_key"
  /** a schema that breaks a rule, or a record that breaks its schema */
  | "schema"
  /** an argument of the wrong type or form */
  | "invalid_argument"
  /** a closed object: a forgotten space, a finished stream */
  | "closed"
  /** legacy: the value is not encrypted */
  | "not_encrypted"
  /** the operation was canceled */
  | "canceled"
  /** a bug in the module (a contained panic); the module goes on working */
  | "internal";

export const ERROR_CODES: readonly ErrorCode[];

/** Every failure of the API: an Error with a stable code. Messages hold no secret. */
export class ZkvaultError extends Error {
  constructor(code: ErrorCode, message: string, options?: ErrorOptions);
  readonly name: "ZkvaultError";
  readonly code: ErrorCode;
}

/** Passphrase KDF parameters; omitted ones take the defaults (Argon2id 64 MiB, t=3, p=4; PBKDF2 600,000). */
export interface PassphraseParams {
  kdf?: "argon2id" | "pbkdf2";
  memoryKiB?: number;
  time?: number;
  parallelism?: number;
  iterations?: number;
  /** Salt length in bytes, 16..64. Default 16. */
  saltSize?: number;
  /** Tests only: lets parameters below the minima through. */
  insecureAllowWeak?: boolean;
}

/** A passphrase: an identity that opens passphrase envelopes and a recipient that seals them. */
export class Passphrase {
  constructor(passphrase: string, params?: PassphraseParams);
  readonly params: PassphraseParams | undefined;
}

/** A principal as the server stores it (api.Principal). */
export interface Principal {
  id: string;
  kind: string;
  /** base64url SubjectPublicKeyInfo DER */
  public_key: string;
  /** lowercase hex SHA-256 of the DER */
  fingerprint: string;
  key_version: number;
  /** base64url passphrase envelope of the private key */
  sealed_key?: string;
}

/** One wrapped secret version (api.Envelope). */
export interface Envelope {
  kind: "principal" | "passphrase";
  principal?: string;
  fingerprint?: string;
  key_version?: number;
  secret_version: number;
  /** base64url binary envelope */
  data: string;
}

/** A space as the server stores it (api.Space); openSpace needs id and envelopes. */
export interface StoredSpace {
  id: string;
  kind?: string;
  encrypted?: boolean;
  secret_version?: number;
  meta?: Record<string, string>;
  envelopes: Envelope[];
  [field: string]: unknown;
}

/** A collection schema (api.Schema). */
export interface Schema {
  collection: string;
  [field: string]: unknown;
}

/** A record as stored and sent (api.Record). */
export interface StoredRecord {
  id: string;
  fields: Record<string, unknown>;
  index?: Record<string, string[]>;
}

export interface OpenedRecord {
  id: string;
  fields: Record<string, unknown>;
  /** Why each field that did not open could not be read. */
  errors: Record<string, ZkvaultError>;
}

export interface RecordOptions {
  /** Region (ISO 3166-1 alpha-2) of phone numbers written without a country code. */
  region?: string;
}

export interface FieldRef {
  collection: string;
  recordId: string;
  field: string;
}

export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

export type Recipient = Passphrase | Principal | KeyPair;
export type Identity = Passphrase | KeyPair;

export interface GenerateOptions {
  keyVersion?: number;
  /** Principal kind for `principal` (default "user"). */
  kind?: string;
  /** Also seal the private key under a passphrase (sealedKey, principal). */
  seal?: { principalId: string; passphrase: Passphrase };
  /** Also write the offline backup (sealedPEM). */
  backup?: { principalId: string; passphrase: Passphrase };
  /** A queue's key: also seal it as group groupId's key for each recipient (sealedGroupKeys). */
  group?: { groupId: string; recipients: Recipient[] };
}

/** Where readBlobRange reads the stored blob from. */
export interface BlobSource {
  /** Size of the stored blob (header included). */
  size: number;
  /** Returns (a promise of) the stored bytes [offset, offset+length). */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

/** The API load() resolves with. */
export class Zkvault {
  private constructor();
  readonly version: string;
  schemas(): Promise<Schema[]>;
  createSpace(id: string): Promise<Space>;
  openSpace(space: StoredSpace, identity: Identity): Promise<Space>;
  openHandover(spaceId: string, text: string): Promise<Space>;
  openSealedSpace(spaceId: string, key: CryptoKey, sealed: Uint8Array): Promise<Space>;
  generateKeyPair(options?: GenerateOptions): Promise<KeyPair>;
  keyPairFromCryptoKeys(privateKey: CryptoKey, publicKey: CryptoKey, keyVersion?: number): Promise<KeyPair>;
  openSealedKey(options: { sealedKey: string; passphrase: Passphrase; principalId: string; keyVersion?: number }): Promise<KeyPair>;
  importSealedPEM(pem: string, passphrase: Passphrase): Promise<KeyPair>;
  openGroupKey(identity: Identity, sealedKey: string, groupId: string, keyVersion?: number): Promise<KeyPair>;
  resealGroupKey(identity: Identity, sealedKey: string, groupId: string, keyVersion: number, recipients: Recipient[]): Promise<string[]>;
  principalFromPublicKey(publicKey: string, options?: { id?: string; kind?: string; keyVersion?: number }): Promise<Principal>;
  fingerprint(publicKey: string): Promise<{ fingerprint: string; fingerprintGrouped: string }>;
  inspectEnvelope(data: string | Envelope): Promise<{ kind: 1 | 2 | 3; fingerprint?: string; keyVersion?: number; params?: PassphraseParams }>;
  legacyKeys(passphrase: Passphrase): Promise<LegacyKeys>;
  legacyNormalize(kind: "phone" | "name" | "contact", value: string): Promise<string>;
  stats(): Promise<{ handles: number; memoryBytes: number; heapBytes: number }>;
  /** Calls a raw export of the module (tests). */
  call(name: string, ...args: unknown[]): Promise<any>;
}

/** An unlocked space. Its secrets stay in the module until forget(). */
export class Space {
  private constructor();
  readonly id: string;
  readonly versions: number[];
  readonly currentVersion: number;
  sealFields(items: (FieldRef & { value: string | Bytes; pad?: boolean })[]): Promise<({ ciphertext: string; error?: undefined } | { error: ZkvaultError; ciphertext?: undefined })[]>;
  /**
   * Opens enc:v2 ciphertexts (in the package, with its AES-GCM module, or with
   * WebCrypto where that module cannot run, under the space's field keys). `value` is a Uint8Array with a
   * buffer of its own, made on first access (then an ordinary property); `text` is its
   * UTF-8 decoding.
   */
  openFields(items: (FieldRef & { ciphertext: string })[]): Promise<({ value: Uint8Array; text: string; error?: undefined } | { error: ZkvaultError; value?: undefined; text?: undefined })[]>;
  sealField(ref: FieldRef & { pad?: boolean }, value: string | Bytes): Promise<string>;
  openField(ref: FieldRef, ciphertext: string): Promise<Uint8Array>;
  sealRecords(schema: string | Schema, records: { id: string; fields: Record<string, unknown> }[], options?: RecordOptions): Promise<({ record: StoredRecord; error?: undefined } | { error: ZkvaultError; record?: undefined })[]>;
  sealRecord(schema: string | Schema, id: string, fields: Record<string, unknown>, options?: RecordOptions): Promise<StoredRecord>;
  openRecords(schema: string | Schema, records: StoredRecord[]): Promise<(OpenedRecord | { error: ZkvaultError })[]>;
  openRecord(schema: string | Schema, record: StoredRecord): Promise<OpenedRecord>;
  indexValuesBatch(schema: string | Schema, queries: { index: string; value: string | string[] }[], options?: RecordOptions): Promise<({ values: string[]; error?: undefined } | { error: ZkvaultError; values?: undefined })[]>;
  indexValues(schema: string | Schema, index: string, value: string | string[], options?: RecordOptions): Promise<string[]>;
  matches(schema: string | Schema, index: string, opened: OpenedRecord, value: string | string[], options?: RecordOptions): Promise<boolean>;
  envelope(recipient: Recipient, options?: { version?: number; principalId?: string }): Promise<Envelope>;
  envelopes(recipient: Recipient, options?: { principalId?: string }): Promise<Envelope[]>;
  addEnvelope(envelope: Envelope, identity: Identity): Promise<void>;
  rotate(): Promise<number>;
  setCurrent(version: number): Promise<void>;
  sealKeyring(key: CryptoKey): Promise<Uint8Array>;
  blobEncryptor(blobId: string): TransformStream<Bytes, Uint8Array>;
  blobDecryptor(blobId: string): TransformStream<Bytes, Uint8Array>;
  encryptBlob(blobId: string, source: ReadableStream<Bytes> | Blob | Bytes): ReadableStream<Uint8Array>;
  decryptBlob(blobId: string, source: ReadableStream<Bytes> | Blob | Bytes): ReadableStream<Uint8Array>;
  readBlobRange(blobId: string, source: BlobSource | Blob, offset: number, length: number): Promise<Uint8Array>;
  forget(): Promise<void>;
  close(): Promise<void>;
}

/** An RSA-4096 key pair; the private key is a non-extractable CryptoKey. */
export class KeyPair {
  private constructor();
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly keyVersion: number;
  readonly fingerprint: string;
  readonly fingerprintGrouped: string;
  /** base64url SubjectPublicKeyInfo DER */
  readonly spki: string;
  readonly publicKeyPEM: string;
  /** With generateKeyPair({seal}): the private key under the passphrase, base64url. */
  readonly sealedKey?: string;
  /** With generateKeyPair({backup}): the offline backup PEM. */
  readonly sealedPEM?: string;
  /** With generateKeyPair({seal}): the api.Principal to upload. */
  readonly principal?: Principal;
  /** With importSealedPEM: the principal the backup names. */
  readonly principalId?: string;
  /** With generateKeyPair({group}): the key sealed for each recipient, base64url. */
  readonly sealedGroupKeys?: string[];
  principalFor(id: string, kind?: string): Promise<Principal>;
  close(): Promise<void>;
}

/** The two keys of a legacy (enc:v1) vault. */
export class LegacyKeys {
  private constructor();
  decrypt(values: (string | Uint8Array)[]): Promise<({ value: Uint8Array; text: string; error?: undefined } | { error: ZkvaultError; value?: undefined; text?: undefined })[]>;
  index(normalised: string[]): Promise<string[]>;
  close(): Promise<void>;
}

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
  /**
   * Starts or restarts the session with an unlocked space: its keyring, sealed by the
   * module under a fresh non-extractable key. Resolves with the expiry time.
   */
  storeSpace(space: Space): Promise<number>;
  /** The space again (unlocked in the module), or null when there is none or it has expired. */
  loadSpace(zk: Zkvault): Promise<Space | null>;
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
