// Scoring parsed rows: preprocess, queue them for a shared ONNX Runtime run, and refuse to pass off
// a non-finite output as a prediction (a 500 NON_FINITE_PREDICTION, counted in /metrics).
import { RequestError, ServeError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import type { ParsedRows } from "./parse-request.js";
import type { ScoringState } from "./scoring-state.js";

/** The model's outputs for a request's rows: `width` values per row. */
export interface ScoredRows {
  data: Float32Array;
  width: number;
}

/** The index of the first value that is NaN or ±Infinity, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Runs the rows through the model's batcher; throws RequestError 503 while it cannot take them. */
export async function scoreRows(state: ScoringState, metrics: ServerMetrics, parsed: ParsedRows): Promise<ScoredRows> {
  const { model: m, batcher: b } = state.require();
  m.preprocess(parsed.data, parsed.rows);
  let out: { data: Float32Array; width: number };
  try {
    out = await b.submit(parsed.data, parsed.rows);
  } catch (e) {
    if (e instanceof RequestError && e.statusCode === 503) metrics.rejected.inc();
    throw e;
  }
  checkFinite(out, parsed.rows, metrics);
  return out;
}

/**
 * JSON has no NaN or Infinity (they would be sent as null): such an output is the model's failure
 * on inputs it accepted, answered 500 and counted, never passed off as a prediction.
 */
function checkFinite(out: { data: Float32Array; width: number }, rowCount: number, metrics: ServerMetrics): void {
  const bad = firstNonFinite(out.data);
  if (bad < 0) return;
  let rows = 0;
  for (let r = 0; r < rowCount; r++) if (firstNonFinite(out.data.subarray(r * out.width, (r + 1) * out.width)) >= 0) rows++;
  metrics.nonFinite.inc(rows);
  const row = Math.floor(bad / out.width);
  throw new ServeError(
    "NON_FINITE_PREDICTION",
    `The model's output for row ${row} is ${out.data[bad]}, not a finite number (${rows} of ${rowCount} rows), so there is no prediction to return.`,
    { hint: "The inputs were within the range the server takes; the model (or its metadata's scaler) overflows on them, or its weights are not finite: check it in-process with ONNX Runtime on the same rows." },
  );
}
