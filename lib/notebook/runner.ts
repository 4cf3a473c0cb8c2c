// Runs one notebook headlessly: start its kernel, execute code cells in order, record every
// output, and write the executed notebook. Failure is read from execute_reply's status (tslab
// never sends an iopub error), and the failing cell is marked for readers and tests.
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import type { CellResult, CellStatus } from "./cell-result.js";
import { runCodeCells } from "./cell-loop.js";
import { RunnerError, type RunnerErrorCode } from "./errors.js";
import { Kernel, type KernelStartOptions } from "./kernel.js";
import { resolveKernel, type KernelSpec, type LaunchMode } from "./kernelspec.js";
import { cellTags, readNotebook, type Notebook, type Output } from "./nbformat.js";
import { NotebookWriter } from "./notebook-writer.js";
import { injectParameters, type InjectionResult, type Parameters } from "./parameters.js";
import { applyRun, type CodeCells, type RunRecord } from "./run-record.js";

export type { CellResult, CellStatus } from "./cell-result.js";

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
  /** Each step of the run: kernel start, cells, outputs, warnings. */
  onProgress?: (event: RunEvent) => void;
  /** @deprecated Use `onProgress`; still called (after `onProgress`). */
  onEvent?: (event: RunEvent) => void;
  /** Stops the run: the running cell is recorded as `aborted`, the kernel is stopped, and the result's error is ABORTED. */
  abortSignal?: AbortSignal;
  /** @deprecated Use `abortSignal` (the Azure SDK's name); still honoured. */
  signal?: AbortSignal;
}

