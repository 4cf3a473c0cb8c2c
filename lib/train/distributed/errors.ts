import { CustomAiError, type ErrorCodesOf } from "../../core/index.js";

/** Its codes, what they mean and what to do, are in lib/core/error-codes.ts. */
export type DistributedErrorCode = ErrorCodesOf<"DistributedTrainingError">;

/**
 * Thrown by multi-node training (lib/train/distributed). A BARRIER_TIMEOUT carries the epoch and
 * the missing ranks; its message says when each was last seen.
 */
export class DistributedTrainingError extends CustomAiError<DistributedErrorCode> {
  readonly epoch?: number;
  readonly ranks?: number[];

  constructor(code: DistributedErrorCode, message: string, options: { hint?: string; cause?: unknown; epoch?: number; ranks?: number[] } = {}) {
    super(code, message, options);
    if (options.epoch !== undefined) this.epoch = options.epoch;
    if (options.ranks !== undefined) this.ranks = options.ranks;
  }
}
