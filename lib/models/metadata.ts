import type * as tf from "@tensorflow/tfjs";
import { ModelError } from "./errors.js";
import type { Preprocessing } from "./preprocessing.js";

/** The version of metadata.json this code writes; it reads this one and older. */
export const METADATA_SCHEMA_VERSION = 1;

/** One input or output of a model. */
export interface TensorSchema {
  name: string;
  /** Shape with null for any size (the batch dimension): [null, 8]. */
  shape: (number | null)[];
  dtype: string;
  /** For a feature vector: the feature each position is, in order. */
  features?: string[];
}

/** The size and digest of one file of a saved model, as metadata.json records it. */
export interface FileChecksum {
  /** Size in bytes. */
  bytes: number;
  /** `sha256:<64 hex digits>`. */
  sha256: string;
}

/**
 * What saveModel and saveServableModel write as metadata.json beside model.json, weights.bin and
 * (saveServableModel) model.onnx: see MODEL_FILES.
 */
export interface ModelMetadata {
  schemaVersion: number;
  name: string;
  /** e.g. "binary-classification", "multiclass-classification", "regression". */
  task?: string;
  inputs: TensorSchema[];
  outputs: TensorSchema[];
  /** Class names, in the order of the model's output. */
  labels?: string[];
  /** Evaluation results, e.g. { accuracy: 0.93, loss: 0.21 }. */
  metrics: Record<string, number>;
  /** The tfjs backend it was trained on (a BackendName of lib/train, e.g. "wasm"). */
  backend?: string;
  /** hashData(...) of the training arrays. */
  trainingDataHash?: string;
  /** Steps to apply to raw inputs before the model, in order. */
  preprocessing: Preprocessing[];
  /** ISO 8601 time of the save. */
  createdAt: string;
  toolkit: { name: string; version: string };
  tfjsVersion: string;
  /** The weights files as written, to detect a corrupt or mismatched copy. */
  weights: { files: string[]; bytes: number; sha256: string };
  /**
   * Every other file of the save (model.json, weights.bin, model.onnx), by name: its size and
   * sha256, checked when the file is read for serving (readModelFile). Absent in models saved
   * before the toolkit recorded it: their files are then read unchecked.
   */
  files?: Record<string, FileChecksum>;
  /** Anything else worth keeping (hyperparameters, run id, ...). */
  extra?: Record<string, unknown>;
}

/** What a caller gives saveModel; the rest (shapes, checksums, times, versions) is filled in. */
export interface ModelMetadataInput {
  name?: string;
  task?: string;
  /** Feature names of the (first) input, in order: shorthand for inputs[0].features. */
  features?: string[];
  inputs?: TensorSchema[];
  outputs?: TensorSchema[];
  labels?: string[];
  metrics?: Record<string, number>;
  backend?: string;
  trainingDataHash?: string;
  preprocessing?: Preprocessing[];
  extra?: Record<string, unknown>;
}

/** The inputs or outputs of a model as TensorSchemas. */
export function tensorSchemas(tensors: tf.SymbolicTensor[], names: string[]): TensorSchema[] {
  return tensors.map((t, i) => ({ name: names[i] ?? t.name, shape: t.shape.slice(), dtype: t.dtype }));
}

/**
 * Checks a metadata object read from JSON: fields present with the right types, a schema version
 * this code reads, feature lists and scalers that fit the shapes. Throws ModelError BAD_METADATA
 * or UNSUPPORTED_METADATA naming the field and the file.
 */
