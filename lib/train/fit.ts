import * as tf from "@tensorflow/tfjs";
import { deriveSeed, permutation, withSeededRandom } from "../data/index.js";
import { restoreCheckpoint, saveCheckpoint, type EarlyStoppingState, type EpochLogs } from "./checkpoint.js";
import { createProgress, type ProgressMode, type TrainingProgress } from "./progress.js";
import { TrainError } from "./train-error.js";
import { ensureTrainable } from "./trainable.js";

/** Features: a tensor (any rank, samples first) or rows of numbers. */
export type FitX = tf.Tensor | number[][];
/** Targets: a tensor, or one number per sample (class ids for sparse categorical crossentropy). */
export type FitY = tf.Tensor | ArrayLike<number>;

export interface EarlyStoppingOptions {
  /** The logged value to watch. Default "val_loss" with validation data, else "loss". */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 3. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** "min" or "max"; "auto" (default) maximises names with acc/auc/precision/recall/f1, else minimises. */
  mode?: "auto" | "min" | "max";
  /** At the end, put back the weights of the best epoch. Default true. */
  restoreBest?: boolean;
}

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
  /** Stop when the monitored value stops improving: true for the defaults. */
  earlyStopping?: boolean | EarlyStoppingOptions;
  /** Folder for a checkpoint after every epoch (weights, optimizer state, epoch, history). */
  checkpointDir?: string;
  /** Continue from the checkpoint in checkpointDir, if any (else start afresh). Default false: overwrite it. */
  resume?: boolean;
  /** "auto" (default): a live display in tslab, a redrawn line on a terminal, else a line per epoch. */
  progress?: ProgressMode | boolean | TrainingProgress;
  /** Called after every epoch (after its checkpoint). */
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  /** Switch off a backend that cannot train this model (a CNN on wasm) first. Default true. */
  ensureTrainable?: boolean;
  /** Let ensureTrainable add the toolkit's Conv2D filter gradient on cpu/wasm (default true). */
  convGradients?: boolean;
  /** Stops training at the end of the current batch; fitModel then rejects with TrainError ABORTED. */
  signal?: AbortSignal;
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

