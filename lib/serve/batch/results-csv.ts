// RFC 4180 CSV for reading results files back: quoted cells may hold commas, "" (a quote) and line
// breaks (csvCell writes ids that way). The scorer's own line-at-a-time reader (csv.ts, readers.ts)
// is for inputs; a results file is read whole here, so a quoted line break is no problem.

/** The records of `text`: CRLF or LF line ends; a final line break adds no empty record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(cell);
    records.push(record);
    record = [];
    cell = "";
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (cell += ch), i++;
    } else if (ch === '"') (quoted = true), i++;
    else if (ch === ",") record.push(cell), (cell = ""), i++;
    else if (ch === "\n" || ch === "\r") {
      endRecord();
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else (cell += ch), i++;
  }
  if (cell !== "" || record.length > 0) endRecord();
  return records;
}