export function validateMetadata(value: unknown, where: string): ModelMetadata {
  const bad = (why: string) =>
    new ModelError("BAD_METADATA", `${where} is not valid model metadata: ${why}. Save the model again with saveModel (lib/models), which writes it.`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("it is not a JSON object");
  const m = value as Record<string, unknown>;
  if (typeof m.schemaVersion !== "number") throw bad("schemaVersion is missing");
  if (m.schemaVersion > METADATA_SCHEMA_VERSION) {
    throw new ModelError(
      "UNSUPPORTED_METADATA",
      `${where} has schemaVersion ${m.schemaVersion}, written by a newer toolkit (${describeToolkit(m.toolkit)}); this one reads up to ${METADATA_SCHEMA_VERSION}. Update the toolkit to load it.`,
    );
  }
  if (typeof m.name !== "string") throw bad("name is missing");
  for (const key of ["inputs", "outputs"] as const) {
    const list = m[key];
    if (!Array.isArray(list) || list.length === 0) throw bad(`${key} must be a non-empty list`);
    list.forEach((t: unknown, i) => {
      const s = t as Partial<TensorSchema>;
      if (typeof s?.name !== "string" || !Array.isArray(s.shape) || typeof s.dtype !== "string") throw bad(`${key}[${i}] needs name, shape and dtype`);
      if (!s.shape.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 0))) throw bad(`${key}[${i}].shape must hold sizes or null`);
      if (s.features !== undefined) {
        if (!Array.isArray(s.features) || !s.features.every((f) => typeof f === "string")) throw bad(`${key}[${i}].features must be a list of names`);
        const last = s.shape[s.shape.length - 1];
        if (last !== null && last !== s.features.length) throw bad(`${key}[${i}] has ${s.features.length} features for a last dimension of ${last}`);
      }
    });
  }
  if (m.labels !== undefined && (!Array.isArray(m.labels) || !m.labels.every((l) => typeof l === "string"))) throw bad("labels must be a list of names");
  if (typeof m.metrics !== "object" || m.metrics === null || !Object.values(m.metrics).every((v) => typeof v === "number")) {
    throw bad("metrics must be an object of numbers");
  }
  if (!Array.isArray(m.preprocessing)) throw bad("preprocessing must be a list");
  m.preprocessing.forEach((p: unknown, i) => {
    const step = p as { kind?: unknown; mean?: unknown; std?: unknown };
    if (typeof step?.kind !== "string") throw bad(`preprocessing[${i}] has no kind`);
    if (step.kind === "image") {
      if ((m.preprocessing as unknown[]).length > 1) throw bad(`preprocessing[${i}] (image) must be the only preprocessing step (its scale and offset do the scaling)`);
      const why = imageStepProblem(step as Record<string, unknown>, (m.inputs as TensorSchema[])[0].shape);
      if (why) throw bad(`preprocessing[${i}] (image) ${why}`);
    }
    if (step.kind === "standard-scaler") {
      if (!Array.isArray(step.mean) || !Array.isArray(step.std) || step.mean.length !== step.std.length) {
        throw bad(`preprocessing[${i}] (standard-scaler) needs mean and std lists of the same length`);
      }
      const width = (m.inputs as TensorSchema[])[0].shape.slice(-1)[0];
      if (width !== null && width !== step.mean.length) throw bad(`preprocessing[${i}] scales ${step.mean.length} features but the input has ${width}`);
    }
  });
  if (typeof m.createdAt !== "string" || Number.isNaN(Date.parse(m.createdAt))) throw bad("createdAt must be an ISO time");
  if (typeof (m.toolkit as { version?: unknown })?.version !== "string") throw bad("toolkit.version is missing");
  const w = m.weights as ModelMetadata["weights"] | undefined;
  if (!w || !Array.isArray(w.files) || typeof w.bytes !== "number" || typeof w.sha256 !== "string") throw bad("weights (files, bytes, sha256) is missing");
  if (m.files !== undefined) {
    if (typeof m.files !== "object" || m.files === null || Array.isArray(m.files)) throw bad("files must be an object of { bytes, sha256 } by file name");
    for (const [name, c] of Object.entries(m.files as Record<string, unknown>)) {
      const sum = c as Partial<FileChecksum> | null;
      if (!Number.isInteger(sum?.bytes) || (sum!.bytes as number) < 0 || typeof sum!.sha256 !== "string" || !/^sha256:[0-9a-f]{64}$/.test(sum!.sha256)) {
        throw bad(`files["${name}"] needs bytes (a whole number) and sha256 ("sha256:" and 64 hex digits)`);
      }
    }
  }
  return m as unknown as ModelMetadata;
}

/** The largest image side an image step may declare: a decoder never allocates more than this squared. */
export const MAX_IMAGE_SIDE = 8192;

