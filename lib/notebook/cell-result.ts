// What running one code cell gives: its status, timing, outputs and error.
import type { Output } from "./nbformat.js";

/** `aborted`: its user stopped the run (Ctrl-C or the AbortSignal) while this cell ran. */
export type CellStatus = "ok" | "error" | "expected-error" | "timeout" | "kernel-died" | "aborted" | "output-incomplete" | "skipped" | "not-run";

export interface CellResult {
  index: number;
  id: string;
  status: CellStatus;
  executionCount: number | null;
  durationMs: number;
  outputs: Output[];
  error?: { ename: string; evalue: string };
}
