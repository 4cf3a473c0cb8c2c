// Open Inference Protocol (KServe V2) REST: health, model metadata, readiness and infer.
// Numeric tensors (FP16/32/64, INT8..64, UINT8..64, BOOL) are converted to float32; for a tabular
// model they are RAW features in metadata order, scaled by the server as /score does, so both
// endpoints give the same numbers; for an image model they are its input values. A model with an
// image step also takes a BYTES tensor [N] of base64 PNG / JPEG files (how tritonclient sends
// BYTES as JSON: strings).
import { RequestError } from "./errors.js";
import { inInputRange, outOfRangeMessage } from "./input-range.js";
import type { ScoringModel } from "./model.js";
import { decodeBase64, decodeImages, describeValue, isPlainObject, type ParsedRows } from "./parse-request.js";

const bad = (message: string) => new RequestError(400, message);

/**
 * Inclusive ranges of the integer datatypes (INT64/UINT64 as far as JSON numbers reach; every
 * value must also be within the model's input range, ±1e15: see input-range.ts).
 */
export const INTEGER_RANGES: Record<string, [number, number]> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  INT64: [-(2 ** 63), 2 ** 63],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 2 ** 32 - 1],
  UINT64: [0, 2 ** 64],
};
const FLOAT_TYPES = new Set(["FP16", "FP32", "FP64"]);
export const FP16_MAX = 65504;
export const V2_NUMERIC_DATATYPES = ["FP32", "FP64", "FP16", ...Object.keys(INTEGER_RANGES), "BOOL"] as const;

export function v2ModelMetadata(model: ScoringModel) {
  const outShape = model.metadata.outputs[0]?.shape ?? [];
  const input = model.image
    ? { name: model.inputName, datatype: "BYTES", shape: [-1], parameters: { content: "base64 PNG or JPEG file", width: model.image.width, height: model.image.height, channels: model.image.channels } }
    : { name: model.inputName, datatype: "FP32", shape: [-1, ...model.rowShape] };
  return {
    name: model.name,
    versions: ["1"],
    platform: "onnxruntime_onnx",
    inputs: [input],
    outputs: [{ name: model.outputName, datatype: "FP32", shape: outShape.map((d) => (d === null ? -1 : d)) }],
  };
}

// The fields of the protocol's request, input tensor and requested output: others are refused, so
// that a misspelt field ("output", "datatypes") is said rather than silently ignored.
const REQUEST_FIELDS = ["id", "parameters", "inputs", "outputs"];
const TENSOR_FIELDS = ["name", "shape", "datatype", "parameters", "data"];
const OUTPUT_FIELDS = ["name", "parameters"];

function onlyFields(o: Record<string, unknown>, fields: string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!fields.includes(key)) throw bad(`${where} has an unknown field ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}: the Open Inference Protocol's are ${fields.join(", ")}.`);
  }
}

/** `parameters`, when present: an object of strings, numbers and booleans (the protocol's $parameters). */
function checkParameters(p: unknown, where: string): void {
  if (p === undefined) return;
  if (!isPlainObject(p)) throw bad(`${where} must be an object, not ${describeValue(p)}.`);
  for (const [key, v] of Object.entries(p)) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw bad(`${where}.${key} must be a string, a number or a boolean, not ${describeValue(v)}.`);
  }
}

/** Checks a V2 infer body and returns its rows. */
export async function parseV2Infer(body: unknown, model: ScoringModel, maxRows: number): Promise<ParsedRows & { id?: string }> {
  if (!isPlainObject(body)) throw bad('The body must be a JSON object: { "inputs": [{ "name", "shape", "datatype", "data" }] }.');
  const b = body;
  onlyFields(b, REQUEST_FIELDS, "The body");
  if (b.id !== undefined && typeof b.id !== "string") throw bad('"id" must be a string.');
  checkParameters(b.parameters, '"parameters"');
  if (!Array.isArray(b.inputs) || b.inputs.length !== 1) throw bad(`"inputs" must be an array of exactly one tensor (the model's input "${model.inputName}").`);
  const t = b.inputs[0] as Record<string, unknown>;
  if (!isPlainObject(t)) throw bad("inputs[0] must be an object with name, shape, datatype and data.");
  onlyFields(t, TENSOR_FIELDS, "inputs[0]");
  checkParameters(t.parameters, "inputs[0].parameters");
  const names = [model.inputName, model.metadata.inputs[0].name];
  if (typeof t.name !== "string" || !names.includes(t.name)) throw bad(`inputs[0].name must be "${model.inputName}", not ${JSON.stringify(t.name)}.`);
  if (b.outputs !== undefined) {
    if (!Array.isArray(b.outputs)) throw bad('"outputs" must be an array.');
    b.outputs.forEach((o: unknown, i) => {
      if (!isPlainObject(o)) throw bad(`outputs[${i}] must be an object { "name": "${model.outputName}" }, not ${describeValue(o)}.`);
      onlyFields(o, OUTPUT_FIELDS, `outputs[${i}]`);
      if (o.name !== model.outputName) throw bad(`outputs[${i}].name must be "${model.outputName}", not ${JSON.stringify(o.name)}.`);
      checkParameters(o.parameters, `outputs[${i}].parameters`);
    });
  }
  const id = b.id as string | undefined;
  const datatype = t.datatype;
  if (datatype === "BYTES") return { ...(await parseBytes(t, model, maxRows)), id };
  if (typeof datatype !== "string" || !(FLOAT_TYPES.has(datatype) || Object.hasOwn(INTEGER_RANGES, datatype) || datatype === "BOOL")) {
    throw bad(`inputs[0].datatype must be one of ${V2_NUMERIC_DATATYPES.join(", ")}${model.image ? ", or BYTES (base64 PNG / JPEG files)" : ""}, not ${JSON.stringify(datatype)}.`);
  }
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw bad(`inputs[0].shape must be [batch, ${model.rowShape.join(", ")}] with positive whole numbers, not ${JSON.stringify(shape)}.`);
  }
  const rows = shape[0] as number;
  const rest = shape.slice(1) as number[];
  const fits = rest.join(",") === model.rowShape.join(",") || (rest.length === 1 && rest[0] === model.rowSize);
  if (!fits) throw bad(`inputs[0].shape is [${shape.join(", ")}]; model "${model.name}" takes [batch, ${model.rowShape.join(", ")}].`);
  if (rows > maxRows) throw new RequestError(413, `inputs[0] has ${rows} rows; this server takes at most ${maxRows} per request. Split the request.`);
  const data = flatData(t.data, shape as number[], rows * model.rowSize);
  return { data: convert(data, datatype, model), rows, id };
}

