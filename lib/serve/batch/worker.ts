// One batch-scoring worker: scores the partitions of its index (partition i → worker i mod N),
// streaming each input line by line and its results to a temporary file, then commits them.
//
// Commit protocol (exactly once): a partition's results go to a temporary file; when the whole
// partition is scored they are moved to results/<name>.csv (a rename in a folder, one atomic
// blob upload on Blob storage), and only then its marker _commits/<name>.json is written. A
// partition with a marker is done and skipped; one without is (re)scored from the start, its
// results overwritten. A killed worker therefore leaves either nothing readers trust, or a whole
// committed partition.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { FileStore, getJson, openStore, putJson, STORAGE_CONNECTION_STRING_ENV, type BlobStore } from "../../core/index.js";
import { csvCell } from "./csv.js";
import { BatchScoringError } from "./errors.js";
import {
  BATCH_LAYOUT,
  assignPartitions,
  commitKey,
  listPartitions,
  quarantineKey,
  quarantineReasonKey,
  resultKey,
  type CommitMarker,
  type Partition,
} from "./layout.js";
import { loadBatchModel, type BatchModel } from "./model.js";
import { CorruptInput, loadHyparquet, readCsvBatches, readParquetBatches, type AsyncBufferLike, type RowBatch } from "./readers.js";

/** The environment variables a worker reads (worker-main.ts). */
export const BATCH_ENV = {
  rank: "JOB_COMPLETION_INDEX",
  workers: "WORLD_SIZE",
  model: "CUSTOM_AI_BATCH_MODEL",
  input: "CUSTOM_AI_BATCH_INPUT",
  output: "CUSTOM_AI_BATCH_OUTPUT",
  batchSize: "CUSTOM_AI_BATCH_SIZE",
  /** Test hook: after scoring this many rows (in whole batches), print `paused pid=<pid>` and hang. */
  pauseAfterRows: "CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS",
} as const;

/** The prefix of the progress lines a worker prints for runBatchScoring. */
export const PROGRESS_PREFIX = "@batch-progress ";

export interface BatchWorkerConfig {
  rank: number;
  workers: number;
  model: string;
  input: string;
  output: string;
  /** Rows per ONNX Runtime call. Default 512. */
  batchSize?: number;
  connectionString?: string;
  pauseAfterRows?: number;
  /** Where log lines go. Default console.log. */
  log?: (line: string) => void;
}

export interface BatchWorkerResult {
  assigned: number;
  skipped: number;
  scored: number;
  quarantined: number;
  rows: number;
}

/** The worker's configuration from its environment. */
export function batchWorkerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BatchWorkerConfig {
  const need = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new BatchScoringError("BAD_OPTIONS", `The batch worker needs ${name}; runBatchScoring (lib/serve/batch) sets it, as must the Job's pod spec.`);
    return value;
  };
  const int = (name: string, min: number, fallback?: number) => {
    const text = env[name]?.trim();
    if (!text) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new BatchScoringError("BAD_OPTIONS", `${name} must be a whole number ≥ ${min}, not ${JSON.stringify(text)}.`);
    return value;
  };
  const workers = int(BATCH_ENV.workers, 1, 1)!;
  const rank = int(BATCH_ENV.rank, 0, 0)!;
  if (rank >= workers) throw new BatchScoringError("BAD_OPTIONS", `${BATCH_ENV.rank}=${rank} is not below ${BATCH_ENV.workers}=${workers}: set WORLD_SIZE to the Job's completions.`);
  return {
    rank,
    workers,
    model: need(BATCH_ENV.model),
    input: need(BATCH_ENV.input),
    output: need(BATCH_ENV.output),
    batchSize: int(BATCH_ENV.batchSize, 1),
    pauseAfterRows: int(BATCH_ENV.pauseAfterRows, 0),
    connectionString: env[STORAGE_CONNECTION_STRING_ENV]?.trim() || undefined,
  };
}

/** Scores this worker's uncommitted partitions; quarantines corrupt ones; resolves when all are committed. */
export async function runBatchWorker(config: BatchWorkerConfig): Promise<BatchWorkerResult> {
  const log = config.log ?? ((line: string) => console.log(line));
  const options = config.connectionString ? { connectionString: config.connectionString } : {};
  const [input, output] = await Promise.all([openStore(config.input, options), openStore(config.output, options)]);
  const mine = assignPartitions(await listPartitions(input), config.rank, config.workers);
  const model = await loadBatchModel(config.model, options);
  const result: BatchWorkerResult = { assigned: mine.length, skipped: 0, scored: 0, quarantined: 0, rows: 0 };
  const batchSize = config.batchSize ?? 512;
  let lastReport = 0;
  const report = (force = false) => {
    if (!force && Date.now() - lastReport < 250) return;
    lastReport = Date.now();
    log(PROGRESS_PREFIX + JSON.stringify({ rows: result.rows, done: result.skipped + result.scored + result.quarantined }));
  };
  const onRows = async (rows: number) => {
    result.rows += rows;
    report();
    if (config.pauseAfterRows !== undefined && result.rows >= config.pauseAfterRows) {
      log(`paused pid=${process.pid} after ${result.rows} rows`);
      await new Promise(() => setInterval(() => undefined, 60_000)); // until killed
    }
  };
  log(`worker ${config.rank}/${config.workers}: ${mine.length} partition(s): ${mine.map((p) => p.key).join(", ") || "none"}`);
  try {
    for (const partition of mine) {
      const committed = await getJson<CommitMarker>(output, commitKey(partition));
      if (committed) {
        result.skipped++;
        log(`skip ${partition.key}: committed at ${committed.committedAt} (${committed.status})`);
        report(true);
        continue;
      }
      const marker = await scorePartition(partition, { input, output, model, batchSize, rank: config.rank, onRows });
      await putJson(output, commitKey(partition), marker);
      if (marker.status === "scored") result.scored++;
      else result.quarantined++;
      log(`${marker.status} ${partition.key}: ${marker.rows} rows in ${marker.durationMs} ms${marker.error ? ` — ${marker.error}` : ""}`);
      report(true);
    }
  } finally {
    await model.release();
  }
  return result;
}

