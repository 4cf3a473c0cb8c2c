// The batch-scoring benchmark's input: rows drawn around the real breast-cancer samples (each a
// real row with every feature moved by up to ±5%, written with that column's decimals), as CSV
// partitions (id + the 30 features, as a CSV export would have them) and, for the same rows, Parquet
// partitions (FLOAT columns, a STRING id). Generated once under .cache/bench/data/ and reused.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { loadBreastCancer, mulberry32 } from "../../lib/data/index.js";

export interface BatchDataset {
  dir: string;
  rows: number;
  partitions: number;
  features: string[];
  /** Folder of part-NNNNN.csv. */
  csv: string;
  /** Folder of part-NNNNN.parquet (the same rows), when made. */
  parquet?: string;
  csvBytes: number;
  parquetBytes?: number;
}

const VERSION = 1; // bump when the rows change: the cached files are regenerated
const ROW_GROUP = 65_536;

/** The dataset of `rows` rows in `partitions` partitions (CSV, and Parquet when asked), made once. */
export async function batchDataset(root: string, rows: number, partitions: number, withParquet: boolean, log: (l: string) => void): Promise<BatchDataset> {
  const dir = path.join(root, ".cache", "bench", "data", `breast-cancer-${rows}x${partitions}-v${VERSION}`);
  const marker = path.join(dir, "dataset.json");
  if (existsSync(marker)) {
    const made = JSON.parse(readFileSync(marker, "utf8")) as BatchDataset;
    if (!withParquet || made.parquet) {
      log(`data: reusing ${path.relative(root, dir)} (${(made.csvBytes / 2 ** 20).toFixed(0)} MiB CSV${made.parquetBytes ? `, ${(made.parquetBytes / 2 ** 20).toFixed(0)} MiB Parquet` : ""})`);
      return { ...made, dir, csv: path.join(dir, "csv"), parquet: made.parquet ? path.join(dir, "parquet") : undefined };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "csv"), { recursive: true });
  if (withParquet) mkdirSync(path.join(dir, "parquet"), { recursive: true });
  const t0 = Date.now();
  log(`data: generating ${rows.toLocaleString("en-US")} rows × 30 features in ${partitions} partitions${withParquet ? " (CSV and Parquet)" : " (CSV)"} under ${path.relative(root, dir)}…`);
  const source = loadBreastCancer();
  const features = source.featureNames;
  const width = features.length;
  // Each column keeps the decimals the real data has (e.g. 17.99, 0.1184, 1001).
  const decimals = features.map((_, c) => Math.max(...source.features.map((r) => (String(r[c]).split(".")[1] ?? "").length)));
  const scales = decimals.map((d) => 10 ** d);
  const rnd = mulberry32(2024);
  const { parquetWriteFile } = withParquet ? await import("hyparquet-writer") : { parquetWriteFile: undefined };
  let csvBytes = 0;
  let parquetBytes = 0;
  let next = 0;
  for (let p = 0; p < partitions; p++) {
    const count = Math.floor(rows / partitions) + (p < rows % partitions ? 1 : 0);
    const name = `part-${String(p).padStart(5, "0")}`;
    const fd = openSync(path.join(dir, "csv", `${name}.csv`), "w");
    const columns = withParquet ? features.map(() => new Float32Array(count)) : [];
    const ids: string[] = withParquet ? new Array(count) : [];
    const buf = Buffer.allocUnsafe(1 << 21);
    let pos = buf.write(["id", ...features].join(",") + "\n", 0, "latin1");
    for (let r = 0; r < count; r++, next++) {
      const real = source.features[Math.floor(rnd() * source.features.length)];
      const id = `r${next}`;
      pos += buf.write(id, pos, "latin1");
      for (let c = 0; c < width; c++) {
        const q = Math.round(real[c] * (1 + (rnd() - 0.5) * 0.1) * scales[c]);
        buf[pos++] = 44;
        pos = writeFixed(buf, pos, q, decimals[c]);
        if (withParquet) columns[c][r] = q / scales[c]; // Number(the CSV text), to float32
      }
      buf[pos++] = 10;
      if (withParquet) ids[r] = id;
      if (pos > 1 << 20) {
        csvBytes += writeSync(fd, buf, 0, pos);
        pos = 0;
      }
    }
    csvBytes += writeSync(fd, buf, 0, pos);
    closeSync(fd);
    if (parquetWriteFile) {
      const file = path.join(dir, "parquet", `${name}.parquet`);
      parquetWriteFile({
        filename: file,
        rowGroupSize: ROW_GROUP,
        columnData: [{ name: "id", data: ids, type: "STRING" }, ...features.map((f, c) => ({ name: f, data: columns[c], type: "FLOAT" as const }))],
      });
      parquetBytes += statSync(file).size;
    }
  }
  const made: BatchDataset = { dir, rows, partitions, features, csv: path.join(dir, "csv"), csvBytes, ...(withParquet ? { parquet: path.join(dir, "parquet"), parquetBytes } : {}) };
  writeFileSync(marker, JSON.stringify(made, null, 2));
  log(`data: made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return made;
}

const digits = new Uint8Array(32);

/** q / 10^decimals (q ≥ 0 a whole number) as fixed-point text, as toFixed gives it, written as bytes at pos. */
function writeFixed(buf: Buffer, pos: number, q: number, decimals: number): number {
  let n = 0;
  do {
    digits[n++] = 48 + (q % 10);
    q = Math.floor(q / 10);
  } while (q > 0);
  while (n <= decimals) digits[n++] = 48; // a digit before the point
  for (let i = n - 1; i >= 0; i--) {
    buf[pos++] = digits[i];
    if (i === decimals && decimals > 0) buf[pos++] = 46;
  }
  return pos;
}

/**
 * Reads every file of `dir` once, so that the first job of a round (ours) does not pay for the
 * disk while the peers after it read from the page cache.
 */
export function warmPageCache(dir: string): void {
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (const name of readdirSync(dir)) {
    const fd = openSync(path.join(dir, name), "r");
    try {
      while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}
