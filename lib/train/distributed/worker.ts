import type * as tf from "@tensorflow/tfjs";
import { getJson, isCustomAiError, joinKeyUrl, openStore, putJson, type BlobStore } from "../../core/index.js";
import { deriveSeed, takeRows } from "../../data/index.js";
import { saveModel, standardScalerStep } from "../../models/index.js";
import { selectBackend } from "../backends.js";
import { fitModel, type FitOptions, type FitResult } from "../fit.js";
import { evaluateClassifier } from "../metrics.js";
import { buildTabularModel } from "../models.js";
import { HeartbeatWriter, waitForEpoch, type RankStatus } from "./barrier.js";
import { applySweepConfig, type FaultSpec, type HyperParams, type ModelSpec, type TrainSpec, type WorkerConfig } from "./config.js";
import { prepareData, shardIndices, type PreparedData, type Rows } from "./datasets.js";
import { DistributedTrainingError } from "./errors.js";
import { runLayout } from "./layout.js";
import { sweepConfigs, type TrialResult } from "./sweep.js";
import { averageWeights, decodeRankWeights, encodeRankWeights, readWeights, writeWeights } from "./weights.js";

/** What rank 0 of a data-parallel run writes to runs/<id>/result.json. */
export interface RunResult {
  runId: string;
  worldSize: number;
  dataset: { name: string; source: string; hash: string; features: string[]; labels: string[]; trainSamples: number; testSamples: number };
  model: ModelSpec;
  hyper: HyperParams;
  seed: number;
  backend: string;
  /** Training rows of each rank. */
  shardSizes: number[];
  /** Mean training loss per epoch, weighted by shard size over the ranks. */
  losses: number[];
  /** Accuracy and loss of the final (averaged) model on the held-out test split. */
  accuracy: number;
  testLoss: number;
  /** Rank 0's wait at each epoch's barrier. */
  barrierWaitMs: number[];
  /** Rank 0's wall time from loading the data to the saved model. */
  seconds: number;
  modelUrl: string;
  finishedAt: string;
}

export type WorkerOutcome = { mode: "data-parallel"; rank: number; result?: RunResult } | { mode: "sweep"; rank: number; result: TrialResult };

export interface RunWorkerOptions {
  /** Where progress lines go. Default console.log. */
  log?: (line: string) => void;
  /** The store to use instead of opening config.storeUrl (tests). */
  store?: BlobStore;
}

/** Exit code of a worker that a FaultSpec "exit" kills. */
export const FAULT_EXIT_CODE = 3;

/**
 * Runs one worker of a multi-node job: one rank of synchronous data-parallel training by parameter
 * averaging, or one trial of a hyperparameter sweep (config.mode). Writes its heartbeat, its
 * per-epoch weights and its final status to the store; rank 0 of a data-parallel run also writes
 * the final model (saveModel) and result.json. On failure it records the failure for the other
 * ranks (they stop with WORKER_FAILED) and rethrows.
 */
