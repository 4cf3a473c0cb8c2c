import { CustomAiError, type ErrorCodesOf } from "../../core/index.js";

export type BatchScoringErrorCode = ErrorCodesOf<"BatchScoringError">;

/**
 * Thrown by the batch scorer; its codes, what they mean and what to do, are in
 * lib/core/error-codes.ts. After ABORTED and WORKER_FAILED the committed partitions are kept, so
 * running the same job again finishes it.
 */
export class BatchScoringError extends CustomAiError<BatchScoringErrorCode> {}
