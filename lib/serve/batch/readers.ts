// Input readers: each yields a partition's rows in batches (ids + a row-major Float32Array of the
// model's features), never holding more than a batch and a read chunk (CSV) or a row group
// (Parquet) of rows, and throws CorruptInput for a row it cannot read.
import type { Readable } from "node:stream";
import { importPackage } from "../../core/index.js";
import { parseNumberCell, splitCsvLine } from "./csv.js";
import { BatchScoringError } from "./errors.js";
import { IdCells } from "./ids.js";
import { scaleValue, type Scaler } from "./model.js";
import { flatColumns, loadHyparquetPages, readRowGroup, type ColumnValues, type ParquetMetadataLike } from "./parquet.js";

/** A row or file the scorer cannot read (code CORRUPT_INPUT): its partition goes to quarantine. */
export class CorruptInput extends BatchScoringError {
  constructor(message: string) {
    super("CORRUPT_INPUT", message);
  }
}

export interface RowBatch {
  /** Rows in the batch. */
  n: number;
  /** Row ids, rows [from, from + n) of `cells`: the `id` column when there is one, else the row's number in the file (from 0). Reused by the next batch. */
  cells: IdCells;
  from: number;
  /** The ids as strings (made on each read: ResultWriter.cells writes `cells` without them). */
  readonly ids: string[];
  /** ids.length rows × features.length values (scaled when the reader was given a Scaler); the buffer is reused by the next batch. */
  raw: Float32Array;
}

/**
 * The rows of a CSV byte stream: a header row naming the columns (the model's features in any
 * order, an optional `id`, others ignored), then one row per line; blank lines are skipped, a
 * UTF-8 BOM is dropped, lines end in LF, CRLF or CR. A cell that is not a finite number (see
 * parseNumberCell) or a row with the wrong number of cells is CorruptInput naming the line.
 * With a `scaler`, values are stored scaled (scaleValue), as the model's score() would scale them.
 */
export async function* readCsvBatches(stream: Readable, features: string[], batchSize: number, scaler?: Scaler): AsyncGenerator<RowBatch> {
  const rows = new CsvRows(features, batchSize, scaler ?? identity(features.length));
  /** The batches of the lines from p up to `last`, an LF (which ends every line the parser reads). */
  function* linesOf(buf: Buffer, p: number, last: number): Generator<RowBatch> {
    while (p <= last) {
      p = rows.lines(buf, p, last);
      if (rows.full()) yield rows.take();
    }
  }
  let pending: Buffer[] = []; // the start of a line that continues in the next chunk
  try {
    for await (const data of stream) {
      const chunk: Buffer = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let p = 0;
      if (pending.length) {
        const nl = chunk.indexOf(10);
        if (nl < 0) {
          pending.push(chunk);
          continue;
        }
        const line = Buffer.concat([...pending, chunk.subarray(0, nl + 1)]);
        pending = [];
        yield* linesOf(line, 0, line.length - 1);
        p = nl + 1;
      }
      // Whole lines only; the rest waits for the next chunk.
      const last = chunk.lastIndexOf(10);
      yield* linesOf(chunk, p, last);
      const rest = Math.max(last + 1, p);
      if (rest < chunk.length) pending.push(chunk.subarray(rest));
    }
    if (pending.length) {
      const line = Buffer.concat([...pending, LF]);
      yield* linesOf(line, 0, line.length - 1);
    }
    if (!rows.columns) throw new CorruptInput("the file is empty (no header row)");
    if (rows.pending()) yield rows.take();
  } finally {
    stream.destroy();
  }
}

/** A batch of rows [from, from + n) of `cells`. */
export function rowBatch(cells: IdCells, from: number, n: number, raw: Float32Array): RowBatch {
  return {
    n,
    cells,
    from,
    raw,
    get ids() {
      return cells.strings(from, n);
    },
  };
}