export async function runWorker(config: WorkerConfig, options: RunWorkerOptions = {}): Promise<WorkerOutcome> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { rank, worldSize, runId } = config;
  maybeExit(config, -1);
  const store = options.store ?? (await openStore(config.storeUrl));
  const layout = runLayout(runId);
  const finished = config.mode === "sweep" ? layout.trialResult(rank) : layout.result;
  if ((await store.get(finished)) !== undefined) {
    throw new DistributedTrainingError("RUN_EXISTS", `Run ${runId} already has ${joinKeyUrl(store, finished)}: use a new run id (newRunId()), or delete ${joinKeyUrl(store, layout.root)} to redo it.`);
  }
  const heartbeat = new HeartbeatWriter(store, runId, rank, config.heartbeatMs);
  await heartbeat.start();
  let epoch = -1;
  try {
    await heartbeat.set("loading");
    const backend = await selectBackend();
    const data = await prepareData(config);
    log(`rank ${rank}/${worldSize} ${config.mode} run ${runId}: ${data.name} (${data.x.length} rows, ${data.features.length} features) on ${backend.name}`);
    const ctx: WorkerContext = { config, store, heartbeat, data, backend: backend.name, log, onEpoch: (e) => (epoch = e) };
    const outcome: WorkerOutcome =
      config.mode === "sweep" ? { mode: "sweep", rank, result: await trainTrial(ctx) } : { mode: "data-parallel", rank, result: await trainDataParallel(ctx) };
    await heartbeat.set("done");
    await putJson(store, layout.status(rank), { rank, state: "done", time: Date.now() } satisfies RankStatus);
    return outcome;
  } catch (error) {
    const status: RankStatus = {
      rank,
      state: "failed",
      code: isCustomAiError(error) ? error.code : "ERROR",
      message: (error instanceof Error ? error.message : String(error)).slice(0, 500),
      epoch,
      time: Date.now(),
    };
    await heartbeat.set("failed").catch(() => undefined);
    await putJson(store, layout.status(rank), status).catch(() => undefined);
    throw error;
  } finally {
    heartbeat.stop();
  }
}

/** What one worker trains with, and where it reports. */
interface WorkerContext {
  config: WorkerConfig;
  store: BlobStore;
  heartbeat: HeartbeatWriter;
  data: PreparedData;
  /** The backend rung it trains on. */
  backend: string;
  log: (line: string) => void;
  /** Told each epoch as it starts (for the failure status). */
  onEpoch: (epoch: number) => void;
}

async function trainDataParallel(ctx: WorkerContext): Promise<RunResult | undefined> {
  const { config, store, heartbeat, data, log } = ctx;
  const { rank, worldSize, runId, hyper } = config;
  const start = Date.now();
  const shardSizes = Array.from({ length: worldSize }, (_, r) => shardIndices(data.train.x.length, r, worldSize).length);
  const shard = shardIndices(data.train.x.length, rank, worldSize);
  const model = buildModel(config.model, hyper, data.features.length, config.seed);
  const losses: number[] = [];
  const barrierWaitMs: number[] = [];
  try {
    await fitShard(ctx, model, { x: takeRows(data.train.x, shard), y: takeRows(data.train.y, shard) }, hyper, rank, async (logs, stats) => {
      const { epoch, loss } = logs;
      const progress = `epoch ${epoch + 1}/${hyper.epochs}: loss ${loss.toFixed(4)}`;
      if (worldSize === 1) {
        losses.push(loss);
        barrierWaitMs.push(0);
        log(`rank ${rank} ${progress} (${stats.samples} samples, ${stats.ms} ms)`);
        return;
      }
      const average = await averageAtBarrier(ctx, model, epoch, stats.samples, loss);
      losses.push(average.loss);
      barrierWaitMs.push(average.waitedMs);
      log(`rank ${rank} ${progress} local, ${average.loss.toFixed(4)} mean of ${worldSize} (${stats.samples} samples, train ${stats.ms} ms, barrier ${average.waitedMs} ms)`);
    });
    if (rank !== 0) return undefined;

    await heartbeat.set("evaluating", hyper.epochs - 1);
    const test = await evaluate(model, data.test, data.labels);
    await heartbeat.set("saving", hyper.epochs - 1);
    const saved = await saveRunModel(ctx, model, layout(ctx).model, {
      name: `mlp-${runId}`,
      metrics: { accuracy: test.accuracy, loss: test.loss },
      extra: { runId, worldSize, hyper, model: config.model, dataset: config.dataset, seed: config.seed },
    });
    const result: RunResult = {
      runId,
      worldSize,
      dataset: { name: data.name, source: data.source, hash: data.hash, features: data.features, labels: data.labels, trainSamples: data.train.x.length, testSamples: data.test.x.length },
      model: config.model,
      hyper,
      seed: config.seed,
      backend: ctx.backend,
      shardSizes,
      losses,
      accuracy: test.accuracy,
      testLoss: test.loss,
      barrierWaitMs,
      seconds: (Date.now() - start) / 1000,
      modelUrl: saved.url,
      finishedAt: new Date().toISOString(),
    };
    await putJson(store, layout(ctx).result, result);
    log(`rank 0: test accuracy ${test.accuracy.toFixed(4)}, loss ${test.loss.toFixed(4)}; model at ${saved.url}`);
    return result;
  } finally {
    model.dispose();
  }
}

