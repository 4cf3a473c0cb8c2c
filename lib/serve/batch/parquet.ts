// Parquet column chunks straight into typed arrays. hyparquet's own readColumn assembles every
// OPTIONAL column into a JS array (a boxed value per row, ~10x the bytes, and slow); here its page
// primitives (page headers, decompression, levels, PLAIN / dictionary / delta decoding) are used
// on their own, and a flat numeric column lands in one typed array per row group, nulls kept
// aside. Row groups of the model's columns are fetched in one byte range each. Files this does not
// cover (nested columns, other types or annotations) are read by hyparquet's scan (readers.ts).
import { importPackage } from "../../core/index.js";
import { IdCells } from "./ids.js";
import { loadCompressors, type Compressors as CodecMap } from "./snappy.js";

/** hyparquet's codec hook: hysnappy's WASM snappy (snappy.ts), or undefined for hyparquet's JS one. */
type Compressors = CodecMap | undefined;

export interface ParquetMetadataLike {
  num_rows: bigint | number;
  row_groups: { num_rows: bigint | number; columns: { file_path?: string; meta_data?: ColumnMeta }[] }[];
  schema: SchemaElement[];
}
interface SchemaElement {
  name: string;
  type?: string;
  type_length?: number;
  repetition_type?: string;
  num_children?: number;
  converted_type?: string;
  logical_type?: { type: string };
}
interface ColumnMeta {
  type: string;
  codec: string;
  path_in_schema: string[];
  data_page_offset: bigint | number;
  dictionary_page_offset?: bigint | number;
  total_compressed_size: bigint | number;
}
interface DataReader {
  view: DataView;
  offset: number;
}
type Decoded = ArrayLike<unknown> & { length: number };
interface PageHeaderLike {
  type: string;
  uncompressed_page_size: number;
  compressed_page_size: number;
  data_page_header?: { num_values: number; encoding: string };
  dictionary_page_header?: { num_values: number };
  data_page_header_v2?: {
    num_values: number;
    num_nulls: number;
    num_rows: number;
    encoding: string;
    definition_levels_byte_length: number;
    repetition_levels_byte_length: number;
    is_compressed?: boolean;
  };
}

/** The hyparquet internals used (its package exports ./src/*.js). */
interface HyparquetPages {
  parquetHeader(reader: DataReader): PageHeaderLike;
  decompressPage(bytes: Uint8Array, size: number, codec: string, compressors: Compressors): Uint8Array;
  readDataPage(bytes: Uint8Array, header: object, decoder: object): { definitionLevels: number[]; dataPage: Decoded };
  readDataPageV2(bytes: Uint8Array, header: object, decoder: object): { definitionLevels: number[] | undefined; dataPage: Decoded };
  readPlain(reader: DataReader, type: string, count: number, fixedLength?: number): Decoded;
  convertWithDictionary(data: Decoded, dictionary: Decoded | undefined, encoding: string, decoder: object): Decoded;
  readRleBitPackedHybrid(reader: DataReader, width: number, output: number[] | Uint8Array, length?: number): void;
}

let pages: Promise<HyparquetPages | undefined> | undefined;

/** hyparquet's page functions, or undefined when its internals moved (then the scan reads everything). */
export function loadHyparquetPages(): Promise<HyparquetPages | undefined> {
  pages ??= (async () => {
    try {
      const modules = (await Promise.all(
        ["hyparquet/src/column.js", "hyparquet/src/datapage.js", "hyparquet/src/plain.js", "hyparquet/src/convert.js", "hyparquet/src/encoding.js"].map((m) => importPackage(m)),
      )) as Record<string, unknown>[];
      const api = Object.assign({}, ...modules) as HyparquetPages;
      const needed = ["parquetHeader", "decompressPage", "readDataPage", "readDataPageV2", "readPlain", "convertWithDictionary", "readRleBitPackedHybrid"] as const;
      return needed.every((f) => typeof api[f] === "function") ? api : undefined;
    } catch {
      return undefined;
    }
  })();
  return pages;
}

/**
 * One column of one row group: numbers (a typed array, NaN where `nulls` says) or ids (a null id
 * reads "null", as String(null) in the scan). Valid until the column's next row group is read:
 * the arrays are reused.
 */
export interface ColumnValues {
  values: Float32Array | Float64Array | Int32Array | IdCells;
  /** Rows (from the row group's start) that are null; undefined when none. */
  nulls?: Uint8Array;
}

const NUMERIC = new Set(["FLOAT", "DOUBLE", "INT32", "INT64"]);