const LF = Buffer.from("\n");
const identity = (width: number): Scaler => ({ mu: new Float32Array(width), inv: new Float32Array(width).fill(1) });
const SKIP = -1;
const ID = -2;
/** 10^k for k ≤ 22: exact doubles, so m × 10^k and m / 10^k are correctly rounded (Clinger's fast path). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Buffer's own latin1 decoder: toString("latin1", s, e) without its argument checks (it runs per id). */
const latin1: (buf: Buffer, s: number, e: number) => string =
  typeof (Buffer.prototype as unknown as { latin1Slice?: unknown }).latin1Slice === "function"
    ? (buf, s, e) => (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (buf, s, e) => buf.toString("latin1", s, e);

/**
 * The CSV row parser. Data lines of plain numbers go through a byte-level fast path that parses
 * each feature cell straight into the batch; any line it is not sure of (quotes, non-ASCII, a
 * lone CR, a cell outside the plain decimal grammar, a wrong cell count, the header) goes through
 * the string path — split + parseNumberCell per line, as the readline reader did — which decides,
 * so both paths give the same values and the same errors.
 */
class CsvRows {
  readonly raw: Float32Array;
  /** The batch's ids; after take(), until the next line is read, the batch taken. */
  private readonly cells = new IdCells();
  private taken = false;
  columns: string[] | undefined;
  private readonly width: number;
  /** Per column: the feature's index, ID or SKIP. */
  private slots = new Int32Array(0);
  private featureAt: number[] = [];
  private idAt = -1;
  private lineNo = 0;
  private dataRow = 0;

  constructor(
    private readonly features: string[],
    private readonly batchSize: number,
    private readonly scaler: Scaler,
  ) {
    this.width = features.length;
    this.raw = new Float32Array(batchSize * features.length);
  }

  full(): boolean {
    return !this.taken && this.cells.count === this.batchSize;
  }

  /** Whether rows wait to be taken. */
  pending(): boolean {
    return !this.taken && this.cells.count > 0;
  }

  /** The batch: valid until the next call of lines() (which reuses ids and raw). */
  take(): RowBatch {
    this.taken = true;
    return rowBatch(this.cells, 0, this.cells.count, this.raw);
  }

  /**
   * Reads the lines from p on, up to `last` (an LF), until the batch is full; returns where it
   * stopped (at a line's start).
   */
  lines(buf: Buffer, p: number, last: number): number {
    if (this.taken) this.cells.reset(), (this.taken = false);
    while (p <= last && this.cells.count < this.batchSize) {
      const next = this.columns ? this.fastLine(buf, p) : -1;
      if (next >= 0) {
        p = next;
        continue;
      }
      // The line ends at LF, CRLF or (as readline has it) a lone CR; `last` stops the scan.
      let e = p;
      while (buf[e] !== 10 && buf[e] !== 13) e++;
      this.slowLine(buf.toString("utf8", p, e));
      p = buf[e] === 13 && buf[e + 1] === 10 ? e + 2 : e + 1;
    }
    return p;
  }

  /**
   * A data line of plain cells from s: returns the position after its LF, or -1 (nothing kept)
   * to leave it to slowLine. A plain number cell is ASCII [spaces][+-]digits[.digits][(e|E)[+-]
   * digits][spaces]; it is parsed here, byte by byte, with Number()'s result: the mantissa is
   * exact while it stays ≤ 2^53, and then m × 10^k or m / 10^k (|k| ≤ 22) is one correctly
   * rounded operation; longer digit strings and bigger exponents go to Number() itself.
   * The line's LF stops every loop, so nothing past it is read.
   */
  private fastLine(buf: Buffer, s: number): number {
    let p = s;
    let b = buf[p];
    if (b === 10 || (b === 13 && buf[p + 1] === 10)) {
      this.lineNo++;
      return p + (b === 10 ? 1 : 2);
    }
    const slots = this.slots;
    const columns = slots.length;
    const raw = this.raw;
    const { mu, inv } = this.scaler;
    const at = this.cells.count * this.width;
    let col = 0;
    let idStart = 0;
    let idEnd = 0;
    for (;;) {
      if (col >= columns) return -1;
      const slot = slots[col];
      if (slot >= 0) {
        const cell = p;
        while (b === 32 || b === 9) b = buf[++p];
        let negative = false;
        if (b === 45) (negative = true), (b = buf[++p]);
        else if (b === 43) b = buf[++p];
        let mantissa = 0;
        const intStart = p;
        while (b >= 48 && b <= 57) (mantissa = mantissa * 10 + (b - 48)), (b = buf[++p]);
        let digits = p - intStart;
        let scale = 0;
        if (b === 46) {
          const fracStart = ++p;
          b = buf[p];
          while (b >= 48 && b <= 57) (mantissa = mantissa * 10 + (b - 48)), (b = buf[++p]);
          digits += p - fracStart;
          scale = fracStart - p;
        }
        if (digits === 0) return -1;
        if (b === 101 || b === 69) {
          b = buf[++p];
          let expNegative = false;
          if (b === 45) (expNegative = true), (b = buf[++p]);
          else if (b === 43) b = buf[++p];
          const expStart = p;
          let exponent = 0;
          while (b >= 48 && b <= 57) {
            if (exponent < 100_000) exponent = exponent * 10 + (b - 48);
            b = buf[++p];
          }
          if (p === expStart) return -1;
          scale += expNegative ? -exponent : exponent;
        }
        while (b === 32 || b === 9) b = buf[++p];
        if (b !== 44 && b !== 10 && b !== 13) return -1;
        let value: number;
        if (mantissa === 0) value = negative ? -0 : 0;
        else if (mantissa < 9007199254740992 && scale >= -22 && scale <= 22) {
          value = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
          if (negative) value = -value;
        } else {
          value = Number(latin1(buf, cell, p));
          if (!Number.isFinite(value)) return -1;
        }
        raw[at + slot] = scaleValue(value, mu[slot], inv[slot]);
      } else {
        const start = p;
        while (b !== 44 && b !== 10 && b !== 13) {
          if (b === 34 || (b > 127 && slot === ID)) return -1; // a quoted cell may hold a comma
          b = buf[++p];
        }
        if (slot === ID) (idStart = start), (idEnd = p);
      }
      col++;
      if (b !== 44) break;
      b = buf[++p];
    }
    if (b === 13) {
      if (buf[p + 1] !== 10) return -1; // a lone CR ends a line too
      p++;
    }
    if (col !== columns) return -1;
    // The id cell's bytes are plain (ASCII without , " CR LF: the loop above saw to it).
    if (this.idAt < 0) this.cells.pushNumber(this.dataRow);
    else if (idEnd > idStart && (buf[idStart] <= 32 || buf[idEnd - 1] <= 32)) this.cells.pushString(latin1(buf, idStart, idEnd).trim());
    else this.cells.pushBytes(buf, idStart, idEnd);
    this.lineNo++;
    this.dataRow++;
    return p + 1;
  }

  /** One line as a string: the header, or a data line the fast path declined. */
  private slowLine(line: string): void {
    this.lineNo++;
    if (line.trim() === "") return;
    const cells = splitCsvLine(line);
    if (!this.columns) {
      const columns = cells.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, "") : c).trim()); // a UTF-8 BOM (Excel) is not part of the name
      this.featureAt = featureIndices(columns, this.features);
      this.idAt = columns.indexOf("id");
      this.slots = new Int32Array(columns.length).fill(SKIP);
      this.featureAt.forEach((column, feature) => (this.slots[column] = feature));
      if (this.idAt >= 0) this.slots[this.idAt] = ID;
      this.columns = columns;
      return;
    }
    const { columns, featureAt, features, width } = this;
    if (cells.length !== columns.length) throw new CorruptInput(`line ${this.lineNo} has ${cells.length} columns, the header ${columns.length}`);
    const at = this.cells.count * width;
    for (let c = 0; c < width; c++) {
      const value = parseNumberCell(cells[featureAt[c]]);
      if (value === undefined) throw new CorruptInput(`line ${this.lineNo}, column ${features[c]}: ${JSON.stringify(cells[featureAt[c]])} is not a number`);
      this.raw[at + c] = scaleValue(value, this.scaler.mu[c], this.scaler.inv[c]);
    }
    if (this.idAt >= 0) this.cells.pushString(cells[this.idAt].trim());
    else this.cells.pushNumber(this.dataRow);
    this.dataRow++;
  }
}

