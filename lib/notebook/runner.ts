// Runs one notebook headlessly: start its kernel, execute code cells in order, record every
// output, and write the executed notebook. Failure is read from execute_reply's status (tslab
// never sends an iopub error), and the failing cell is marked for readers and tests.
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { RunnerError, type RunnerErrorCode } from "./errors.js";
import { readGlue } from "./glue.js";
import { Kernel } from "./kernel.js";
import { resolveKernel, type LaunchMode } from "./kernelspec.js";
import { cellTags, readNotebook, sourceText, writeNotebook, type CodeCell, type Notebook, type Output } from "./nbformat.js";
import { DisplayRegistry, errorFromStderr, normaliseOutputs, OutputCollector } from "./outputs.js";
import { injectParameters, type Parameters } from "./parameters.js";

export type CellStatus = "ok" | "error" | "expected-error" | "timeout" | "kernel-died" | "output-incomplete" | "skipped" | "not-run";

export interface CellResult {
  index: number;
  id: string;
  status: CellStatus;
  executionCount: number | null;
  durationMs: number;
  outputs: Output[];
  error?: { ename: string; evalue: string };
}

export type RunEvent =
  | { type: "kernel-starting"; notebook: string }
  | { type: "kernel-ready"; notebook: string; ms: number }
  | { type: "cell-start"; notebook: string; index: number; ordinal: number; total: number }
  | { type: "cell-end"; notebook: string; index: number; ordinal: number; total: number; status: CellStatus; ms: number }
  | { type: "output"; notebook: string; index: number; output: Output }
  | { type: "warning"; notebook: string; message: string };

export interface RunOptions {
  /** Where to write the executed notebook. Never the input file. */
  outputPath?: string;
  /** Parameter values; with `rawParameters` they are CLI text, typed against the parameters cell. */
  parameters?: Record<string, unknown>;
  rawParameters?: boolean;
  /** Working directory of the kernel; default: the notebook's project root (see defaultKernelCwd). */
  cwd?: string;
  /** Kernel name; default: the notebook's metadata.kernelspec.name, else tslab. */
  kernelName?: string;
  launch?: LaunchMode;
  cellTimeoutMs?: number;
  timeoutMs?: number;
  startTimeoutMs?: number;
  /** After an interrupt, how long a cell gets to stop before the kernel is killed. */
  interruptGraceMs?: number;
  /**
   * After a cell's execute_reply, how long to wait for the kernel's `idle` (the end of the cell's
   * output) while no more of its output arrives; default 3000. Past it the cell fails with
   * OUTPUT_INCOMPLETE: its recorded output may be missing lines.
   */
  outputGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
}

export interface NotebookResult {
  path: string;
  outputPath?: string;
  ok: boolean;
  error?: { code: RunnerErrorCode; message: string };
  /** The first cell that failed, timed out or lost its kernel. */
  failedCell?: CellResult;
  cells: CellResult[];
  glue: Record<string, unknown>;
  parameters: Parameters;
  kernel: { name: string; source: string; startMs?: number };
  durationMs: number;
  notebook: Notebook;
}

/**
 * The kernel's default working directory: the notebook's project root (the nearest folder above it
 * with a package.json), else its folder. tslab compiles cells with rootDir = its working directory,
 * so a notebook can only import TypeScript (`./lib/...`) that lies under it.
 */
export function defaultKernelCwd(notebook: string): string {
  const start = path.dirname(path.resolve(notebook));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Prepares a notebook for a run: reads it, checks the output path, injects parameters. Throws
 * RunnerError (BAD_NOTEBOOK, USAGE) for what must be fixed before anything runs.
 */
function prepare(file: string, options: RunOptions) {
  if (options.outputPath && samePath(file, options.outputPath)) {
    throw new RunnerError("USAGE", `The output path ${options.outputPath} is the input notebook; choose another --out folder (the input is never overwritten).`);
  }
  const original = readNotebook(file);
  const injected = injectParameters(original, options.parameters ?? {}, { raw: options.rawParameters });
  const nb = injected.notebook;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code" || cellTags(cell).includes("skip-execution")) continue;
    cell.outputs = [];
    cell.execution_count = null;
    delete cell.metadata.custom_ai;
    delete cell.metadata.execution;
  }
  return { nb, injected };
}