/** A flat (top-level, not repeated) column this reader decodes itself, with its decoder parameters. */
export interface FlatColumn {
  name: string;
  /** Where it is in a row group's `columns`. */
  index: number;
  kind: "number" | "string";
  decoder: { type: string; element: SchemaElement; schemaPath: { element: SchemaElement }[]; pathInSchema: string[]; codec?: string; utf8: boolean; parsers: object; compressors: Compressors };
  maxDefinition: number;
  /** The last row group's values, reused by the next. */
  spare?: Float32Array | Float64Array | Int32Array | IdCells;
}

/**
 * The flat columns `names` (the model's features, numbers; `id`, numbers or UTF-8 text), or
 * undefined when one of them is something else (nested, a logical type, BOOLEAN...): then the
 * caller reads the file with hyparquet's scan, which knows every type.
 */
export async function flatColumns(metadata: ParquetMetadataLike, names: string[], idName?: string): Promise<FlatColumn[] | undefined> {
  const root = metadata.schema[0];
  const top = metadata.schema.slice(1);
  // Only a flat schema: every top-level element is a leaf (nested groups shift column indices).
  if (top.length !== root.num_children || top.some((e) => e.num_children)) return undefined;
  const first = metadata.row_groups[0]?.columns;
  const parsers = ((await importPackage("hyparquet/src/convert.js")) as { DEFAULT_PARSERS?: object }).DEFAULT_PARSERS ?? {};
  const compressors = await loadCompressors();
  const columns: FlatColumn[] = [];
  for (const name of names) {
    const index = top.findIndex((e) => e.name === name);
    const element = top[index];
    if (!element || element.repetition_type === "REPEATED" || !element.type) return undefined;
    if (first && first[index]?.meta_data?.path_in_schema.join(".") !== name) return undefined;
    const plainNumber = NUMERIC.has(element.type) && !element.converted_type && !element.logical_type;
    const text = element.type === "BYTE_ARRAY" && (element.converted_type === "UTF8" || element.logical_type?.type === "STRING");
    const integerId = (element.type === "INT32" || element.type === "INT64") && !element.converted_type && !element.logical_type;
    // Ids are text, whatever their type (String() of an INT64 is its exact digits).
    const kind = name === idName ? (text || integerId ? "string" : undefined) : plainNumber ? "number" : undefined;
    if (!kind) return undefined;
    columns.push({
      name,
      index,
      kind,
      decoder: { type: element.type, element, schemaPath: [{ element: root }, { element }], pathInSchema: [name], utf8: true, parsers, compressors },
      maxDefinition: element.repetition_type === "REQUIRED" ? 0 : 1,
    });
  }
  return columns;
}

/** Byte ranges of a row group's columns: neighbours closer than this are fetched as one read. */
const MERGE_GAP = 1 << 20;

/** Reads one row group's `columns`: one or a few byte ranges, then page by page into typed arrays. */
export async function readRowGroup(
  hp: HyparquetPages,
  file: { slice(start: number, end?: number): Promise<ArrayBuffer> | ArrayBuffer },
  metadata: ParquetMetadataLike,
  group: number,
  columns: FlatColumn[],
): Promise<ColumnValues[]> {
  const rowGroup = metadata.row_groups[group];
  const rows = Number(rowGroup.num_rows);
  const ranges = columns.map((c) => {
    const meta = rowGroup.columns[c.index]?.meta_data;
    if (!meta || rowGroup.columns[c.index].file_path) throw new Error(`row group ${group} has no data for column ${c.name}`);
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    return { column: c, meta, start, end: start + Number(meta.total_compressed_size) };
  });
  // Fetch in runs of neighbouring chunks (in file order), then decode each chunk from its run.
  const order = [...ranges].sort((a, b) => a.start - b.start);
  const runs: { start: number; end: number; bytes?: Promise<ArrayBuffer> }[] = [];
  const runOf = new Map<FlatColumn, (typeof runs)[number]>();
  for (const r of order) {
    let run = runs[runs.length - 1];
    if (!run || r.start - run.end > MERGE_GAP || r.start < run.start) runs.push((run = { start: r.start, end: r.end }));
    else run.end = Math.max(run.end, r.end);
    runOf.set(r.column, run);
  }
  for (const run of runs) run.bytes = Promise.resolve(file.slice(run.start, run.end));
  const out: ColumnValues[] = [];
  for (const r of ranges) {
    const run = runOf.get(r.column)!;
    const buffer = await run.bytes!;
    if (buffer.byteLength < r.end - run.start) throw new Error(`column ${r.column.name} runs past the end of the file`);
    const view = new DataView(buffer, r.start - run.start, r.end - r.start);
    out.push(readChunk(hp, { view, offset: 0 }, { ...r.column.decoder, codec: r.meta.codec }, r.column, rows));
  }
  return out;
}

