// Small helpers for bench results: statistics and plain-text tables.

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const min = (xs: number[]): number => Math.min(...xs);

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Seconds with two decimals, from milliseconds. */
export const secs = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? "–" : (ms / 1000).toFixed(2));

export const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : "–");

/** Left-aligned first column, right-aligned numbers, a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A whole number ≥ 0 from the environment (a benchmark knob), else `fallback`. */
export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not ${JSON.stringify(text)}.`);
  return n;
}