export async function runNotebook(file: string, options: RunOptions = {}): Promise<NotebookResult> {
  const started = Date.now();
  const name = path.basename(file, ".ipynb");
  const emit = (e: RunEvent) => options.onEvent?.(e);
  const { nb, injected } = prepare(file, options);
  if (injected.noParametersCell && Object.keys(injected.parameters).length) {
    emit({ type: "warning", notebook: name, message: "no cell is tagged `parameters`; the injected parameters go first" });
  }
  for (const n of injected.undeclared) {
    if (!injected.noParametersCell) emit({ type: "warning", notebook: name, message: `parameter ${n} is not declared in the parameters cell` });
  }

  const kernelName = options.kernelName ?? nb.metadata.kernelspec?.name ?? "tslab";
  const codeCells = nb.cells.map((c, i) => [c, i] as const).filter(([c]) => c.cell_type === "code") as Array<readonly [CodeCell, number]>;
  const results = new Map<number, CellResult>();
  const total = codeCells.filter(([c]) => !cellTags(c).includes("skip-execution")).length;
  const deadline = options.timeoutMs ? started + options.timeoutMs : Infinity;
  let error: NotebookResult["error"];
  let failedCell: CellResult | undefined;
  let kernel: Kernel | undefined;
  let kernelInfo: NotebookResult["kernel"] = { name: kernelName, source: "unresolved" };
  let lastWrite = Date.now();

  const finishNotebook = (running = false): NotebookResult => {
    const cellResults = codeCells.map(([cell, index]): CellResult => {
      const r = results.get(index);
      if (!r) {
        // Not reached (yet): its outputs were cleared before the run.
        cell.metadata.custom_ai = { status: "not-run" };
        return { index, id: cell.id, status: "not-run", executionCount: null, durationMs: 0, outputs: [] };
      }
      cell.metadata.custom_ai = { status: r.status, duration_ms: r.durationMs, ...(r.error ? { error: r.error } : {}) };
      if (r.status !== "skipped") cell.outputs = normaliseOutputs(r.outputs);
      return r;
    });
    const glue = readGlue(nb.cells.map((c) => (c.cell_type === "code" ? { outputs: c.outputs } : {})));
    const durationMs = Date.now() - started;
    nb.metadata.custom_ai = {
      status: running ? "running" : error ? "failed" : "passed",
      started: new Date(started).toISOString(),
      duration_s: durationMs / 1000,
      kernel: kernelInfo,
      parameters: injected.parameters,
      ...(error ? { error } : {}),
      ...(failedCell ? { failed_cell: { index: failedCell.index, id: failedCell.id, status: failedCell.status, ...failedCell.error } } : {}),
      glue,
    };
    if (options.outputPath) writeNotebook(options.outputPath, nb);
    return {
      path: file,
      outputPath: options.outputPath,
      ok: !error,
      error,
      failedCell,
      cells: cellResults,
      glue,
      parameters: injected.parameters,
      kernel: kernelInfo,
      durationMs,
      notebook: nb,
    };
  };

  try {
    const spec = resolveKernel(kernelName, options.launch);
    kernelInfo = { name: spec.name, source: spec.source };
    emit({ type: "kernel-starting", notebook: name });
    const t0 = Date.now();
    kernel = await Kernel.start({
      spec,
      cwd: options.cwd ?? defaultKernelCwd(file),
      env: { ...options.env, CUSTOM_AI_NOTEBOOK: path.resolve(file) },
      startTimeoutMs: options.startTimeoutMs,
      signal: options.signal,
    });
    kernelInfo.startMs = Date.now() - t0;
    emit({ type: "kernel-ready", notebook: name, ms: kernelInfo.startMs });
    const onAbort = () => kernel?.kill();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const displays = new DisplayRegistry();
    let ordinal = 0;
    for (const [cell, index] of codeCells) {
      if (cellTags(cell).includes("skip-execution")) {
        results.set(index, { index, id: cell.id, status: "skipped", executionCount: cell.execution_count, durationMs: 0, outputs: cell.outputs });
        continue;
      }
      ordinal++;
      emit({ type: "cell-start", notebook: name, index, ordinal, total });
      const r = await runCell(kernel, cell, index, displays, Math.min(options.cellTimeoutMs ?? Infinity, deadline - Date.now()), options, (o) =>
        emit({ type: "output", notebook: name, index, output: o }),
      );
      if (r.status === "timeout" && Date.now() >= deadline && options.timeoutMs) {
        r.error = { ename: "NotebookTimeoutError", evalue: `The notebook ran out of its ${options.timeoutMs / 1000} s (--timeout); cell ${index} was stopped.` };
        r.outputs.push({ output_type: "error", ename: r.error.ename, evalue: r.error.evalue, traceback: [r.error.evalue] });
      }
      results.set(index, r);
      emit({ type: "cell-end", notebook: name, index, ordinal, total, status: r.status, ms: r.durationMs });
      if (options.signal?.aborted) {
        error = { code: "KERNEL_DIED", message: "The run was aborted." };
        failedCell = r;
        break;
      }
      const code = FAILURES[r.status];
      if (code) {
        failedCell = r;
        error = { code, message: `Cell ${index} (id ${cell.id}) ${describe(r)}` };
        break;
      }
      if (options.outputPath && Date.now() - lastWrite > 5000) {
        // Long notebooks: keep the output file current so a reader can follow along.
        finishNotebook(true);
        lastWrite = Date.now();
      }
    }
    options.signal?.removeEventListener("abort", onAbort);
  } catch (e) {
    const err = e instanceof RunnerError ? e : new RunnerError("KERNEL_START", (e as Error).message, { cause: e });
    if (err.code === "USAGE" || err.code === "BAD_NOTEBOOK") throw err;
    error = { code: err.code, message: err.message };
  } finally {
    await kernel?.shutdown();
  }
  return finishNotebook();
}

