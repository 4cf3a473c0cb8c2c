// The little CSV the scorer reads and writes: comma-separated, a header row, CRLF or LF, quoted
// cells ("a,b", "" for a quote) within one line. The byte-level reader is in readers.ts; this file
// holds the per-cell rules it falls back to, and the results writer.
import type { IdCells } from "./ids.js";

/** Splits one line; a quoted cell ("a,b") keeps its comma, "" is an escaped quote. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") cells.push(cell), (cell = "");
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** A cell as CSV: quoted when it holds a comma, quote or line break. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A number cell: what Number() reads from the trimmed cell when that is finite. Blank is missing
 * (Number("") is 0, which would hide it), and so are 0x / 0o / 0b literals, which Number() reads
 * but no CSV writer means as numbers.
 */
export function parseNumberCell(cell: string): number | undefined {
  const text = cell.trim();
  if (text === "" || /^0[xob]/i.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The header of a results file: id, label, p_<label>... */
export function resultHeader(labels: readonly string[]): string {
  return ["id", "label", ...labels.map((l) => `p_${l}`)].map(csvCell).join(",") + "\n";
}

/**
 * Formats result rows (id, label of the highest probability, the probabilities) as CSV bytes, into
 * one buffer reused across calls: the bytes returned are valid until the next call. Writing bytes
 * is ~1.5x faster than a template string per row, and probabilities take the shortest digits that
 * read back as the same float32 (≤ 9, as numpy / pandas write them) instead of String()'s up to
 * 17, which makes result files a third smaller.
 */
export class ResultWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private readonly labels: Buffer[];
  private readonly longestLabel: number;

  constructor(labels: readonly string[]) {
    this.labels = labels.map((l) => Buffer.from(csvCell(l), "utf8"));
    this.longestLabel = Math.max(0, ...this.labels.map((l) => l.length));
  }

  /** `n` rows of `probs` (row-major, labels.length wide). */
  rows(ids: readonly string[], probs: Float32Array, n: number): Buffer {
    let pos = 0;
    for (let r = 0; r < n; r++) {
      const id = ids[r];
      // id (≤ 3 bytes per UTF-16 unit, doubled for quotes) + the rest.
      const buf = this.room(pos, id.length * 6);
      pos = this.rest(buf, writeId(buf, pos, id), probs, r);
    }
    return this.buf.subarray(0, pos);
  }

  /** The same as rows(ids.strings(from, n), probs, n), from the ids' bytes. */
  cells(ids: IdCells, from: number, probs: Float32Array, n: number): Buffer {
    const { starts, odd } = ids;
    const bytes = ids.bytes;
    let pos = 0;
    for (let r = 0; r < n; r++) {
      const s = starts[from + r];
      const e = starts[from + r + 1];
      const id = odd?.get(from + r);
      const buf = this.room(pos, id === undefined ? e - s : id.length * 6);
      if (id !== undefined) pos = writeId(buf, pos, id);
      else for (let i = s; i < e; i++) buf[pos++] = bytes[i];
      pos = this.rest(buf, pos, probs, r);
    }
    return this.buf.subarray(0, pos);
  }

  /** The buffer, grown (keeping pos bytes) to take an id of `idBytes` and the rest of a row from pos. */
  private room(pos: number, idBytes: number): Buffer {
    // id + comma + label + k numbers of ≤ 25 bytes and their commas + LF.
    const need = pos + idBytes + 2 + this.longestLabel + this.labels.length * 26 + 1;
    if (need <= this.buf.length) return this.buf;
    const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, pos);
    return (this.buf = bigger);
  }

  /** After row r's id: the label of its highest probability, the probabilities, LF. */
  private rest(buf: Buffer, pos: number, probs: Float32Array, r: number): number {
    const k = this.labels.length;
    buf[pos++] = 44;
    const at = r * k;
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[at + c] > probs[at + best]) best = c;
    const label = this.labels[best];
    label.copy(buf, pos);
    pos += label.length;
    for (let c = 0; c < k; c++) {
      buf[pos++] = 44;
      pos = writeProbabilityAt(buf, pos, probs, at + c);
    }
    buf[pos++] = 10;
    return pos;
  }
}

