import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type BackendErrorCode = ErrorCodesOf<"BackendError">;

/** Thrown when a tfjs backend cannot be used; its codes are in lib/core/error-codes.ts. */
export class BackendError extends CustomAiError<BackendErrorCode> {}
