// The interface every store implements (a folder: storage-file.ts; a Blob container prefix:
// storage-blob.ts) and the options to open one (openStore, storage.ts). A file of its own so that
// the implementations and openStore do not import each other.
import type { Readable } from "node:stream";

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
