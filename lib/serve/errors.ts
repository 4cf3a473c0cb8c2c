import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type ServeErrorCode = ErrorCodesOf<"ServeError">;
export type RequestErrorCode = ErrorCodesOf<"RequestError">;

/**
 * Thrown by the scoring server when it starts, and NON_FINITE_PREDICTION while serving (answered
 * 500 with the code, never sent as null); its codes, what they mean and what to do, are in
 * lib/core/error-codes.ts.
 */
export class ServeError extends CustomAiError<ServeErrorCode> {}

/**
 * A caller's mistake in one request: answered with `statusCode` and `{ error: message }`, never a
 * stack trace (the code stays out of the body). Also used for 503 (code UNAVAILABLE: loading, or
 * the queue is full) with a Retry-After, and 405 with its Allow header; any other status is
 * BAD_REQUEST.
 */
export class RequestError extends CustomAiError<RequestErrorCode> {
  readonly statusCode: number;
  readonly retryAfterS?: number;
  /** Response headers that go with the answer (e.g. `allow` on a 405). */
  readonly headers?: Record<string, string>;

  constructor(statusCode: number, message: string, retryAfterS?: number, headers?: Record<string, string>) {
    super(statusCode === 503 ? "UNAVAILABLE" : "BAD_REQUEST", message);
    this.statusCode = statusCode;
    if (retryAfterS !== undefined) this.retryAfterS = retryAfterS;
    if (headers !== undefined) this.headers = headers;
  }
}
