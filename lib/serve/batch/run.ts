// runBatchScoring: a batch-scoring job on this machine, as N worker processes with
// JOB_COMPLETION_INDEX=0..N-1 (lib/jobs: the contract of the Kubernetes Indexed Job that runs it on AKS).
import path from "node:path";
import { getJson, openStore, STORAGE_CONNECTION_STRING_ENV } from "../../core/index.js";
import { describeFailures, ENTRYPOINTS, runLocalJob } from "../../jobs/index.js";
import { describeExecutionProvider, type ExecutionProviderChoice, type ExecutionProviderName } from "../execution-providers.js";
import { BatchScoringError } from "./errors.js";
import { planBatchJob } from "./job.js";
import { commitKey, IMAGE_INPUT_EXTENSIONS, INPUT_EXTENSIONS, type CommitMarker } from "./layout.js";
import { writeManifest, type BatchManifest } from "./manifest.js";
import { loadBatchModel } from "./model.js";
import { createBatchProgress, type BatchProgressState } from "./progress.js";
import { BATCH_ENV, PROGRESS_PREFIX } from "./worker.js";

/** The worker entrypoint, relative to the project root. */
/** The batch worker entrypoint (the batch image's, too: lib/jobs ENTRYPOINTS). */
export const BATCH_WORKER_ENTRY = ENTRYPOINTS.batchWorker[2];

export interface BatchScoringOptions {
  /** A folder or Blob prefix with model.onnx and metadata.json. */
  model: string;
  /**
   * A folder or Blob prefix of CSV / Parquet files (one partition each; header row with the feature
   * names, optional `id` column) for a tabular model, or of PNG / JPEG files for an image model
   * (one result row per image, id = its key). Files of the other kind are not read.
   */
  input: string;
  /** A folder or Blob prefix for results/, _commits/, quarantine/ and manifest.json. */
  output: string;
  /** Worker processes. Default 2. */
  workers?: number;
  /** Rows (images) per ONNX Runtime call. Default 512. */
  batchSize?: number;
  /**
   * Image models: image keys per partition (the unit of commit, resume and parallelism). Default
   * 500, or what the job recorded in _job.json; a resume with another value is refused.
   */
  imagesPerPartition?: number;
  /** For Blob URLs (e.g. Azurite's); default AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /**
   * ONNX Runtime execution provider: cpu (default), cuda, webgpu, or auto (cuda when it loads, else
   * cpu). Decided once here; the workers get the decision.
   */
  executionProvider?: ExecutionProviderChoice;
  /** Terminal progress and summary on stderr. Default true. */
  progress?: boolean;
  /**
   * Called as partitions are committed (and every ~250 ms while rows are scored): partitions done
   * (scored, quarantined, or skipped as committed before) of `total`, rows scored by this run.
   * With `abortSignal`, the way to stop a job at a point of your choosing.
   */
  onProgress?: (progress: BatchScoringProgress) => void;
  /** Worker log lines (not progress). Default: dropped unless `log`. */
  onLine?: (line: string, rank: number) => void;
  /** Print worker log lines as `[rank N] line`. Default false. */
  log?: boolean;
  /** More environment for the workers (test hooks). */
  env?: Record<string, string | undefined>;
  /** The project root (where bin/run-ts.mjs is). Default: found from the toolkit. */
  cwd?: string;
  /**
   * Stops the workers (SIGTERM): runBatchScoring rejects with BatchScoringError ABORTED; what they
   * committed is kept, and running the job again finishes it.
   */
  abortSignal?: AbortSignal;
  /** @deprecated Use `abortSignal` (the toolkit's one name for cancellation). */
  signal?: AbortSignal;
}

/** What `onProgress` receives. */
export interface BatchScoringProgress extends BatchProgressState {
  /** Milliseconds since runBatchScoring started. */
  elapsedMs: number;
}

