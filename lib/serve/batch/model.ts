// The model the batch scorer runs: model.onnx + metadata.json (saveModel's folder, with exportOnnx's
// bytes written beside). Kept free of tfjs, so that a worker starts in well under a second.
import * as ort from "onnxruntime-node";
import { getJson, openStore, type OpenStoreOptions } from "../../core/index.js";
import type { ModelMetadata } from "../../models/index.js";
import { BatchScoringError } from "./errors.js";

export const ONNX_FILE = "model.onnx";
export const METADATA_FILE = "metadata.json";

export interface BatchModel {
  /** The feature columns, in the model's order. */
  features: string[];
  /** Class names, in the order of the model's output (class indices when the metadata has none). */
  labels: string[];
  /** Scores `rows` raw feature rows (row-major, features.length wide): probabilities, row-major, labels.length wide. */
  score(raw: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Loads a model folder or Blob prefix holding model.onnx and metadata.json. */
export async function loadBatchModel(url: string, options: OpenStoreOptions = {}): Promise<BatchModel> {
  const store = await openStore(url, options);
  const [bytes, metadata] = await Promise.all([store.get(ONNX_FILE), getJson<ModelMetadata>(store, METADATA_FILE)]);
  if (!bytes) {
    throw new BatchScoringError("BAD_MODEL", `No ${ONNX_FILE} at ${store.url}: export the model with exportOnnx (lib/models) and write the bytes there beside metadata.json.`);
  }
  if (!metadata) throw new BatchScoringError("BAD_MODEL", `No ${METADATA_FILE} at ${store.url}: save the model with saveModel (lib/models), which writes it.`);
  const features = metadata.inputs?.[0]?.features;
  if (!features?.length) {
    throw new BatchScoringError("BAD_MODEL", `${store.url}/${METADATA_FILE} names no input features (inputs[0].features): save the model with saveModel(model, dir, { features }).`);
  }
  const scaler = (metadata.preprocessing ?? []).find((p) => p.kind === "standard-scaler") as { mean: number[]; std: number[] } | undefined;
  if (scaler && scaler.mean.length !== features.length) {
    throw new BatchScoringError("BAD_MODEL", `${store.url}/${METADATA_FILE}: its standard-scaler has ${scaler.mean.length} columns for ${features.length} features; save the model again.`);
  }
  const unknown = (metadata.preprocessing ?? []).filter((p) => p.kind !== "standard-scaler").map((p) => p.kind);
  if (unknown.length) {
    throw new BatchScoringError("BAD_MODEL", `${store.url}/${METADATA_FILE} asks for preprocessing the batch scorer does not know (${unknown.join(", ")}); only standard-scaler is applied.`);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (error) {
    throw new BatchScoringError("BAD_MODEL", `ONNX Runtime cannot load ${store.url}/${ONNX_FILE} (${(error as Error).message}): export it again with exportOnnx.`, { cause: error });
  }
  const outputShape = metadata.outputs?.[0]?.shape;
  const classes = metadata.labels?.length ?? (typeof outputShape?.[outputShape.length - 1] === "number" ? (outputShape[outputShape.length - 1] as number) : 0);
  const labels = metadata.labels?.length ? metadata.labels : Array.from({ length: classes }, (_, i) => String(i));
  const width = features.length;
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  return {
    features,
    labels,
    async score(raw, rows) {
      const x = scaler ? scale(raw, rows, width, scaler) : raw;
      const out = await session.run({ [inputName]: new ort.Tensor("float32", x, [rows, width]) });
      const probs = out[outputName].data as Float32Array;
      if (labels.length === 0 || probs.length !== rows * labels.length) {
        throw new BatchScoringError("BAD_MODEL", `The model gave ${probs.length} outputs for ${rows} rows and ${labels.length} labels: its metadata.json does not fit model.onnx; save both again.`);
      }
      return probs;
    },
    release: () => session.release(),
  };
}

/** (x - mean) / std per column, as lib/data's standard scaler (a zero std scales by 1). */
export function scale(raw: Float32Array, rows: number, width: number, scaler: { mean: number[]; std: number[] }): Float32Array {
  const x = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      x[i] = (raw[i] - scaler.mean[c]) / (scaler.std[c] || 1);
    }
  }
  return x;
}
