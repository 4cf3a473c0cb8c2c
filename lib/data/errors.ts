import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type DataErrorCode = ErrorCodesOf<"DataError">;

/** Thrown by lib/data; its codes, what they mean and what to do, are in lib/core/error-codes.ts. */
export class DataError extends CustomAiError<DataErrorCode> {}
