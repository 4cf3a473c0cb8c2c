/** Why a notebook run stopped, mapped onto the CLI's exit codes. */
export type RunnerErrorCode =
  | "USAGE" // bad arguments or parameters
  | "BAD_NOTEBOOK" // unreadable or malformed .ipynb
  | "UNKNOWN_KERNEL" // no kernelspec of that name
  | "KERNEL_START" // the kernel did not start or answer in time
  | "KERNEL_DIED" // the kernel process exited while running
  | "CELL_ERROR" // a cell failed
  | "OUTPUT_INCOMPLETE" // a cell ran, but the kernel never confirmed the end of its output
  | "TIMEOUT"; // a cell or the notebook ran out of time

const EXIT_CODES: Record<RunnerErrorCode, number> = {
  USAGE: 2,
  BAD_NOTEBOOK: 2,
  UNKNOWN_KERNEL: 3,
  KERNEL_START: 3,
  KERNEL_DIED: 3,
  CELL_ERROR: 1,
  OUTPUT_INCOMPLETE: 1,
  TIMEOUT: 1,
};

/** The one error class of the notebook runner: a `code`, and a message that says what to do. */
export class RunnerError extends Error {
  readonly code: RunnerErrorCode;
  constructor(code: RunnerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RunnerError";
    this.code = code;
  }
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export function exitCodeFor(code: RunnerErrorCode | undefined): number {
  return code ? EXIT_CODES[code] : 0;
}