function resolveEarlyStopping(option: FitOptions["earlyStopping"], hasValidation: boolean): Required<EarlyStoppingOptions> | undefined {
  if (!option) return undefined;
  const o = option === true ? {} : option;
  const monitor = o.monitor ?? (hasValidation ? "val_loss" : "loss");
  const mode = o.mode && o.mode !== "auto" ? o.mode : /acc|auc|precision|recall|f1/i.test(monitor) ? "max" : "min";
  return { monitor, mode, patience: o.patience ?? 3, minDelta: o.minDelta ?? 0, restoreBest: o.restoreBest ?? true };
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

/**
 * Trains a compiled tfjs LayersModel: `model.fit` one epoch at a time, with a seeded shuffle
 * (tfjs's own shuffle is off), optional early stopping, a checkpoint after every epoch (resumable
 * after a crash or a kill), live progress, and the backend switched when the active one cannot
 * train the model. Leaves no tensors behind but the model's own.
 */
export async function fitModel(model: tf.LayersModel, x: FitX, y: FitY, options: FitOptions = {}): Promise<FitResult> {
  const started = Date.now();
  if (!model.optimizer) throw new TrainError("NOT_COMPILED", "The model is not compiled: call model.compile({ optimizer, loss, metrics }) before fitModel.");
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 32;
  checkPositiveInt(epochs, "epochs");
  checkPositiveInt(batchSize, "batchSize");
  if (options.validationData && options.validationSplit) throw new TrainError("BAD_OPTION", "Give validationData or validationSplit, not both.");
  const split = options.validationSplit ?? 0;
  if (split < 0 || split >= 1) throw new TrainError("BAD_OPTION", `validationSplit must be in [0, 1), got ${split}.`);
  if (options.resume && !options.checkpointDir) throw new TrainError("BAD_OPTION", "resume: true needs a checkpointDir to resume from.");

  const check = options.ensureTrainable === false ? undefined : await ensureTrainable(model, { convGradients: options.convGradients });
  const backend = tf.getBackend();

  // Tensors this call creates (and disposes); the caller's own tensors are left alone.
  const created: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T, source: unknown): T => {
    if (t !== source) created.push(t);
    return t;
  };
  let bestWeights: tf.Tensor[] | undefined;
  try {
    const xAll = own(toX(x, "x"), x);
    const yAll = own(toY(y, "y"), y);
    const n = xAll.shape[0];
    if (yAll.shape[0] !== n) throw new TrainError("BAD_OPTION", `x has ${n} samples and y has ${yAll.shape[0]}; they must match.`);
    let xTrain = xAll;
    let yTrain = yAll;
    let validation: [tf.Tensor, tf.Tensor] | undefined;
    if (options.validationData) {
      const [vx, vy] = options.validationData;
      validation = [own(toX(vx, "validationData[0]"), vx), own(toY(vy, "validationData[1]"), vy)];
    } else if (split > 0) {
      const nVal = Math.round(n * split);
      if (nVal < 1 || nVal >= n) throw new TrainError("BAD_OPTION", `validationSplit ${split} of ${n} samples leaves an empty set.`);
      xTrain = own(xAll.slice(0, n - nVal), undefined);
      yTrain = own(yAll.slice(0, n - nVal), undefined);
      validation = [own(xAll.slice(n - nVal), undefined), own(yAll.slice(n - nVal), undefined)];
    }
    const nTrain = xTrain.shape[0];
    const early = resolveEarlyStopping(options.earlyStopping, Boolean(validation));
    if (early?.monitor.startsWith("val_") && !validation) {
      throw new TrainError("BAD_OPTION", `Early stopping watches "${early.monitor}", but there is no validation set. Pass validationData or validationSplit, or monitor "loss".`);
    }

    let history: EpochLogs[] = [];
    let startEpoch = 0;
    let seed = options.seed;
    let esState: EarlyStoppingState | undefined;
    let resumedFromEpoch: number | undefined;
    let stoppedEarly = false;
    let finished = false;
    if (options.resume && options.checkpointDir) {
      const restored = await restoreCheckpoint(options.checkpointDir, model);
      if (restored) {
        const m = restored.manifest;
        history = m.history ?? [];
        startEpoch = m.epoch + 1;
        resumedFromEpoch = startEpoch;
        seed ??= m.seed;
        esState = m.earlyStopping;
        stoppedEarly = Boolean(m.stoppedEarly);
        // A run that stopped early stays stopped; one that ran out of epochs continues up to `epochs`.
        finished = stoppedEarly;
        bestWeights = restored.bestWeights;
        if (!bestWeights && early?.restoreBest && esState && esState.bestEpoch === m.epoch) bestWeights = model.getWeights().map((w) => w.clone());
      }
    }
    seed ??= Math.floor(Math.random() * 2 ** 32);
    const runSeed = seed;
    if (early && esState && esState.monitor !== early.monitor) esState = undefined;

    const progress = typeof options.progress === "object" ? options.progress : createProgress(options.progress ?? "auto");
    const batchesPerEpoch = Math.ceil(nTrain / batchSize);
    let trainedSamples = 0;
    let trainingMs = 0;
    let epochsRun = 0;
    const abort = () => {
      model.stopTraining = true;
    };
    options.signal?.addEventListener("abort", abort);
    try {
      if (options.signal?.aborted) throw abortError(startEpoch, options.checkpointDir);
      if (!finished && startEpoch < epochs) {
        progress.start({ epochs, startEpoch, samples: nTrain, batchesPerEpoch, backend, note: check?.message && `${check.message}${check.hint ? ` (${check.hint})` : ""}` });
      }
      for (let epoch = startEpoch; !finished && epoch < epochs; epoch++) {
        const order = options.shuffle === false ? undefined : permutation(nTrain, deriveSeed(runSeed, "epoch", epoch));
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
          fitted = await withSeededRandom(deriveSeed(runSeed, "random", epoch), () =>
            model.fit(xs, ys, {
              epochs: 1,
              batchSize,
              shuffle: false,
              validationData: validation,
              verbose: 0,
              callbacks: {
                onEpochBegin: async () => {
                  epochStart = Date.now();
                },
                onBatchEnd: async (batch, logs) => {
                  lastBatchEnd = Date.now();
                  seen = Math.min(nTrain, (batch + 1) * batchSize);
                  const secs = Math.max(1e-3, (lastBatchEnd - epochStart) / 1000);
                  progress.batch({ epoch, batch, logs: (logs ?? {}) as Record<string, number>, samplesPerSecond: seen / secs });
                },
              },
            }),
          );
        } finally {
          if (xs !== xTrain) tf.dispose([xs, ys]);
        }
        if (options.signal?.aborted) throw abortError(epoch, options.checkpointDir);
        const ms = Math.max(1, lastBatchEnd - epochStart);
        trainedSamples += seen;
        trainingMs += ms;
        epochsRun++;
        const logs: EpochLogs = { epoch };
        // Training metrics first, then their val_ twins (tfjs lists val_ first).
        const keys = Object.keys(fitted.history).sort((a, b) => Number(a.startsWith("val_")) - Number(b.startsWith("val_")));
        for (const key of keys) {
          const v = fitted.history[key][fitted.history[key].length - 1];
          logs[key] = typeof v === "number" ? v : (v as tf.Tensor).dataSync()[0];
        }
        history.push(logs);

        if (early) {
          const value = logs[early.monitor];
          if (typeof value !== "number") {
            throw new TrainError(
              "BAD_OPTION",
              `Early stopping watches "${early.monitor}", which training does not log (it logs ${Object.keys(logs).filter((k) => k !== "epoch").join(", ")}). Pick one of those.`,
            );
          }
          const improved = !esState || (early.mode === "min" ? value < esState.best - early.minDelta : value > esState.best + early.minDelta);
          if (improved) {
            esState = { monitor: early.monitor, best: value, bestEpoch: epoch, wait: 0 };
            if (early.restoreBest) {
              tf.dispose(bestWeights);
              bestWeights = model.getWeights().map((w) => w.clone());
            }
          } else {
            esState = { ...esState!, wait: esState!.wait + 1 };
            if (esState.wait >= early.patience) stoppedEarly = true;
          }
        }
        finished = stoppedEarly || epoch === epochs - 1;
        if (finished && early?.restoreBest && bestWeights && esState && esState.bestEpoch !== epoch) model.setWeights(bestWeights);
        progress.epoch(logs, seen / (ms / 1000));
        if (options.checkpointDir) {
          // Keep the best weights only while they differ from the model's.
          const keepBest = !finished && early?.restoreBest && esState && esState.bestEpoch !== epoch ? bestWeights : undefined;
          await saveCheckpoint(
            options.checkpointDir,
            model,
            { epoch, history, seed: runSeed, finished, stoppedEarly, earlyStopping: esState, backend },
            { bestWeights: keepBest },
          );
        }
        await options.onEpochEnd?.({ ...logs });
      }
      const samplesPerSecond = trainingMs > 0 ? trainedSamples / (trainingMs / 1000) : 0;
      const result: FitResult = {
        history,
        samplesPerSecond,
        stoppedEarly,
        bestEpoch: esState?.bestEpoch,
        resumedFromEpoch,
        epochsRun,
        backend,
        backendMessage: check?.message,
        seed: runSeed,
        seconds: (Date.now() - started) / 1000,
      };
      if (epochsRun > 0) {
        const best = stoppedEarly && esState ? `; stopped early, best ${esState.monitor} ${esState.best.toPrecision(4)} at epoch ${esState.bestEpoch + 1}` : "";
        progress.end(`trained ${epochsRun} epoch${epochsRun === 1 ? "" : "s"} in ${result.seconds.toFixed(1)} s on ${backend}, ${Math.round(samplesPerSecond)} samples/s${best}`);
      }
      return result;
    } finally {
      options.signal?.removeEventListener("abort", abort);
    }
  } finally {
    tf.dispose(created);
    tf.dispose(bestWeights);
  }
}

function abortError(epoch: number, dir: string | undefined): TrainError {
  return new TrainError(
    "ABORTED",
    `Training was aborted during epoch ${epoch + 1}.` + (dir ? ` Run again with resume: true to continue from the last checkpoint in ${dir}.` : ""),
  );
}
