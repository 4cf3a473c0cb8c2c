import path from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { getJson, isCustomAiError, joinKeyUrl, openStore, putJson, type BlobStore } from "../../core/index.js";
import { hashData, saveModel, standardScalerStep } from "../../models/index.js";
import { selectBackend } from "../backends.js";
import { HeartbeatWriter, waitForEpoch, type RankStatus } from "./barrier.js";
import { applySweepConfig, type FaultSpec, type HyperParams, type ModelSpec, type TrainSpec, type WorkerConfig } from "./config.js";
import { loadDataset, scaleRows, scalerOf, shardIndices, splitData, type TabularData } from "./datasets.js";
import { DistributedTrainingError } from "./errors.js";
import { runLayout } from "./layout.js";
import { averageWeights, buildMlp, decodeRankWeights, encodeRankWeights, readWeights, writeWeights } from "./mlp.js";
import { permutation, subSeed } from "./random.js";
import { sweepConfigs, type TrialResult } from "./sweep.js";

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
    const data = await loadData(config);
    log(`rank ${rank}/${worldSize} ${config.mode} run ${runId}: ${data.name} (${data.x.length} rows, ${data.features.length} features) on ${backend.name}`);
    const onEpoch = (e: number) => {
      epoch = e;
    };
    const outcome: WorkerOutcome =
      config.mode === "sweep"
        ? { mode: "sweep", rank, result: await trainTrial(config, store, heartbeat, data, backend.name, log, onEpoch) }
        : { mode: "data-parallel", rank, result: await trainDataParallel(config, store, heartbeat, data, backend.name, log, onEpoch) };
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

interface PreparedData extends TabularData {
  train: { x: number[][]; y: number[] };
  validation: { x: number[][]; y: number[] };
  test: { x: number[][]; y: number[] };
  scaler: { mean: number[]; std: number[] };
  hash: string;
}

async function loadData(config: WorkerConfig): Promise<PreparedData> {
  if (config.dataset.module) {
    // A module that registers more datasets (registerDataset) before this one is looked up.
    await import(pathToFileURL(path.resolve(config.dataset.module)).href);
  }
  const data = await loadDataset(config.dataset.name, { seed: config.seed, ...config.dataset.options });
  const splits = splitData(data, {
    testFraction: config.dataset.testFraction ?? 0.2,
    validationFraction: config.dataset.validationFraction ?? (config.mode === "sweep" ? 0.2 : 0),
    seed: config.seed,
  });
  // Every rank sees the whole training split here (it is generated or shipped), so every rank
  // fits the same scaler; with data too large for that, fit it once and pass it in the config.
  const scaler = scalerOf(splits.train.x);
  return {
    ...data,
    hash: hashData(splits.train.x, splits.train.y),
    scaler,
    train: { x: scaleRows(splits.train.x, scaler), y: splits.train.y },
    validation: { x: scaleRows(splits.validation.x, scaler), y: splits.validation.y },
    test: { x: scaleRows(splits.test.x, scaler), y: splits.test.y },
  };
}

