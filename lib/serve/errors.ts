import { CustomAiError } from "../core/index.js";

/**
 * Thrown by the scoring server when it starts. Codes: MODEL_NOT_FOUND (no model.onnx or
 * metadata.json in the folder), BAD_MODEL (ONNX Runtime cannot load it, or it does not fit its
 * metadata), UNSUPPORTED_PREPROCESSING (a metadata preprocessing step the server cannot apply),
 * BAD_OPTION (an invalid server option), EXECUTION_PROVIDER (the ONNX Runtime provider asked for,
 * e.g. cuda, cannot run here: the message says what is missing). While serving: NON_FINITE_PREDICTION
 * (the model's output for valid inputs is NaN or ±Infinity: answered 500, never sent as null).
 */
export class ServeError extends CustomAiError {}

/**
 * A caller's mistake in one request: answered with `statusCode` and `{ error: message }`, never a
 * stack trace. Also used for 503 (queue full) with a Retry-After, and 405 with its Allow header.
 */
export class RequestError extends Error {
  readonly statusCode: number;
  readonly retryAfterS?: number;
  /** Response headers that go with the answer (e.g. `allow` on a 405). */
  readonly headers?: Record<string, string>;

  constructor(statusCode: number, message: string, retryAfterS?: number, headers?: Record<string, string>) {
    super(message);
    this.name = "RequestError";
    this.statusCode = statusCode;
    if (retryAfterS !== undefined) this.retryAfterS = retryAfterS;
    if (headers !== undefined) this.headers = headers;
  }
}
