import { CustomAiError } from "../../core/index.js";

export type DistributedErrorCode =
  | "BAD_WORKER_CONFIG" // a missing or invalid variable / config field
  | "UNKNOWN_DATASET" // a dataset name not in the registry
  | "BARRIER_TIMEOUT" // some ranks did not deliver an epoch's weights in time
  | "WORKER_FAILED" // another rank reported a failure
  | "RUN_EXISTS" // the run id already has a finished result
  | "SWEEP_INCOMPLETE"; // no (or not all) trial results

/**
 * Thrown by multi-node training (lib/train/distributed). A BARRIER_TIMEOUT carries the epoch and
 * the missing ranks; its message says when each was last seen.
 */
export class DistributedTrainingError extends CustomAiError {
  readonly epoch?: number;
  readonly ranks?: number[];

  constructor(code: DistributedErrorCode, message: string, options: { hint?: string; cause?: unknown; epoch?: number; ranks?: number[] } = {}) {
    super(code, message, options);
    if (options.epoch !== undefined) this.epoch = options.epoch;
    if (options.ranks !== undefined) this.ranks = options.ranks;
  }
}
