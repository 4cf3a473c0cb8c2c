// Row ids as the bytes of their results-file cells. The readers copy a plain id's bytes (ASCII
// without , " CR LF: nearly every id) from the input straight into one buffer, and the results
// writer copies them out: no JS string per row, which was most of a Parquet worker's garbage
// collection (a row group's ids outlived the young generation) and the id's encode / decode.

/** Buffer's latin1 decoder without toString's argument checks. */
type FastBuffer = Buffer & { latin1Slice?(s: number, e: number): string };

/** A plain id byte: ASCII, and not a comma, quote, CR or LF (which csvCell would quote). */
export const plainIdByte = (b: number): boolean => b < 128 && b !== 44 && b !== 34 && b !== 13 && b !== 10;

/**
 * The ids of a run of rows, appended in order. Row r's cell is bytes[starts[r], starts[r + 1]),
 * unless `odd` holds its id as a string (one that is not plain: the writer quotes it with csvCell,
 * and it may be non-ASCII). Reused: reset() starts over.
 */
export class IdCells {
  bytes: Buffer = Buffer.allocUnsafe(1 << 16);
  starts = new Int32Array(1025);
  count = 0;
  /** Rows whose ids are not plain, by row. */
  odd: Map<number, string> | undefined;

  reset(): void {
    this.count = 0;
    this.odd = undefined;
  }

  private room(bytes: number): void {
    const end = this.starts[this.count] + bytes;
    if (end > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(end, this.bytes.length * 2));
      this.bytes.copy(bigger, 0, 0, this.starts[this.count]);
      this.bytes = bigger;
    }
    if (this.count + 2 > this.starts.length) {
      const bigger = new Int32Array(this.starts.length * 2);
      bigger.set(this.starts);
      this.starts = bigger;
    }
  }

  /** Appends buf[s, e), bytes the caller checked with plainIdByte. */
  pushBytes(buf: Uint8Array, s: number, e: number): void {
    this.room(e - s);
    const bytes = this.bytes;
    let p = this.starts[this.count];
    for (let i = s; i < e; i++) bytes[p++] = buf[i];
    this.starts[++this.count] = p;
  }

  /** Appends buf[s, e) when its bytes are plain (checked as they are copied); else appends nothing and returns false. */
  pushIfPlain(buf: Uint8Array, s: number, e: number): boolean {
    this.room(e - s);
    const bytes = this.bytes;
    let p = this.starts[this.count];
    for (let i = s; i < e; i++) {
      const b = buf[i];
      if (b >= 128 || b === 44 || b === 34 || b === 13 || b === 10) return false;
      bytes[p++] = b;
    }
    this.starts[++this.count] = p;
    return true;
  }

  /** Appends any id. */
  pushString(id: string): void {
    let plain = true;
    for (let i = 0; i < id.length && plain; i++) plain = plainIdByte(id.charCodeAt(i));
    if (!plain) {
      (this.odd ??= new Map()).set(this.count, id);
      this.room(0);
      this.starts[this.count + 1] = this.starts[this.count];
      this.count++;
      return;
    }
    this.room(id.length);
    const p = this.starts[this.count];
    this.starts[++this.count] = p + this.bytes.write(id, p, "latin1");
  }

  /** Appends a whole number ≥ 0 (a row number), as String() writes it. */
  pushNumber(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) return this.pushString(String(value));
    this.room(21);
    const bytes = this.bytes;
    const start = this.starts[this.count];
    let end = start;
    do {
      bytes[end++] = 48 + (value % 10);
      value = Math.floor(value / 10);
    } while (value > 0);
    bytes.subarray(start, end).reverse();
    this.starts[++this.count] = end;
  }

  /** Row r's id as a string. */
  string(r: number): string {
    const odd = this.odd?.get(r);
    if (odd !== undefined) return odd;
    const b = this.bytes as FastBuffer;
    return b.latin1Slice ? b.latin1Slice(this.starts[r], this.starts[r + 1]) : b.toString("latin1", this.starts[r], this.starts[r + 1]);
  }

  /** Rows [from, from + n) as strings. */
  strings(from: number, n: number): string[] {
    const out = new Array<string>(n);
    for (let r = 0; r < n; r++) out[r] = this.string(from + r);
    return out;
  }
}
