// Turns /score and V2 request bodies into a Float32Array of raw rows, or a 400 naming the field.
import { RequestError } from "./errors.js";
import { decodeBase64Image, ImageInputError } from "./image/index.js";
import { inInputRange, outOfRangeMessage } from "./input-range.js";
import type { ScoringModel } from "./model.js";

export interface ParsedRows {
  data: Float32Array;
  rows: number;
}

const bad = (message: string) => new RequestError(400, message);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  return `a ${typeof v}`;
}

/**
 * A number within the model's input range (input-range.ts), or a 400 naming `where` and the
 * range; `where` is called only then (this runs for every value of every request).
 */
function checkNumber(v: unknown, where: () => string): number {
  if (typeof v === "number" && inInputRange(v)) return v;
  if (typeof v !== "number") throw bad(`${where()} must be a number, not ${describeValue(v)}.`);
  if (!Number.isFinite(v)) throw bad(`${where()} must be a finite number.`);
  throw bad(outOfRangeMessage(where(), v));
}

/** Feature name → column, made once per model rather than per request. */
const featureIndexes = new WeakMap<string[], Map<string, number>>();
function featureIndex(features: string[]): Map<string, number> {
  let index = featureIndexes.get(features);
  if (!index) featureIndexes.set(features, (index = new Map(features.map((f, i) => [f, i]))));
  return index;
}

/**
 * Accepts `{ records: [{feature: value}] }`, one record `{feature: value}`, or
 * `{ instances: [[values in feature order]] }` (nested as the input's shape, or flat); for a model
 * with an image step also `{ images: ["<base64 PNG or JPEG>" | "data:image/png;base64,..."] }`,
 * and a Buffer (a raw image/png or image/jpeg body). `maxRows` caps one request (larger ones
 * could never fit the queue).
 */
export async function parseScoreBody(body: unknown, model: ScoringModel, maxRows: number): Promise<ParsedRows> {
  return parseScoreRows(body, model, maxRows);
}

/**
 * parseScoreBody without a promise where none is needed: rows given as JSON numbers are parsed at
 * once (the /score route's hot path); only image bodies, which are decoded in turns, give a promise.
 */
export function parseScoreRows(body: unknown, model: ScoringModel, maxRows: number): ParsedRows | Promise<ParsedRows> {
  if (Buffer.isBuffer(body)) {
    if (!model.decodeImage) throw new RequestError(415, `Model "${model.name}" takes JSON, not image uploads: its metadata has no image step. Send Content-Type: application/json.`);
    return decodeImages([body], model, () => "The image").then((data) => ({ data, rows: 1 }));
  }
  if (!isPlainObject(body)) throw bad(`The body must be a JSON object: ${model.image ? '{ "images": [...] }, ' : ""}{ "records": [...] }, { "instances": [...] } or one record, not ${describeValue(body)}.`);
  const key = ["images", "records", "instances"].find((k) => Object.hasOwn(body, k));
  if (key) {
    const extra = Object.keys(body).filter((k) => k !== key);
    if (extra.length) throw bad(`Unknown top-level field "${extra[0]}": send only "${key}".`);
    const list = body[key];
    if (!Array.isArray(list)) throw bad(`"${key}" must be an array, not ${describeValue(list)}.`);
    if (list.length === 0) throw bad(`"${key}" is empty: send at least one.`);
    if (list.length > maxRows) throw new RequestError(413, `"${key}" has ${list.length} ${key === "images" ? "images" : "rows"}; this server takes at most ${maxRows} per request. Split the request.`);
    if (key === "images") {
      if (!model.decodeImage) throw bad(`Model "${model.name}" does not take images (its metadata has no image step): send { "records": [...] } or { "instances": [...] }.`);
      const bytes = list.map((item, i) => {
        if (typeof item !== "string") throw bad(`images[${i}] must be a string (base64 PNG or JPEG, or a data: URL), not ${describeValue(item)}.`);
        return decodeBase64(item, `images[${i}]`);
      });
      return decodeImages(bytes, model, (i) => `images[${i}]`).then((data) => ({ data, rows: list.length }));
    }
    return key === "records" ? parseRecords(list, model) : parseInstances(list, model);
  }
  return parseRecords([body], model, true);
}

