// The tabular worker's per-row shortcuts, each against the slower path it replaces: hysnappy's
// WASM snappy (snappy.ts) against hyparquet's JS decoder, the RLE / bit-packed unpacker against
// hyparquet's, ids kept as bytes (ids.ts, ResultWriter.cells) against ids as strings
// (ResultWriter.rows), and scaling while reading (model.ts fusedScaler) against the model's own
// preprocessing. Real files from pyarrow: snappy pages, every physical type the reader decodes,
// nulls, dictionary indices wider than a byte, ids that CSV must quote.
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { FileStore, importPackage, openRandomAccess } from "../../lib/core/index.js";
import { mulberry32 } from "../../lib/data/index.js";
import type { Preprocessing } from "../../lib/models/saved/index.js";
import { compilePreprocessing } from "../../lib/serve/index.js";
import { ResultWriter } from "../../lib/serve/batch/csv.js";
import { IdCells } from "../../lib/serve/batch/ids.js";
import { fusedScaler } from "../../lib/serve/batch/model.js";
import { unpackHybrid } from "../../lib/serve/batch/parquet.js";
import { CorruptInput, readCsvBatches, readParquetBatches, scanParquetBatches, type RowBatch } from "../../lib/serve/batch/readers.js";
import { loadCompressors } from "../../lib/serve/batch/snappy.js";
import { projectPython } from "../support/python.js";
import { tempDir } from "../support/temp.js";

const dir = tempDir("cai-tabular-fast-");
const labels = ["no", "yes, \"really\""];

/** A batch's results written both ways (ids as bytes, ids as strings), with the values. */
async function collect(batches: AsyncGenerator<RowBatch>, width: number) {
  const bytes = new ResultWriter(labels);
  const strings = new ResultWriter(labels);
  const viaCells: Buffer[] = [];
  const viaStrings: Buffer[] = [];
  const ids: string[] = [];
  const values: number[] = [];
  for await (const b of batches) {
    const probs = Float32Array.from({ length: b.n * 2 }, (_, i) => ((i * 7919) % 1000) / 997);
    viaCells.push(Buffer.from(bytes.cells(b.cells, b.from, probs, b.n)));
    viaStrings.push(Buffer.from(strings.rows(b.ids, probs, b.n)));
    ids.push(...b.ids);
    values.push(...b.raw.subarray(0, b.n * width));
  }
  expect(Buffer.concat(viaCells).toString("utf8")).toBe(Buffer.concat(viaStrings).toString("utf8"));
  return { ids, values };
}

async function firstError(batches: AsyncGenerator<RowBatch>): Promise<string> {
  try {
    for await (const _ of batches);
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptInput);
    return (error as Error).message;
  }
  return "no error";
}

const file = async (name: string) => (await openRandomAccess(new FileStore(dir), name))!;

