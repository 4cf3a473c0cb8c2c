// Runs a notebook's code cells in order on one kernel until one fails (or the run is aborted),
// recording each result, and the failure, in the run's record.
import type { CellResult, CellStatus } from "./cell-result.js";
import type { RunnerErrorCode } from "./errors.js";
import type { Kernel } from "./kernel.js";
import { cellTags, type Output } from "./nbformat.js";
import { DisplayRegistry } from "./outputs.js";
import { runCell, type CellLimits } from "./run-cell.js";
import type { CodeCells, RunError, RunRecord } from "./run-record.js";

/** What the loop reports and how long cells may run. */
export interface CellLoopOptions extends Omit<CellLimits, "timeoutMs"> {
  cellTimeoutMs?: number;
  /** The notebook's whole time limit, as given (for its message) and as a deadline (ms since the epoch). */
  timeoutMs?: number;
  deadline: number;
  abortSignal?: AbortSignal;
  onCellStart(index: number, ordinal: number, total: number): void;
  onOutput(index: number, output: Output): void;
  onCellEnd(r: CellResult, ordinal: number, total: number): void;
  /** After each cell that passed (a chance to write the notebook so far). */
  afterCell(): void;
}

/** The cell statuses that fail a notebook (and stop it), with their error code. */
const FAILURES: Partial<Record<CellStatus, RunnerErrorCode>> = {
  error: "CELL_ERROR",
  timeout: "TIMEOUT",
  "kernel-died": "KERNEL_DIED",
  aborted: "ABORTED",
  "output-incomplete": "OUTPUT_INCOMPLETE",
};

function describe(r: CellResult): string {
  const what = r.error ? `${r.error.ename}: ${r.error.evalue}` : r.status;
  if (r.status === "timeout") return `timed out. ${what}`;
  if (r.status === "kernel-died") return `lost its kernel. ${what}`;
  if (r.status === "output-incomplete") return `ran, but its output may be incomplete. ${what}`;
  return `failed. ${what}`;
}

/** Why the run stops after this cell, if it does: aborted, or the cell failed. */
function stopReason(r: CellResult, signal: AbortSignal | undefined): RunError | undefined {
  // The user's abort kills the kernel, but it is not a kernel that died: ABORTED (exit code 130).
  if (signal?.aborted || r.status === "aborted") {
    const when = r.status === "aborted" ? "during" : "after";
    return { code: "ABORTED", message: `Stopped by its user (Ctrl-C or the AbortSignal) ${when} cell ${r.index}; the kernel was stopped.` };
  }
  const code = FAILURES[r.status];
  return code ? { code, message: `Cell ${r.index} (id ${r.id}) ${describe(r)}` } : undefined;
}

/** A cell stopped by the notebook's deadline says so, rather than blaming its own --cell-timeout. */
function markNotebookTimeout(r: CellResult, timeoutMs: number): void {
  r.error = { ename: "NotebookTimeoutError", evalue: `The notebook ran out of its ${timeoutMs / 1000} s (--timeout); cell ${r.index} was stopped.` };
  r.outputs.push({ output_type: "error", ename: r.error.ename, evalue: r.error.evalue, traceback: [r.error.evalue] });
}

/** Runs the code cells in order (skipping those tagged skip-execution) until one fails or the run is aborted. */
export async function runCodeCells(kernel: Kernel, codeCells: CodeCells, record: RunRecord, o: CellLoopOptions): Promise<void> {
  const total = codeCells.filter(([c]) => !cellTags(c).includes("skip-execution")).length;
  const displays = new DisplayRegistry();
  let ordinal = 0;
  for (const [cell, index] of codeCells) {
    if (cellTags(cell).includes("skip-execution")) {
      record.results.set(index, { index, id: cell.id, status: "skipped", executionCount: cell.execution_count, durationMs: 0, outputs: cell.outputs });
      continue;
    }
    ordinal++;
    o.onCellStart(index, ordinal, total);
    const limits = { timeoutMs: Math.min(o.cellTimeoutMs ?? Infinity, o.deadline - Date.now()), interruptGraceMs: o.interruptGraceMs, outputGraceMs: o.outputGraceMs };
    const r = await runCell(kernel, cell, index, displays, limits, (out) => o.onOutput(index, out), o.abortSignal);
    if (r.status === "timeout" && Date.now() >= o.deadline && o.timeoutMs) markNotebookTimeout(r, o.timeoutMs);
    record.results.set(index, r);
    o.onCellEnd(r, ordinal, total);
    const stop = stopReason(r, o.abortSignal);
    if (stop) {
      record.error = stop;
      record.failedCell = r;
      break;
    }
    o.afterCell();
  }
}
