import { exitCodeOf, type ErrorCode, type ExitCode } from "./error-codes.js";

/**
 * The brand of a toolkit error. Symbol.for: shared by every copy of this module (tslab and tsx may
 * each load one), and by lib/notebook/errors.ts's RunnerError, which cannot extend this class
 * (notebook/ imports no other lib folder) and carries the brand instead.
 */
const BRAND = Symbol.for("custom-ai-on-azure.error");

/**
 * Base error of the toolkit. Every boundary (config, storage, data, training, models, serving, jobs)
 * throws a subclass with a stable `code` to branch on (lib/core/error-codes.ts lists them all, with
 * what to do and the CLI's exit code), and a message that says what to do next; `hint` carries an
 * optional extra step (a command to run, a variable to set).
 */
export class CustomAiError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly hint?: string;

  constructor(code: C, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The `custom-ai` command's exit code for this error (ERROR_CODES). */
  get exitCode(): ExitCode {
    return exitCodeOf(this.code);
  }
}

/**
 * True for a toolkit error: a CustomAiError (or subclass), also one made by another copy of this
 * module, and lib/notebook's RunnerError (same brand, `code`, `hint` and `exitCode`).
 */
export function isCustomAiError(value: unknown): value is CustomAiError {
  return value instanceof CustomAiError || (value instanceof Error && BRAND in value);
}
