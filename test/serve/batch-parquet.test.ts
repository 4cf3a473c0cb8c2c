// The columnar Parquet reader: REQUIRED and OPTIONAL columns, FLOAT / DOUBLE / INT32 features,
// batches across row groups, ids or row numbers, and a null or NaN named by row and column.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStore, openRandomAccess } from "../../lib/core/index.js";
import { CorruptInput, readParquetBatches } from "../../lib/serve/batch/readers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "batch-parquet-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Column = { name: string; data: ArrayLike<unknown>; type: "FLOAT" | "DOUBLE" | "INT32" | "STRING"; nullable?: boolean };

async function write(name: string, columnData: Column[], rowGroupSize: number): Promise<string> {
  const { parquetWriteFile } = await import("hyparquet-writer");
  parquetWriteFile({ filename: path.join(dir, name), rowGroupSize, columnData: columnData as never });
  return name;
}

async function read(name: string, features: string[], batchSize: number) {
  const file = (await openRandomAccess(new FileStore(dir), name))!;
  const batches: { ids: string[]; values: number[][] }[] = [];
  for await (const b of readParquetBatches(file, features, batchSize)) {
    batches.push({ ids: b.ids, values: b.ids.map((_, r) => Array.from(b.raw.subarray(r * features.length, (r + 1) * features.length))) });
  }
  return batches;
}

describe("readParquetBatches", () => {
  const n = 1000;
  const a = Float32Array.from({ length: n }, (_, i) => i / 8);
  const b = Float64Array.from({ length: n }, (_, i) => -i * 1.5);
  const c = Int32Array.from({ length: n }, (_, i) => i % 7);

  for (const nullable of [false, true]) {
    it(`reads ${nullable ? "OPTIONAL" : "REQUIRED"} FLOAT, DOUBLE and INT32 columns in batches across row groups, by name`, async () => {
      const name = await write(`types-${nullable}.parquet`, [
        { name: "c", data: c, type: "INT32", nullable },
        { name: "id", data: Array.from({ length: n }, (_, i) => `row-${i}`), type: "STRING", nullable },
        { name: "b", data: b, type: "DOUBLE", nullable },
        { name: "a", data: a, type: "FLOAT", nullable },
      ], 300);
      const batches = await read(name, ["a", "b", "c"], 128);
      // Batches never span row groups (300 rows each): 128, 128, 44, 128, ...
      expect(batches.slice(0, 4).map((x) => x.ids.length)).toEqual([128, 128, 44, 128]);
      const rows = batches.flatMap((x) => x.ids.map((id, r) => ({ id, values: x.values[r] })));
      expect(rows).toHaveLength(n);
      rows.forEach((row, i) => {
        expect(row.id).toBe(`row-${i}`);
        expect(row.values).toEqual([a[i], Math.fround(b[i]), c[i]]);
      });
    });
  }

  it("numbers rows from 0 without an id column", async () => {
    const name = await write("no-id.parquet", [{ name: "a", data: a, type: "FLOAT", nullable: false }], 400);
    const rows = (await read(name, ["a"], 512)).flatMap((x) => x.ids);
    expect(rows).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it("names the row and column of a null or NaN, and a missing feature column", async () => {
    const withNull = Array.from({ length: 10 }, (_, i) => (i === 7 ? null : i));
    const name = await write("null.parquet", [{ name: "a", data: withNull, type: "DOUBLE", nullable: true }], 4);
    await expect(read(name, ["a"], 3)).rejects.toThrow(new CorruptInput("row 7, column a: null is not a number"));
    const nan = await write("nan.parquet", [{ name: "a", data: Float32Array.from([1, 2, NaN]), type: "FLOAT", nullable: false }], 10);
    await expect(read(nan, ["a"], 3)).rejects.toThrow(new CorruptInput("row 2, column a: NaN is not a number"));
    await expect(read(nan, ["a", "z"], 3)).rejects.toThrow(new CorruptInput("it lacks the model's feature column(s) z"));
  });
});
