import type { Readable } from "node:stream";
import { FileStore } from "./storage-file.js";
import { StorageError } from "./storage-errors.js";
import { joinKey, normalizeKey } from "./storage-keys.js";
import { parseStorageUrl } from "./storage-url.js";

/**
 * A minimal key → bytes store over a storage location: a local folder or a Blob container prefix.
 * Keys are `/`-separated paths relative to the location (`runs/r1/epoch-0/rank-1`). Writes are
 * atomic: a reader sees a whole value or none (what the training barrier relies on).
 */
export interface BlobStore {
  readonly kind: "file" | "blob";
  /** The URL of the store's root. */
  readonly url: string;
  /** Writes a value, replacing any old one; creates folders / the container as needed. */
  put(key: string, data: Uint8Array | string): Promise<void>;
  /** The value, or undefined when the key (or the container) does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * The value as a byte stream (or its bytes [start, end)), read as it is consumed rather than
   * held whole: for values too big for memory. Undefined when the key does not exist.
   */
  openRead(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** The value's bytes [start, end) (end clamped to its size); undefined when the key does not exist. */
  readRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;
  /** The value's size in bytes, or undefined when the key does not exist. */
  size(key: string): Promise<number | undefined>;
  /**
   * Writes a value from a byte stream without holding it whole, atomically as `put` (a folder:
   * a temporary file, then a rename; Blob: blocks committed at the end). Consumes `source`.
   */
  putStream(key: string, source: Readable): Promise<void>;
  /** Every key under `prefix` (all depths), sorted; [] when there are none. */
  list(prefix?: string): Promise<string[]>;
  /** Deletes a key; false when it did not exist. */
  delete(key: string): Promise<boolean>;
  /** The same store seen from a sub-folder: `store.scope("runs/r1").get("result.json")`. */
  scope(prefix: string): BlobStore;
}

/** Bytes [start, end) of a value; end defaults to its size. */
export interface ByteRange {
  start?: number;
  end?: number;
}

/** Random access to one value, shaped as hyparquet's AsyncBuffer (a Parquet reader reads the ranges it needs). */
export interface RandomAccessValue {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

/**
 * A value read in ranges, on demand (a Parquet file's footer, then its column chunks), instead of
 * downloaded whole; undefined when the key does not exist.
 */
export async function openRandomAccess(store: BlobStore, key: string): Promise<RandomAccessValue | undefined> {
  const byteLength = await store.size(key);
  if (byteLength === undefined) return undefined;
  return {
    byteLength,
    async slice(start, end = byteLength) {
      const bytes = await store.readRange(key, start, end);
      if (bytes === undefined) throw new StorageError("STORAGE_FAILED", `${joinKeyUrl(store, key)} disappeared while it was read: do not change it meanwhile.`);
      // A copy exactly this long: a Buffer view may sit in a larger pooled ArrayBuffer.
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
    },
  };
}

/** Copies one value between stores (or keys) as a stream; false when `fromKey` does not exist. */
export async function copyValue(from: BlobStore, fromKey: string, to: BlobStore, toKey: string): Promise<boolean> {
  const source = await from.openRead(fromKey);
  if (!source) return false;
  await to.putStream(toKey, source);
  return true;
}

/** The shape of an @azure/identity credential (DefaultAzureCredential, ManagedIdentityCredential, ...). */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface StoreRetryOptions {
  /** Attempts per request, first included (Blob only). Default 3 for an emulator, 4 for Azure. */
  maxTries?: number;
  /** First delay between attempts (it grows exponentially). Default 200 ms for an emulator, 4 s for Azure. */
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  /** Time limit of one attempt. */
  tryTimeoutInMs?: number;
}

export interface OpenStoreOptions {
  /**
   * A storage connection string (Azurite's, or an account key / SAS one). Default: the
   * AZURE_STORAGE_CONNECTION_STRING variable of `env`. Its account must be the URL's.
   */
  connectionString?: string;
  /** A Microsoft Entra credential (e.g. DefaultAzureCredential) for an Azure account: wins over a connection string. */
  credential?: TokenCredential;
  /** Where AZURE_STORAGE_CONNECTION_STRING is read. Default process.env. */
  env?: NodeJS.ProcessEnv;
  retry?: StoreRetryOptions;
}

/** The variable a connection string is read from when no option gives one. */
export const STORAGE_CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING";

/**
 * Opens the store at a storage URL (see parseStorageUrl). For Blob URLs the credential is, in
 * order: `credential`; a connection string (option, then AZURE_STORAGE_CONNECTION_STRING);
 * Azurite's well-known key for an emulator URL of devstoreaccount1; else, for an Azure URL only,
 * DefaultAzureCredential (created here, never for an emulator URL). Nothing is contacted until the
 * first request; a missing container is created by the first `put`.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<BlobStore> {
  const location = parseStorageUrl(url);
  if (location.kind === "file") return new FileStore(location.path);
  const { openBlobStore } = await import("./storage-blob.js");
  return openBlobStore(location, options);
}

/** Reads a JSON value; undefined when the key does not exist. Throws StorageError STORAGE_FAILED for bad JSON. */
export async function getJson<T = unknown>(store: BlobStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as T;
  } catch (error) {
    throw new StorageError("STORAGE_FAILED", `${joinKeyUrl(store, key)} is not valid JSON (${(error as Error).message}): rewrite it or delete it.`);
  }
}

/** Writes a value as indented JSON. */
export function putJson(store: BlobStore, key: string, value: unknown): Promise<void> {
  return store.put(key, JSON.stringify(value, null, 2));
}

/** Copies every key under `fromPrefix` to the same relative key under `toPrefix` (within or across stores). */
export async function copyPrefix(from: BlobStore, fromPrefix: string, to: BlobStore, toPrefix: string): Promise<string[]> {
  const src = normalizeKey(fromPrefix, true);
  const listed = src ? `${src}/` : "";
  const dst = normalizeKey(toPrefix, true);
  const copied: string[] = [];
  for (const key of await from.list(listed)) {
    const bytes = await from.get(key);
    if (bytes === undefined) continue; // deleted meanwhile
    const target = joinKey(dst, key.slice(src.length).replace(/^\//, ""));
    await to.put(target, bytes);
    copied.push(target);
  }
  return copied;
}

/** The URL of one key of a store, for messages. */
export function joinKeyUrl(store: BlobStore, key: string): string {
  return `${store.url.replace(/\/+$/, "")}/${key}`;
}
