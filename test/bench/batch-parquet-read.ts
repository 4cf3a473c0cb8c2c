// The Parquet reader alone, one process, no scoring: the typed-array path (readParquetBatches) or
// hyparquet's scan (scanParquetBatches, what it falls back to), on a folder of the benchmark's
// partitions (batch-data.ts). CPU time, so that a busy machine skews it less than wall time.
//   node bin/run-ts.mjs test/bench/batch-parquet-read.ts typed|scan <folder of .parquet> [files]
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { FileStore, openRandomAccess } from "../../lib/core/index.js";
import { readParquetBatches, scanParquetBatches } from "../../lib/serve/batch/readers.js";

const [mode, dir, count] = process.argv.slice(2);
if ((mode !== "typed" && mode !== "scan") || !dir) {
  console.error("usage: batch-parquet-read.ts typed|scan <folder of .parquet> [files]");
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort().slice(0, Number(count ?? Infinity));
const { features } = JSON.parse(readFileSync(path.join(dir, "..", "dataset.json"), "utf8")) as { features: string[] };
const store = new FileStore(dir);
const read = mode === "typed" ? readParquetBatches : scanParquetBatches;
const c0 = process.cpuUsage();
const t0 = performance.now();
let rows = 0;
for (const name of files) {
  for await (const batch of read((await openRandomAccess(store, name))!, features, 512)) rows += batch.n; // not batch.ids: that makes strings the worker never makes
}
const { user, system } = process.cpuUsage(c0);
const cpuS = (user + system) / 1e6;
console.log(JSON.stringify({ mode, files: files.length, rows, cpuS: +cpuS.toFixed(2), rowsPerCpuS: Math.round(rows / cpuS), wallS: +((performance.now() - t0) / 1000).toFixed(2), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
