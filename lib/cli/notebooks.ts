// `custom-ai notebooks run`: the headless runner on the command line.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { LaunchMode } from "../notebook/index.js";
import { interruptible } from "./interrupt.js";

const seconds = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes a positive number of seconds.`);
  return n;
};
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("--parallel takes a whole number ≥ 1.");
  return n;
};
const collect = (v: string, acc: string[]) => [...acc, v];
// Loaded when a notebook command runs: `custom-ai score` and `serve` (and their images) should not
// pay for the runner, zeromq included.
const runner = () => import("../notebook/index.js");

/** Expands paths, folders (their *.ipynb) and globs, in the order given, without duplicates. */
export async function expandNotebookArgs(args: string[]): Promise<string[]> {
  const { RunnerError } = await runner();
  // zx (for its glob) costs ~0.3 s to load: only when a glob or a folder needs it.
  const glob = async (pattern: string, options?: { onlyFiles?: boolean }) => (await import("zx")).glob(pattern, options);
  const files: string[] = [];
  for (const arg of args) {
    if (/[*?[{]/.test(arg)) {
      const found = (await glob(arg, { onlyFiles: true })).filter((f) => f.endsWith(".ipynb")).sort();
      if (found.length === 0) throw new RunnerError("BAD_OPTION", `No notebooks match ${arg}.`);
      files.push(...found);
    } else if (existsSync(arg) && statSync(arg).isDirectory()) {
      const found = (await glob(path.join(arg, "*.ipynb").replace(/\\/g, "/"))).sort();
      if (found.length === 0) throw new RunnerError("BAD_OPTION", `The folder ${arg} has no .ipynb notebooks.`);
      files.push(...found);
    } else {
      files.push(arg); // A missing file is reported by the runner, in its own slot.
    }
  }
  return [...new Set(files.map((f) => path.normalize(f)))];
}

export function notebooksCommand(setExit: (code: number) => void): Command {
  const cmd = new Command("notebooks").description("Run Jupyter notebooks headlessly");
  cmd
    .command("run")
    .description("Execute notebooks with their kernel and write them, with outputs, to --out")
    .argument("<notebooks...>", "notebook files, folders or globs")
    .option("--out <dir>", "folder for the executed notebooks", "out/notebooks")
    .option("-p, --parameter <name=value>", "set a parameter (repeatable); typed as the parameters cell declares it", collect, [])
    .option("--timeout <seconds>", "time limit per notebook", seconds("--timeout"))
    .option("--cell-timeout <seconds>", "time limit per cell", seconds("--cell-timeout"))
    .option("--startup-timeout <seconds>", "time the kernel gets to start", seconds("--startup-timeout"), 60)
    .option("--output-grace <seconds>", "after a cell's reply, how long to wait for the rest of its output (default 3)", seconds("--output-grace"))
    .option("--parallel <n>", "notebooks run at once, each with its own kernel", positiveInt, 1)
    .option("--cwd <dir>", "working directory of the kernels (default: each notebook's folder)")
    .option("--kernel <name>", "kernel to use instead of the notebook's kernelspec")
    .option("--kernelspec", "launch tslab from its installed kernelspec instead of the project's tslab")
    .option("--log-output", "print each cell's output as it arrives")
    .option("--json", "print the results as JSON on stdout")
    .action(async (args: string[], o) => {
      const { formatSummary, parseParameterArgs, ProgressReporter, RunnerError, runNotebooks } = await runner();
      const files = await expandNotebookArgs(args);
      const params = parseParameterArgs(o.parameter);
      if (o.cwd && !(existsSync(o.cwd) && statSync(o.cwd).isDirectory())) throw new RunnerError("BAD_OPTION", `--cwd ${o.cwd} is not a folder.`);
      const reporter = new ProgressReporter(process.stderr, Boolean(o.logOutput));
      const stop = interruptible({ say: () => reporter.log("Interrupted: stopping the kernels and writing what ran so far…") });
      reporter.start();
      try {
        const run = await runNotebooks(files, {
          outDir: o.out,
          parameters: params,
          rawParameters: true,
          timeoutMs: o.timeout && o.timeout * 1000,
          cellTimeoutMs: o.cellTimeout && o.cellTimeout * 1000,
          startTimeoutMs: o.startupTimeout * 1000,
          outputGraceMs: o.outputGrace && o.outputGrace * 1000,
          parallel: o.parallel,
          cwd: o.cwd && path.resolve(o.cwd),
          kernelName: o.kernel,
          launch: (o.kernelspec ? "kernelspec" : "auto") as LaunchMode,
          onProgress: reporter.onProgress,
          abortSignal: stop.signal,
        });
        reporter.stop();
        if (o.json) {
          const slim = run.results.map((r) => ({ ...r, notebook: undefined, cells: "cells" in r ? r.cells.map((c) => ({ ...c, outputs: undefined })) : undefined }));
          process.stdout.write(JSON.stringify({ exitCode: run.exitCode, results: slim }, null, 2) + "\n");
        } else {
          process.stdout.write(formatSummary(run) + "\n");
          if (o.out) process.stdout.write(`Executed notebooks: ${o.out}\n`);
        }
        // Ctrl-C: the notebooks it stopped are ABORTED, so run.exitCode is 130.
        setExit(run.exitCode);
      } finally {
        reporter.stop();
        stop.done();
      }
    });
  return cmd;
}