/** One column chunk's pages into `rows` values. */
function readChunk(hp: HyparquetPages, reader: DataReader, decoder: FlatColumn["decoder"], column: FlatColumn, rows: number): ColumnValues {
  const { type } = decoder;
  const text = column.kind === "string";
  const bytes = type === "BYTE_ARRAY";
  const values = reuse(column, rows);
  let nulls: Uint8Array | undefined;
  let dictionary: Decoded | undefined;
  let at = 0;
  while (at < rows && reader.offset < reader.view.byteLength) {
    const header = hp.parquetHeader(reader);
    const compressed = new Uint8Array(reader.view.buffer, reader.view.byteOffset + reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === "DICTIONARY_PAGE") {
      const page = hp.decompressPage(compressed, header.uncompressed_page_size, decoder.codec!, decoder.compressors);
      const dict = hp.readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, type, header.dictionary_page_header!.num_values, decoder.element.type_length);
      dictionary = bytes ? Array.from(dict as ArrayLike<Uint8Array>, utf8) : dict;
      continue;
    }
    let levels: ArrayLike<number> | undefined;
    let data: Decoded;
    let encoding: string;
    let count: number;
    if (header.type === "DATA_PAGE") {
      const daph = header.data_page_header!;
      encoding = daph.encoding;
      count = daph.num_values;
      if (at + count > rows) throw new Error(`column ${column.name} holds more values than its row group's ${rows} rows`);
      const page = hp.decompressPage(compressed, header.uncompressed_page_size, decoder.codec!, decoder.compressors);
      const start = denseStart(page, column.maxDefinition, count);
      if (start >= 0 && (encoding === "PLAIN" || (dictionary && DICTIONARY.has(encoding)))) {
        at = dictionary && DICTIONARY.has(encoding) ? dictionaryValues(hp, page.subarray(start), count, dictionary, values, at) : plainValues(hp, page, start, count, decoder, values, at);
        continue;
      }
      if (bytes && encoding === "PLAIN" && column.maxDefinition === 1) {
        at = textPage(hp, page, count, column.maxDefinition, values as IdCells, at, () => (nulls ??= new Uint8Array(rows)));
        continue;
      }
      ({ definitionLevels: levels, dataPage: data } = hp.readDataPage(page, daph, decoder));
    } else if (header.type === "DATA_PAGE_V2") {
      const daph2 = header.data_page_header_v2!;
      encoding = daph2.encoding;
      count = daph2.num_values;
      if (at + count > rows) throw new Error(`column ${column.name} holds more values than its row group's ${rows} rows`);
      const dictionaryPage = dictionary !== undefined && DICTIONARY.has(encoding);
      if ((encoding === "PLAIN" || dictionaryPage) && daph2.num_nulls === 0 && daph2.num_rows === count) {
        // No nulls: the levels need no decoding, the values follow them.
        const levelBytes = daph2.repetition_levels_byte_length + daph2.definition_levels_byte_length;
        let page = compressed.subarray(levelBytes);
        if (daph2.is_compressed !== false) page = hp.decompressPage(page, header.uncompressed_page_size - levelBytes, decoder.codec!, decoder.compressors);
        at = dictionaryPage ? dictionaryValues(hp, page, count, dictionary!, values, at) : plainValues(hp, page, 0, count, decoder, values, at);
        continue;
      }
      ({ definitionLevels: levels, dataPage: data } = hp.readDataPageV2(compressed, header, decoder));
    } else continue; // an index page
    if (at + count > rows) throw new Error(`column ${column.name} holds more values than its row group's ${rows} rows`);
    const dense = !levels || levels.length === 0 || allDefined(levels, column.maxDefinition);
    if (bytes && !dictionary && data.length && data[0] instanceof Uint8Array) data = Array.from(data as ArrayLike<Uint8Array>, utf8);
    else data = hp.convertWithDictionary(data, dictionary, encoding, decoder);
    if (data.length !== (dense ? count : countDefined(levels!, column.maxDefinition))) throw new Error(`column ${column.name}: a page holds ${data.length} values for ${count} rows`);
    if (dense) {
      if (text) for (let i = 0; i < count; i++) (values as IdCells).pushString(String(data[i]));
      else if (ArrayBuffer.isView(data) && !(data instanceof BigInt64Array)) (values as Float32Array).set(data as Float32Array, at);
      else for (let i = 0; i < count; i++) (values as Float64Array)[at + i] = Number(data[i]);
    } else {
      nulls ??= new Uint8Array(rows);
      for (let i = 0, v = 0; i < count; i++) {
        if (levels![i] === column.maxDefinition) {
          const x = data[v++];
          if (text) (values as IdCells).pushString(String(x));
          else (values as Float64Array)[at + i] = Number(x);
        } else {
          nulls[at + i] = 1;
          if (text) (values as IdCells).pushString("null"); // String(null), as the scan's ids read
          else (values as Float64Array)[at + i] = NaN;
        }
      }
    }
    at += count;
  }
  if (at !== rows) throw new Error(`column ${column.name} holds ${at} values, its row group ${rows} rows`);
  if (text && (values as IdCells).count !== rows) throw new Error(`column ${column.name}: ${(values as IdCells).count} ids for ${rows} rows`);
  return { values, nulls };
}