async function trainDataParallel(
  config: WorkerConfig,
  store: BlobStore,
  heartbeat: HeartbeatWriter,
  data: PreparedData,
  backend: string,
  log: (line: string) => void,
  onEpoch: (epoch: number) => void,
): Promise<RunResult | undefined> {
  const { rank, worldSize, runId, hyper } = config;
  const layout = runLayout(runId);
  const start = Date.now();
  const shardSizes = Array.from({ length: worldSize }, (_, r) => shardIndices(data.train.x.length, r, worldSize).length);
  const shard = shardIndices(data.train.x.length, rank, worldSize);
  const x = shard.map((i) => data.train.x[i]);
  const y = shard.map((i) => data.train.y[i]);
  const model = buildMlp(config.model, hyper, data.features.length, config.seed);
  const losses: number[] = [];
  const barrierWaitMs: number[] = [];
  try {
    for (let epoch = 0; epoch < hyper.epochs; epoch++) {
      onEpoch(epoch);
      await maybeFault(config, epoch, log);
      await heartbeat.set("training", epoch);
      const t0 = Date.now();
      const { loss, samples } = await trainOneEpoch(model, x, y, hyper, subSeed(config.seed, 3, epoch, rank));
      const trainMs = Date.now() - t0;
      if (worldSize === 1) {
        losses.push(loss);
        barrierWaitMs.push(0);
        log(`rank ${rank} epoch ${epoch + 1}/${hyper.epochs}: loss ${loss.toFixed(4)} (${samples} samples, ${trainMs} ms)`);
        continue;
      }
      const mine = readWeights(model);
      await store.put(layout.weights(epoch, rank), encodeRankWeights({ rank, epoch, samples, loss, ...mine }));
      await heartbeat.set("waiting", epoch);
      const { waitedMs } = await waitForEpoch(store, runId, epoch, worldSize, { timeoutMs: config.barrierTimeoutMs, pollMs: config.pollMs });
      await heartbeat.set("averaging", epoch);
      const parts = [];
      for (let r = 0; r < worldSize; r++) {
        const key = layout.weights(epoch, r);
        const bytes = await store.get(key);
        if (!bytes) throw new DistributedTrainingError("WORKER_FAILED", `The weights at ${joinKeyUrl(store, key)} vanished after the barrier: was the run's folder deleted or reused?`, { epoch, ranks: [r] });
        parts.push(decodeRankWeights(bytes, joinKeyUrl(store, key)));
      }
      const average = averageWeights(parts);
      writeWeights(model, average.values);
      losses.push(average.loss);
      barrierWaitMs.push(waitedMs);
      log(`rank ${rank} epoch ${epoch + 1}/${hyper.epochs}: loss ${loss.toFixed(4)} local, ${average.loss.toFixed(4)} mean of ${worldSize} (${samples} samples, train ${trainMs} ms, barrier ${waitedMs} ms)`);
    }
    if (rank !== 0) return undefined;

    await heartbeat.set("evaluating", hyper.epochs - 1);
    const test = evaluate(model, data.test.x, data.test.y);
    await heartbeat.set("saving", hyper.epochs - 1);
    const saved = await saveModel(model, store.scope(layout.model), {
      name: `mlp-${runId}`,
      task: "binary-classification",
      features: data.features,
      labels: data.labels,
      metrics: { accuracy: test.accuracy, loss: test.loss },
      backend,
      trainingDataHash: data.hash,
      preprocessing: [standardScalerStep(data.scaler, data.features)],
      extra: { runId, worldSize, hyper, model: config.model, dataset: config.dataset, seed: config.seed },
    });
    const result: RunResult = {
      runId,
      worldSize,
      dataset: { name: data.name, source: data.source, hash: data.hash, features: data.features, labels: data.labels, trainSamples: data.train.x.length, testSamples: data.test.x.length },
      model: config.model,
      hyper,
      seed: config.seed,
      backend,
      shardSizes,
      losses,
      accuracy: test.accuracy,
      testLoss: test.loss,
      barrierWaitMs,
      seconds: (Date.now() - start) / 1000,
      modelUrl: saved.url,
      finishedAt: new Date().toISOString(),
    };
    await putJson(store, layout.result, result);
    log(`rank 0: test accuracy ${test.accuracy.toFixed(4)}, loss ${test.loss.toFixed(4)}; model at ${saved.url}`);
    return result;
  } finally {
    disposeModel(model);
  }
}

