// The Spark batch job's results (lib/spark readSparkBatchResults) as the Node batch tests' ResultRow.
import { readSparkBatchResults } from "../../lib/spark/index.js";
import type { ResultRow } from "../serve/batch-helpers.js";

/** partition name → its result rows (id, label, probabilities in `labels` order). */
export async function readSparkResults(output: string, labels: readonly string[]): Promise<Map<string, ResultRow[]>> {
  const out = new Map<string, ResultRow[]>();
  for (const [name, rows] of await readSparkBatchResults(output)) out.set(name, rows.map((r) => ({ id: r.id, label: r.label, probs: labels.map((l) => r.probabilities[l]) })));
  return out;
}
