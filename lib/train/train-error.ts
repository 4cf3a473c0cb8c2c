import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type TrainErrorCode = ErrorCodesOf<"TrainError">;

/**
 * Thrown by the training helpers (fitModel, checkpoints, ensureTrainable, evaluateClassifier); its
 * codes, what they mean and what to do, are in lib/core/error-codes.ts.
 */
export class TrainError extends CustomAiError<TrainErrorCode> {}
