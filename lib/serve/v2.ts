// Open Inference Protocol (KServe V2) REST: health, model metadata, readiness and infer.
// V2 inputs are RAW features in metadata order; the server applies metadata.json's
// preprocessing, exactly as /score does, so both endpoints give the same numbers.
import { RequestError } from "./errors.js";
import type { ScoringModel } from "./model.js";
import type { ParsedRows } from "./parse-request.js";

const bad = (message: string) => new RequestError(400, message);

export function v2ModelMetadata(model: ScoringModel) {
  const outShape = model.metadata.outputs[0]?.shape ?? [];
  return {
    name: model.name,
    versions: ["1"],
    platform: "onnxruntime_onnx",
    inputs: [{ name: model.inputName, datatype: "FP32", shape: [-1, ...model.rowShape] }],
    outputs: [{ name: model.outputName, datatype: "FP32", shape: outShape.map((d) => (d === null ? -1 : d)) }],
  };
}

/** Checks a V2 infer body and returns its rows. */
export function parseV2Infer(body: unknown, model: ScoringModel, maxRows: number): ParsedRows & { id?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad('The body must be a JSON object: { "inputs": [{ "name", "shape", "datatype", "data" }] }.');
  const b = body as Record<string, unknown>;
  if (b.id !== undefined && typeof b.id !== "string") throw bad('"id" must be a string.');
  if (!Array.isArray(b.inputs) || b.inputs.length !== 1) throw bad(`"inputs" must be an array of exactly one tensor (the model's input "${model.inputName}").`);
  const t = b.inputs[0] as Record<string, unknown>;
  if (typeof t !== "object" || t === null || Array.isArray(t)) throw bad("inputs[0] must be an object with name, shape, datatype and data.");
  const names = [model.inputName, model.metadata.inputs[0].name];
  if (typeof t.name !== "string" || !names.includes(t.name)) throw bad(`inputs[0].name must be "${model.inputName}", not ${JSON.stringify(t.name)}.`);
  if (t.datatype !== "FP32") throw bad(`inputs[0].datatype must be "FP32", not ${JSON.stringify(t.datatype)}.`);
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw bad(`inputs[0].shape must be [batch, ${model.rowShape.join(", ")}] with positive whole numbers, not ${JSON.stringify(shape)}.`);
  }
  const rows = shape[0] as number;
  const rest = shape.slice(1) as number[];
  const fits = rest.join(",") === model.rowShape.join(",") || (rest.length === 1 && rest[0] === model.rowSize);
  if (!fits) throw bad(`inputs[0].shape is [${shape.join(", ")}]; model "${model.name}" takes [batch, ${model.rowShape.join(", ")}].`);
  if (rows > maxRows) throw new RequestError(413, `inputs[0] has ${rows} rows; this server takes at most ${maxRows} per request. Split the request.`);
  const data = t.data;
  if (!Array.isArray(data)) throw bad("inputs[0].data must be a flat, row-major array of numbers.");
  if (data.length !== rows * model.rowSize) throw bad(`inputs[0].data has ${data.length} values; shape [${shape.join(", ")}] needs ${rows * model.rowSize}.`);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`inputs[0].data[${i}] must be a finite number (flat, row-major), not ${v === null ? "null" : typeof v === "number" ? String(v) : typeof v}.`);
    out[i] = v;
  }
  if (b.outputs !== undefined) {
    if (!Array.isArray(b.outputs)) throw bad('"outputs" must be an array.');
    b.outputs.forEach((o: unknown, i) => {
      const name = (o as { name?: unknown })?.name;
      if (name !== model.outputName) throw bad(`outputs[${i}].name must be "${model.outputName}", not ${JSON.stringify(name)}.`);
    });
  }
  return { data: out, rows, id: b.id as string | undefined };
}