interface PartitionContext {
  input: BlobStore;
  output: BlobStore;
  model: BatchModel;
  batchSize: number;
  rank: number;
  onRows: (rows: number) => Promise<void>;
}

async function scorePartition(partition: Partition, ctx: PartitionContext): Promise<CommitMarker> {
  const started = Date.now();
  const { input, output, model } = ctx;
  const base = { partition: partition.key, index: partition.index, worker: ctx.rank, pid: process.pid, startedAt: new Date(started).toISOString() };
  const tmp = await temporaryResultFile(output, partition);
  const out = createWriteStream(tmp);
  let writeError: Error | undefined;
  out.on("error", (error) => (writeError = error));
  const write = async (text: string) => {
    if (writeError) throw writeError;
    if (!out.write(text)) await once(out, "drain");
  };
  const width = model.features.length;
  let rows = 0;
  try {
    await write(["id", "label", ...model.labels.map((l) => `p_${l}`)].map(csvCell).join(",") + "\n");
    for await (const batch of await openBatches(input, partition, model.features, ctx.batchSize)) {
      const n = batch.ids.length;
      const probs = await model.score(batch.raw.subarray(0, n * width), n);
      const k = model.labels.length;
      let text = "";
      for (let r = 0; r < n; r++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
        const p: string[] = [];
        for (let c = 0; c < k; c++) p.push(String(probs[r * k + c]));
        text += `${csvCell(batch.ids[r])},${csvCell(model.labels[best])},${p.join(",")}\n`;
      }
      await write(text);
      rows += n;
      await ctx.onRows(n);
    }
    await new Promise<void>((resolve, reject) => out.end(() => (writeError ? reject(writeError) : resolve())));
  } catch (error) {
    // Let pending writes finish (destroying the stream under them is an uncaught error), then drop the file.
    if (!out.closed) await new Promise<void>((resolve) => out.end(() => resolve()));
    await rm(tmp, { force: true });
    if (!(error instanceof CorruptInput)) throw error;
    // The whole partition goes to quarantine: rows scored before the bad one are dropped with it.
    const bytes = await input.get(partition.key);
    if (bytes) await output.put(quarantineKey(partition), bytes);
    const reason = `${partition.key}: ${error.message}`;
    await putJson(output, quarantineReasonKey(partition), { partition: partition.key, reason, at: new Date().toISOString() });
    const committedAt = new Date().toISOString();
    return { ...base, status: "quarantined", rows: 0, output: quarantineKey(partition), error: reason, committedAt, durationMs: Date.now() - started };
  }
  if (output instanceof FileStore) {
    await rename(tmp, path.join(output.root, resultKey(partition)));
  } else {
    await output.put(resultKey(partition), await readFile(tmp)); // one blob upload: whole or nothing
    await rm(tmp, { force: true });
  }
  return { ...base, status: "scored", rows, output: resultKey(partition), committedAt: new Date().toISOString(), durationMs: Date.now() - started };
}

/** A fresh temporary file for a partition's results; removes those a killed attempt left. */
async function temporaryResultFile(output: BlobStore, partition: Partition): Promise<string> {
  // In the output folder for a folder (so the commit is a rename; FileStore.list hides ".tmp-"
  // names), else in the OS temp folder.
  const dir = output instanceof FileStore ? path.join(output.root, BATCH_LAYOUT.results) : path.join(os.tmpdir(), "custom-ai-batch");
  await mkdir(dir, { recursive: true });
  const stem = `${partition.name}.csv.tmp-`;
  for (const name of await readdir(dir)) {
    // Another live process's file (a second job on this machine, same partition name) is left alone.
    const pid = Number(/^(\d+)-/.exec(name.slice(stem.length))?.[1]);
    if (name.startsWith(stem) && (output instanceof FileStore || !isAlive(pid))) await rm(path.join(dir, name), { force: true });
  }
  return path.join(dir, `${stem}${process.pid}-${Date.now()}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The partition's rows in batches: streamed from disk for a folder; a Blob is downloaded whole first. */
async function openBatches(input: BlobStore, partition: Partition, features: string[], batchSize: number): Promise<AsyncGenerator<RowBatch>> {
  const local = input instanceof FileStore ? path.join(input.root, partition.key) : undefined;
  let bytes: Uint8Array | undefined;
  if (!local) {
    bytes = await input.get(partition.key);
    if (!bytes) throw new BatchScoringError("NO_INPUT", `${input.url}/${partition.key} disappeared while the job ran: do not change the input while a job scores it.`);
  }
  if (partition.format === "parquet") {
    const file: AsyncBufferLike = local
      ? await (await loadHyparquet()).asyncBufferFromFile(local)
      : { byteLength: bytes!.byteLength, slice: (start, end) => bytes!.slice(start, end).buffer };
    return readParquetBatches(file, features, batchSize);
  }
  const stream = local ? createReadStream(local) : Readable.from([Buffer.from(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength)]);
  return readCsvBatches(stream, features, batchSize);
}
