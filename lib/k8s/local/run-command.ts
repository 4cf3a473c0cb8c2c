// Runs the build's and kwokctl's commands: output kept (its tail goes into error messages),
// stopped through lib/core's one way (signal, grace, kill, reap) on abort, and killed if this
// process exits first.
import { spawn } from "node:child_process";
import { CustomAiError, killWithParent, stopProcess } from "../../core/index.js";

export interface CommandResult {
  exitCode: number | null;
  /** stdout and stderr interleaved, at most the last 64 kB. */
  output: string;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  abortSignal?: AbortSignal;
  /** What the command is, for the ABORTED message. */
  what: string;
}

const KEEP = 64 * 1024;

/** Runs `argv` to its end. Rejects with ENOENT's error when the program is missing, with ABORTED on abort. */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  if (options.abortSignal?.aborted) return Promise.reject(aborted(options.what));
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    const forget = killWithParent(child);
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-KEEP);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let wasAborted = false;
    const onAbort = () => {
      wasAborted = true;
      void stopProcess(child, { graceMs: 2_000 });
    };
    options.abortSignal?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      forget();
      options.abortSignal?.removeEventListener("abort", onAbort);
    };
    child.once("error", (error) => {
      done();
      reject(error);
    });
    child.once("close", (exitCode) => {
      done();
      if (wasAborted) reject(aborted(options.what));
      else resolve({ exitCode, output });
    });
  });
}

export function aborted(what: string): CustomAiError<"ABORTED"> {
  return new CustomAiError("ABORTED", `${what}: aborted.`);
}

/** The last lines of a command's output, indented, for an error message. */
export function tail(output: string, lines = 25): string {
  return output
    .trimEnd()
    .split("\n")
    .slice(-lines)
    .map((line) => `  ${line}`)
    .join("\n");
}
