// The model the batch scorer runs: the scoring server's loader (lib/serve/model.ts), seen as
// "raw rows or image files in, class probabilities out". Kept free of tfjs, so that a worker
// starts in well under a second.
import type { OpenStoreOptions } from "../../core/index.js";
import { MODEL_FILES, ModelError, type ImageInputStep } from "../../models/saved/index.js";
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
  release(): Promise<void>;
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
      const { data } = await loaded.run(x, rows);
      if (data.length !== rows * labels.length) {
        throw new BatchScoringError("BAD_MODEL", `The model gave ${data.length} outputs for ${rows} rows and ${labels.length} labels: its metadata.json does not fit model.onnx; save both again.`);
      }
      return data;
    },
    release: () => loaded.release(),
  };
}