/** The slice of hyparquet's API used here (it is ESM-only, loaded with importPackage). */
interface Hyparquet {
  asyncBufferFromFile(file: string): Promise<AsyncBufferLike>;
  parquetMetadataAsync(file: AsyncBufferLike): Promise<ParquetMetadata>;
  parquetScan(options: { file: AsyncBufferLike; metadata?: ParquetMetadata; columns?: string[]; useOffsetIndex?: boolean }): Promise<{
    ranges: readonly { rowStart: number; rowEnd: number }[];
    readColumn(options: { column: string; rowStart: number; rowEnd: number }): Promise<ArrayLike<unknown>>;
  }>;
}
interface ParquetMetadata {
  num_rows: bigint | number;
  row_groups: { num_rows: bigint | number }[];
  schema: { name: string }[];
}
export interface AsyncBufferLike {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer> | ArrayBuffer;
}

export async function loadHyparquet(): Promise<Hyparquet> {
  return (await importPackage("hyparquet")) as Hyparquet;
}

/**
 * Parquet: one row group at a time, column by column, the model's features (+ id) only. Flat
 * numeric columns go straight into typed arrays (parquet.ts); a file with other column types is
 * read by hyparquet's columnar scan. Batches never span row groups. With a `scaler`, values are
 * stored scaled (scaleValue).
 */
