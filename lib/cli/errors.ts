// The one way the `custom-ai` command ends on an error. Every subcommand throws; main.ts catches
// and calls reportError, which prints
//   custom-ai: <message> [<CODE>]
//     What to do: <the error's hint, else the code's row in lib/core/error-codes.ts>
// on stderr and returns the exit code the table gives the code (2 usage, 1 failed, 3 kernel, 130
// aborted). A toolkit error never shows a stack trace; anything else is a bug, so it says so, and
// shows its stack with --debug or CUSTOM_AI_DEBUG=1.
import { CommanderError } from "commander";
import { ERROR_CODES, exitCodeOf, isCustomAiError, isErrorCode, type ErrorCodesOf } from "../core/index.js";
import type { RunnerErrorCode } from "../notebook/index.js";

// lib/notebook/ imports no other lib folder, so it declares its codes itself: this line fails to
// compile when its union and the table's RunnerError rows differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<RunnerErrorCode, ErrorCodesOf<"RunnerError">>;

/** Exit code of a usage error: one commander refuses (an unknown option, a value that does not parse). */
export const USAGE_EXIT = 2;

export interface ReportOptions {
  /** Print the stack of an unexpected error. Default: CUSTOM_AI_DEBUG=1. */
  debug?: boolean;
  /** Default: process.stderr. */
  write?: (text: string) => void;
}

/** True when the command line or the environment asks for stack traces. */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes("--debug") || env.CUSTOM_AI_DEBUG === "1";
}

/** Prints what went wrong and what to do (stderr); returns the exit code. */
export function reportError(error: unknown, options: ReportOptions = {}): number {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  const debug = options.debug ?? process.env.CUSTOM_AI_DEBUG === "1";
  if (error instanceof CommanderError) {
    // commander printed it already (main.ts words it as ours, with a what-to-do line): --help and
    // --version end with 0, anything else is a usage error.
    return error.exitCode === 0 ? 0 : USAGE_EXIT;
  }
  if (isCustomAiError(error)) {
    const hint = error.hint ?? (isErrorCode(error.code) ? ERROR_CODES[error.code].todo : undefined);
    // The code goes on the first line: a multi-line message (a pod's log lines, a cell's output)
    // would otherwise bury it after the last one.
    const [first, ...rest] = error.message.split("\n");
    write(`custom-ai: ${first} [${error.code}]\n${rest.map((line) => `${line}\n`).join("")}`);
    if (hint) write(`  What to do: ${hint}\n`);
    if (debug && error.stack) write(`${error.stack}\n`);
    return exitCodeOf(error.code);
  }
  // Not the toolkit's own error: a bug, or a failure it does not know how to explain.
  const e = error instanceof Error ? error : new Error(String(error));
  write(`custom-ai: unexpected error: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}\n`);
  if (debug) write(`${e.stack ?? "(no stack trace)"}\n`);
  else write("  What to do: this is probably a bug in custom-ai. Run the command again with --debug (or CUSTOM_AI_DEBUG=1) and report the output with the stack trace.\n");
  return 1;
}
