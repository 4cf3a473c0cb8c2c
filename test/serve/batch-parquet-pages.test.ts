// The typed-array Parquet path (lib/serve/batch/parquet.ts) against hyparquet's own scan, on the
// files real writers make: pyarrow (v1 pages with definition levels, dictionary pages falling
// back to PLAIN mid-chunk, several pages per chunk, nulls, INT64 and non-ASCII ids) and
// hyparquet-writer (v2 pages, dictionary or PLAIN per column). Same ids, same values, same error.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FileStore, openRandomAccess } from "../../lib/core/index.js";
import { flatColumns, type ParquetMetadataLike } from "../../lib/serve/batch/parquet.js";
import { CorruptInput, loadHyparquet, readParquetBatches, scanParquetBatches, type RowBatch } from "../../lib/serve/batch/readers.js";
import { projectPython } from "../support/python.js";
import { tempDir } from "../support/temp.js";

const dir = tempDir("cai-parquet-pages-");

async function collect(batches: AsyncGenerator<RowBatch>, width: number) {
  const ids: string[] = [];
  const values: number[] = [];
  const sizes: number[] = [];
  for await (const b of batches) {
    ids.push(...b.ids);
    values.push(...b.raw.subarray(0, b.ids.length * width));
    sizes.push(b.ids.length);
  }
  return { ids, values, sizes };
}

async function both(name: string, features: string[], batchSize = 100) {
  const file = async () => (await openRandomAccess(new FileStore(dir), name))!;
  // The typed-array path takes the file (else readParquetBatches would be the scan itself).
  const metadata = (await (await loadHyparquet()).parquetMetadataAsync(await file())) as unknown as ParquetMetadataLike;
  expect(await flatColumns(metadata, [...features, "id"], "id")).toHaveLength(features.length + 1);
  const fast = await collect(readParquetBatches(await file(), features, batchSize), features.length);
  const scan = await collect(scanParquetBatches(await file(), features, batchSize), features.length);
  return { fast, scan };
}

async function error(batches: AsyncGenerator<RowBatch>): Promise<string> {
  try {
    for await (const _ of batches);
  } catch (e) {
    expect(e).toBeInstanceOf(CorruptInput);
    return (e as Error).message;
  }
  return "no error";
}

/** Writes Parquet files with pyarrow (the project's Python), as a pandas user would. */
function pyarrow(script: string): void {
  execFileSync(projectPython(), ["-c", `import pyarrow as pa, pyarrow.parquet as pq\nimport os\nos.chdir(${JSON.stringify(dir)})\n${script}`], { stdio: "pipe" });
}

describe("the typed-array Parquet path", () => {
  // One Python start for all of pyarrow's files (importing pyarrow is most of its time).
  beforeAll(() => pyarrow(`
n = 5000
ids = [f"ré-{i}" if i % 7 == 0 else f"r{i}" for i in range(n)]
t = pa.table({
  "id": pa.array(ids),
  "a": pa.array([float(i % 13) / 4 for i in range(n)], pa.float32()),      # low cardinality: dictionary
  "b": pa.array([i * 1.000001 for i in range(n)], pa.float64()),           # high: dictionary, then PLAIN
  "c": pa.array([i % 100 for i in range(n)], pa.int32()),
  "d": pa.array([i * 3 for i in range(n)], pa.int64()),
  "unused": pa.array(["x"] * n),
})
pq.write_table(t, "arrow.parquet", row_group_size=1500, data_page_size=2000, dictionary_pagesize_limit=4000)
pq.write_table(t.drop(["id"]).append_column("id", pa.array(range(10**15, 10**15 + n), pa.int64())), "int-ids.parquet", row_group_size=2000, use_dictionary=False, compression="none")
pq.write_table(t, "v2.parquet", row_group_size=2500, data_page_version="2.0", compression="snappy")
n = 3000
a = [None if i == 2345 else float(i) for i in range(n)]
t = pa.table({"id": pa.array([None if i == 10 else f"r{i}" for i in range(n)]), "a": pa.array(a, pa.float32()), "b": pa.array(range(n), pa.float64())})
pq.write_table(t, "null-v1.parquet", row_group_size=1000, data_page_size=512)
pq.write_table(t, "null-v2.parquet", row_group_size=1000, data_page_version="2.0")
`));

  it("reads pyarrow's files (v1 pages, dictionary then PLAIN, many pages, INT64 and non-ASCII ids) as the scan does", async () => {
    for (const name of ["arrow.parquet", "int-ids.parquet", "v2.parquet"]) {
      const { fast, scan } = await both(name, ["d", "a", "b", "c"], 128);
      expect(fast.ids).toHaveLength(5000);
      expect(fast).toEqual(scan);
    }
    const { fast } = await both("int-ids.parquet", ["a"]);
    expect(fast.ids[0]).toBe("1000000000000000");
    const arrow = await both("arrow.parquet", ["b"]);
    expect(arrow.fast.ids.slice(6, 8)).toEqual(["r6", "ré-7"]);
    expect(arrow.fast.values[4999]).toBe(Math.fround(4999 * 1.000001));
  });

  it("names the row and column of a null, in a v1 and a v2 page, as the scan does", async () => {
    for (const name of ["null-v1.parquet", "null-v2.parquet"]) {
      const file = async () => (await openRandomAccess(new FileStore(dir), name))!;
      const fast = await error(readParquetBatches(await file(), ["b", "a"], 100));
      expect(fast).toBe("row 2345, column a: null is not a number");
      expect(await error(scanParquetBatches(await file(), ["b", "a"], 100))).toBe(fast);
      // A null id is read as the scan reads it.
      const { fast: rows, scan } = await both(name, ["b"]);
      expect(rows.ids[10]).toBe(scan.ids[10]);
      expect(rows).toEqual(scan);
    }
  });

  it("reads hyparquet-writer's files (v2 pages; dictionary and PLAIN columns) as the scan does", async () => {
    const { parquetWriteFile } = await import("hyparquet-writer");
    const n = 3000;
    parquetWriteFile({
      filename: path.join(dir, "hw.parquet"),
      rowGroupSize: 1000,
      columnData: [
        { name: "id", data: Array.from({ length: n }, (_, i) => `row-${i}`), type: "STRING" },
        { name: "low", data: Float32Array.from({ length: n }, (_, i) => i % 5), type: "FLOAT" },
        { name: "high", data: Float64Array.from({ length: n }, (_, i) => Math.sqrt(i)), type: "DOUBLE" },
      ],
    });
    const { fast, scan } = await both("hw.parquet", ["high", "low"], 256);
    expect(fast.sizes.slice(0, 4)).toEqual([256, 256, 256, 232]); // batches never span row groups
    expect(fast).toEqual(scan);
  });
});