/** The cell statuses that fail a notebook (and stop it), with their error code. */
const FAILURES: Partial<Record<CellStatus, RunnerErrorCode>> = {
  error: "CELL_ERROR",
  timeout: "TIMEOUT",
  "kernel-died": "KERNEL_DIED",
  "output-incomplete": "OUTPUT_INCOMPLETE",
};

function describe(r: CellResult): string {
  const what = r.error ? `${r.error.ename}: ${r.error.evalue}` : r.status;
  if (r.status === "timeout") return `timed out. ${what}`;
  if (r.status === "kernel-died") return `lost its kernel. ${what}`;
  if (r.status === "output-incomplete") return `ran, but its output may be incomplete. ${what}`;
  return `failed. ${what}`;
}

async function runCell(
  kernel: Kernel,
  cell: CodeCell,
  index: number,
  displays: DisplayRegistry,
  timeoutMs: number,
  options: RunOptions,
  onOutput: (o: Output) => void,
): Promise<CellResult> {
  const code = sourceText(cell.source);
  const started = Date.now();
  const base = { index, id: cell.id };
  if (code.trim() === "") return { ...base, status: "ok", executionCount: null, durationMs: 0, outputs: [] };
  const timing: Record<string, string> = {};
  const graceMs = options.outputGraceMs ?? 3000;
  for (let attempt = 0; ; attempt++) {
    const collector = new OutputCollector(displays);
    const { done } = kernel.execute(
      code,
      (msg) => {
        const type = msg.header.msg_type;
        if (type === "status") timing[`iopub.status.${msg.content.execution_state}`] = msg.header.date;
        if (type === "execute_input") timing["iopub.execute_input"] = msg.header.date;
        const out = collector.handle(msg);
        if (out) onOutput(out);
      },
      graceMs,
    );
    let timedOut = false;
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    const limit = Number.isFinite(timeoutMs) ? Math.max(0, timeoutMs) : undefined;
    if (limit !== undefined) {
      timer = setTimeout(async () => {
        timedOut = true;
        await kernel.interrupt();
        await Promise.race([done.catch(() => undefined), sleep(options.interruptGraceMs ?? 5000)]);
        if (!killed && kernel.isAlive && !settled) {
          killed = true;
          kernel.kill();
        }
      }, limit);
    }
    let settled = false;
    const finish = (status: CellStatus, error?: { ename: string; evalue: string }): CellResult => {
      clearTimeout(timer);
      cell.metadata.execution = timing;
      const outputs = collector.outputs;
      if (error && status !== "expected-error" && !collector.hasErrorOutput) {
        outputs.push({ output_type: "error", ename: error.ename, evalue: error.evalue, traceback: [`${error.ename}: ${error.evalue}`] });
      }
      cell.execution_count = collector.executionCount;
      return { ...base, status, executionCount: collector.executionCount, durationMs: Date.now() - started, outputs, ...(error ? { error } : {}) };
    };
    try {
      const { reply, idleMissing } = await done;
      settled = true;
      timing["shell.execute_reply"] = reply.header.date;
      const content = reply.content as { status: string; execution_count?: number; ename?: string; evalue?: string };
      collector.executionCount = content.execution_count ?? collector.executionCount;
      if (content.status === "abort" && attempt < 5 && !timedOut) {
        // tslab refuses requests for 200 ms after a failed cell (it resets its queue): ask again.
        clearTimeout(timer);
        await sleep(250);
        continue;
      }
      if (timedOut) {
        const secs = (limit ?? 0) / 1000;
        return finish("timeout", { ename: "CellTimeoutError", evalue: `The cell did not finish within ${secs} s (--cell-timeout) and was interrupted.` });
      }
      if (content.status === "ok" && idleMissing) {
        // Never passed silently: without the idle, lines may have been dropped on the way.
        return finish("output-incomplete", {
          ename: "OutputIncompleteError",
          evalue:
            `The kernel never confirmed the end of this cell's output (no iopub idle within ${graceMs / 1000} s of its reply and last output), so some output may be missing. ` +
            "Print less (write large output to a file), or raise --output-grace (outputGraceMs) if the machine is slow.",
        });
      }
      if (content.status === "ok") return finish("ok");
      const err = collector.outputs.find((o) => o.output_type === "error") as Extract<Output, { output_type: "error" }> | undefined;
      const parsed = err ?? (content.ename ? { ename: content.ename, evalue: content.evalue ?? "" } : errorFromStderr(collector.stderr, `The kernel reported status "${content.status}".`));
      if (!err && !content.ename && "traceback" in parsed) {
        collector.outputs.push(parsed);
      }
      const error = { ename: parsed.ename, evalue: parsed.evalue };
      return finish(cellTags(cell).includes("raises-exception") ? "expected-error" : "error", error);
    } catch (e) {
      settled = true;
      if (!(e instanceof RunnerError) || e.code !== "KERNEL_DIED") throw e;
      if (timedOut) {
        return finish("timeout", { ename: "CellTimeoutError", evalue: `The cell did not finish within ${(limit ?? 0) / 1000} s (--cell-timeout); it ignored the interrupt, so the kernel was killed.` });
      }
      const exit = await kernel.exited;
      const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
      return finish("kernel-died", { ename: "DeadKernelError", evalue: `The kernel died while running this cell (${how}).` });
    }
  }
}