/** Base64 (or a data: URL) → bytes, or a 400 naming `where`. */
export function decodeBase64(text: string, where: string): Uint8Array {
  try {
    return decodeBase64Image(text);
  } catch (error) {
    if (error instanceof ImageInputError) throw bad(`${where} ${error.message}.`);
    throw error;
  }
}

/** Decoding blocks the event loop; give other requests a turn after this long. */
const YIELD_AFTER_MS = 4;

/** Decodes image files into one row each (the model's input values), or a 400 naming `where(i)`. */
export async function decodeImages(files: Uint8Array[], model: ScoringModel, where: (i: number) => string): Promise<Float32Array> {
  const decode = model.decodeImage!;
  const data = new Float32Array(files.length * model.rowSize);
  let since = performance.now();
  for (let i = 0; i < files.length; i++) {
    try {
      decode(files[i], data, i * model.rowSize);
    } catch (error) {
      if (error instanceof ImageInputError) throw bad(`${where(i)} ${error.message}.`);
      throw error;
    }
    if (performance.now() - since > YIELD_AFTER_MS && i < files.length - 1) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
  return data;
}

function parseRecords(list: unknown[], model: ScoringModel, single = false): ParsedRows {
  const features = model.features;
  if (!features) {
    const images = model.image ? `{ "images": ["<base64 PNG or JPEG>"] }, a PNG or JPEG body, or ` : "";
    throw bad(`Model "${model.name}" has no feature names in its metadata: send ${images}{ "instances": [...] } with shape [${model.rowShape.join(", ")}] per instance.`);
  }
  const index = featureIndex(features);
  const data = new Float32Array(list.length * features.length);
  list.forEach((rec, r) => {
    if (fillRecordFast(rec, features, data, r * features.length)) return;
    // Something is wrong with this record: the checks below find the first problem and name it.
    const at = single ? "" : `records[${r}]`;
    if (!isPlainObject(rec)) throw bad(`${at || "The record"} must be an object of feature values, not ${describeValue(rec)}.`);
    for (const key of Object.keys(rec)) {
      if (!index.has(key)) throw bad(`Unknown feature "${key}"${at ? ` in ${at}` : ""}; model "${model.name}" takes: ${features.join(", ")}.`);
    }
    features.forEach((f, c) => {
      if (!Object.hasOwn(rec, f)) throw bad(`Missing feature "${f}"${at ? ` in ${at}` : ""}.`);
      data[r * features.length + c] = checkNumber(rec[f], () => `Feature "${f}"${at ? ` in ${at}` : ""}`);
    });
  });
  return { data, rows: list.length };
}

/**
 * The common case without a closure or a message per value: a record with exactly the model's
 * features, each a number in range. Returns false, with `data` partly written, for anything else.
 */
function fillRecordFast(rec: unknown, features: string[], data: Float32Array, offset: number): boolean {
  if (!isPlainObject(rec) || Object.keys(rec).length !== features.length) return false;
  for (let c = 0; c < features.length; c++) {
    const f = features[c];
    if (!Object.hasOwn(rec, f)) return false;
    const v = rec[f];
    if (typeof v !== "number" || !inInputRange(v)) return false;
    data[offset + c] = v;
  }
  return true;
}

function parseInstances(list: unknown[], model: ScoringModel): ParsedRows {
  const data = new Float32Array(list.length * model.rowSize);
  list.forEach((inst, r) => {
    const at = `instances[${r}]`;
    if (!Array.isArray(inst)) throw bad(`${at} must be an array of ${model.rowSize} numbers, not ${describeValue(inst)}.`);
    const offset = r * model.rowSize;
    // Flat rows are always fine; nested ones must follow the input's shape exactly.
    if (inst.length === model.rowSize && (model.rowShape.length === 1 || !Array.isArray(inst[0]))) {
      for (let c = 0; c < inst.length; c++) {
        const v = inst[c];
        // The message (and its closure) only for a value that is refused.
        data[offset + c] = typeof v === "number" && inInputRange(v) ? v : checkNumber(v, () => `${at}[${c}]`);
      }
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
    if (depth === shape.length - 1) out[o++] = checkNumber(item, () => here);
    else if (!Array.isArray(item)) throw bad(`${here} must be an array, not ${describeValue(item)}.`);
    else o = fillNested(item, shape, depth + 1, out, o, here);
  });
  return o;
}