/** An id as its CSV cell: ASCII without , " CR LF byte by byte, anything else through csvCell. */
function writeId(buf: Buffer, pos: number, id: string): number {
  const start = pos;
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i);
    if (ch > 127 || ch === 44 || ch === 34 || ch === 13 || ch === 10) return start + buf.write(csvCell(id), start, "utf8");
    buf[pos++] = ch;
  }
  return pos;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

/**
 * A float32 value as the shortest text that reads back (Math.fround(Number(text))) as the same
 * value, for (1e-9, 1): at most 9 significant digits, what float32 needs (numpy prints the same);
 * String(v) otherwise (0, 1, logits...).
 */
export function writeProbability(buf: Buffer, pos: number, v: number): number {
  one[0] = v;
  return writeProbabilityAt(buf, pos, one, 0);
}
const one = new Float64Array(1);

/**
 * writeProbability of values[i]. The value is read here, not passed: a double argument to a
 * function too big to inline is boxed (a heap number) on every call, 16 bytes of garbage per
 * probability.
 */
function writeProbabilityAt(buf: Buffer, pos: number, values: Float32Array | Float64Array, i: number): number {
  const v = values[i];
  if (!(v > 1e-9 && v < 1)) return pos + buf.write(String(v), pos, "latin1");
  let zeros = 0; // zeros between the point and the first significant digit
  while (v * POW10[zeros + 1] < 1) zeros++;
  // The fewest digits (6 to 9; fewer come out as trailing zeros) that read back: q / 10^k is what
  // Number() makes of the text (one correctly rounded division). Most float32s need 7 to 9.
  // (No closure here: a captured `zeros` would live in a context and slow every call threefold.)
  let digits = 7;
  let q = Math.round(v * POW10[zeros + 7]);
  if (Math.fround(q / POW10[zeros + 7]) === v) {
    const q6 = Math.round(v * POW10[zeros + 6]);
    if (Math.fround(q6 / POW10[zeros + 6]) === v) (digits = 6), (q = q6);
  } else {
    digits = 8;
    q = Math.round(v * POW10[zeros + 8]);
    if (Math.fround(q / POW10[zeros + 8]) !== v) (digits = 9), (q = Math.round(v * POW10[zeros + 9]));
  }
  if (q >= POW10[digits]) {
    // rounded up to the next power of ten: 0.0099999998 → 0.01
    if (zeros === 0) return pos + buf.write(String(v), pos, "latin1");
    zeros--;
    q = POW10[digits - 1];
  }
  // q < 10^9 < 2^31: as an int32 its digits come by integer division, not the fmod of a double.
  let n = q | 0;
  while (digits > 1 && n % 10 === 0) (n = (n / 10) | 0), digits--;
  buf[pos++] = 48; // 0
  buf[pos++] = 46; // .
  for (let i = 0; i < zeros; i++) buf[pos++] = 48;
  for (let i = pos + digits - 1; i >= pos; i--) {
    buf[i] = 48 + (n % 10);
    n = (n / 10) | 0;
  }
  return pos + digits;
}

/**
 * Gathers result bytes into ~1 MiB writes: a batch's results (~20 KiB) written one by one cost a
 * write call each, ~50 per MiB.
 */
export class WriteBuffer {
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;

  constructor(private readonly write: (bytes: Uint8Array) => Promise<void>) {}

  /** Copies `bytes` in (they may be reused by the caller); writes when the buffer is full. */
  async add(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.buf.length) await this.flush();
    if (bytes.length > this.buf.length) return this.write(Buffer.from(bytes));
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Writes what it holds (a fresh buffer follows: the stream keeps the one written until it is flushed). */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const full = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.used = 0;
    await this.write(full);
  }
}
