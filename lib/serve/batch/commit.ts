// The result files of the commit protocol (see worker.ts): a temporary file per attempt, then one
// atomic step to results/<name>.csv.
import { once } from "node:events";
import { createReadStream, mkdirSync, readdirSync, rmSync } from "node:fs";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { FileStore, processExists, type BlobStore } from "../../core/index.js";
import { BATCH_LAYOUT, resultKey, type Partition } from "./layout.js";

/** A fresh temporary file for a partition's results; removes those a killed attempt left. */
export async function temporaryResultFile(output: BlobStore, partition: Partition): Promise<string> {
  // In the output folder for a folder (so the commit is a rename; FileStore.list hides ".tmp-"
  // names), else in a temp folder of this process's own.
  if (!(output instanceof FileStore)) return path.join(processTempDir(), `${partition.name}.csv.tmp-${Date.now()}`);
  const dir = path.join(output.root, BATCH_LAYOUT.results);
  await mkdir(dir, { recursive: true });
  const stem = `${partition.name}.csv.tmp-`;
  for (const name of await readdir(dir)) if (name.startsWith(stem)) await rm(path.join(dir, name), { force: true });
  return path.join(dir, `${stem}${process.pid}-${Date.now()}`);
}

const TEMP_PREFIX = "custom-ai-batch-";
let ownTempDir: string | undefined;

/**
 * <tmp>/custom-ai-batch-<pid>, removed when this process exits; those of processes that died
 * (SIGKILL gives no chance to clean up) are removed by the next one. One folder per process, so no
 * other process can delete it under a write.
 */
function processTempDir(): string {
  if (ownTempDir) return ownTempDir;
  const parent = os.tmpdir();
  for (const name of readdirSync(parent)) {
    const pid = name.startsWith(TEMP_PREFIX) ? Number(name.slice(TEMP_PREFIX.length)) : NaN;
    if (Number.isInteger(pid) && !processExists(pid)) rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  const dir = path.join(parent, `${TEMP_PREFIX}${process.pid}`);
  mkdirSync(dir, { recursive: true });
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  ownTempDir = dir;
  return dir;
}

/** A partition's temporary results file, written with backpressure. */
export interface ResultFile {
  path: string;
  write(bytes: string | Uint8Array): Promise<void>;
  /** Flushes and closes it; rejects if any write failed. */
  end(): Promise<void>;
  /** Lets pending writes finish (destroying the stream under them is an uncaught error), then deletes it. */
  discard(): Promise<void>;
}

export async function openResultFile(output: BlobStore, partition: Partition): Promise<ResultFile> {
  const tmp = await temporaryResultFile(output, partition);
  // Opened here, not by the stream in the background: the file exists (and a full disk or a
  // permission error is thrown) before the first row is scored. A 1 MiB buffer: with the default
  // 16 KiB every batch's results (~20 KiB) waited for a drain.
  const out = (await open(tmp, "w")).createWriteStream({ highWaterMark: 1 << 20 });
  let writeError: Error | undefined;
  out.on("error", (error) => (writeError = error));
  return {
    path: tmp,
    async write(bytes) {
      if (writeError) throw writeError;
      if (!out.write(bytes)) await once(out, "drain");
    },
    end: () => new Promise<void>((resolve, reject) => out.end(() => (writeError ? reject(writeError) : resolve()))),
    async discard() {
      if (!out.closed) await new Promise<void>((resolve) => out.end(() => resolve()));
      await rm(tmp, { force: true });
    },
  };
}

/** Moves a finished temporary file to results/<name>.csv: a rename in a folder, one blob upload on Blob storage. */
export async function commitResultFile(output: BlobStore, tmp: string, partition: Partition): Promise<void> {
  if (output instanceof FileStore) {
    await rename(tmp, path.join(output.root, resultKey(partition)));
  } else {
    await output.putStream(resultKey(partition), createReadStream(tmp)); // staged blocks, one commit: whole or nothing
    await rm(tmp, { force: true });
  }
}
