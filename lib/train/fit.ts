import * as tf from "@tensorflow/tfjs";
import { deriveSeed, permutation, withSeededRandom } from "../data/index.js";
import { restoreCheckpoint, saveCheckpoint, type EpochLogs } from "./checkpoint.js";
import { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
import { createProgress, type ProgressMode, type TrainingProgress } from "./progress.js";
import { TrainError } from "./train-error.js";
import { ensureTrainable, type TrainableCheck } from "./trainable.js";

export type { EarlyStoppingOptions } from "./early-stopping.js";

/** Features: a tensor (any rank, samples first) or rows of numbers. */
export type FitX = tf.Tensor | number[][];
/** Targets: a tensor, or one number per sample (class ids for sparse categorical crossentropy). */
export type FitY = tf.Tensor | ArrayLike<number>;

export interface FitOptions {
  /** Total epochs (a resumed run continues up to this). Default 10. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Held-out [x, y] evaluated after every epoch (val_loss, val_acc…). */
  validationData?: [FitX, FitY];
  /** Or: keep this last fraction of x/y for validation (taken before shuffling, as Keras does). */
  validationSplit?: number;
  /**
   * Seed of the run: each epoch's shuffle and tfjs's random draws (dropout masks) derive from it,
   * so the same seed on the same backend gives the same weights (bit-identical on cpu). Default: a
   * random seed, reported in the result. While training, Math.random is seeded (see withSeededRandom).
   */
  seed?: number;
  /** Shuffle the training samples each epoch. Default true. */
  shuffle?: boolean;
  /** Train only this many batches per epoch, the first of the epoch's (shuffled) order, instead of a whole pass. */
  stepsPerEpoch?: number;
  /** Stop when the monitored value stops improving: true for the defaults. */
  earlyStopping?: boolean | EarlyStoppingOptions;
  /** Folder for a checkpoint after every epoch (weights, optimizer state, epoch, history). */
  checkpointDir?: string;
  /** Continue from the checkpoint in checkpointDir, if any (else start afresh). Default false: overwrite it. */
  resume?: boolean;
  /** "auto" (default): a live display in tslab, a redrawn line on a terminal, else a line per epoch. */
  progress?: ProgressMode | boolean | TrainingProgress;
  /** Called before every epoch (before its shuffle); it may throw to stop training. */
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /** Called after every epoch (after its checkpoint) with what it trained: the progress channel. */
  onProgress?: (progress: FitProgress) => void;
  /**
   * A hook, not a progress channel (that is `onProgress`): awaited after every epoch (after its
   * checkpoint and onProgress). It may change the model's weights: the next epoch trains from
   * them (the distributed worker averages them over its ranks here).
   */
  onEpochEnd?: (logs: EpochLogs, stats: EpochStats) => void | Promise<void>;
  /** Switch off a backend that cannot train this model (a CNN on wasm) first. Default true. */
  ensureTrainable?: boolean;
  /** Let ensureTrainable add the toolkit's Conv2D filter gradient on cpu/wasm (default true). */
  convGradients?: boolean;
  /** Stops training at the end of the current batch; fitModel then rejects with TrainError ABORTED. */
  abortSignal?: AbortSignal;
}

/** What `onProgress` gets after each epoch. */
export interface FitProgress {
  /** The epoch just trained (0-based) and the run's total. */
  epoch: number;
  epochs: number;
  /** loss, acc, val_loss, val_acc… of that epoch. */
  logs: EpochLogs;
  /** Training throughput of that epoch (validation excluded). */
  samplesPerSecond: number;
  /** Seconds since fitModel was called. */
  elapsedSeconds: number;
}

/** What one epoch trained. */
export interface EpochStats {
  /** Samples trained on (all of them, or stepsPerEpoch batches' worth). */
  samples: number;
  /** Time in model.fit's batches (validation excluded), at least 1. */
  ms: number;
}

export interface FitResult {
  /** One entry per epoch, resumed epochs included. */
  history: EpochLogs[];
  /** Training throughput of the epochs run by this call (validation and checkpoints excluded). */
  samplesPerSecond: number;
  stoppedEarly: boolean;
  /** With early stopping: the epoch (0-based) whose weights the model holds when restoreBest. */
  bestEpoch?: number;
  /** When resumed: the first epoch (0-based) this call trained, i.e. how many the checkpoint had done. */
  resumedFromEpoch?: number;
  /** Epochs trained by this call. */
  epochsRun: number;
  /** The tfjs backend it trained on. */
  backend: string;
  /** Why the backend was switched, when it was. */
  backendMessage?: string;
  seed: number;
  seconds: number;
}


/** The tensors a run trains and validates on. */
interface FitData {
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  validation?: [tf.Tensor, tf.Tensor];
}

/** What every epoch of a run shares. */
interface EpochPlan {
  seed: number;
  batchSize: number;
  shuffle: boolean;
  /** Samples per epoch: all, or stepsPerEpoch × batchSize. */
  samples: number;
  progress: TrainingProgress;
}

/**
 * Trains a compiled tfjs LayersModel: `model.fit` one epoch at a time, with a seeded shuffle
 * (tfjs's own shuffle is off), optional early stopping, a checkpoint after every epoch (resumable
 * after a crash or a kill), live progress, and the backend switched when the active one cannot
 * train the model. Leaves no tensors behind but the model's own.
 */
export async function fitModel(model: tf.LayersModel, x: FitX, y: FitY, options: FitOptions = {}): Promise<FitResult> {
  const started = Date.now();
  const { epochs, batchSize } = checkOptions(model, options);
  const check = options.ensureTrainable === false ? undefined : await ensureTrainable(model, { convGradients: options.convGradients });
  const backend = tf.getBackend();
  // Tensors this call creates (and disposes); the caller's own tensors are left alone.
  const created: tf.Tensor[] = [];
  let stopping: EarlyStopping | undefined;
  try {
    const data = fitData(x, y, options, created);
    stopping = new EarlyStopping(options.earlyStopping, Boolean(data.validation));
    const run = await resume(model, options, stopping);
    const seed = options.seed ?? run.seed ?? Math.floor(Math.random() * 2 ** 32);
    const nTrain = data.xTrain.shape[0];
    const plan: EpochPlan = {
      seed,
      batchSize,
      shuffle: options.shuffle !== false,
      samples: options.stepsPerEpoch === undefined ? nTrain : Math.min(nTrain, options.stepsPerEpoch * batchSize),
      progress: typeof options.progress === "object" ? options.progress : createProgress(options.progress ?? "auto"),
    };
    const totals = { samples: 0, ms: 0, epochs: 0 };
    const abort = () => {
      model.stopTraining = true;
    };
    const abortSignal = options.abortSignal;
    abortSignal?.addEventListener("abort", abort);
    try {
      if (abortSignal?.aborted) throw abortError(run.startEpoch, options.checkpointDir);
      let finished = stopping.stopped;
      if (!finished && run.startEpoch < epochs) {
        plan.progress.start({ epochs, startEpoch: run.startEpoch, samples: nTrain, batchesPerEpoch: Math.ceil(plan.samples / batchSize), backend, note: backendNote(check) });
      }
      for (let epoch = run.startEpoch; !finished && epoch < epochs; epoch++) {
        await options.onEpochBegin?.(epoch);
        const { logs, stats } = await trainEpoch(model, data, epoch, plan);
        if (abortSignal?.aborted) throw abortError(epoch, options.checkpointDir);
        totals.samples += stats.samples;
        totals.ms += stats.ms;
        totals.epochs++;
        run.history.push(logs);
        stopping.update(logs, model);
        finished = stopping.stopped || epoch === epochs - 1;
        if (finished) stopping.restoreBest(model, epoch);
        const samplesPerSecond = stats.samples / (stats.ms / 1000);
        plan.progress.epoch(logs, samplesPerSecond);
        if (options.checkpointDir) {
          const state = { epoch, history: run.history, seed, finished, stoppedEarly: stopping.stopped, earlyStopping: stopping.state, backend };
          await saveCheckpoint(options.checkpointDir, model, state, { bestWeights: stopping.weightsToCheckpoint(finished, epoch) });
        }
        options.onProgress?.({ epoch, epochs, logs: { ...logs }, samplesPerSecond, elapsedSeconds: (Date.now() - started) / 1000 });
        await options.onEpochEnd?.({ ...logs }, stats);
      }
      const result: FitResult = {
        history: run.history,
        samplesPerSecond: totals.ms > 0 ? totals.samples / (totals.ms / 1000) : 0,
        stoppedEarly: stopping.stopped,
        bestEpoch: stopping.state?.bestEpoch,
        resumedFromEpoch: run.resumedFromEpoch,
        epochsRun: totals.epochs,
        backend,
        backendMessage: check?.message,
        seed,
        seconds: (Date.now() - started) / 1000,
      };
      if (totals.epochs > 0) plan.progress.end(summaryLine(result, stopping));
      return result;
    } finally {
      abortSignal?.removeEventListener("abort", abort);
    }
  } finally {
    tf.dispose(created);
    stopping?.dispose();
  }
}

/** Checks the options that need no data; returns epochs and batch size with their defaults. */
function checkOptions(model: tf.LayersModel, options: FitOptions): { epochs: number; batchSize: number } {
  if (!model.optimizer) throw new TrainError("NOT_COMPILED", "The model is not compiled: call model.compile({ optimizer, loss, metrics }) before fitModel.");
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 32;
  checkPositiveInt(epochs, "epochs");
  checkPositiveInt(batchSize, "batchSize");
  if (options.stepsPerEpoch !== undefined) checkPositiveInt(options.stepsPerEpoch, "stepsPerEpoch");
  if (options.validationData && options.validationSplit) throw new TrainError("BAD_OPTION", "Give validationData or validationSplit, not both.");
  const split = options.validationSplit ?? 0;
  if (split < 0 || split >= 1) throw new TrainError("BAD_OPTION", `validationSplit must be in [0, 1), got ${split}.`);
  if (options.resume && !options.checkpointDir) throw new TrainError("BAD_OPTION", "resume: true needs a checkpointDir to resume from.");
  return { epochs, batchSize };
}

/** x and y as tensors, and the validation set (validationData, or the last validationSplit of x/y). */
function fitData(x: FitX, y: FitY, options: FitOptions, created: tf.Tensor[]): FitData {
  const own = <T extends tf.Tensor>(t: T, source: unknown): T => {
    if (t !== source) created.push(t);
    return t;
  };
  const xAll = own(toX(x, "x"), x);
  const yAll = own(toY(y, "y"), y);
  const n = xAll.shape[0];
  if (yAll.shape[0] !== n) throw new TrainError("BAD_OPTION", `x has ${n} samples and y has ${yAll.shape[0]}; they must match.`);
  if (options.validationData) {
    const [vx, vy] = options.validationData;
    return { xTrain: xAll, yTrain: yAll, validation: [own(toX(vx, "validationData[0]"), vx), own(toY(vy, "validationData[1]"), vy)] };
  }
  const split = options.validationSplit ?? 0;
  if (split === 0) return { xTrain: xAll, yTrain: yAll };
  const nVal = Math.round(n * split);
  if (nVal < 1 || nVal >= n) throw new TrainError("BAD_OPTION", `validationSplit ${split} of ${n} samples leaves an empty set.`);
  return {
    xTrain: own(xAll.slice(0, n - nVal), undefined),
    yTrain: own(yAll.slice(0, n - nVal), undefined),
    validation: [own(xAll.slice(n - nVal), undefined), own(yAll.slice(n - nVal), undefined)],
  };
}

/** Where the run starts: afresh, or (resume) after the checkpoint's epoch, with its history, seed and early-stopping state. */
async function resume(model: tf.LayersModel, options: FitOptions, stopping: EarlyStopping): Promise<{ history: EpochLogs[]; startEpoch: number; resumedFromEpoch?: number; seed?: number }> {
  const restored = options.resume && options.checkpointDir ? await restoreCheckpoint(options.checkpointDir, model) : undefined;
  if (!restored) return { history: [], startEpoch: 0 };
  const m = restored.manifest;
  // A run that stopped early stays stopped; one that ran out of epochs continues up to `epochs`.
  stopping.resume(m, restored.bestWeights, model);
  return { history: m.history ?? [], startEpoch: m.epoch + 1, resumedFromEpoch: m.epoch + 1, seed: m.seed };
}

/**
 * One epoch: model.fit over the epoch's seeded order (or its first stepsPerEpoch batches), with
 * Math.random seeded for tfjs's own draws (dropout masks).
 */
async function trainEpoch(model: tf.LayersModel, data: FitData, epoch: number, plan: EpochPlan): Promise<{ logs: EpochLogs; stats: EpochStats }> {
  const { xTrain, yTrain } = data;
  const n = xTrain.shape[0];
  const shuffled = plan.shuffle ? permutation(n, deriveSeed(plan.seed, "epoch", epoch)) : undefined;
  const order = plan.samples < n ? (shuffled ?? Array.from({ length: n }, (_, i) => i)).slice(0, plan.samples) : shuffled;
  const [xs, ys] = order
    ? tf.tidy(() => {
        const idx = tf.tensor1d(order, "int32");
        return [tf.gather(xTrain, idx), tf.gather(yTrain, idx)];
      })
    : [xTrain, yTrain];
  let epochStart = 0;
  let lastBatchEnd = 0;
  let seen = 0;
  let fitted: tf.History;
  try {
    fitted = await withSeededRandom(deriveSeed(plan.seed, "random", epoch), () =>
      model.fit(xs, ys, {
        epochs: 1,
        batchSize: plan.batchSize,
        shuffle: false,
        validationData: data.validation,
        verbose: 0,
        callbacks: {
          onEpochBegin: async () => {
            epochStart = Date.now();
          },
          onBatchEnd: async (batch, logs) => {
            lastBatchEnd = Date.now();
            seen = Math.min(plan.samples, (batch + 1) * plan.batchSize);
            const secs = Math.max(1e-3, (lastBatchEnd - epochStart) / 1000);
            plan.progress.batch({ epoch, batch, logs: (logs ?? {}) as Record<string, number>, samplesPerSecond: seen / secs });
          },
        },
      }),
    );
  } finally {
    if (xs !== xTrain) tf.dispose([xs, ys]);
  }
  return { logs: epochLogs(epoch, fitted), stats: { samples: seen, ms: Math.max(1, lastBatchEnd - epochStart) } };
}

/** The last value of each metric of a one-epoch History: training metrics first, then their val_ twins (tfjs lists val_ first). */
function epochLogs(epoch: number, fitted: tf.History): EpochLogs {
  const logs: EpochLogs = { epoch };
  const keys = Object.keys(fitted.history).sort((a, b) => Number(a.startsWith("val_")) - Number(b.startsWith("val_")));
  for (const key of keys) {
    const v = fitted.history[key][fitted.history[key].length - 1];
    logs[key] = typeof v === "number" ? v : (v as tf.Tensor).dataSync()[0];
  }
  return logs;
}

function backendNote(check: TrainableCheck | undefined): string | undefined {
  return check?.message && `${check.message}${check.hint ? ` (${check.hint})` : ""}`;
}

function summaryLine(r: FitResult, stopping: EarlyStopping): string {
  return `trained ${r.epochsRun} epoch${r.epochsRun === 1 ? "" : "s"} in ${r.seconds.toFixed(1)} s on ${r.backend}, ${Math.round(r.samplesPerSecond)} samples/s${stopping.summary()}`;
}

function toX(x: FitX, what: string): tf.Tensor {
  if (x instanceof tf.Tensor) return x;
  if (Array.isArray(x) && Array.isArray(x[0])) return tf.tensor2d(x);
  throw new TrainError("BAD_OPTION", `${what} must be a tf.Tensor or an array of rows (number[][]).`);
}

function toY(y: FitY, what: string): tf.Tensor {
  if (y instanceof tf.Tensor) return y;
  if (y && typeof y.length === "number") return tf.tensor1d(Float32Array.from(y));
  throw new TrainError("BAD_OPTION", `${what} must be a tf.Tensor or an array of numbers.`);
}

function checkPositiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new TrainError("BAD_OPTION", `${name} must be a positive integer, got ${value}.`);
}

function abortError(epoch: number, dir: string | undefined): TrainError {
  return new TrainError(
    "ABORTED",
    `Training was aborted during epoch ${epoch + 1}.` + (dir ? ` Run again with resume: true to continue from the last checkpoint in ${dir}.` : ""),
  );
}
