// openStore and the helpers over any BlobStore. The interface itself, and the options to open one,
// are in storage-types.ts, which the two implementations (storage-file.ts, storage-blob.ts) import.
import { FileStore } from "./storage-file.js";
import { StorageError } from "./storage-errors.js";
import { joinKey, normalizeKey } from "./storage-keys.js";
import { parseStorageUrl } from "./storage-url.js";
import type { BlobStore, OpenStoreOptions } from "./storage-types.js";

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
