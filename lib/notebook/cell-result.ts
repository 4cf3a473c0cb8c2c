// What running one code cell gives: its status, timing, outputs and error.
import type { Output } from "./nbformat.js";

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
