// Early stopping for fitModel: watch one logged value, stop after `patience` epochs without
// improvement, and keep (and put back) the best epoch's weights. Its state travels in checkpoints.
import * as tf from "@tensorflow/tfjs";
import type { CheckpointManifest, EarlyStoppingState, EpochLogs } from "./checkpoint.js";
import { TrainError } from "./train-error.js";

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

/** One run's early stopping; with `option` unset it only carries a resumed run's state along. */
export class EarlyStopping {
  readonly options?: Required<EarlyStoppingOptions>;
  /** Best value so far, its epoch, and the epochs since. */
  state?: EarlyStoppingState;
  /** True once the run stopped early (also when resumed from a run that had). */
  stopped = false;
  /** The best epoch's weights (owned here), with restoreBest. */
  private bestWeights?: tf.Tensor[];

  constructor(option: boolean | EarlyStoppingOptions | undefined, hasValidation: boolean) {
    if (!option) return;
    const o = option === true ? {} : option;
    const monitor = o.monitor ?? (hasValidation ? "val_loss" : "loss");
    const mode = o.mode && o.mode !== "auto" ? o.mode : /acc|auc|precision|recall|f1/i.test(monitor) ? "max" : "min";
    this.options = { monitor, mode, patience: o.patience ?? 3, minDelta: o.minDelta ?? 0, restoreBest: o.restoreBest ?? true };
    if (monitor.startsWith("val_") && !hasValidation) {
      throw new TrainError("BAD_OPTION", `Early stopping watches "${monitor}", but there is no validation set. Pass validationData or validationSplit, or monitor "loss".`);
    }
  }

  /** Takes over the state of a checkpoint restored into `model` (and its best weights, when it kept them). */
  resume(manifest: CheckpointManifest, bestWeights: tf.Tensor[] | undefined, model: tf.LayersModel): void {
    this.state = manifest.earlyStopping;
    this.stopped = Boolean(manifest.stoppedEarly);
    this.bestWeights = bestWeights;
    // The checkpoint's epoch was the best one: the model holds its weights.
    if (!this.bestWeights && this.options?.restoreBest && this.state?.bestEpoch === manifest.epoch) this.bestWeights = model.getWeights().map((w) => w.clone());
    // A different monitor starts its count afresh.
    if (this.options && this.state && this.state.monitor !== this.options.monitor) this.state = undefined;
  }

  /** Counts an epoch's logs: a new best (its weights kept), or one more epoch without; sets `stopped`. */
  update(logs: EpochLogs, model: tf.LayersModel): void {
    const o = this.options;
    if (!o) return;
    const value = logs[o.monitor];
    if (typeof value !== "number") {
      throw new TrainError(
        "BAD_OPTION",
        `Early stopping watches "${o.monitor}", which training does not log (it logs ${Object.keys(logs).filter((k) => k !== "epoch").join(", ")}). Pick one of those.`,
      );
    }
    const s = this.state;
    const improved = !s || (o.mode === "min" ? value < s.best - o.minDelta : value > s.best + o.minDelta);
    if (improved) {
      this.state = { monitor: o.monitor, best: value, bestEpoch: logs.epoch, wait: 0 };
      if (o.restoreBest) {
        tf.dispose(this.bestWeights);
        this.bestWeights = model.getWeights().map((w) => w.clone());
      }
    } else {
      this.state = { ...s!, wait: s!.wait + 1 };
      if (this.state.wait >= o.patience) this.stopped = true;
    }
  }

  /** Whether `model` holds other weights than the best epoch's after `epoch` (which restoreBest would put back). */
  private behindBest(epoch: number): boolean {
    return Boolean(this.options?.restoreBest && this.state && this.state.bestEpoch !== epoch);
  }

  /** At the end of training (after `epoch`): puts the best epoch's weights back, with restoreBest. */
  restoreBest(model: tf.LayersModel, epoch: number): void {
    if (this.bestWeights && this.behindBest(epoch)) model.setWeights(this.bestWeights);
  }

  /** The best weights a checkpoint after `epoch` must keep: only while they differ from the model's. */
  weightsToCheckpoint(finished: boolean, epoch: number): tf.Tensor[] | undefined {
    return !finished && this.behindBest(epoch) ? this.bestWeights : undefined;
  }

  /** One line on how it stopped, for the end of the progress output ("" when it did not). */
  summary(): string {
    const s = this.state;
    return this.stopped && s ? `; stopped early, best ${s.monitor} ${s.best.toPrecision(4)} at epoch ${s.bestEpoch + 1}` : "";
  }

  dispose(): void {
    tf.dispose(this.bestWeights);
    this.bestWeights = undefined;
  }
}
