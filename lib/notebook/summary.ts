// The end-of-run table: one row per notebook, with its glued values.
import path from "node:path";
import type { ManyResult } from "./run-many.js";

function short(value: unknown): string {
  const s = typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toPrecision(4)) : JSON.stringify(value);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

export function formatSummary(run: ManyResult): string {
  const rows = run.results.map((r) => {
    const name = path.basename(r.path);
    const status = r.ok ? "passed" : r.error?.code === "TIMEOUT" ? "timed out" : r.error?.code === "OUTPUT_INCOMPLETE" ? "incomplete" : r.error?.code === "ABORTED" ? "aborted" : "failed";
    const duration = "durationMs" in r ? `${(r.durationMs / 1000).toFixed(1)}s` : "-";
    const run = "cells" in r ? r.cells.filter((c) => c.status !== "skipped") : [];
    const cells = "cells" in r ? `${run.filter((c) => c.status === "ok" || c.status === "expected-error").length}/${run.length}` : "-";
    const glue = "glue" in r ? Object.entries(r.glue).map(([k, v]) => `${k}=${short(v)}`).join(" ") : "";
    return [name, status, duration, cells, glue];
  });
  const header = ["notebook", "status", "time", "cells", "glued values"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i < 4 ? r[i].length : 0))));
  const line = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join("  ").trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  const failures = run.results.filter((r) => !r.ok);
  for (const f of failures) out.push("", `✗ ${f.path}: [${f.error?.code}] ${f.error?.message}`);
  const passed = run.results.length - failures.length;
  out.push("", `${passed} passed, ${failures.length} failed`);
  return out.join("\n");
}
