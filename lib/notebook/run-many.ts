// Several notebooks, up to N at a time, each with its own kernel.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { RunnerError, exitCodeFor, type RunnerErrorCode } from "./errors.js";
import { runNotebook, type NotebookResult, type RunOptions } from "./runner.js";

export interface ManyOptions extends Omit<RunOptions, "outputPath"> {
  /** Folder for the executed notebooks (file names kept). */
  outDir?: string;
  parallel?: number;
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
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      if (options.signal?.aborted) {
        // Stopped by its user: the notebooks not started yet are not started.
        results[i] = { path: file, ok: false, error: { code: "ABORTED", message: "Not run: the run was stopped (Ctrl-C or its AbortSignal) before this notebook started." } };
        continue;
      }
      try {
        results[i] = await runNotebook(file, { ...options, outputPath: options.outDir ? outputPathFor(file, options.outDir) : undefined });
      } catch (e) {
        if (!(e instanceof RunnerError)) throw e;
        results[i] = { path: file, ok: false, error: { code: e.code, message: e.message } };
      }
    }
  };
  const n = Math.max(1, Math.min(options.parallel ?? 1, files.length));
  await Promise.all(Array.from({ length: n }, worker));
  const exitCode = Math.max(0, ...results.map((r) => exitCodeFor(r.error?.code)));
  return { results, exitCode };
}