export interface BatchScoringSummary {
  partitions: number;
  /** Rows in committed results (this run and earlier ones). */
  rows: number;
  /** Rows scored by this run, per second of this run. */
  rowsPerSecond: number;
  /** Rows scored by this run (including those of a partition quarantined later in its file). */
  rowsThisRun: number;
  /** Partitions skipped because an earlier run had committed them. */
  skipped: number;
  quarantined: number;
  /** Images quarantined one by one (image models; the rest of their partitions is scored). */
  quarantinedImages: number;
  /** Input files of the other kind, not read (images beside a tabular model's CSV files, or the reverse). */
  ignoredFiles: number;
  /** "tabular" (rows of CSV / Parquet) or "image" (one row per image file). */
  kind: "tabular" | "image";
  durationMs: number;
  workers: number;
  /** The ONNX Runtime execution provider the workers scored on. */
  executionProvider: ExecutionProviderName;
  manifest: BatchManifest;
}

/**
 * Scores every CSV / Parquet partition of `input` (tabular model), or its PNG / JPEG files in
 * chunks of `imagesPerPartition` (image model), with the ONNX model, in `workers` local processes
 * (partition i → worker i mod workers), writing results/<name>.csv, commit markers, _job.json and
 * manifest.json to `output`. Resumable: partitions committed by an earlier (killed) run are
 * skipped. Corrupt partitions are quarantined and counted in `quarantined`, corrupt or wrong-size
 * images one by one in `quarantinedImages`; neither is thrown.
 * Throws BatchScoringError WORKER_FAILED when a worker dies (run it again to finish).
 */