describe("the tabular worker's fast paths", () => {
  beforeAll(() => {
    // Snappy pages (v1 and v2), FLOAT / DOUBLE / INT32 / INT64 features, a 3,000-value dictionary
    // (12-bit indices), ids with a comma, a quote, spaces, non-ASCII text and nulls.
    const script = `
import pyarrow as pa, pyarrow.parquet as pq, os, random
os.chdir(${JSON.stringify(dir)})
random.seed(7)
n = 7000
odd = {3: 'a,b', 4: 'say "hi"', 5: ' padded ', 6: 'é-6', 7: None, 8: 'x\\ny'}
ids = [odd.get(i, f"id-{i}") for i in range(n)]
t = pa.table({
  "id": pa.array(ids),
  "f": pa.array([random.uniform(-1e6, 1e6) for _ in range(n)], pa.float32()),
  "d": pa.array([random.gauss(0, 1) * 10 ** random.randint(-30, 30) for _ in range(n)], pa.float64()),
  "i": pa.array([random.randint(-2**31, 2**31 - 1) for _ in range(n)], pa.int32()),
  "l": pa.array([random.randint(-2**40, 2**40) for _ in range(n)], pa.int64()),
  "w": pa.array([float(random.randrange(3000)) for _ in range(n)], pa.float32()),
})
pq.write_table(t, "v1.parquet", row_group_size=3000, data_page_size=4096, compression="snappy")
pq.write_table(t, "v2.parquet", row_group_size=2500, data_page_version="2.0", compression="snappy")
pq.write_table(t.drop(["id"]), "no-id.parquet", row_group_size=4000, compression="snappy")
f = [None if i == 4321 else 1.5 for i in range(n)]
pq.write_table(t.set_column(1, "f", pa.array(f, pa.float32())), "null.parquet", row_group_size=3000, compression="snappy")
i = [None if k == 5005 else 7 for k in range(n)]
pq.write_table(t.set_column(3, "i", pa.array(i, pa.int32())), "null-int32.parquet", row_group_size=3000, compression="snappy")
`;
    execFileSync(projectPython(), ["-c", script], { stdio: "pipe" });
  });

  it("decodes snappy with hysnappy as hyparquet's JS decoder does, and refuses a page of another length", async () => {
    const codecs = await loadCompressors();
    expect(codecs?.SNAPPY).toBeTypeOf("function"); // else the WASM decoder is not used at all
    const { snappyCompress } = (await importPackage("hysnappy")) as { snappyCompress(input: Uint8Array): Uint8Array };
    const { snappyUncompress } = (await importPackage("hyparquet/src/snappy.js")) as { snappyUncompress(input: Uint8Array, output: Uint8Array): void };
    const random = mulberry32(3);
    for (const size of [0, 1, 100, 70_000, 300_000]) {
      // Compressible: runs of a few symbols.
      const input = Uint8Array.from({ length: size }, (_, i) => (random() < 0.3 ? (random() * 256) | 0 : i % 7));
      const packed = snappyCompress(input);
      const want = new Uint8Array(size);
      snappyUncompress(packed, want);
      expect(Buffer.from(codecs!.SNAPPY(packed, size)).equals(Buffer.from(want))).toBe(true);
      if (size > 0) {
        expect(() => codecs!.SNAPPY(packed, size + 1)).toThrow(/snappy page holds/);
        expect(() => codecs!.SNAPPY(packed.subarray(0, packed.length >> 1), size)).toThrow();
      }
    }
  });

  it("unpacks RLE / bit-packed runs of every width to 24 as hyparquet does", async () => {
    const { readRleBitPackedHybrid } = (await importPackage("hyparquet/src/encoding.js")) as {
      readRleBitPackedHybrid(reader: { view: DataView; offset: number }, width: number, output: Int32Array, length: number): void;
    };
    const random = mulberry32(11);
    for (let width = 1; width <= 24; width++) {
      const bytes: number[] = [];
      const varint = (v: number) => {
        for (; v >= 0x80; v = Math.floor(v / 128)) bytes.push((v & 0x7f) | 0x80);
        bytes.push(v);
      };
      let count = 0;
      while (count < 5000) {
        const value = () => Math.floor(random() * 2 ** width);
        if (random() < 0.4) {
          const n = 1 + Math.floor(random() * 300);
          varint(n * 2);
          const v = value();
          for (let k = 0; k < (width + 7) >> 3; k++) bytes.push((v >>> (8 * k)) & 0xff);
          count += n;
        } else {
          const groups = 1 + Math.floor(random() * 40);
          varint(groups * 2 + 1);
          let acc = 0n;
          let bits = 0n;
          for (let k = 0; k < groups * 8; k++) (acc |= BigInt(value()) << bits), (bits += BigInt(width));
          for (let k = 0; k < groups * width; k++) bytes.push(Number((acc >> BigInt(8 * k)) & 0xffn));
          count += groups * 8;
        }
      }
      const page = Uint8Array.from(bytes);
      const want = new Int32Array(count - 5); // fewer values than the runs hold, as in a page's last run
      readRleBitPackedHybrid({ view: new DataView(page.buffer), offset: 0 }, width, want, page.length);
      const got = new Int32Array(want.length);
      unpackHybrid(page, 0, page.length, width, got);
      expect(got, `width ${width}`).toEqual(want);
      expect(() => unpackHybrid(page, 0, page.length - 1, width, new Int32Array(count))).toThrow(/end early/);
    }
  });

  it("reads snappy files of every physical type as hyparquet's scan does, ids as bytes written as the strings are", async () => {
    const features = ["l", "f", "w", "d", "i"];
    for (const name of ["v1.parquet", "v2.parquet", "no-id.parquet"]) {
      const fast = await collect(readParquetBatches(await file(name), features, 256), features.length);
      const scan = await collect(scanParquetBatches(await file(name), features, 256), features.length);
      expect(fast.ids).toHaveLength(7000);
      expect(fast).toEqual(scan);
    }
    const { ids } = await collect(readParquetBatches(await file("v1.parquet"), ["f"], 1000), 1);
    expect(ids.slice(2, 9)).toEqual(["id-2", "a,b", 'say "hi"', " padded ", "é-6", "null", "x\ny"]);
    expect((await collect(readParquetBatches(await file("no-id.parquet"), ["f"], 1000), 1)).ids[6543]).toBe("6543");
    const error = await firstError(readParquetBatches(await file("null.parquet"), ["d", "f"], 500));
    expect(error).toBe("row 4321, column f: null is not a number");
    expect(await firstError(scanParquetBatches(await file("null.parquet"), ["d", "f"], 500))).toBe(error);
    // An INT32 column keeps its values in an Int32Array, where a null would read as 0: still refused.
    const intError = await firstError(readParquetBatches(await file("null-int32.parquet"), ["f", "i"], 500));
    expect(intError).toBe("row 5005, column i: null is not a number");
    expect(await firstError(scanParquetBatches(await file("null-int32.parquet"), ["f", "i"], 500))).toBe(intError);
  });

  it("scales while reading exactly as the model's preprocessing does", async () => {
    const features = ["f", "d", "i", "l", "w"];
    const mean = [3.25, -1e-3, 12345.5, -7, 1499.5];
    const std = [0.1, 1e5, 0, 2.5e9, 866];
    const steps: Preprocessing[] = [{ kind: "standard-scaler", mean, std }];
    const scaler = fusedScaler(steps, features.length)!;
    const preprocess = compilePreprocessing(steps, features.length, "test");
    const csv = Buffer.from(`id,${features.join(",")}\n` + Array.from({ length: 500 }, (_, r) => `r${r},${features.map((_, c) => ((r * 37 + c * 101) % 997) / 7 - 50).join(",")}\n`).join(""));
    const sources: [string, () => Promise<AsyncGenerator<RowBatch>>, () => Promise<AsyncGenerator<RowBatch>>][] = [
      ["parquet", async () => readParquetBatches(await file("v1.parquet"), features, 300), async () => readParquetBatches(await file("v1.parquet"), features, 300, scaler)],
      ["scan", async () => scanParquetBatches(await file("v2.parquet"), features, 300), async () => scanParquetBatches(await file("v2.parquet"), features, 300, undefined, scaler)],
      ["csv", async () => readCsvBatches(Readable.from([csv]), features, 64), async () => readCsvBatches(Readable.from([csv]), features, 64, scaler)],
    ];
    for (const [what, plain, scaled] of sources) {
      const want = Float32Array.from((await collect(await plain(), features.length)).values);
      preprocess(want, want.length / features.length);
      const got = Float32Array.from((await collect(await scaled(), features.length)).values);
      expect(got.length, what).toBeGreaterThan(0);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), what).toBe(true);
    }
    // No preprocessing is the identity; anything but one standard scaler is left to score().
    expect(fusedScaler([], 2)).toEqual({ mu: new Float32Array(2), inv: Float32Array.of(1, 1) });
    expect(fusedScaler([...steps, ...steps], features.length)).toBeUndefined();
  });

  it("keeps any id's cell as csvCell writes it", () => {
    const ids = ["plain", "", "a,b", 'q"', "é", "line\nbreak", "cr\r", "tab\there", "😀"];
    const cells = new IdCells();
    for (const id of ids) cells.pushString(id);
    cells.pushNumber(0);
    cells.pushNumber(9007199254740991);
    const probs = new Float32Array(ids.length * 2 + 4).fill(0.25);
    const all = [...ids, "0", "9007199254740991"];
    expect(cells.strings(0, all.length)).toEqual(all);
    expect(new ResultWriter(labels).cells(cells, 0, probs, all.length).toString("utf8")).toBe(new ResultWriter(labels).rows(all, probs, all.length).toString("utf8"));
  });
});
