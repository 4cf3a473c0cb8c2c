import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import type { BlobStore, ByteRange } from "./storage-types.js";
import { joinKey, normalizeKey, normalizePrefix } from "./storage-keys.js";
import { StorageError } from "./storage-errors.js";

const TMP_MARK = ".tmp-";
/** Read size of openRead's streams: bigger than fs's 64 KiB default, for fewer reads of big files. */
const READ_CHUNK = 256 * 1024;
const missing = (error: unknown) => ["ENOENT", "EISDIR", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "");

/** A BlobStore over a local folder: keys are relative file paths. */
export class FileStore implements BlobStore {
  readonly kind = "file" as const;
  readonly url: string;

  constructor(readonly root: string) {
    this.url = pathToFileURL(root).href;
  }

  scope(prefix: string): BlobStore {
    return new FileStore(path.join(this.root, normalizeKey(prefix)));
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    const file = this.fileOf(key);
    // Write beside, then rename: readers (a barrier polling for this key) never see half a file.
    const tmp = `${file}${TMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(tmp, data);
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw this.failure("write", key, error);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.fileOf(key)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return undefined;
      throw this.failure("read", key, error);
    }
  }

  async openRead(key: string, range: ByteRange = {}): Promise<Readable | undefined> {
    const handle = await this.openFile(key);
    if (!handle) return undefined;
    const { start = 0, end } = range;
    if (end !== undefined && end <= start) {
      await handle.close();
      return Readable.from([]);
    }
    // FileHandle streams close their handle at the end, on error and on destroy.
    return handle.createReadStream({ start, end: end === undefined ? undefined : end - 1, highWaterMark: READ_CHUNK });
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    const handle = await this.openFile(key);
    if (!handle) return undefined;
    try {
      const size = (await handle.stat()).size;
      const length = Math.max(0, Math.min(end, size) - start);
      const bytes = Buffer.allocUnsafeSlow(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, done);
    } catch (error) {
      throw this.failure("read", key, error);
    } finally {
      await handle.close();
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const info = await stat(this.fileOf(key));
      return info.isFile() ? info.size : undefined;
    } catch (error) {
      if (missing(error)) return undefined;
      throw this.failure("read", key, error);
    }
  }

  async putStream(key: string, source: Readable): Promise<void> {
    const file = this.fileOf(key);
    const tmp = `${file}${TMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await pipeline(source, createWriteStream(tmp));
      await rename(tmp, file);
    } catch (error) {
      source.destroy();
      await rm(tmp, { force: true }).catch(() => undefined);
      throw this.failure("write", key, error);
    }
  }

  async list(prefix = ""): Promise<string[]> {
    const wanted = normalizePrefix(prefix);
    // Start at the deepest folder the prefix names, so a barrier poll does not walk the whole store.
    const slash = wanted.lastIndexOf("/");
    const base = slash < 0 ? "" : wanted.slice(0, slash);
    const keys: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(path.join(this.root, rel), { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return;
        throw this.failure("list", rel || ".", error);
      }
      for (const entry of entries) {
        const key = joinKey(rel, entry.name);
        if (entry.isDirectory()) await walk(key);
        else if (entry.isFile() && !entry.name.includes(TMP_MARK) && key.startsWith(wanted)) keys.push(key);
      }
    };
    await walk(base);
    return keys.sort();
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.fileOf(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw this.failure("delete", key, error);
    }
  }

  private async openFile(key: string) {
    try {
      const handle = await open(this.fileOf(key), "r");
      if ((await handle.stat()).isFile()) return handle;
      await handle.close();
      return undefined;
    } catch (error) {
      if (missing(error)) return undefined;
      throw this.failure("read", key, error);
    }
  }

  private fileOf(key: string): string {
    return path.join(this.root, ...normalizeKey(key).split("/"));
  }

  private failure(op: string, key: string, error: unknown): StorageError {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === "EACCES" || code === "EPERM" ? "permission denied: check the folder's owner and mode" : (error as Error).message;
    return new StorageError("STORAGE_FAILED", `Could not ${op} ${path.join(this.root, key)}: ${what}.`, { cause: error });
  }
}
