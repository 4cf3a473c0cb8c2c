// nbformat v4 notebooks: reading with clear errors, writing as Jupyter does, cell ids (v4.5).
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RunnerError } from "./errors.js";

export type MultilineString = string | string[];
export type MimeBundle = Record<string, unknown>;

export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: MultilineString }
  | { output_type: "display_data"; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: "execute_result"; execution_count: number | null; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

export interface CodeCell {
  cell_type: "code";
  id: string;
  source: MultilineString;
  metadata: Record<string, any>;
  execution_count: number | null;
  outputs: Output[];
}
export interface TextCell {
  cell_type: "markdown" | "raw";
  id: string;
  source: MultilineString;
  metadata: Record<string, any>;
  attachments?: Record<string, MimeBundle>;
}
export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: Cell[];
}

export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** Splits text into lines that keep their "\n", as Jupyter stores multiline strings. */
export function toLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

export function newCellId(taken?: Set<string>): string {
  for (;;) {
    const id = randomBytes(4).toString("hex");
    if (!taken?.has(id)) return id;
  }
}

/** Parses and checks a notebook. `file` is only used in messages. */
export function parseNotebook(text: string, file = "notebook"): Notebook {
  const bad = (what: string) =>
    new RunnerError("BAD_NOTEBOOK", `${file} is not a valid Jupyter notebook: ${what}. Open it in JupyterLab or fix the JSON; nothing was run.`);
  let nb: any;
  try {
    nb = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw bad(`it is not JSON (${(e as Error).message})`);
  }
  if (!nb || typeof nb !== "object" || Array.isArray(nb)) throw bad("the top level is not a JSON object");
  if (nb.nbformat === undefined) throw bad('it has no "nbformat" field');
  if (nb.nbformat !== 4) {
    throw bad(`nbformat ${JSON.stringify(nb.nbformat)} is not supported (only 4); convert it with: jupyter nbconvert --to notebook --nbformat 4`);
  }
  if (!Array.isArray(nb.cells)) throw bad('it has no "cells" list');
  if (nb.metadata !== undefined && (typeof nb.metadata !== "object" || nb.metadata === null)) throw bad('"metadata" is not an object');
  const ids = new Set<string>();
  const cells: Cell[] = nb.cells.map((c: any, i: number) => {
    const where = `cell ${i}`;
    if (!c || typeof c !== "object") throw bad(`${where} is not an object`);
    if (!["code", "markdown", "raw"].includes(c.cell_type)) throw bad(`${where} has cell_type ${JSON.stringify(c.cell_type)} (expected code, markdown or raw)`);
    const src = c.source;
    if (!(typeof src === "string" || (Array.isArray(src) && src.every((l: unknown) => typeof l === "string")))) {
      throw bad(`${where} has no text "source" (a string or a list of strings)`);
    }
    let id = typeof c.id === "string" && CELL_ID.test(c.id) && !ids.has(c.id) ? c.id : newCellId(ids);
    ids.add(id);
    const metadata = c.metadata && typeof c.metadata === "object" ? c.metadata : {};
    if (c.cell_type === "code") {
      if (c.outputs !== undefined && !Array.isArray(c.outputs)) throw bad(`${where} has "outputs" that is not a list`);
      return { ...c, id, metadata, outputs: c.outputs ?? [], execution_count: c.execution_count ?? null };
    }
    return { ...c, id, metadata };
  });
  return { ...nb, nbformat: 4, nbformat_minor: Math.max(5, Number(nb.nbformat_minor) || 0), metadata: nb.metadata ?? {}, cells };
}

export function readNotebook(file: string): Notebook {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a folder" : err.message;
    throw new RunnerError("BAD_NOTEBOOK", `Cannot read notebook ${file}: ${why}.`);
  }
  return parseNotebook(text, file);
}

/** Serialises as Jupyter does (1-space indent, sources as line lists, trailing newline). */
export function formatNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => ({ ...c, source: toLines(sourceText(c.source)) }));
  return JSON.stringify({ ...nb, cells }, null, 1) + "\n";
}

export function writeNotebook(file: string, nb: Notebook): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, formatNotebook(nb));
}