export async function* readParquetBatches(file: AsyncBufferLike, features: string[], batchSize: number, scaler?: Scaler): AsyncGenerator<RowBatch> {
  const hp = await loadHyparquet();
  let metadata: ParquetMetadata;
  try {
    metadata = await hp.parquetMetadataAsync(file);
  } catch (error) {
    throw new CorruptInput(`it is not a readable Parquet file (${(error as Error).message})`);
  }
  const names = metadata.schema.slice(1).map((s) => s.name);
  featureIndices(names, features);
  const hasId = names.includes("id");
  const pages = await loadHyparquetPages();
  const flat = pages && (await flatColumns(metadata as unknown as ParquetMetadataLike, hasId ? [...features, "id"] : features, "id"));
  if (!pages || !flat) {
    yield* scanParquetBatches(file, features, batchSize, { hp, metadata, hasId }, scaler);
    return;
  }
  const width = features.length;
  const raw = new Float32Array(batchSize * width);
  const { mu, inv } = scaler ?? identity(width);
  const numbers = new IdCells(); // row numbers, without an id column
  let rowStart = 0;
  for (let group = 0; group < metadata.row_groups.length; group++) {
    const rows = Number(metadata.row_groups[group].num_rows);
    const rowEnd = rowStart + rows;
    let read: ColumnValues[];
    try {
      read = await readRowGroup(pages, file as Parameters<typeof readRowGroup>[1], metadata as unknown as ParquetMetadataLike, group, flat);
    } catch (error) {
      if (error instanceof CorruptInput) throw error;
      throw new CorruptInput(`rows ${rowStart}–${rowEnd - 1} cannot be read (${(error as Error).message})`);
    }
    const ids = hasId ? (read[width].values as IdCells) : undefined;
    for (let from = 0; from < rows; from += batchSize) {
      const n = Math.min(batchSize, rows - from);
      for (let c = 0; c < width; c++) {
        const { values, nulls } = read[c];
        const data = values as Float32Array;
        const bad = fillColumn(raw, data, nulls, from, n, c, width, mu, inv);
        if (bad >= 0) throw notNumber(rowStart + from + bad, features[c], nulls?.[from + bad] ? null : data[from + bad]);
      }
      if (ids) yield rowBatch(ids, from, n, raw);
      else {
        numbers.reset();
        for (let r = 0; r < n; r++) numbers.pushNumber(rowStart + from + r);
        yield rowBatch(numbers, 0, n, raw);
      }
    }
    rowStart = rowEnd;
  }
}

/**
 * Any Parquet file hyparquet reads, through its columnar scan (values as hyparquet decodes them):
 * what readParquetBatches falls back to, and what its tests compare the typed-array path with.
 */
