// The notebook runner's error. lib/notebook/ imports no other lib folder (it runs any kernel and can
// be copied out alone), so RunnerError cannot extend lib/core's CustomAiError. It carries what makes
// one instead: the same brand (Symbol.for, which lib/core's isCustomAiError looks for), a `code`, a
// `hint` and an `exitCode`; the `custom-ai` CLI treats both alike (lib/cli/errors.ts). Its codes are
// also rows of the one table, lib/core/error-codes.ts (meaning, what to do, exit code): lib/cli/errors.ts
// fails to compile if this union and the table's RunnerError codes differ, and test/cli/errors.test.ts
// checks that EXIT_CODES below agrees with the table.

/** Why a notebook run stopped; lib/core/error-codes.ts says what each means and what to do. */
export type RunnerErrorCode =
  | "BAD_OPTION" // bad arguments or parameters
  | "BAD_NOTEBOOK" // unreadable or malformed .ipynb
  | "UNKNOWN_KERNEL" // no kernelspec of that name
  | "KERNEL_START" // the kernel did not start or answer in time
  | "KERNEL_DIED" // the kernel process exited while running (not by the user's abort)
  | "CELL_ERROR" // a cell failed
  | "OUTPUT_INCOMPLETE" // a cell ran, but the kernel never confirmed the end of its output
  | "TIMEOUT" // a cell or the notebook ran out of time
  | "ABORTED"; // stopped by its user: Ctrl-C (SIGINT) or the AbortSignal

/** The `custom-ai notebooks run` exit code of each (the same as lib/core/error-codes.ts). */
const EXIT_CODES: Record<RunnerErrorCode, number> = {
  BAD_OPTION: 2,
  BAD_NOTEBOOK: 2,
  UNKNOWN_KERNEL: 3,
  KERNEL_START: 3,
  KERNEL_DIED: 3,
  CELL_ERROR: 1,
  OUTPUT_INCOMPLETE: 1,
  TIMEOUT: 1,
  ABORTED: 130,
};

// The brand of lib/core/errors.ts (the same Symbol.for key).
const BRAND = Symbol.for("custom-ai-on-azure.error");

/** The one error class of the notebook runner: a `code`, and a message that says what to do. */
export class RunnerError extends Error {
  readonly code: RunnerErrorCode;
  readonly hint?: string;

  constructor(code: RunnerErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RunnerError";
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    Object.defineProperty(this, BRAND, { value: true });
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** The exit code for a run that stopped with `code`; 0 for none. */
export function exitCodeFor(code: RunnerErrorCode | undefined): number {
  return code ? EXIT_CODES[code] : 0;
}
