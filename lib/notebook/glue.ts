// Glue: a notebook records named values that the runner, the summary and the tests read back.
// The format is scrapbook's, so Python tools (scrapbook, papermill users) read them too.
import type { Output } from "./nbformat.js";

export const GLUE_MIME = "application/scrapbook.scrap.json+json";

interface Scrap {
  name: string;
  data: unknown;
  encoder: "json";
  version: 1;
}

const recorded = new Map<string, unknown>();

/** tslab's display API when running inside a tslab kernel (tslab hooks `require("tslab")`). */
function tslabDisplay(): { raw(mime: string, data: string): void } | undefined {
  // `require` exists when tslab runs this file (it compiles it to CommonJS); not under plain ESM.
  if (typeof require !== "function") return undefined;
  try {
    const tslab = require("tslab");
    return tslab?.display;
  } catch {
    return undefined;
  }
}

/**
 * Records `value` under `name`. In a notebook it becomes an (invisible) display output of the cell;
 * elsewhere it is kept in memory (see `gluedInProcess`). The value must be JSON-serialisable.
 */
export function glue(name: string, value: unknown): void {
  if (!name || typeof name !== "string") throw new TypeError("glue(name, value): name must be a non-empty string");
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`glue("${name}", …): the value is not JSON-serialisable`);
  const data = JSON.parse(json);
  recorded.set(name, data);
  const scrap: Scrap = { name, data, encoder: "json", version: 1 };
  try {
    tslabDisplay()?.raw(GLUE_MIME, JSON.stringify(scrap));
  } catch {
    // Outside an executing cell ("Not ready"): the in-memory record is all there is.
  }
}

/** Values glued in this process (useful when notebook code runs as a plain script). */
export function gluedInProcess(): Record<string, unknown> {
  return Object.fromEntries(recorded);
}

/** Reads a glued value from an output, or undefined if the output is not a scrap. */
export function scrapOf(output: Output): { name: string; data: unknown } | undefined {
  if (output.output_type !== "display_data") return undefined;
  let raw = output.data[GLUE_MIME];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) raw = raw.join("");
  try {
    const scrap = typeof raw === "string" ? JSON.parse(raw) : raw;
    return scrap && typeof scrap.name === "string" ? { name: scrap.name, data: scrap.data } : undefined;
  } catch {
    return undefined;
  }
}

/** All glued values of a notebook's outputs, later values of a name winning. */
export function readGlue(cells: Array<{ outputs?: Output[] }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const cell of cells) {
    for (const o of cell.outputs ?? []) {
      const s = scrapOf(o);
      if (s) out[s.name] = s.data;
    }
  }
  return out;
}
