import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BlobStore } from "./storage.js";
import { joinKey, normalizeKey, normalizePrefix } from "./storage-keys.js";
import { StorageError } from "./storage-errors.js";

const TMP_MARK = ".tmp-";

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

  private fileOf(key: string): string {
    return path.join(this.root, ...normalizeKey(key).split("/"));
  }

  private failure(op: string, key: string, error: unknown): StorageError {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === "EACCES" || code === "EPERM" ? "permission denied: check the folder's owner and mode" : (error as Error).message;
    return new StorageError("STORAGE_FAILED", `Could not ${op} ${path.join(this.root, key)}: ${what}.`, { cause: error });
  }
}