export async function* scanParquetBatches(
  file: AsyncBufferLike,
  features: string[],
  batchSize: number,
  known?: { hp: Hyparquet; metadata: ParquetMetadata; hasId: boolean },
  scaler?: Scaler,
): AsyncGenerator<RowBatch> {
  const hp = known?.hp ?? (await loadHyparquet());
  let metadata: ParquetMetadata;
  try {
    metadata = known?.metadata ?? (await hp.parquetMetadataAsync(file));
  } catch (error) {
    throw new CorruptInput(`it is not a readable Parquet file (${(error as Error).message})`);
  }
  const hasId = known?.hasId ?? metadata.schema.slice(1).some((s) => s.name === "id");
  featureIndices(metadata.schema.slice(1).map((s) => s.name), features);
  const width = features.length;
  const raw = new Float32Array(batchSize * width);
  const cells = new IdCells();
  let scan: Awaited<ReturnType<Hyparquet["parquetScan"]>>;
  try {
    scan = await hp.parquetScan({ file, metadata, columns: hasId ? [...features, "id"] : features, useOffsetIndex: false });
  } catch (error) {
    throw new CorruptInput(`it is not a readable Parquet file (${(error as Error).message})`);
  }
  // One row group (scan range) at a time: the scan's cache keeps the last range read per column.
  for (const { rowStart, rowEnd } of scan.ranges) {
    let columns: ArrayLike<unknown>[];
    let ids: ArrayLike<unknown> | undefined;
    try {
      columns = await Promise.all(features.map((column) => scan.readColumn({ column, rowStart, rowEnd })));
      if (hasId) ids = await scan.readColumn({ column: "id", rowStart, rowEnd });
    } catch (error) {
      throw new CorruptInput(`rows ${rowStart}–${rowEnd - 1} cannot be read (${(error as Error).message})`);
    }
    const rows = rowEnd - rowStart;
    for (const [c, data] of columns.entries()) {
      if (data.length !== rows) throw new CorruptInput(`rows ${rowStart}–${rowEnd - 1}: column ${features[c]} has ${data.length} values`);
    }
    for (let from = 0; from < rows; from += batchSize) {
      const n = Math.min(batchSize, rows - from);
      for (let c = 0; c < width; c++) {
        const data = columns[c];
        if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) {
          for (let r = 0; r < n; r++) {
            const value = data[from + r];
            if (value - value !== 0) throw notNumber(rowStart + from + r, features[c], value); // NaN or ±Infinity
            raw[r * width + c] = value;
          }
        } else {
          for (let r = 0; r < n; r++) {
            const v = data[from + r];
            const value = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : NaN;
            if (!Number.isFinite(value)) throw notNumber(rowStart + from + r, features[c], v);
            raw[r * width + c] = value;
          }
        }
      }
      if (scaler) {
        for (let r = 0, o = 0; r < n; r++) for (let c = 0; c < width; c++, o++) raw[o] = scaleValue(raw[o], scaler.mu[c], scaler.inv[c]);
      }
      cells.reset();
      for (let r = 0; r < n; r++) {
        if (ids) cells.pushString(String(ids[from + r]));
        else cells.pushNumber(rowStart + from + r);
      }
      yield rowBatch(cells, 0, n, raw);
    }
  }
}

/**
 * Rows [from, from + n) of one column into column c of the row-major batch, scaled; returns the
 * first row (from `from`) that is null, NaN or ±Infinity, or -1. A function of its own: in the generator
 * its doubles would be boxed.
 */
function fillColumn(raw: Float32Array, data: Float32Array | Float64Array | Int32Array, nulls: Uint8Array | undefined, from: number, n: number, c: number, width: number, mu: Float32Array, inv: Float32Array): number {
  const m = mu[c];
  const k = inv[c];
  for (let r = 0, o = c; r < n; r++, o += width) {
    const value = data[from + r];
    if (value - value !== 0) return r; // NaN or ±Infinity
    if (nulls !== undefined && nulls[from + r] === 1) return r; // a null (an Int32Array holds it as 0)
    raw[o] = scaleValue(value, m, k);
  }
  return -1;
}

const notNumber = (row: number, column: string, value: unknown) => new CorruptInput(`row ${row}, column ${column}: ${String(value)} is not a number`);

function featureIndices(columns: string[], features: string[]): number[] {
  const missing = features.filter((f) => !columns.includes(f));
  if (missing.length) throw new CorruptInput(`it lacks the model's feature column(s) ${missing.join(", ")}`);
  return features.map((f) => columns.indexOf(f));
}