async function trainTrial(
  config: WorkerConfig,
  store: BlobStore,
  heartbeat: HeartbeatWriter,
  data: PreparedData,
  backend: string,
  log: (line: string) => void,
  onEpoch: (epoch: number) => void,
): Promise<TrialResult> {
  const { rank: index, runId } = config;
  const layout = runLayout(runId);
  const configs = sweepConfigs(config.grid!);
  const point = configs[index];
  const spec: TrainSpec = applySweepConfig(config, point);
  const start = Date.now();
  log(`trial ${index}/${configs.length}: ${JSON.stringify(point)}`);
  const model = buildMlp(spec.model, spec.hyper, data.features.length, config.seed);
  try {
    const losses: number[] = [];
    for (let epoch = 0; epoch < spec.hyper.epochs; epoch++) {
      onEpoch(epoch);
      await maybeFault(config, epoch, log);
      await heartbeat.set("training", epoch);
      const { loss } = await trainOneEpoch(model, data.train.x, data.train.y, spec.hyper, subSeed(config.seed, 3, epoch, 0));
      losses.push(loss);
    }
    await heartbeat.set("evaluating");
    const validation = evaluate(model, data.validation.x, data.validation.y);
    const test = evaluate(model, data.test.x, data.test.y);
    await heartbeat.set("saving");
    const saved = await saveModel(model, store.scope(layout.trialModel(index)), {
      name: `mlp-${runId}-trial-${index}`,
      task: "binary-classification",
      features: data.features,
      labels: data.labels,
      metrics: { valAccuracy: validation.accuracy, accuracy: test.accuracy, loss: test.loss },
      backend,
      trainingDataHash: data.hash,
      preprocessing: [standardScalerStep(data.scaler, data.features)],
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
      backend,
      seconds: (Date.now() - start) / 1000,
      modelUrl: saved.url,
      finishedAt: new Date().toISOString(),
    };
    await putJson(store, layout.trialResult(index), result);
    log(`trial ${index}: validation accuracy ${validation.accuracy.toFixed(4)}, test accuracy ${test.accuracy.toFixed(4)} (${result.seconds.toFixed(1)} s)`);
    return result;
  } finally {
    disposeModel(model);
  }
}

/** One pass over the rows (or stepsPerEpoch batches) in a seeded order; the mean batch loss. */
async function trainOneEpoch(model: tf.LayersModel, x: number[][], y: number[], hyper: HyperParams, seed: number): Promise<{ loss: number; samples: number }> {
  let order = permutation(x.length, seed);
  if (hyper.stepsPerEpoch !== undefined) order = order.slice(0, Math.min(order.length, hyper.stepsPerEpoch * hyper.batchSize));
  const xs = tf.tensor2d(order.map((i) => x[i]), [order.length, x[0].length]);
  const ys = tf.tensor2d(order.map((i) => [y[i]]), [order.length, 1]);
  try {
    // tfjs would shuffle with Math.random: the order above is seeded instead.
    const history = await model.fit(xs, ys, { epochs: 1, batchSize: hyper.batchSize, shuffle: false, verbose: 0 });
    return { loss: Number(history.history.loss[0]), samples: order.length };
  } finally {
    xs.dispose();
    ys.dispose();
  }
}

function evaluate(model: tf.LayersModel, x: number[][], y: number[]): { accuracy: number; loss: number } {
  if (x.length === 0) return { accuracy: Number.NaN, loss: Number.NaN };
  return tf.tidy(() => {
    const xs = tf.tensor2d(x, [x.length, x[0].length]);
    const ys = tf.tensor2d(y.map((v) => [v]), [y.length, 1]);
    const p = model.predict(xs) as tf.Tensor;
    const probabilities = p.dataSync();
    let correct = 0;
    for (let i = 0; i < y.length; i++) if ((probabilities[i] >= 0.5 ? 1 : 0) === y[i]) correct++;
    const loss = tf.metrics.binaryCrossentropy(ys, p).mean().dataSync()[0];
    return { accuracy: correct / y.length, loss };
  });
}

function disposeModel(model: tf.LayersModel): void {
  // The optimizer was passed in by instance, so model.dispose() leaves its state (Adam moments).
  model.optimizer?.dispose();
  model.dispose();
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
