import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type SparkErrorCode = ErrorCodesOf<"SparkError">;

/**
 * Thrown by lib/spark (spark-submit, Livy batches); its codes, what they mean and what to do are in
 * lib/core/error-codes.ts. `logTail` holds the driver log's last lines when a job failed.
 */
export class SparkError extends CustomAiError<SparkErrorCode> {
  readonly logTail?: string[];

  constructor(code: SparkErrorCode, message: string, options: { hint?: string; cause?: unknown; logTail?: string[] } = {}) {
    super(code, message, options);
    if (options.logTail) this.logTail = options.logTail;
  }
}