/** Why an image step does not fit an input of `shape` (NHWC: [batch, height, width, channels]), or undefined. */
export function imageStepProblem(step: Record<string, unknown>, shape: readonly (number | null)[]): string | undefined {
  const side = (key: "width" | "height") => Number.isInteger(step[key]) && (step[key] as number) >= 1 && (step[key] as number) <= MAX_IMAGE_SIDE;
  if (!side("width") || !side("height")) return `needs width and height, whole numbers from 1 to ${MAX_IMAGE_SIDE}`;
  if (step.channels !== 1 && step.channels !== 3) return "needs channels 1 (grey) or 3 (RGB)";
  if (typeof step.scale !== "number" || !Number.isFinite(step.scale)) return "needs a finite scale (model value = pixel × scale + offset), e.g. 1/255";
  if (step.offset !== undefined && (typeof step.offset !== "number" || !Number.isFinite(step.offset))) return "has an offset that is not a finite number";
  const want = [step.height, step.width, step.channels] as number[];
  const have = shape.slice(1);
  if (shape.length !== 4 || have.some((d, k) => d !== null && d !== want[k])) {
    return `is ${step.width}×${step.height}×${step.channels} but the input has shape ${fmt(shape)}; an image input is [batch, ${want.join(", ")}] (NHWC)`;
  }
  return undefined;
}

/** Throws METADATA_MISMATCH when a model's inputs or outputs differ from its metadata's. */
export function checkModelAgainstMetadata(model: tf.LayersModel, metadata: ModelMetadata, where: string): void {
  const compare = (kind: "inputs" | "outputs", actual: tf.SymbolicTensor[]) => {
    const expected = metadata[kind];
    if (expected.length !== actual.length) {
      throw mismatch(where, `the model has ${actual.length} ${kind}, the metadata ${expected.length}`);
    }
    actual.forEach((t, i) => {
      if (!sameShape(t.shape, expected[i].shape)) {
        throw mismatch(where, `${kind}[${i}] is ${fmt(t.shape)} in the model but ${fmt(expected[i].shape)} in the metadata`);
      }
    });
  };
  compare("inputs", model.inputs);
  compare("outputs", model.outputs);
}

/** What a caller may require of a loaded model's metadata. */
export interface MetadataExpectations {
  /** The features, in order, the caller will feed. */
  features?: string[];
  /** The labels, in order, the caller will read. */
  labels?: string[];
  task?: string;
}

/** Throws METADATA_MISMATCH naming what differs from the caller's expectations. */
export function checkExpectations(metadata: ModelMetadata, expected: MetadataExpectations, where: string): void {
  if (expected.features) {
    const actual = metadata.inputs[0].features;
    if (!actual) throw mismatch(where, "its metadata lists no feature names, so the feature order cannot be checked");
    if (actual.join("\u0000") !== expected.features.join("\u0000")) {
      const missing = expected.features.filter((f) => !actual.includes(f));
      const extra = actual.filter((f) => !expected.features!.includes(f));
      const detail = missing.length || extra.length ? `missing ${fmtList(missing)}, unexpected ${fmtList(extra)}` : "same names in another order";
      throw mismatch(where, `it expects features [${actual.join(", ")}], not [${expected.features.join(", ")}] (${detail})`);
    }
  }
  if (expected.labels && (metadata.labels ?? []).join("\u0000") !== expected.labels.join("\u0000")) {
    throw mismatch(where, `its labels are [${(metadata.labels ?? []).join(", ")}], not [${expected.labels.join(", ")}]`);
  }
  if (expected.task && metadata.task !== expected.task) throw mismatch(where, `it is a ${metadata.task ?? "model of no stated task"}, not ${expected.task}`);
}

function mismatch(where: string, why: string): ModelError {
  return new ModelError("METADATA_MISMATCH", `The model at ${where} does not fit: ${why}. Load the model this data was prepared for, or retrain and save it again.`);
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i] || d === null || b[i] === null || d === -1 || b[i] === -1);
}

function fmt(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "null" : d)).join(", ")}]`;
}

function fmtList(list: string[]): string {
  return list.length ? list.join(", ") : "none";
}

function describeToolkit(toolkit: unknown): string {
  const t = toolkit as { name?: string; version?: string } | undefined;
  return t?.version ? `${t.name ?? "toolkit"} ${t.version}` : "unknown version";
}
