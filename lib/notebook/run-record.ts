// What a notebook run has found so far, and how it is applied to the notebook model: each code
// cell's status, duration, error and outputs, and the run's status, kernel, parameters and glue.
// (Writing the notebook is notebook-writer.ts's.)
import type { CellResult } from "./cell-result.js";
import type { RunnerErrorCode } from "./errors.js";
import { readGlue } from "./glue.js";
import type { CodeCell, Notebook } from "./nbformat.js";
import { normaliseOutputs } from "./outputs.js";
import type { Parameters } from "./parameters.js";

/** Why a run failed: its error code and a message that says what happened. */
export interface RunError {
  code: RunnerErrorCode;
  message: string;
}

/** A notebook's code cells with their index among all its cells. */
export type CodeCells = Array<readonly [CodeCell, number]>;

export interface RunRecord {
  /** When the run started (ms since the epoch). */
  started: number;
  /** Each code cell's result by its index, once it has one. */
  results: Map<number, CellResult>;
  error?: RunError;
  /** The first cell that failed, timed out or lost its kernel. */
  failedCell?: CellResult;
  kernel: { name: string; source: string; startMs?: number };
  parameters: Parameters;
}

/** Sets each code cell's outputs and `custom_ai` status from its result ("not-run" without one); returns the results in cell order. */
function applyCellResults(codeCells: CodeCells, results: Map<number, CellResult>): CellResult[] {
  return codeCells.map(([cell, index]): CellResult => {
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
}

/** The notebook's `custom_ai` metadata: the run's status, timing, kernel, parameters, failure and glue. */
function runMetadata(record: RunRecord, running: boolean, glue: Record<string, unknown>, durationMs: number): Record<string, unknown> {
  const { error, failedCell } = record;
  return {
    status: running ? "running" : error?.code === "ABORTED" ? "aborted" : error ? "failed" : "passed",
    started: new Date(record.started).toISOString(),
    duration_s: durationMs / 1000,
    kernel: record.kernel,
    parameters: record.parameters,
    ...(error ? { error } : {}),
    ...(failedCell ? { failed_cell: { index: failedCell.index, id: failedCell.id, status: failedCell.status, ...failedCell.error } } : {}),
    glue,
  };
}

/**
 * Applies the run so far to the notebook model (`running`: it is not over yet); returns the cell
 * results in order, the glued values and the run's duration.
 */
export function applyRun(nb: Notebook, codeCells: CodeCells, record: RunRecord, running: boolean): { cells: CellResult[]; glue: Record<string, unknown>; durationMs: number } {
  const cells = applyCellResults(codeCells, record.results);
  const glue = readGlue(nb.cells.map((c) => (c.cell_type === "code" ? { outputs: c.outputs } : {})));
  const durationMs = Date.now() - record.started;
  nb.metadata.custom_ai = runMetadata(record, running, glue, durationMs);
  return { cells, glue, durationMs };
}
