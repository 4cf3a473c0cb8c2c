// Papermill-style parameters for TypeScript: the cell tagged `parameters` holds the defaults; the
// runner inserts a cell tagged `injected-parameters` after it that declares the given values again
// (tslab lets a later cell redeclare a let/const), keeping each declared type so type checking passes.
import { RunnerError } from "./errors.js";
import { cellTags, newCellId, sourceText, type Cell, type Notebook } from "./nbformat.js";

export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [k: string]: ParameterValue };
export type Parameters = Record<string, ParameterValue>;

export interface DeclaredParameter {
  name: string;
  keyword: "let" | "const" | "var";
  /** The type annotation as written, if any. */
  annotation?: string;
  kind: "number" | "string" | "boolean" | "other";
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
const DECL = /^\s*(?:export\s+)?(let|const|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*([^=]+?))?\s*=\s*(.+?)\s*;?\s*(?:\/\/.*)?$/;

function kindOf(annotation: string | undefined, init: string): DeclaredParameter["kind"] {
  const t = annotation?.trim();
  if (t === "number" || t === "string" || t === "boolean") return t;
  if (t) return "other";
  if (/^-?(\d[\d_]*\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(init)) return "number";
  if (/^(["'`]).*\1$/.test(init)) return "string";
  if (init === "true" || init === "false") return "boolean";
  return "other";
}

/** The simple declarations (one per line) of a parameters cell. */
export function declaredParameters(source: string): Map<string, DeclaredParameter> {
  const found = new Map<string, DeclaredParameter>();
  for (const line of source.split("\n")) {
    const m = DECL.exec(line);
    if (!m) continue;
    const [, keyword, name, annotation, init] = m;
    found.set(name, { name, keyword: keyword as DeclaredParameter["keyword"], annotation: annotation?.trim(), kind: kindOf(annotation, init) });
  }
  return found;
}

/** Types a `-p name=value` text: as the parameters cell declares it, else as JSON, else a string. */
export function coerceParameter(name: string, raw: string, declared?: DeclaredParameter): ParameterValue {
  const fail = (expected: string) =>
    new RunnerError("BAD_OPTION", `Parameter ${name}=${raw}: the notebook declares ${name} as ${expected}; pass a ${expected}.`);
  switch (declared?.kind) {
    case "string":
      return raw;
    case "number": {
      const n = Number(raw.replace(/_/g, ""));
      if (raw.trim() === "" || !Number.isFinite(n)) throw fail("number");
      return n;
    }
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["true", "1", "yes"].includes(v)) return true;
      if (["false", "0", "no"].includes(v)) return false;
      throw fail("boolean (true or false)");
    }
    default:
      try {
        return JSON.parse(raw) as ParameterValue;
      } catch {
        return raw;
      }
  }
}

/** Parses CLI `name=value` pairs (values still untyped text). */
export function parseParameterArgs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const name = at > 0 ? pair.slice(0, at).trim() : "";
    if (!IDENT.test(name)) {
      throw new RunnerError("BAD_OPTION", `Bad parameter "${pair}": write -p name=value, where name is a TypeScript identifier.`);
    }
    out[name] = pair.slice(at + 1);
  }
  return out;
}

function literal(value: ParameterValue): string {
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  return JSON.stringify(value);
}

export interface InjectionResult {
  notebook: Notebook;
  /** Values actually injected (typed). */
  parameters: Parameters;
  /** Names given that the parameters cell does not declare. */
  undeclared: string[];
  /** True when the notebook has no cell tagged `parameters` (the values go first). */
  noParametersCell: boolean;
}

/**
 * Inserts (or replaces) the injected-parameters cell. `values` may hold typed values (API) or raw
 * text from the CLI (`raw: true`), typed against the declarations.
 */
export function injectParameters(nb: Notebook, values: Record<string, unknown>, options: { raw?: boolean } = {}): InjectionResult {
  const cells = nb.cells.filter((c) => !cellTags(c).includes("injected-parameters"));
  const at = cells.findIndex((c) => c.cell_type === "code" && cellTags(c).includes("parameters"));
  const declared = at >= 0 ? declaredParameters(sourceText(cells[at].source)) : new Map<string, DeclaredParameter>();
  const parameters: Parameters = {};
  const lines = ["// Parameters injected by custom-ai notebooks run"];
  for (const [name, v] of Object.entries(values)) {
    if (!IDENT.test(name)) throw new RunnerError("BAD_OPTION", `Bad parameter name "${name}": use a TypeScript identifier.`);
    const decl = declared.get(name);
    const value = options.raw ? coerceParameter(name, String(v), decl) : (v as ParameterValue);
    if (!options.raw && decl && decl.kind !== "other" && typeof value !== decl.kind) {
      throw new RunnerError("BAD_OPTION", `Parameter ${name}: the notebook declares it as ${decl.kind}, got ${typeof value}.`);
    }
    parameters[name] = value;
    const keyword = decl?.keyword ?? "let";
    const type = decl?.annotation ? `: ${decl.annotation}` : "";
    lines.push(`${keyword} ${name}${type} = ${literal(value)};`);
  }
  if (Object.keys(values).length === 0) return { notebook: { ...nb, cells }, parameters, undeclared: [], noParametersCell: at < 0 };
  const injected: Cell = {
    cell_type: "code",
    id: newCellId(new Set(cells.map((c) => c.id))),
    source: lines.join("\n") + "\n",
    metadata: { tags: ["injected-parameters"] },
    execution_count: null,
    outputs: [],
  };
  cells.splice(at + 1, 0, injected);
  return {
    notebook: { ...nb, cells },
    parameters,
    undeclared: Object.keys(values).filter((n) => !declared.has(n)),
    noParametersCell: at < 0,
  };
}
