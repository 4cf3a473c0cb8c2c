import { CustomAiError, type ErrorCodesOf } from "../../core/index.js";

export type OnnxExportErrorCode = ErrorCodesOf<"OnnxExportError">;

/** Thrown by the ONNX export; its codes, what they mean and what to do, are in lib/core/error-codes.ts. */
export class OnnxExportError extends CustomAiError<OnnxExportErrorCode> {}