/**
 * The distributed step of an epoch: this rank's weights to the store, the barrier, then every
 * rank's weights back and their sample-weighted mean into the model.
 */
async function averageAtBarrier(ctx: WorkerContext, model: tf.LayersModel, epoch: number, samples: number, loss: number): Promise<{ loss: number; waitedMs: number }> {
  const { config, store, heartbeat } = ctx;
  const { rank, worldSize, runId } = config;
  await store.put(layout(ctx).weights(epoch, rank), encodeRankWeights({ rank, epoch, samples, loss, ...readWeights(model) }));
  await heartbeat.set("waiting", epoch);
  const { waitedMs } = await waitForEpoch(store, runId, epoch, worldSize, { timeoutMs: config.barrierTimeoutMs, pollMs: config.pollMs });
  await heartbeat.set("averaging", epoch);
  const parts = [];
  for (let r = 0; r < worldSize; r++) {
    const key = layout(ctx).weights(epoch, r);
    const bytes = await store.get(key);
    if (!bytes) throw new DistributedTrainingError("WORKER_FAILED", `The weights at ${joinKeyUrl(store, key)} vanished after the barrier: was the run's folder deleted or reused?`, { epoch, ranks: [r] });
    parts.push(decodeRankWeights(bytes, joinKeyUrl(store, key)));
  }
  const average = averageWeights(parts);
  writeWeights(model, average.values);
  return { loss: average.loss, waitedMs };
}

async function trainTrial(ctx: WorkerContext): Promise<TrialResult> {
  const { config, store, heartbeat, data, log } = ctx;
  const { rank: index, runId } = config;
  const configs = sweepConfigs(config.grid!);
  const point = configs[index];
  const spec: TrainSpec = applySweepConfig(config, point);
  const start = Date.now();
  log(`trial ${index}/${configs.length}: ${JSON.stringify(point)}`);
  const model = buildModel(spec.model, spec.hyper, data.features.length, config.seed);
  try {
    // Every trial shuffles as rank 0 of a data-parallel run would.
    const fitted = await fitShard(ctx, model, data.train, spec.hyper, 0);
    const losses = fitted.history.map((h) => h.loss);
    await heartbeat.set("evaluating");
    const validation = await evaluate(model, data.validation, data.labels);
    const test = await evaluate(model, data.test, data.labels);
    await heartbeat.set("saving");
    const saved = await saveRunModel(ctx, model, layout(ctx).trialModel(index), {
      name: `mlp-${runId}-trial-${index}`,
      metrics: { valAccuracy: validation.accuracy, accuracy: test.accuracy, loss: test.loss },
      extra: { runId, trial: index, config: point, hyper: spec.hyper, model: spec.model, dataset: config.dataset, seed: config.seed },
    });
    const result: TrialResult = {
      runId,
      index,
      trials: configs.length,
      config: point,
      hyper: spec.hyper,
      model: spec.model,
      valAccuracy: validation.accuracy,
      accuracy: test.accuracy,
      testLoss: test.loss,
      losses,
      backend: ctx.backend,
      seconds: (Date.now() - start) / 1000,
      modelUrl: saved.url,
      finishedAt: new Date().toISOString(),
    };
    await putJson(store, layout(ctx).trialResult(index), result);
    log(`trial ${index}: validation accuracy ${validation.accuracy.toFixed(4)}, test accuracy ${test.accuracy.toFixed(4)} (${result.seconds.toFixed(1)} s)`);
    return result;
  } finally {
    model.dispose();
  }
}

