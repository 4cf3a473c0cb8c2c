// One batch-scoring worker: scores the partitions of its index (partition i → worker i mod N),
// streaming each input line by line and its results to a temporary file, then commits them.
//
// Commit protocol (exactly once): a partition's results go to a temporary file; when the whole
// partition is scored they are moved to results/<name>.csv (a rename in a folder, one atomic
// blob upload on Blob storage), and only then its marker _commits/<name>.json is written. A
// partition with a marker is done and skipped; one without is (re)scored from the start, its
// results overwritten. A killed worker therefore leaves either nothing readers trust, or a whole
// committed partition.
import { copyValue, getJson, openRandomAccess, openStore, putJson, STORAGE_CONNECTION_STRING_ENV, type BlobStore } from "../../core/index.js";
import { ResultWriter, WriteBuffer, resultHeader } from "./csv.js";
import { BatchScoringError } from "./errors.js";
import {
  assignPartitions,
  commitKey,
  quarantineKey,
  quarantineReasonKey,
  resultKey,
  type CommitMarker,
  type Partition,
} from "./layout.js";
import type { PartitionContext } from "./images.js";
import { planBatchJob } from "./job.js";
import { loadBatchModel, type Scaler } from "./model.js";
import { commitResultFile, openResultFile } from "./commit.js";
import { CorruptInput, readCsvBatches, readParquetBatches, type RowBatch } from "./readers.js";
import { parseExecutionProvider, type ExecutionProviderChoice } from "../execution-providers.js";
import { BATCH_ENV, JobError, readJobEnv, type JobEnv } from "../../jobs/index.js";

function parseProvider(value: string): ExecutionProviderChoice {
  try {
    return parseExecutionProvider(value, BATCH_ENV.executionProvider);
  } catch (error) {
    throw new BatchScoringError("BAD_CONFIG", (error as Error).message);
  }
}

/** The environment variables a batch worker reads: defined in lib/jobs (worker-env.ts), beside the job contract the Kubernetes Job shares. */
export { BATCH_ENV };

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
  /** Image models: image keys per partition (default: what the job recorded, else 500). */
  imagesPerPartition?: number;
  connectionString?: string;
  /** Default cpu. */
  executionProvider?: ExecutionProviderChoice;
  pauseAfterRows?: number;
  /** Where log lines go. Default console.log. */
  log?: (line: string) => void;
}

export interface BatchWorkerResult {
  assigned: number;
  skipped: number;
  scored: number;
  quarantined: number;
  /** Images quarantined one by one (image models). */
  quarantinedImages: number;
  rows: number;
}

/** The worker's configuration from its environment. */
export function batchWorkerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BatchWorkerConfig {
  const need = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw new BatchScoringError("BAD_CONFIG", `The batch worker needs ${name}; runBatchScoring (lib/serve/batch) sets it, as must the Job's pod spec.`);
    return value;
  };
  const int = (name: string, min: number) => {
    const text = env[name]?.trim();
    if (!text) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new BatchScoringError("BAD_CONFIG", `${name} must be a whole number ≥ ${min}, not ${JSON.stringify(text)}.`);
    return value;
  };
  // Run by hand, without the job's variables, a worker is rank 0 of 1.
  let job: JobEnv;
  try {
    job = readJobEnv(env, { defaults: { rank: 0, worldSize: 1 } });
  } catch (error) {
    if (!(error instanceof JobError)) throw error;
    throw new BatchScoringError("BAD_CONFIG", error.message, { hint: error.hint, cause: error });
  }
  const { rank, worldSize: workers } = job;
  return {
    rank,
    workers,
    model: need(BATCH_ENV.model),
    input: need(BATCH_ENV.input),
    output: need(BATCH_ENV.output),
    batchSize: int(BATCH_ENV.batchSize, 1),
    imagesPerPartition: int(BATCH_ENV.imagesPerPartition, 1),
    pauseAfterRows: int(BATCH_ENV.pauseAfterRows, 0),
    connectionString: env[STORAGE_CONNECTION_STRING_ENV]?.trim() || undefined,
    executionProvider: env[BATCH_ENV.executionProvider]?.trim() ? parseProvider(env[BATCH_ENV.executionProvider]!) : undefined,
  };
}