/** `rows` values for `column`: its last row group's array when big enough (the batches of that row group are done). */
function reuse(column: FlatColumn, rows: number): NonNullable<FlatColumn["spare"]> {
  const type = column.decoder.type;
  let spare = column.spare;
  if (column.kind === "string") {
    const cells = spare instanceof IdCells ? spare : new IdCells();
    cells.reset();
    return (column.spare = cells);
  }
  const Type = type === "FLOAT" ? Float32Array : type === "INT32" ? Int32Array : Float64Array; // DOUBLE, and INT64 as numbers (as Number(bigint) did)
  if (!(spare instanceof Type) || spare.length < rows) spare = column.spare = new Type(rows);
  return (spare as Float32Array).subarray(0, rows);
}

/**
 * Where a v1 page's PLAIN values start when it has no nulls: at 0 for a REQUIRED column; after
 * the definition levels (4-byte length, then RLE / bit-packed runs) when they are one run of
 * "defined" covering the page (what writers emit for a column without nulls); else -1.
 */
function denseStart(page: Uint8Array, maxDefinition: number, count: number): number {
  if (maxDefinition === 0) return 0;
  if (maxDefinition !== 1 || page.length < 6) return -1;
  const length = page[0] | (page[1] << 8) | (page[2] << 16) | (page[3] << 24);
  let p = 4;
  let header = 0;
  for (let shift = 0; p < page.length && shift < 35; shift += 7) {
    const b = page[p++];
    header += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  // An RLE run (low bit 0) of `header >> 1` copies of the next byte (bit width 1: one byte).
  if (header % 2 !== 0 || Math.floor(header / 2) < count || page[p] !== 1) return -1;
  return 4 + length;
}

/** `count` PLAIN values from page[start]: numbers into the typed array, text as strings. */
function plainValues(hp: HyparquetPages, page: Uint8Array, start: number, count: number, decoder: FlatColumn["decoder"], values: ColumnValues["values"], at: number): number {
  if (decoder.type === "BYTE_ARRAY") return textPage(hp, page.subarray(start), count, 0, values as IdCells, at, () => new Uint8Array(0));
  const data = hp.readPlain({ view: new DataView(page.buffer, page.byteOffset + start, page.byteLength - start), offset: 0 }, decoder.type, count);
  if (data.length !== count) throw new Error("a page holds fewer values than its header says");
  if (values instanceof IdCells) for (let i = 0; i < count; i++) values.pushString(String(data[i]));
  else if (data instanceof BigInt64Array) for (let i = 0; i < count; i++) values[at + i] = Number(data[i]);
  else values.set(data as Float32Array, at);
  return at + count;
}

const DICTIONARY = new Set(["PLAIN_DICTIONARY", "RLE_DICTIONARY"]);
let indices = new Int32Array(0);

/** `count` dictionary-encoded values (a bit-width byte, then RLE / bit-packed indices) looked up in `dictionary`. */
function dictionaryValues(hp: HyparquetPages, page: Uint8Array, count: number, dictionary: Decoded, values: ColumnValues["values"], at: number): number {
  if (indices.length < count) indices = new Int32Array(count);
  const index = indices.subarray(0, count);
  const width = page[0];
  if (width === 0) index.fill(0);
  else if (width <= 24) unpackHybrid(page, 1, page.length, width, index);
  else hp.readRleBitPackedHybrid({ view: new DataView(page.buffer, page.byteOffset + 1, page.byteLength - 1), offset: 0 }, width, index as unknown as Uint8Array, page.byteLength - 1);
  const size = dictionary.length;
  if (values instanceof IdCells) {
    for (let i = 0; i < count; i++) {
      const k = index[i];
      if (k >= size) throw new Error(`a dictionary index ${k} is past the dictionary's ${size} values`);
      values.pushString(String(dictionary[k]));
    }
  } else {
    const dict = dictionary instanceof BigInt64Array ? Float64Array.from(dictionary, Number) : (dictionary as Float32Array);
    for (let i = 0; i < count; i++) {
      const k = index[i];
      if (k >= size) throw new Error(`a dictionary index ${k} is past the dictionary's ${size} values`);
      values[at + i] = dict[k];
    }
  }
  return at + count;
}

/**
 * Parquet's RLE / bit-packed hybrid (values of `width` ≤ 24 bits, LSB first) from page[p, end)
 * into all of `out`: hyparquet's readRleBitPackedHybrid without a DataView call per byte, ~3x
 * faster. Throws when the runs end before `out` is full or a run's bytes pass `end`.
 */
export function unpackHybrid(page: Uint8Array, p: number, end: number, width: number, out: Int32Array): void {
  const count = out.length;
  const mask = (1 << width) - 1;
  const valueBytes = (width + 7) >> 3;
  let i = 0;
  while (i < count) {
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= end || shift > 28) throw new Error("the dictionary indices end early");
      const b = page[p++];
      header += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (header % 2 === 1) {
      // Bit-packed: groups of 8 values, `width` bytes a group.
      const groups = (header - 1) / 2;
      if (p + groups * width > end) throw new Error("the dictionary indices end early");
      const n = Math.min(groups * 8, count - i);
      let acc = 0;
      let bits = 0;
      for (let k = 0; k < n; k++) {
        while (bits < width) (acc |= page[p++] << bits), (bits += 8);
        out[i++] = acc & mask;
        acc >>>= width;
        bits -= width;
      }
      p += groups * width - Math.ceil((n * width) / 8); // the last group's padding, or values past `out`
    } else {
      const n = Math.min(header / 2, count - i);
      if (p + valueBytes > end) throw new Error("the dictionary indices end early");
      let value = 0;
      for (let k = 0; k < valueBytes; k++) value |= page[p++] << (8 * k);
      out.fill(value, i, i + n);
      i += n;
    }
  }
}

