// Input readers: each yields a partition's rows in batches (ids + a row-major Float32Array of the
// model's features), never holding more than a batch (CSV) or a row group (Parquet) of rows, and
// throws CorruptInput for a row it cannot read.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { importPackage } from "../../core/index.js";
import { parseNumberCell, splitCsvLine } from "./csv.js";

/** A row or file the scorer cannot read: its partition goes to quarantine. */
export class CorruptInput extends Error {}

export interface RowBatch {
  /** Row ids: the `id` column when there is one, else the row's number in the file (from 0). */
  ids: string[];
  /** ids.length rows × features.length values; the buffer is reused by the next batch. */
  raw: Float32Array;
}

export async function* readCsvBatches(stream: Readable, features: string[], batchSize: number): AsyncGenerator<RowBatch> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const width = features.length;
  const raw = new Float32Array(batchSize * width);
  let ids: string[] = [];
  let columns: string[] | undefined;
  let featureAt: number[] = [];
  let idAt = -1;
  let lineNo = 0;
  let dataRow = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      const cells = splitCsvLine(line);
      if (!columns) {
        columns = cells.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, "") : c).trim()); // a UTF-8 BOM (Excel) is not part of the name
        featureAt = featureIndices(columns, features);
        idAt = columns.indexOf("id");
        continue;
      }
      if (cells.length !== columns.length) throw new CorruptInput(`line ${lineNo} has ${cells.length} columns, the header ${columns.length}`);
      const at = ids.length * width;
      for (let c = 0; c < width; c++) {
        const value = parseNumberCell(cells[featureAt[c]]);
        if (value === undefined) throw new CorruptInput(`line ${lineNo}, column ${features[c]}: ${JSON.stringify(cells[featureAt[c]])} is not a number`);
        raw[at + c] = value;
      }
      ids.push(idAt >= 0 ? cells[idAt].trim() : String(dataRow));
      dataRow++;
      if (ids.length === batchSize) {
        yield { ids, raw };
        ids = [];
      }
    }
    if (!columns) throw new CorruptInput("the file is empty (no header row)");
    if (ids.length) yield { ids, raw };
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The slice of hyparquet's API used here (it is ESM-only, loaded with importPackage). */
interface Hyparquet {
  asyncBufferFromFile(file: string): Promise<AsyncBufferLike>;
  parquetMetadataAsync(file: AsyncBufferLike): Promise<{ num_rows: bigint | number; row_groups: { num_rows: bigint | number }[]; schema: { name: string }[] }>;
  parquetReadObjects(options: { file: AsyncBufferLike; metadata?: unknown; columns?: string[]; rowStart?: number; rowEnd?: number }): Promise<Record<string, unknown>[]>;
}
export interface AsyncBufferLike {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer> | ArrayBuffer;
}

export async function loadHyparquet(): Promise<Hyparquet> {
  return (await importPackage("hyparquet")) as Hyparquet;
}

/** Parquet (snappy or uncompressed): one row group at a time, the model's features (+ id) only. */
export async function* readParquetBatches(file: AsyncBufferLike, features: string[], batchSize: number): AsyncGenerator<RowBatch> {
  const hp = await loadHyparquet();
  let metadata: Awaited<ReturnType<Hyparquet["parquetMetadataAsync"]>>;
  try {
    metadata = await hp.parquetMetadataAsync(file);
  } catch (error) {
    throw new CorruptInput(`it is not a readable Parquet file (${(error as Error).message})`);
  }
  const names = metadata.schema.slice(1).map((s) => s.name);
  featureIndices(names, features);
  const hasId = names.includes("id");
  const columns = hasId ? [...features, "id"] : features;
  const width = features.length;
  const raw = new Float32Array(batchSize * width);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await hp.parquetReadObjects({ file, metadata, columns, rowStart, rowEnd });
    } catch (error) {
      throw new CorruptInput(`rows ${rowStart}–${rowEnd - 1} cannot be read (${(error as Error).message})`);
    }
    for (let from = 0; from < rows.length; from += batchSize) {
      const n = Math.min(batchSize, rows.length - from);
      const ids: string[] = [];
      for (let r = 0; r < n; r++) {
        const row = rows[from + r];
        for (let c = 0; c < width; c++) {
          const v = row[features[c]];
          const value = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : NaN;
          if (!Number.isFinite(value)) throw new CorruptInput(`row ${rowStart + from + r}, column ${features[c]}: ${String(v)} is not a number`);
          raw[r * width + c] = value;
        }
        ids.push(hasId ? String(row.id) : String(rowStart + from + r));
      }
      yield { ids, raw };
    }
    rowStart = rowEnd;
  }
}

function featureIndices(columns: string[], features: string[]): number[] {
  const missing = features.filter((f) => !columns.includes(f));
  if (missing.length) throw new CorruptInput(`it lacks the model's feature column(s) ${missing.join(", ")}`);
  return features.map((f) => columns.indexOf(f));
}