/**
 * The run's binary-classification MLP (lib/train's tabular model with one sigmoid output). Its
 * initialisers are seeded, so all ranks start from the same weights without exchanging them
 * (parameter averaging needs a common start).
 */
function buildModel({ hidden, activation }: ModelSpec, { optimizer, learningRate }: HyperParams, inputDim: number, seed: number): tf.Sequential {
  return buildTabularModel({ inputDim, hidden, activation, output: "sigmoid", dropout: 0, optimizer, learningRate, seed: deriveSeed(seed, "weights") });
}

/**
 * fitModel over this rank's rows, shuffled per epoch from the run's seed and `rank`, with the
 * worker's per-epoch steps around it: the fault hook and heartbeat before, `onEpochEnd` after.
 */
function fitShard(ctx: WorkerContext, model: tf.LayersModel, rows: Rows, hyper: HyperParams, rank: number, onEpochEnd?: FitOptions["onEpochEnd"]): Promise<FitResult> {
  return fitModel(model, rows.x, rows.y, {
    epochs: hyper.epochs,
    batchSize: hyper.batchSize,
    stepsPerEpoch: hyper.stepsPerEpoch,
    seed: deriveSeed(ctx.config.seed, "rank", rank),
    progress: false,
    onEpochBegin: async (epoch) => {
      ctx.onEpoch(epoch);
      await maybeFault(ctx.config, epoch, ctx.log);
      await ctx.heartbeat.set("training", epoch);
    },
    onEpochEnd,
  });
}

/** Accuracy and mean cross-entropy on held-out rows (NaN when there are none). */
async function evaluate(model: tf.LayersModel, rows: Rows, labels: string[]): Promise<{ accuracy: number; loss: number }> {
  if (rows.x.length === 0) return { accuracy: Number.NaN, loss: Number.NaN };
  const report = await evaluateClassifier(model, rows.x, rows.y, { labels });
  return { accuracy: report.accuracy, loss: report.loss! };
}

/** saveModel with what every model of a run records: task, schema, backend, data hash and scaler. */
function saveRunModel(ctx: WorkerContext, model: tf.LayersModel, key: string, meta: { name: string; metrics: Record<string, number>; extra: Record<string, unknown> }) {
  const { data } = ctx;
  return saveModel(model, ctx.store.scope(key), {
    ...meta,
    task: "binary-classification",
    features: data.features,
    labels: data.labels,
    backend: ctx.backend,
    trainingDataHash: data.hash,
    preprocessing: [standardScalerStep(data.scaler, data.features)],
  });
}

function layout(ctx: WorkerContext) {
  return runLayout(ctx.config.runId);
}

function faultOf(config: WorkerConfig, epoch: number): FaultSpec | undefined {
  const faults = config.fault === undefined ? [] : Array.isArray(config.fault) ? config.fault : [config.fault];
  return faults.find((f) => f.rank === config.rank && (f.epoch ?? 0) === epoch);
}

function maybeExit(config: WorkerConfig, epoch: number): void {
  const fault = faultOf(config, epoch);
  if (fault?.kind === "exit") {
    // A crash: no status, no last heartbeat. Only the fault hook of tests and demos does this.
    console.error(`rank ${config.rank}: exiting at ${epoch < 0 ? "start" : `epoch ${epoch}`} (CUSTOM_AI_FAULT)`);
    process.exit(FAULT_EXIT_CODE);
  }
}

async function maybeFault(config: WorkerConfig, epoch: number, log: (line: string) => void): Promise<void> {
  maybeExit(config, epoch);
  const fault = faultOf(config, epoch);
  if (fault?.kind === "delay") {
    log(`rank ${config.rank}: stalling ${fault.delayMs ?? 0} ms at epoch ${epoch} (CUSTOM_AI_FAULT)`);
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 0));
  }
}

/** Reads a finished data-parallel run's result.json; undefined while it is not there. */
export async function readRunResult(store: BlobStore, runId: string): Promise<RunResult | undefined> {
  return getJson<RunResult>(store, runLayout(runId).result);
}