export async function runBatchScoring(options: BatchScoringOptions): Promise<BatchScoringSummary> {
  const started = Date.now();
  const abortSignal = options.abortSignal ?? options.signal;
  const workers = options.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new BatchScoringError("BAD_OPTION", `workers must be a whole number ≥ 1, not ${workers}.`);
  for (const key of ["model", "input", "output"] as const) {
    if (!options[key]) throw new BatchScoringError("BAD_OPTION", `runBatchScoring needs ${key} (a folder or a Blob URL).`);
  }
  const storeOptions = options.connectionString ? { connectionString: options.connectionString } : {};
  const [input, output] = await Promise.all([openStore(options.input, storeOptions), openStore(options.output, storeOptions)]);
  // Fail here, once, on a bad model rather than in every worker; the model's kind picks the input files.
  const model = await loadBatchModel(options.model, storeOptions, options.executionProvider);
  await model.release();
  const ep = model.executionProvider;
  if (ep.fallbackReason && options.progress !== false) process.stderr.write(`Execution provider: ${describeExecutionProvider(ep)}\n`);
  const { job: plan, partitions, ignored } = await planBatchJob(input, output, model, options.imagesPerPartition);
  if (partitions.length === 0) {
    const other = ignored ? ` (there are ${ignored} ${model.kind === "image" ? "CSV / Parquet" : "image"} file(s): score them with ${model.kind === "image" ? "a tabular" : "an image"} model)` : "";
    throw new BatchScoringError(
      "NO_INPUT",
      model.kind === "image"
        ? `No ${IMAGE_INPUT_EXTENSIONS.join(" / ")} files at ${input.url} for image model ${model.name}${other}: give a folder or Blob prefix of PNG or JPEG images.`
        : `No ${INPUT_EXTENSIONS.join(" / ")} files at ${input.url}${other}: give a folder or Blob prefix of CSV files with a header row (or Parquet files).`,
    );
  }
  const committedBefore = (await Promise.all(partitions.map((p) => getJson<CommitMarker>(output, commitKey(p))))).filter(Boolean).length;

  const progress = options.progress === false ? undefined : createBatchProgress(process.stderr, started);
  const perRank = new Map<number, { rows: number; done: number }>();
  const state = () => {
    let rows = 0;
    let done = 0;
    for (const s of perRank.values()) (rows += s.rows), (done += s.done);
    return { rows, done };
  };
  const resolve = (url: string) => (/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : path.resolve(url)); // workers may run elsewhere
  const job = await runLocalJob({
    abortSignal,
    workers,
    entry: BATCH_WORKER_ENTRY,
    cwd: options.cwd,
    env: {
      [BATCH_ENV.model]: resolve(options.model),
      [BATCH_ENV.input]: resolve(options.input),
      [BATCH_ENV.output]: resolve(options.output),
      [BATCH_ENV.executionProvider]: ep.name,
      ...(options.batchSize ? { [BATCH_ENV.batchSize]: String(options.batchSize) } : {}),
      ...(plan.imagesPerPartition ? { [BATCH_ENV.imagesPerPartition]: String(plan.imagesPerPartition) } : {}),
      ...(options.connectionString ? { [STORAGE_CONNECTION_STRING_ENV]: options.connectionString } : {}),
      ...options.env,
    },
    onLine: (line, rank) => {
      if (line.startsWith(PROGRESS_PREFIX)) {
        try {
          perRank.set(rank, JSON.parse(line.slice(PROGRESS_PREFIX.length)));
        } catch {
          return; // a torn line: the next one says the same
        }
        const s = state();
        const now = { done: Math.min(s.done, partitions.length), total: partitions.length, rows: s.rows };
        progress?.update(now);
        options.onProgress?.({ ...now, elapsedMs: Date.now() - started });
        return;
      }
      options.onLine?.(line, rank);
      if (options.log) console.log(`[rank ${rank}] ${line}`);
    },
  });
  const manifest = await writeManifest(input, output, partitions);
  const durationMs = Date.now() - started;
  const rowsThisRun = state().rows;
  if (!job.ok && abortSignal?.aborted) {
    progress?.finish(`Batch scoring stopped on request: ${manifest.totals.pending} of ${partitions.length} partitions not committed.`);
    throw new BatchScoringError("ABORTED", `Batch scoring was stopped; ${manifest.totals.scored + manifest.totals.quarantined} of ${partitions.length} partitions are committed and kept.`, {
      hint: "Run the same job again to finish it: committed partitions are skipped.",
    });
  }
  if (!job.ok) {
    progress?.finish(`Batch scoring stopped: ${manifest.totals.pending} of ${partitions.length} partitions not committed.`);
    throw new BatchScoringError(
      "WORKER_FAILED",
      `Batch scoring workers failed (${describeFailures(job)}); ${manifest.totals.scored + manifest.totals.quarantined} of ${partitions.length} partitions are committed and kept.`,
      { hint: "Fix the cause and run the same job again: committed partitions are skipped, the others scored from the start." },
    );
  }
  const summary: BatchScoringSummary = {
    partitions: partitions.length,
    rows: manifest.totals.rows,
    rowsPerSecond: rowsThisRun / Math.max(durationMs / 1000, 1e-3),
    rowsThisRun,
    skipped: committedBefore,
    quarantined: manifest.totals.quarantined,
    quarantinedImages: manifest.totals.quarantinedImages ?? 0,
    ignoredFiles: ignored,
    kind: model.kind,
    durationMs,
    workers,
    executionProvider: ep.name,
    manifest,
  };
  progress?.finish(formatBatchSummary(summary));
  return summary;
}

/** One line: partitions, rows, rate, quarantine, time. */
export function formatBatchSummary(s: BatchScoringSummary): string {
  const unit = s.kind === "image" ? "images" : "rows";
  const parts = [
    `Scored ${s.partitions - s.quarantined}/${s.partitions} partitions (${s.rows.toLocaleString("en-US")} ${unit})`,
    `${Math.round(s.rowsPerSecond).toLocaleString("en-US")} ${unit}/s with ${s.workers} worker(s) on ${s.executionProvider}`,
    `${(s.durationMs / 1000).toFixed(1)} s`,
  ];
  if (s.skipped) parts.push(`${s.skipped} already committed, skipped`);
  if (s.quarantined) parts.push(`${s.quarantined} QUARANTINED (see quarantine/ and manifest.json)`);
  if (s.quarantinedImages) parts.push(`${s.quarantinedImages} image(s) QUARANTINED (see quarantine/ and manifest.json)`);
  if (s.ignoredFiles) parts.push(`${s.ignoredFiles} ${s.kind === "image" ? "CSV / Parquet" : "image"} file(s) not read (the model takes ${s.kind === "image" ? "images" : "CSV / Parquet rows"})`);
  return parts.join(", ");
}
