// Turns /score and V2 request bodies into a Float32Array of raw rows, or a 400 naming the field.
import { RequestError } from "./errors.js";
import type { ScoringModel } from "./model.js";

export interface ParsedRows {
  data: Float32Array;
  rows: number;
}

const bad = (message: string) => new RequestError(400, message);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  return `a ${typeof v}`;
}

function checkNumber(v: unknown, where: string): number {
  if (typeof v !== "number") throw bad(`${where} must be a number, not ${describe(v)}.`);
  if (!Number.isFinite(v)) throw bad(`${where} must be a finite number.`);
  return v;
}

/**
 * Accepts `{ records: [{feature: value}] }`, one record `{feature: value}`, or
 * `{ instances: [[values in feature order]] }` (nested as the input's shape, or flat).
 * `maxRows` caps one request (larger ones could never fit the queue).
 */
export function parseScoreBody(body: unknown, model: ScoringModel, maxRows: number): ParsedRows {
  if (!isPlainObject(body)) throw bad(`The body must be a JSON object: { "records": [...] }, { "instances": [...] } or one record, not ${describe(body)}.`);
  if (Object.hasOwn(body, "records") || Object.hasOwn(body, "instances")) {
    const keys = Object.keys(body);
    const key = Object.hasOwn(body, "records") ? "records" : "instances";
    const extra = keys.filter((k) => k !== key);
    if (extra.length) throw bad(`Unknown top-level field "${extra[0]}": send only "${key}".`);
    const list = body[key];
    if (!Array.isArray(list)) throw bad(`"${key}" must be an array, not ${describe(list)}.`);
    if (list.length === 0) throw bad(`"${key}" is empty: send at least one.`);
    if (list.length > maxRows) throw new RequestError(413, `"${key}" has ${list.length} rows; this server takes at most ${maxRows} per request. Split the request.`);
    return key === "records" ? parseRecords(list, model) : parseInstances(list, model);
  }
  return parseRecords([body], model, true);
}

function parseRecords(list: unknown[], model: ScoringModel, single = false): ParsedRows {
  const features = model.features;
  if (!features) throw bad(`Model "${model.name}" has no feature names in its metadata: send { "instances": [...] } with shape [${model.rowShape.join(", ")}] per instance.`);
  const index = new Map(features.map((f, i) => [f, i]));
  const data = new Float32Array(list.length * features.length);
  list.forEach((rec, r) => {
    const at = single ? "" : `records[${r}]`;
    if (!isPlainObject(rec)) throw bad(`${at || "The record"} must be an object of feature values, not ${describe(rec)}.`);
    for (const key of Object.keys(rec)) {
      if (!index.has(key)) throw bad(`Unknown feature "${key}"${at ? ` in ${at}` : ""}; model "${model.name}" takes: ${features.join(", ")}.`);
    }
    features.forEach((f, c) => {
      if (!Object.hasOwn(rec, f)) throw bad(`Missing feature "${f}"${at ? ` in ${at}` : ""}.`);
      data[r * features.length + c] = checkNumber(rec[f], `Feature "${f}"${at ? ` in ${at}` : ""}`);
    });
  });
  return { data, rows: list.length };
}

function parseInstances(list: unknown[], model: ScoringModel): ParsedRows {
  const data = new Float32Array(list.length * model.rowSize);
  list.forEach((inst, r) => {
    const at = `instances[${r}]`;
    if (!Array.isArray(inst)) throw bad(`${at} must be an array of ${model.rowSize} numbers, not ${describe(inst)}.`);
    const offset = r * model.rowSize;
    // Flat rows are always fine; nested ones must follow the input's shape exactly.
    if (inst.length === model.rowSize && (model.rowShape.length === 1 || !Array.isArray(inst[0]))) {
      inst.forEach((v, c) => (data[offset + c] = checkNumber(v, `${at}[${c}]`)));
    } else if (model.rowShape.length > 1 && inst.length === model.rowShape[0]) {
      fillNested(inst, model.rowShape, 0, data, offset, at);
    } else {
      throw bad(`${at} has ${inst.length} values; model "${model.name}" takes ${model.rowSize}${model.rowShape.length > 1 ? ` (or nested as [${model.rowShape.join(", ")}])` : ""}${model.features ? ` in this order: ${model.features.join(", ")}` : ""}.`);
    }
  });
  return { data, rows: list.length };
}

// Depth is bounded by the model's rank, so hostile nesting cannot recurse further than that.
function fillNested(v: unknown[], shape: number[], depth: number, out: Float32Array, offset: number, at: string): number {
  if (v.length !== shape[depth]) throw bad(`${at} has ${v.length} entries where the input shape [${shape.join(", ")}] needs ${shape[depth]}.`);
  let o = offset;
  v.forEach((item, i) => {
    const here = `${at}[${i}]`;
    if (depth === shape.length - 1) out[o++] = checkNumber(item, here);
    else if (!Array.isArray(item)) throw bad(`${here} must be an array, not ${describe(item)}.`);
    else o = fillNested(item, shape, depth + 1, out, o, here);
  });
  return o;
}
