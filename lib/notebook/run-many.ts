// Several notebooks, up to N at a time, each with its own kernel.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { RunnerError, exitCodeFor, type RunnerErrorCode } from "./errors.js";
import { abortSignalOf, runNotebookOn, startKernelAhead, type KernelAhead, type NotebookResult, type RunEvent, type RunOptions } from "./runner.js";

export interface ManyOptions extends Omit<RunOptions, "outputPath"> {
  /** Folder for the executed notebooks (file names kept). */
  outDir?: string;
  parallel?: number;
  /**
   * Start the next notebooks' kernels while the current ones run (default true): once a notebook's
   * kernel is ready, the kernel of the next notebook in line starts, up to `parallel` ahead. tslab
   * takes seconds to start, and a notebook then finds its kernel ready. The kernel is the one the
   * run would start (same spec, folder and environment), so the executed notebooks are the same.
   */
  startAhead?: boolean;
}

export interface ManyResult {
  results: Array<NotebookResult | { path: string; ok: false; error: { code: RunnerErrorCode; message: string } }>;
  exitCode: number;
}

export function outputPathFor(file: string, outDir: string): string {
  return path.join(outDir, path.basename(file));
}

/** Runs the notebooks; a notebook that cannot be read is reported in its slot, not thrown. */
export async function runNotebooks(files: string[], options: ManyOptions = {}): Promise<ManyResult> {
  const names = new Map<string, string>();
  for (const f of files) {
    const base = path.basename(f);
    if (options.outDir && names.has(base)) {
      throw new RunnerError("BAD_OPTION", `Two notebooks named ${base} (${names.get(base)} and ${f}) would be written to the same file in ${options.outDir}; run them separately.`);
    }
    names.set(base, f);
  }
  if (options.outDir) {
    // Up front: an --out that cannot be written is the caller's to fix, before any notebook runs.
    try {
      mkdirSync(options.outDir, { recursive: true });
    } catch (e) {
      throw new RunnerError("BAD_OPTION", `The output folder ${options.outDir} cannot be created (${(e as Error).message}); choose another --out folder.`, { cause: e });
    }
  }
  const results: ManyResult["results"] = new Array(files.length);
  const n = Math.max(1, Math.min(options.parallel ?? 1, files.length));
  const abortSignal = abortSignalOf(options);
  let next = 0;
  // Kernels started ahead, by notebook index (undefined: tried, nothing to start ahead).
  const ahead = new Map<number, KernelAhead | undefined>();
  const startNextAhead = () => {
    if (options.startAhead === false || abortSignal?.aborted) return;
    for (let j = next; j < Math.min(files.length, next + n); j++) {
      if (ahead.has(j)) continue;
      ahead.set(j, startKernelAhead(files[j], options));
      return;
    }
  };
  const onProgress = (e: RunEvent) => {
    options.onProgress?.(e);
    if (e.type === "kernel-ready") startNextAhead();
  };
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      const mine = ahead.get(i);
      if (abortSignal?.aborted) {
        // Stopped by its user: the notebooks not started yet are not started.
        await mine?.release();
        results[i] = { path: file, ok: false, error: { code: "ABORTED", message: "Not run: the run was stopped (Ctrl-C or its AbortSignal) before this notebook started." } };
        continue;
      }
      try {
        results[i] = await runNotebookOn(file, { ...options, onProgress, outputPath: options.outDir ? outputPathFor(file, options.outDir) : undefined }, mine);
      } catch (e) {
        if (!(e instanceof RunnerError)) throw e;
        results[i] = { path: file, ok: false, error: { code: e.code, message: e.message } };
      } finally {
        // Not taken (the notebook could not be prepared): stop it.
        await mine?.release();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: n }, worker));
  } finally {
    await Promise.all([...ahead.values()].map((a) => a?.release()));
  }
  const exitCode = Math.max(0, ...results.map((r) => exitCodeFor(r.error?.code)));
  return { results, exitCode };
}
