// The model the batch scorer runs: the scoring server's loader (lib/serve/model.ts), seen as
// "raw rows or image files in, class probabilities out". Kept free of tfjs, so that a worker
// starts in well under a second.
import type { OpenStoreOptions } from "../../core/index.js";
import { MODEL_FILES, ModelError, type ImageInputStep, type Preprocessing, type StandardScalerStep } from "../../models/saved/index.js";
import { ServeError } from "../errors.js";
import type { ExecutionProviderChoice, ResolvedExecutionProvider } from "../execution-providers.js";
import type { ImageDecoder } from "../image/index.js";
import { loadScoringModel, type ScoringModel } from "../model.js";
import { BatchScoringError } from "./errors.js";

export interface BatchModel {
  name: string;
  /** "tabular": CSV / Parquet rows of `features`; "image": PNG / JPEG files, as `image` says. */
  kind: "tabular" | "image";
  /** The feature columns, in the model's order ([] for an image model). */
  features: string[];
  /** The image step (image models). */
  image?: ImageInputStep;
  /** Decodes one image file to model values (image models). */
  decodeImage?: ImageDecoder;
  /** Values per row: features.length, or height × width × channels. */
  rowSize: number;
  /** Class names, in the order of the model's output (class indices when the metadata has none). */
  labels: string[];
  /** The ONNX Runtime execution provider that scores, and why, after `auto`. */
  executionProvider: ResolvedExecutionProvider;
  /**
   * Scores `rows` rows (row-major, rowSize wide): raw features, scaled here as the metadata says,
   * or decoded images. Returns probabilities, row-major, labels.length wide.
   */
  score(raw: Float32Array, rows: number): Promise<Float32Array>;
  /**
   * Tabular models whose preprocessing is one per-feature affine map, value → (value − mu) × inv
   * (a standard scaler; none is mu 0, inv 1): the readers apply it as they fill a batch (see
   * scaleValue) and call scoreScaled, which saves score's copy and its pass over the batch.
   * Undefined otherwise (then score preprocesses).
   */
  scaler?: Scaler;
  /** Scores `rows` rows already scaled by `scaler`, from `x` itself (no copy: the caller must not change it until this resolves). */
  scoreScaled(x: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** A per-feature affine map; scaleValue applies it. */
export interface Scaler {
  mu: Float32Array;
  inv: Float32Array;
}

/**
 * What compilePreprocessing's standard scaler (lib/serve/preprocess.ts) stores for a value held in
 * a Float32Array: the value rounded to float32, then (v − mu) × inv in doubles, rounded on store.
 * Readers store this straight into the batch, so the scores are bit-identical to score()'s.
 */
export const scaleValue = (value: number, mu: number, inv: number): number => (Math.fround(value) - mu) * inv;

/** The model's preprocessing as one Scaler, or undefined when it is anything else. Mirrors compilePreprocessing. */
export function fusedScaler(preprocessing: readonly Preprocessing[] | undefined, width: number): Scaler | undefined {
  const steps = (preprocessing ?? []).filter((step) => step.kind !== "image");
  if (steps.length === 0) return { mu: new Float32Array(width), inv: new Float32Array(width).fill(1) };
  if (steps.length !== 1 || steps[0].kind !== "standard-scaler") return undefined;
  const { mean, std } = steps[0] as StandardScalerStep;
  if (mean.length !== width || std.length !== width) return undefined;
  return { mu: Float32Array.from(mean), inv: Float32Array.from(std, (s) => (s === 0 ? 1 : 1 / s)) };
}

/**
 * Loads a model folder or Blob prefix holding model.onnx and metadata.json (saveServableModel's,
 * model.onnx checked against the metadata's checksum: loadScoringModel); throws BatchScoringError
 * MODEL_NOT_FOUND, CHECKSUM_MISMATCH, BAD_MODEL, or EXECUTION_PROVIDER when the provider asked for
 * cannot run here.
 */
export async function loadBatchModel(url: string, options: OpenStoreOptions = {}, executionProvider: ExecutionProviderChoice = "cpu"): Promise<BatchModel> {
  let model: ScoringModel;
  try {
    // One thread per worker process: the job's parallelism is its processes.
    model = await loadScoringModel(url, { ...options, intraOpThreads: 1, interOpThreads: 1, executionProvider });
  } catch (error) {
    // The loader's own codes where they say more than BAD_MODEL: a missing model, a file that
    // differs from its checksum, a provider that cannot run here.
    if (error instanceof ServeError || error instanceof ModelError) {
      const code = error.code === "EXECUTION_PROVIDER" || error.code === "MODEL_NOT_FOUND" || error.code === "CHECKSUM_MISMATCH" ? error.code : "BAD_MODEL";
      throw new BatchScoringError(code, (error as Error).message, { cause: error, ...(error.hint ? { hint: error.hint } : {}) });
    }
    throw error;
  }
  const where = `${url.replace(/\/+$/, "")}/${MODEL_FILES.metadata}`;
  const fail = async (message: string) => {
    await model.release();
    return new BatchScoringError("BAD_MODEL", message);
  };
  if (!model.image && !model.features?.length) {
    throw await fail(
      `${where} names no input features (inputs[0].features) and no image step: save the model with saveModel(model, dir, { features }) for CSV / Parquet input, or with preprocessing: [imageInputStep(...)] for image files.`,
    );
  }
  const labels = model.classLabels;
  if (labels.length === 0) throw await fail(`${where} has no labels and its output has no fixed width: the batch scorer writes class probabilities, so save the model with its labels.`);
  const { rowSize } = model;
  const loaded = model;
  const run = async (x: Float32Array, rows: number) => {
    const { data } = await loaded.run(x, rows);
    if (data.length !== rows * labels.length) {
      throw new BatchScoringError("BAD_MODEL", `The model gave ${data.length} outputs for ${rows} rows and ${labels.length} labels: its metadata.json does not fit model.onnx; save both again.`);
    }
    return data;
  };
  return {
    name: model.name,
    kind: model.image ? "image" : "tabular",
    features: model.image ? [] : model.features!,
    image: model.image,
    decodeImage: model.decodeImage,
    rowSize,
    labels,
    executionProvider: model.executionProvider,
    async score(raw, rows) {
      // A copy: readers reuse their buffers, and preprocessing works in place.
      const x = raw.slice(0, rows * rowSize);
      loaded.preprocess(x, rows);
      return run(x, rows);
    },
    scaler: model.image ? undefined : fusedScaler(model.metadata.preprocessing, rowSize),
    scoreScaled: (x, rows) => run(x.subarray(0, rows * rowSize), rows),
    release: () => loaded.release(),
  };
}
