export type Row = Record<string, unknown>;

const numberFormat = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6, useGrouping: false });

/** One cell as text: numbers to 6 significant digits, dates as ISO, objects as JSON, nullish empty. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? numberFormat.format(value) : String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The columns of `rows` in order of first appearance. */
export function columnsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function isNumericColumn(rows: readonly Row[], column: string): boolean {
  const values = rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined);
  return values.length > 0 && values.every((v) => typeof v === "number");
}

/** A GitHub-flavoured Markdown table (numeric columns right-aligned), for `tslab.display.markdown`. */
export function markdownTable(rows: readonly Row[], columns: readonly string[] = columnsOf(rows)): string {
  if (columns.length === 0) return "_(no rows)_";
  const cell = (v: unknown) => formatCell(v).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns.map(cell)),
    line(columns.map((c) => (isNumericColumn(rows, c) ? "---:" : "---"))),
    ...rows.map((row) => line(columns.map((c) => cell(row[c])))),
  ].join("\n");
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/** An HTML table (numeric columns right-aligned), for `tslab.display.html`. */
export function htmlTable(rows: readonly Row[], columns: readonly string[] = columnsOf(rows)): string {
  const align = (c: string) => (isNumericColumn(rows, c) ? ' style="text-align:right"' : "");
  const head = columns.map((c) => `<th${align(c)}>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((row) => `<tr>${columns.map((c) => `<td${align(c)}>${escapeHtml(formatCell(row[c]))}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}