function allDefined(levels: ArrayLike<number>, max: number): boolean {
  for (let i = 0; i < levels.length; i++) if (levels[i] !== max) return false;
  return true;
}

function countDefined(levels: ArrayLike<number>, max: number): number {
  let n = 0;
  for (let i = 0; i < levels.length; i++) if (levels[i] === max) n++;
  return n;
}

const decoder = new TextDecoder();
const utf8 = (b: Uint8Array) => decoder.decode(b);

/** Buffer's own decoders without toString's argument checks (they run once per id). */
type FastBuffer = Buffer & { utf8Slice?(s: number, e: number): string };
const utf8Text = (b: FastBuffer, s: number, e: number) => (b.utf8Slice ? b.utf8Slice(s, e) : b.toString("utf8", s, e));

/**
 * A v1 PLAIN BYTE_ARRAY data page (its definition levels when OPTIONAL, then a 4-byte length and
 * the bytes per value) into `out`: a plain id's bytes as they are; any other id as a string, UTF-8
 * (what TextDecoder gives for valid UTF-8). Returns the next row.
 */
function textPage(hp: HyparquetPages, page: Uint8Array, count: number, maxDefinition: number, out: IdCells, at: number, nulls: () => Uint8Array): number {
  const buf = Buffer.from(page.buffer, page.byteOffset, page.byteLength) as FastBuffer;
  let p = 0;
  let levels: number[] | undefined;
  if (maxDefinition) {
    const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
    levels = new Array<number>(count);
    hp.readRleBitPackedHybrid(reader, 1, levels);
    p = reader.offset;
  }
  for (let i = 0; i < count; i++, at++) {
    if (levels && levels[i] !== maxDefinition) {
      nulls()[at] = 1;
      out.pushString("null"); // String(null), as the scan's ids read
      continue;
    }
    if (p + 4 > buf.length) throw new Error("a text page ends early");
    const n = buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
    p += 4;
    if (n < 0 || p + n > buf.length) throw new Error("a text page ends early");
    if (!out.pushIfPlain(buf, p, p + n)) out.pushString(utf8Text(buf, p, p + n));
    p += n;
  }
  return at;
}