/** Scores this worker's uncommitted partitions; quarantines corrupt ones; resolves when all are committed. */
export async function runBatchWorker(config: BatchWorkerConfig): Promise<BatchWorkerResult> {
  const log = config.log ?? ((line: string) => console.log(line));
  const options = config.connectionString ? { connectionString: config.connectionString } : {};
  const [input, output] = await Promise.all([openStore(config.input, options), openStore(config.output, options)]);
  const model = await loadBatchModel(config.model, options, config.executionProvider);
  let mine: Partition[];
  try {
    // The same partitions in every worker: from the input listing and _job.json (job.ts).
    mine = assignPartitions((await planBatchJob(input, output, model, config.imagesPerPartition)).partitions, config.rank, config.workers);
  } catch (error) {
    await model.release();
    throw error;
  }
  const result: BatchWorkerResult = { assigned: mine.length, skipped: 0, scored: 0, quarantined: 0, quarantinedImages: 0, rows: 0 };
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
      const context = { input, output, model, batchSize, rank: config.rank, onRows };
      // The image path (and its decoders) loads for image partitions only.
      const marker = partition.format === "images" ? await (await import("./images.js")).scoreImagePartition(partition, context) : await scorePartition(partition, context);
      await putJson(output, commitKey(partition), marker);
      if (marker.status === "scored") result.scored++;
      else result.quarantined++;
      const bad = marker.quarantinedImages ?? [];
      result.quarantinedImages += bad.length;
      log(`${marker.status} ${partition.key}: ${marker.rows} ${partition.format === "images" ? "images" : "rows"} in ${marker.durationMs} ms${marker.error ? ` — ${marker.error}` : ""}`);
      for (const q of bad) log(`quarantined ${q.reason}`);
      report(true);
    }
  } finally {
    await model.release();
  }
  return result;
}


async function scorePartition(partition: Partition, ctx: PartitionContext): Promise<CommitMarker> {
  const started = Date.now();
  const { input, output, model } = ctx;
  const base = { partition: partition.key, index: partition.index, worker: ctx.rank, pid: process.pid, startedAt: new Date(started).toISOString() };
  const file = await openResultFile(output, partition);
  const out = new WriteBuffer(file.write);
  const writer = new ResultWriter(model.labels);
  const width = model.features.length;
  let rows = 0;
  try {
    await out.add(Buffer.from(resultHeader(model.labels)));
    // Readers scale as they read when the model's preprocessing allows (model.ts scaler).
    for await (const batch of await openBatches(input, partition, model.features, ctx.batchSize, model.scaler)) {
      const { n } = batch;
      const probs = model.scaler ? await model.scoreScaled(batch.raw, n) : await model.score(batch.raw.subarray(0, n * width), n);
      await out.add(writer.cells(batch.cells, batch.from, probs, n)); // copied in: the writer reuses its buffer
      rows += n;
      await ctx.onRows(n);
    }
    await out.flush();
    await file.end();
  } catch (error) {
    await file.discard();
    if (!(error instanceof CorruptInput)) throw error;
    // The whole partition goes to quarantine: rows scored before the bad one are dropped with it.
    await copyValue(input, partition.key, output, quarantineKey(partition)); // streamed: a corrupt file may be big
    const reason = `${partition.key}: ${error.message}`;
    await putJson(output, quarantineReasonKey(partition), { partition: partition.key, reason, at: new Date().toISOString() });
    const committedAt = new Date().toISOString();
    return { ...base, status: "quarantined", rows: 0, output: quarantineKey(partition), error: reason, committedAt, durationMs: Date.now() - started };
  }
  await commitResultFile(output, file.path, partition);
  return { ...base, status: "scored", rows, output: resultKey(partition), committedAt: new Date().toISOString(), durationMs: Date.now() - started };
}

/**
 * The partition's rows in batches, streamed from a folder or a Blob alike, never the whole file in
 * memory: CSV as a byte stream; Parquet in byte ranges (its footer, then each row group's columns).
 */
async function openBatches(input: BlobStore, partition: Partition, features: string[], batchSize: number, scaler: Scaler | undefined): Promise<AsyncGenerator<RowBatch>> {
  const gone = () => new BatchScoringError("NO_INPUT", `${input.url}/${partition.key} disappeared while the job ran: do not change the input while a job scores it.`);
  if (partition.format === "parquet") {
    const file = await openRandomAccess(input, partition.key);
    if (!file) throw gone();
    return readParquetBatches(file, features, batchSize, scaler);
  }
  const stream = await input.openRead(partition.key);
  if (!stream) throw gone();
  return readCsvBatches(stream, features, batchSize, scaler);
}
