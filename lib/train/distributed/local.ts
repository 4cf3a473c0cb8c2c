import { openStore, type BlobStore } from "../../core/index.js";
import { newRunId, resolveWorkerConfig, workerEnv, type FaultSpec, type SweepGrid, type WorkerConfigInput } from "./config.js";
import { DistributedTrainingError } from "./errors.js";
import { describeFailures, ENTRYPOINTS, runLocalJob, type LocalJobOptions, type LocalJobResult } from "../../jobs/index.js";
import { collectSweep, sweepConfigs, type SweepSummary } from "./sweep.js";
import { readRunResult, type RunResult } from "./worker.js";

/** The training worker entrypoint, relative to the project root: the command of the Job's pods too. */
/** The training worker entrypoint (the training image's, too: lib/jobs ENTRYPOINTS). */
export const TRAINING_WORKER_ENTRY = ENTRYPOINTS.trainWorker[2];

export interface LocalRunOptions {
  /** Root of the run's storage: a folder, or an Azure Blob / Azurite URL (azurite.containerUrl("training")). */
  storeUrl: string;
  /** For Azurite (azurite.connectionString) or an account key. */
  connectionString?: string;
  /** Default: newRunId(). */
  runId?: string;
  /** Dataset, model, hyperparameters, seed, barrierTimeoutMs, pollMs, heartbeatMs (over DEFAULT_TRAIN_SPEC). */
  train?: WorkerConfigInput;
  /** A test hook: make ranks die or stall. */
  fault?: FaultSpec | FaultSpec[];
  /** Force a tfjs backend rung in the workers (CUSTOM_AI_BACKEND). */
  backend?: string;
  /** Passed to runLocalJob (lib/jobs). */
  job?: Pick<LocalJobOptions, "killOthersOnFailure" | "timeoutMs" | "onLine" | "log" | "onProgress" | "abortSignal" | "cwd">;
  /** Reject with DistributedTrainingError WORKER_FAILED when a worker fails (default true). */
  throwOnFailure?: boolean;
}

export interface LocalTrainingRun {
  runId: string;
  job: LocalJobResult;
  /** Rank 0's result.json (undefined when the run failed and throwOnFailure is false). */
  result?: RunResult;
}

/**
 * Data-parallel training with N local worker processes: the same worker entrypoint and the same
 * environment a Kubernetes Indexed Job with completions = parallelism = N gives its pods. Reads
 * back rank 0's result.json; the model is at result.modelUrl (loadModel).
 */
export async function runDistributedTraining(options: LocalRunOptions & { workers: number }): Promise<LocalTrainingRun> {
  const runId = options.runId ?? newRunId("train");
  const config: WorkerConfigInput = { ...options.train, mode: "data-parallel" };
  // Check the configuration here, where a mistake is cheap to report, not N times in the workers.
  resolveWorkerConfig({ ...config, runId, storeUrl: options.storeUrl, worldSize: options.workers, rank: 0 });
  const env = workerEnv({ runId, storeUrl: options.storeUrl, worldSize: options.workers, connectionString: options.connectionString, config, fault: options.fault, backend: options.backend });
  const job = await runLocalJob({ entry: TRAINING_WORKER_ENTRY, workers: options.workers, env, killOthersOnFailure: true, ...options.job });
  const store = await openRunStore(options);
  const result = await readRunResult(store, runId);
  if ((!job.ok || !result) && options.throwOnFailure !== false) {
    throw new DistributedTrainingError("WORKER_FAILED", `Training run ${runId} failed: ${describeFailures(job) || "rank 0 wrote no result"}. The [rank N] lines above show each worker's log.`);
  }
  return result ? { runId, job, result } : { runId, job };
}

export interface LocalSweepRun {
  runId: string;
  job: LocalJobResult;
  /** collectSweep's summary: every trial, the best, where its model was copied. */
  summary?: SweepSummary;
}

/**
 * A hyperparameter sweep as a local Indexed Job: one index per grid configuration
 * (sweepConfigs(grid)), at most `parallelism` processes at a time, then collectSweep picks the best
 * (highest validation accuracy) and copies its model to runs/<id>/best/model.
 */
export async function runSweep(options: LocalRunOptions & { grid: SweepGrid; parallelism?: number }): Promise<LocalSweepRun> {
  const runId = options.runId ?? newRunId("sweep");
  const trials = sweepConfigs(options.grid).length;
  const config: WorkerConfigInput = { ...options.train, mode: "sweep", grid: options.grid };
  resolveWorkerConfig({ ...config, runId, storeUrl: options.storeUrl, worldSize: trials, rank: 0 });
  const env = workerEnv({ runId, storeUrl: options.storeUrl, worldSize: trials, connectionString: options.connectionString, config, fault: options.fault, backend: options.backend });
  const job = await runLocalJob({ entry: TRAINING_WORKER_ENTRY, workers: trials, parallelism: options.parallelism, env, ...options.job });
  if (!job.ok && options.throwOnFailure !== false) {
    throw new DistributedTrainingError("WORKER_FAILED", `Sweep ${runId} failed: ${describeFailures(job)}. The [rank N] lines above show each trial's log.`);
  }
  const store = await openRunStore(options);
  try {
    return { runId, job, summary: await collectSweep(store, runId) };
  } catch (error) {
    if (options.throwOnFailure === false) return { runId, job };
    throw error;
  }
}

function openRunStore(options: LocalRunOptions): Promise<BlobStore> {
  return openStore(options.storeUrl, options.connectionString ? { connectionString: options.connectionString } : {});
}