/** The run's abort signal, under its current name or its deprecated one. */
export function abortSignalOf(options: Pick<RunOptions, "abortSignal" | "signal">): AbortSignal | undefined {
  return options.abortSignal ?? options.signal;
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
 * RunnerError (BAD_NOTEBOOK, BAD_OPTION) for what must be fixed before anything runs.
 */
function prepare(file: string, options: RunOptions) {
  if (options.outputPath && samePath(file, options.outputPath)) {
    throw new RunnerError("BAD_OPTION", `The output path ${options.outputPath} is the input notebook; choose another --out folder (the input is never overwritten).`);
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

/** Warns about parameters that land where the notebook does not expect them. */
function warnAboutParameters(injected: InjectionResult, name: string, emit: (e: RunEvent) => void): void {
  if (injected.noParametersCell && Object.keys(injected.parameters).length) {
    emit({ type: "warning", notebook: name, message: "no cell is tagged `parameters`; the injected parameters go first" });
  }
  for (const n of injected.undeclared) {
    if (!injected.noParametersCell) emit({ type: "warning", notebook: name, message: `parameter ${n} is not declared in the parameters cell` });
  }
}

/** One run of a notebook: its file and name (for events), options and record so far. */
interface Run {
  file: string;
  name: string;
  options: RunOptions;
  emit: (e: RunEvent) => void;
  record: RunRecord;
}

/** The kernel a notebook runs on: its spec, working directory and environment. */
function kernelStartOptions(file: string, options: RunOptions, spec: KernelSpec): KernelStartOptions {
  return {
    spec,
    cwd: options.cwd ?? defaultKernelCwd(file),
    env: { ...options.env, CUSTOM_AI_NOTEBOOK: path.resolve(file) },
    startTimeoutMs: options.startTimeoutMs,
    abortSignal: abortSignalOf(options),
  };
}

/**
 * A kernel started for a notebook before its run begins (runNotebooks starts the next notebook's
 * kernel while the current ones run: tslab spends seconds building its TypeScript program before
 * it answers). It is the very kernel the run would start — same spec, working directory and
 * environment — so the executed notebook is the same. `release` stops it if the run did not take it.
 */
export interface KernelAhead {
  file: string;
  spec: KernelSpec;
  started: Promise<Kernel>;
  taken: boolean;
  release(): Promise<void>;
}

/** Starts `file`'s kernel ahead of its run; undefined where the run itself must find out what is wrong (unreadable notebook, unknown kernel). */
export function startKernelAhead(file: string, options: RunOptions): KernelAhead | undefined {
  let spec: KernelSpec;
  try {
    const kernelName = options.kernelName ?? readNotebook(file).metadata.kernelspec?.name ?? "tslab";
    spec = resolveKernel(kernelName, options.launch);
  } catch {
    return undefined;
  }
  const started = Kernel.start(kernelStartOptions(file, options, spec));
  started.catch(() => undefined);
  const ahead: KernelAhead = {
    file,
    spec,
    started,
    taken: false,
    release: async () => {
      if (ahead.taken) return;
      ahead.taken = true;
      await started.then((k) => k.shutdown(), () => undefined);
    },
  };
  return ahead;
}

/** Resolves and starts the kernel (or takes the one started ahead), recording which one it is and how long the run waited for it. */
async function startKernel({ file, name, options, emit, record }: Run, kernelName: string, ahead?: KernelAhead): Promise<Kernel> {
  const spec = resolveKernel(kernelName, options.launch);
  record.kernel = { name: spec.name, source: spec.source };
  emit({ type: "kernel-starting", notebook: name });
  const t0 = Date.now();
  const useAhead = ahead && !ahead.taken && ahead.file === file && ahead.spec.name === spec.name && ahead.spec.source === spec.source;
  if (useAhead) ahead.taken = true;
  else await ahead?.release();
  const kernel = await (useAhead ? ahead.started : Kernel.start(kernelStartOptions(file, options, spec)));
  record.kernel.startMs = Date.now() - t0;
  emit({ type: "kernel-ready", notebook: name, ms: record.kernel.startMs });
  return kernel;
}

/** Runs the code cells on the kernel, killing it if the run is aborted. */
async function runOnKernel({ name: notebook, options, emit, record }: Run, kernel: Kernel, codeCells: CodeCells, afterCell: () => void): Promise<void> {
  const abortSignal = abortSignalOf(options);
  const onAbort = () => kernel.kill();
  abortSignal?.addEventListener("abort", onAbort, { once: true });
  await runCodeCells(kernel, codeCells, record, {
    cellTimeoutMs: options.cellTimeoutMs,
    timeoutMs: options.timeoutMs,
    deadline: options.timeoutMs ? record.started + options.timeoutMs : Infinity,
    interruptGraceMs: options.interruptGraceMs,
    outputGraceMs: options.outputGraceMs,
    abortSignal,
    onCellStart: (index, ordinal, total) => emit({ type: "cell-start", notebook, index, ordinal, total }),
    onOutput: (index, output) => emit({ type: "output", notebook, index, output }),
    onCellEnd: (r, ordinal, total) => emit({ type: "cell-end", notebook, index: r.index, ordinal, total, status: r.status, ms: r.durationMs }),
    afterCell,
  });
  abortSignal?.removeEventListener("abort", onAbort);
}

export async function runNotebook(file: string, options: RunOptions = {}): Promise<NotebookResult> {
  return runNotebookOn(file, options);
}

/** runNotebook, on the kernel started `ahead` for it when there is one (see startKernelAhead). */
export async function runNotebookOn(file: string, options: RunOptions, ahead?: KernelAhead): Promise<NotebookResult> {
  const started = Date.now();
  const name = path.basename(file, ".ipynb");
  const emit = (e: RunEvent) => {
    options.onProgress?.(e);
    options.onEvent?.(e);
  };
  const { nb, injected } = prepare(file, options);
  warnAboutParameters(injected, name, emit);

  const kernelName = options.kernelName ?? nb.metadata.kernelspec?.name ?? "tslab";
  const codeCells = nb.cells.map((c, i) => [c, i] as const).filter(([c]) => c.cell_type === "code") as CodeCells;
  const record: RunRecord = { started, results: new Map(), kernel: { name: kernelName, source: "unresolved" }, parameters: injected.parameters };
  const run: Run = { file, name, options, emit, record };
  const writer = new NotebookWriter(options.outputPath, nb);
  // Long notebooks: keep the output file current so a reader can follow along.
  const afterCell = () => {
    if (!writer.due()) return;
    applyRun(nb, codeCells, record, true);
    writer.write();
  };

  let kernel: Kernel | undefined;
  try {
    kernel = await startKernel(run, kernelName, ahead);
    await runOnKernel(run, kernel, codeCells, afterCell);
  } catch (e) {
    const err = e instanceof RunnerError ? e : new RunnerError("KERNEL_START", (e as Error).message, { cause: e });
    if (err.code === "BAD_OPTION" || err.code === "BAD_NOTEBOOK") throw err;
    record.error = { code: err.code, message: err.message };
  } finally {
    await kernel?.shutdown();
  }
  const { cells, glue, durationMs } = applyRun(nb, codeCells, record, false);
  writer.write();
  const { error, failedCell } = record;
  return { path: file, outputPath: options.outputPath, ok: !error, error, failedCell, cells, glue, parameters: injected.parameters, kernel: record.kernel, durationMs, notebook: nb };
}
