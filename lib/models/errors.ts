import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type ModelErrorCode = ErrorCodesOf<"ModelError">;

/** Thrown by lib/models; its codes, what they mean and what to do, are in lib/core/error-codes.ts. */
export class ModelError extends CustomAiError<ModelErrorCode> {}
