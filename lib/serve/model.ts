// The one model loader of the scoring server and the batch scorer: model.onnx + metadata.json
// from a folder or a storage URL into an ONNX Runtime session, with the metadata's preprocessing
// compiled. Free of tfjs (lib/models/saved, not lib/models' index), so a batch worker starts fast.
import { existsSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { openStore, parseStorageUrl } from "../core/index.js";
import { findImageStep, MODEL_FILES, readModelFile, readModelMetadata, type ImageInputStep, type ModelMetadata } from "../models/saved/index.js";
import { ServeError } from "./errors.js";
import { resolveExecutionProvider, type ExecutionProviderChoice, type ResolvedExecutionProvider } from "./execution-providers.js";
import type { ImageDecoder } from "./image/index.js";
import { storeOptionsOf, type StorageCredentialOptions } from "./model-location.js";
import { compilePreprocessing, type RowTransform } from "./preprocess.js";

/** A model ready to score: its session, what a row looks like, and how to read its output. */
export interface ScoringModel {
  name: string;
  metadata: ModelMetadata;
  /** Feature names in input order (tabular models), or undefined (e.g. images). */
  features?: string[];
  /** Shape of one row, without the batch dimension: [30], [28, 28, 1]. */
  rowShape: number[];
  /** Values per row (product of rowShape). */
  rowSize: number;
  labels?: string[];
  /** Class names for each output column: the labels, or "0", "1", ... when the metadata has none. */
  classLabels: string[];
  inputName: string;
  outputName: string;
  /** The metadata's image step, when the model takes image files (PNG, JPEG). */
  image?: ImageInputStep;
  /** With `image`: decodes one PNG or JPEG to model values (no further preprocessing needed). */
  decodeImage?: ImageDecoder;
  /** Scales raw rows in place as metadata.json's preprocessing says (nothing for image models: decoding scales). */
  preprocess: RowTransform;
  /** The ONNX Runtime execution provider that scores (cpu, cuda, webgpu), and why, after `auto`. */
  executionProvider: ResolvedExecutionProvider;
  /** Runs `rows` preprocessed rows; returns the output and its width per row. */
  run(data: Float32Array, rows: number): Promise<{ data: Float32Array; width: number }>;
  release(): Promise<void>;
}

const SERVED_FILES = [MODEL_FILES.onnx, MODEL_FILES.metadata] as const;

const howToWrite = `A model folder holds ${MODEL_FILES.onnx} and ${MODEL_FILES.metadata}: saveServableModel(model, dir, metadata) (lib/models) writes both (${MODEL_FILES.onnx} with exportOnnx).`;

/**
 * Throws MODEL_NOT_FOUND unless a local folder has both files (checked before anything starts);
 * a Blob Storage URL is checked when the model loads. Throws StorageError for a malformed URL.
 */
export function checkModelDir(dir: string): void {
  const location = parseStorageUrl(dir);
  if (location.kind !== "file") return;
  for (const file of SERVED_FILES) {
    if (!existsSync(path.join(location.path, file))) throw new ServeError("MODEL_NOT_FOUND", `No ${file} in ${dir}. ${howToWrite}`);
  }
}

/** For a Blob Storage URL, `connectionString` or `credential` (default: AZURE_STORAGE_CONNECTION_STRING, Azurite's key, or DefaultAzureCredential). */
export interface LoadScoringModelOptions extends StorageCredentialOptions {
  /** ONNX Runtime intra-op threads (default: its own choice). */
  intraOpThreads?: number;
  /** ONNX Runtime inter-op threads (default: its own choice). */
  interOpThreads?: number;
  /** cpu (default), cuda, webgpu, or auto (cuda when it loads, else cpu): see execution-providers.ts. */
  executionProvider?: ExecutionProviderChoice;
}

/**
 * Loads model.onnx + metadata.json from a folder or a storage URL (Azure Blob, Azurite, file://):
 * the metadata first (readModelMetadata: the mark of a complete save), then model.onnx, checked
 * against the size and sha256 the metadata records (a model saved before checksums were recorded
 * loads unchecked). Throws ServeError MODEL_NOT_FOUND, BAD_MODEL, UNSUPPORTED_PREPROCESSING or
 * EXECUTION_PROVIDER (the provider asked for cannot run here), or ModelError BAD_METADATA
 * (unreadable or invalid metadata) or CHECKSUM_MISMATCH (model.onnx is not the file saved).
 */
export async function loadScoringModel(location: string, options: LoadScoringModelOptions = {}): Promise<ScoringModel> {
  checkModelDir(location);
  const store = await openStore(location, storeOptionsOf(options));
  const modelPath = `${store.url}/${MODEL_FILES.onnx}`;
  const metaPath = `${store.url}/${MODEL_FILES.metadata}`;
  const notFound = (file: string) => new ServeError("MODEL_NOT_FOUND", `No ${file} at ${store.url}. ${howToWrite} Upload the whole folder there, or point at another location.`);
  const [hasOnnx, hasMetadata] = await Promise.all(SERVED_FILES.map(async (file) => (await store.size(file)) !== undefined));
  if (!hasOnnx || !hasMetadata) throw notFound(hasOnnx ? MODEL_FILES.metadata : MODEL_FILES.onnx);
  const metadata = await readModelMetadata(store);
  const onnxBytes = await readModelFile(store, MODEL_FILES.onnx, metadata);
  if (!onnxBytes) throw notFound(MODEL_FILES.onnx);
  const input = metadata.inputs[0];
  const rowShape = input.shape.slice(1);
  if (rowShape.some((d) => d === null)) {
    throw new ServeError("BAD_MODEL", `${metaPath}: input ${input.name} has shape [${input.shape.join(", ")}]; only the batch dimension may be open.`);
  }
  const dims = rowShape as number[];
  const rowSize = dims.reduce((a, b) => a * b, 1);
  const preprocess = compilePreprocessing(metadata.preprocessing, rowSize, metaPath);
  const image = findImageStep(metadata.preprocessing);

  const ep = await resolveExecutionProvider(options.executionProvider ?? "cpu");
  let session: ort.InferenceSession;
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", executionProviders: ep.executionProviders };
    if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
    if (options.interOpThreads !== undefined) sessionOptions.interOpNumThreads = options.interOpThreads;
    session = await ort.InferenceSession.create(onnxBytes, sessionOptions);
  } catch (e) {
    if (ep.name !== "cpu") {
      throw new ServeError("EXECUTION_PROVIDER", `ONNX Runtime cannot load ${modelPath} on the ${ep.name} execution provider: ${(e as Error).message.replace(/\.+$/, "")}. Try --execution-provider cpu.`, { cause: e });
    }
    throw new ServeError("BAD_MODEL", `ONNX Runtime cannot load ${modelPath}: ${(e as Error).message.replace(/\.+$/, "")}. Export it again with exportOnnx.`, { cause: e });
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const outShape = metadata.outputs[0]?.shape ?? [];
  const lastOut = outShape[outShape.length - 1];
  const classLabels = metadata.labels?.length ? metadata.labels : Array.from({ length: typeof lastOut === "number" ? lastOut : 0 }, (_, i) => String(i));
  return {
    name: metadata.name,
    metadata,
    features: input.features,
    rowShape: dims,
    rowSize,
    labels: metadata.labels,
    classLabels,
    inputName,
    outputName,
    // The decoders (pngjs, jpeg-js, libjpeg-turbo's WebAssembly) load for image models only.
    ...(image ? { image, decodeImage: (await import("./image/index.js")).createImageDecoder(image, metadata.name) } : {}),
    preprocess,
    executionProvider: ep,
    async run(data, rows) {
      const feeds = { [inputName]: new ort.Tensor("float32", data, [rows, ...dims]) };
      const result = await session.run(feeds);
      const out = result[outputName];
      const values = out.data as Float32Array;
      const width = rows === 0 ? 0 : values.length / rows;
      for (const t of Object.values(result)) t.dispose();
      return { data: values, width };
    },
    release: () => session.release(),
  };
}