/** The tensor's data, flat row-major; nested arrays (as the V2 spec allows) are flattened along `shape`. */
function flatData(data: unknown, shape: number[], size: number): unknown[] {
  if (!Array.isArray(data)) throw bad("inputs[0].data must be an array of values in row-major order (flat, or nested as the shape).");
  if (data.length === size && !data.some(Array.isArray)) return data;
  if (data.length !== shape[0] || !data.some(Array.isArray)) {
    throw bad(`inputs[0].data has ${data.length} values; shape [${shape.join(", ")}] needs ${size}.`);
  }
  // Nesting deeper than the shape's rank is refused before recursing, so hostile depth costs nothing.
  const out: unknown[] = [];
  const walk = (v: unknown[], depth: number, at: string) => {
    if (v.length !== shape[depth]) throw bad(`${at} has ${v.length} entries where shape [${shape.join(", ")}] needs ${shape[depth]}.`);
    v.forEach((item, i) => {
      if (depth === shape.length - 1) out.push(item);
      else if (!Array.isArray(item)) throw bad(`${at}[${i}] must be an array (nested as the shape), not ${describeValue(item)}.`);
      else walk(item, depth + 1, `${at}[${i}]`);
    });
  };
  walk(data, 0, "inputs[0].data");
  return out;
}

function convert(data: unknown[], datatype: string, model: ScoringModel): Float32Array {
  const out = new Float32Array(data.length);
  // A tabular model's values are features in metadata order: a message names the feature too.
  const features = model.features;
  const at = (i: number) => `inputs[0].data[${i}]${features ? ` (feature "${features[i % features.length]}")` : ""}`;
  if (datatype === "BOOL") {
    data.forEach((v, i) => {
      if (typeof v !== "boolean") throw bad(`${at(i)} must be true or false (BOOL), not ${describeValue(v)}.`);
      out[i] = v ? 1 : 0;
    });
    return out;
  }
  const range = Object.hasOwn(INTEGER_RANGES, datatype) ? INTEGER_RANGES[datatype] : undefined;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`${at(i)} must be a finite number (${datatype}, flat, row-major), not ${v === null ? "null" : typeof v === "number" ? String(v) : describeValue(v)}.`);
    if (range) {
      if (!Number.isInteger(v)) throw bad(`${at(i)} is ${v}, not a whole number as ${datatype} needs.`);
      // The upper bounds of INT64/UINT64 are exclusive: 2^63 and 2^64 are the first doubles past them.
      const top = datatype === "INT64" || datatype === "UINT64" ? v >= range[1] : v > range[1];
      if (v < range[0] || top) throw bad(`${at(i)} is ${v}, outside the range of ${datatype}.`);
    } else if (datatype === "FP16" && Math.abs(v) > FP16_MAX) {
      throw bad(`${at(i)} is ${v}, outside the range of FP16.`);
    }
    if (!inInputRange(v)) throw bad(outOfRangeMessage(at(i), v));
    out[i] = v;
  }
  return out;
}

async function parseBytes(t: Record<string, unknown>, model: ScoringModel, maxRows: number): Promise<ParsedRows> {
  if (!model.decodeImage) throw bad(`inputs[0].datatype is BYTES, but model "${model.name}" takes numbers (it has no image step): send FP32 (or another numeric type) with shape [batch, ${model.rowShape.join(", ")}].`);
  const shape = t.shape;
  if (!Array.isArray(shape) || !(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || !Number.isInteger(shape[0]) || (shape[0] as number) < 1) {
    throw bad(`inputs[0].shape must be [N] (or [N, 1]) for BYTES: one base64 PNG or JPEG file each, not ${JSON.stringify(shape)}.`);
  }
  const rows = shape[0] as number;
  if (rows > maxRows) throw new RequestError(413, `inputs[0] has ${rows} images; this server takes at most ${maxRows} per request. Split the request.`);
  const data = Array.isArray(t.data) ? t.data.flat() : t.data;
  if (!Array.isArray(data) || data.length !== rows) throw bad(`inputs[0].data must hold ${rows} strings (base64 PNG or JPEG), as shape [${shape.join(", ")}] says${Array.isArray(data) ? `, not ${data.length}` : ""}.`);
  const files = data.map((item, i) => {
    if (typeof item !== "string") throw bad(`inputs[0].data[${i}] must be a base64 string of a PNG or JPEG file, not ${describeValue(item)}.`);
    return decodeBase64(item, `inputs[0].data[${i}]`);
  });
  return { data: await decodeImages(files, model, (i) => `inputs[0].data[${i}]`), rows };
}
