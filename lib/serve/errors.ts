import { CustomAiError } from "../core/index.js";

/**
 * Thrown by the scoring server when it starts. Codes: MODEL_NOT_FOUND (no model.onnx or
 * metadata.json in the folder), BAD_MODEL (ONNX Runtime cannot load it, or it does not fit its
 * metadata), UNSUPPORTED_PREPROCESSING (a metadata preprocessing step the server cannot apply),
 * BAD_OPTION (an invalid server option), EXECUTION_PROVIDER (the ONNX Runtime provider asked for,
 * e.g. cuda, cannot run here: the message says what is missing).
 */
export class ServeError extends CustomAiError {}

/**
 * A caller's mistake in one request: answered with `statusCode` and `{ error: message }`, never a
 * stack trace. Also used for 503 (queue full) with a Retry-After.
 */
export class RequestError extends Error {
  readonly statusCode: number;
  readonly retryAfterS?: number;

  constructor(statusCode: number, message: string, retryAfterS?: number) {
    super(message);
    this.name = "RequestError";
    this.statusCode = statusCode;
    if (retryAfterS !== undefined) this.retryAfterS = retryAfterS;
  }
}
