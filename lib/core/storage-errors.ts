import type { ErrorCodesOf } from "./error-codes.js";
import { CustomAiError } from "./errors.js";

export type StorageErrorCode = ErrorCodesOf<"StorageError">;

/**
 * Thrown by the storage helpers (storage URLs, file and Blob stores, the Azurite emulator); its
 * codes, what they mean and what to do, are in lib/core/error-codes.ts.
 */
export class StorageError extends CustomAiError<StorageErrorCode> {}
