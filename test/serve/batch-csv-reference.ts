// The CSV reader as it was before the byte-level one (readline + split + parseNumberCell per
// cell): the reference the fast reader must agree with, row for row and error for error.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parseNumberCell, splitCsvLine } from "../../lib/serve/batch/csv.js";
import { CorruptInput } from "../../lib/serve/batch/readers.js";

export async function* referenceCsvBatches(stream: Readable, features: string[], batchSize: number): AsyncGenerator<{ ids: string[]; raw: Float32Array }> {
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
        columns = cells.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, "") : c).trim());
        const missing = features.filter((f) => !columns!.includes(f));
        if (missing.length) throw new CorruptInput(`it lacks the model's feature column(s) ${missing.join(", ")}`);
        featureAt = features.map((f) => columns!.indexOf(f));
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
