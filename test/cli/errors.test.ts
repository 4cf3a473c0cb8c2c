// The one error path of `custom-ai` (lib/cli/errors.ts) and the one table of codes
// (lib/core/error-codes.ts): real processes, their stderr and exit codes; the README's tables.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { CommanderError } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { reportError } from "../../lib/cli/errors.js";
import { CustomAiError, ERROR_CODES, exitCodeOf, isCustomAiError, StorageError } from "../../lib/core/index.js";
import { exitCodeFor, readNotebook, RunnerError, type RunnerErrorCode } from "../../lib/notebook/index.js";
import { RequestError, ServeError } from "../../lib/serve/index.js";
import { ImageInputError } from "../../lib/serve/image/index.js";
import { CorruptInput } from "../../lib/serve/batch/readers.js";
import { writePartitions, writeTinyModel } from "../serve/batch-helpers.js";
import { tempDir } from "../support/temp.js";
import { readmeErrorTables, renderErrorTables } from "./error-table.js";

interface Proc {
  code: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
  /** Until stderr or stdout matches. */
  waitFor: (re: RegExp) => Promise<void>;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  // A test that failed half-way leaves no process behind (batch workers leave with their parent).
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  running.clear();
});

/** `node <entry> args...` from the project root, with CUSTOM_AI_DEBUG unset unless `env` sets it. */
function run(entry: string[], args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [...entry, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CUSTOM_AI_DEBUG: "", CI: "1", ...env } });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = new Promise<number | null>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? -1 : null))));
  return {
    code,
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => child.kill(signal),
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(err) || re.test(out)) return resolve();
          if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode} before ${re}:\n${err}\n${out}`));
          setTimeout(check, 50);
        };
        check();
      }),
  };
}
const cli = (args: string[], env?: NodeJS.ProcessEnv) => run(["bin/custom-ai.mjs"], args, env);
const STACK = /\n\s+at /;

describe("the code table", () => {
  it("is the README's: its exit codes and error codes are generated from lib/core/error-codes.ts", () => {
    // On a difference: `npm run docs:errors` rewrites the README's block.
    expect(readmeErrorTables()).toBe(renderErrorTables());
  });

  it("gives RunnerError the exit codes the runner uses, and the toolkit's errors one brand", () => {
    const runnerCodes = Object.entries(ERROR_CODES).filter(([, info]) => (info.by as readonly string[]).includes("RunnerError"));
    expect(runnerCodes.length).toBe(9);
    for (const [code, info] of runnerCodes) {
      expect(exitCodeFor(code as RunnerErrorCode), code).toBe(info.exit);
      const error = new RunnerError(code as RunnerErrorCode, "m");
      expect(error.exitCode).toBe(info.exit);
      expect(isCustomAiError(error)).toBe(true);
    }
    expect(exitCodeOf("ABORTED")).toBe(130);
    expect(exitCodeOf("NOT_A_CODE")).toBe(1);
    // The four classes that extended Error now extend CustomAiError, with a code from the table.
    const request = new RequestError(415, "Send JSON.");
    const busy = new RequestError(503, "Queue full.", 1);
    const image = new ImageInputError("corrupt", "is a corrupt PNG");
    const corrupt = new CorruptInput("line 3 has 2 columns, the header 5");
    for (const e of [request, busy, image, corrupt]) expect(e).toBeInstanceOf(CustomAiError);
    expect([request.code, busy.code, image.code, corrupt.code]).toEqual(["BAD_REQUEST", "UNAVAILABLE", "BAD_IMAGE", "CORRUPT_INPUT"]);
    expect([request.name, image.name, corrupt.name, image.problem]).toEqual(["RequestError", "ImageInputError", "CorruptInput", "corrupt"]);
    expect(new ServeError("BAD_MODEL", "m").exitCode).toBe(1);
    expect(new StorageError("BAD_STORAGE_URL", "m").exitCode).toBe(2);
  });
});

describe("reportError", () => {
  const report = (error: unknown, debug = false) => {
    let text = "";
    const code = reportError(error, { debug, write: (t) => void (text += t) });
    return { code, text };
  };

  it("prints a toolkit error's message, code and what to do: its hint, else its code's row", () => {
    expect(report(new ServeError("START_FAILED", "Cannot listen on 127.0.0.1:80: EACCES.", { hint: "Choose another --port." }))).toEqual({
      code: 1,
      text: "custom-ai: Cannot listen on 127.0.0.1:80: EACCES. [START_FAILED]\n  What to do: Choose another --port.\n",
    });
    expect(report(new RunnerError("ABORTED", "Stopped."))).toEqual({ code: 130, text: `custom-ai: Stopped. [ABORTED]\n  What to do: ${ERROR_CODES.ABORTED.todo}\n` });
    expect(report(new RunnerError("BAD_OPTION", "No notebooks match x/*.ipynb.")).code).toBe(2);
    expect(report(new RunnerError("KERNEL_START", "No answer.")).code).toBe(3);
  });

  it("puts the code on a multi-line message's first line, not after its last (a pod's log lines)", () => {
    const { text } = report(new ServeError("START_FAILED", "The server exited.\nlog: line 1\nlog: line 2", { hint: "Read the log." }));
    expect(text).toBe("custom-ai: The server exited. [START_FAILED]\nlog: line 1\nlog: line 2\n  What to do: Read the log.\n");
  });

  it("calls anything else a bug: no stack unless asked for", () => {
    const plain = report(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(plain.code).toBe(1);
    expect(plain.text).toMatch(/^custom-ai: unexpected error: TypeError: Cannot read properties of undefined \(reading 'x'\)\n {2}What to do: .*--debug.*report/);
    expect(plain.text).not.toMatch(STACK);
    expect(report(new TypeError("boom"), true).text).toMatch(STACK);
    expect(report("a string").text).toMatch(/^custom-ai: unexpected error: a string\n/);
  });

  it("ends commander's usage errors with 2, --help with 0 (commander printed them)", () => {
    expect(report(new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'"))).toEqual({ code: 2, text: "" });
    expect(report(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"))).toEqual({ code: 0, text: "" });
  });
});

describe("custom-ai: one error path for every subcommand", () => {
  it("usage errors: commander's and the toolkit's read alike and exit 2, without a stack", async () => {
    const unknown = cli(["notebooks", "run", "x.ipynb", "--paralel", "2"]);
    expect(await unknown.code).toBe(2);
    expect(unknown.stderr()).toMatch(/^custom-ai: unknown option '--paralel'\n\(Did you mean --parallel\?\)\n {2}What to do: see `custom-ai notebooks run --help` for the options\.\n$/);
    const glob = cli(["notebooks", "run", "no-such-folder/*.ipynb"]);
    expect(await glob.code).toBe(2);
    expect(glob.stderr()).toMatch(/^custom-ai: No notebooks match no-such-folder\/\*\.ipynb\. \[BAD_OPTION\]\n {2}What to do: /);
    const dir = tempDir("cai-cli-errors-");
    const url = cli(["score", "--model", "ftp://host/model", "--input", dir, "--output", path.join(dir, "out")]);
    expect(await url.code).toBe(2);
    expect(url.stderr()).toMatch(/custom-ai: Storage URL "ftp:\/\/host\/model" cannot be used: .* \[BAD_STORAGE_URL\]\n {2}What to do: /);
    for (const p of [unknown, glob, url]) expect(p.stderr()).not.toMatch(STACK);
  });

  it("a failure exits 1 with the message and what to do; --debug adds the stack", async () => {
    const dir = tempDir("cai-cli-errors-");
    writePartitions(path.join(dir, "in"), 1, 10);
    const args = ["score", "--model", path.join(dir, "no-model"), "--input", path.join(dir, "in"), "--output", path.join(dir, "out")];
    const plain = cli(args);
    expect(await plain.code).toBe(1);
    expect(plain.stderr()).toMatch(/^custom-ai: No model\.onnx in .* \[[A-Z_]+\]\n {2}What to do: .+\n$/);
    const debug = cli(["--debug", ...args]);
    expect(await debug.code).toBe(1);
    expect(debug.stderr()).toMatch(STACK);
  });

  it("an error that is not the toolkit's is called a bug, with its stack only on request", async () => {
    // A `custom-ai` with one more subcommand, which has a bug (test/cli/fixtures/buggy-cli.ts).
    const buggy = (args: string[], env?: NodeJS.ProcessEnv) => run(["bin/run-ts.mjs", "test/cli/fixtures/buggy-cli.ts"], args, env);
    const plain = buggy(["buggy"]);
    expect(await plain.code).toBe(1);
    expect(plain.stderr()).toMatch(/^custom-ai: unexpected error: TypeError: .*\n {2}What to do: this is probably a bug in custom-ai\. Run the command again with --debug/);
    expect(plain.stderr()).not.toMatch(STACK);
    const flag = buggy(["buggy", "--debug"]);
    expect(await flag.code).toBe(1);
    expect(flag.stderr()).toMatch(/buggy-cli\.ts/);
    const env = buggy(["buggy"], { CUSTOM_AI_DEBUG: "1" });
    expect(await env.code).toBe(1);
    expect(env.stderr()).toMatch(STACK);
  });

  it("Ctrl-C in `notebooks run` is ABORTED, exit 130 — not KERNEL_DIED — and the notebook keeps what ran", async () => {
    const out = tempDir("cai-cli-errors-");
    const p = cli(["notebooks", "run", "test/notebook/fixtures/never-ends.ipynb", "test/notebook/fixtures/slow.ipynb", "--out", out]);
    await p.waitFor(/\[never-ends\] cell 1\/3 ok/);
    p.kill("SIGINT");
    expect(await p.code).toBe(130);
    expect(p.stdout()).toMatch(/never-ends\.ipynb\s+aborted/);
    expect(p.stdout()).toMatch(/\[ABORTED\] Stopped by its user \(Ctrl-C or the AbortSignal\) during cell 1/);
    expect(p.stdout()).toMatch(/slow\.ipynb: \[ABORTED\] Not run/);
    expect(p.stdout()).not.toContain("KERNEL_DIED");
    const nb = readNotebook(path.join(out, "never-ends.ipynb"));
    expect(nb.metadata.custom_ai).toMatchObject({ status: "aborted", error: { code: "ABORTED" }, failed_cell: { index: 1, status: "aborted" } });
  });

  it("Ctrl-C in `score` stops the workers: ABORTED, exit 130, committed partitions kept", async () => {
    const dir = tempDir("cai-cli-errors-");
    await writeTinyModel(path.join(dir, "model"));
    writePartitions(path.join(dir, "in"), 2, 300);
    // One worker: it commits part-000, then pauses 100 rows into part-001 until it is stopped.
    const p = cli(["score", "--model", path.join(dir, "model"), "--input", path.join(dir, "in"), "--output", path.join(dir, "out"), "--workers", "1", "--batch-size", "100", "--log"], {
      CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS: "400",
    });
    await p.waitFor(/paused pid=/);
    p.kill("SIGINT");
    expect(await p.code).toBe(130);
    expect(p.stderr()).toMatch(/custom-ai: Batch scoring was stopped; 1 of 2 partitions are committed and kept\..* \[ABORTED\]\n {2}What to do: /);
  });
});
