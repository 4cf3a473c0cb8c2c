import * as tf from "@tensorflow/tfjs";
import { toolkitInfo, type BlobStore, type OpenStoreOptions } from "../core/index.js";
import { ModelError } from "./errors.js";
import {
  METADATA_SCHEMA_VERSION,
  checkExpectations,
  checkModelAgainstMetadata,
  tensorSchemas,
  validateMetadata,
  type FileChecksum,
  type MetadataExpectations,
  type ModelMetadata,
  type ModelMetadataInput,
} from "./metadata.js";
import { exportOnnx, type ExportOnnxOptions } from "./onnx/index.js";
import { MODEL_FILES, fileChecksum, sha256Of, verifyModelFile } from "./saved/files.js";
import { readModelMetadata, storeOf } from "./saved/read.js";

export interface SavedModel {
  /** The location's URL. */
  url: string;
  metadata: ModelMetadata;
  /** Keys written, in order (metadata.json last: its presence marks a complete save). */
  files: string[];
}

/** saveServableModel's options: how to reach the storage (OpenStoreOptions), and how to export model.onnx. */
export interface SaveServableModelOptions extends OpenStoreOptions {
  /** How to export model.onnx (graph input / output names, opset, ...): exportOnnx's options. */
  onnx?: ExportOnnxOptions;
}

export interface LoadedModel {
  model: tf.LayersModel;
  metadata: ModelMetadata;
  url: string;
}

export interface LoadModelOptions extends OpenStoreOptions {
  /** Fail with METADATA_MISMATCH unless the metadata has these features / labels / task. */
  expect?: MetadataExpectations;
}

/**
 * Saves a tfjs LayersModel to a folder (path or file:// URL), a Blob URL (Azure or Azurite), or
 * a BlobStore, as tfjs's own layers format: model.json (topology + weightsManifest) and
 * weights.bin, then metadata.json (input schema, labels, metrics, backend, data hash,
 * preprocessing, time, toolkit version, checksums). Input and output shapes are read from
 * the model; `metadata.features` names the first input's columns. For a model to serve, use
 * saveServableModel, which adds model.onnx.
 */
export async function saveModel(
  model: tf.LayersModel,
  target: string | BlobStore,
  metadata: ModelMetadataInput = {},
  options: OpenStoreOptions = {},
): Promise<SavedModel> {
  return writeSavedModel(model, target, metadata, options, undefined);
}

/**
 * Saves a model for serving: what saveModel writes (model.json, weights.bin) plus its ONNX export
 * (model.onnx, by exportOnnx with `options.onnx`), then metadata.json with the size and sha256 of
 * each of them — the files of MODEL_FILES. The scoring server and the batch scorer take the folder
 * (or Blob prefix) as it is.
 *
 * The save is never seen half-done: everything is built in memory first (an export error leaves an
 * older model in place untouched); an older metadata.json is deleted before the first file is
 * written; each file is written under a temporary name and renamed (a folder) or committed whole
 * (Blob Storage); metadata.json, the mark of a complete save, comes last. Readers
 * (readModelMetadata, readModelFile, the scorers, loadModel) refuse a location without it, and a
 * file that differs from its recorded checksum.
 */
export async function saveServableModel(
  model: tf.LayersModel,
  target: string | BlobStore,
  metadata: ModelMetadataInput = {},
  options: SaveServableModelOptions = {},
): Promise<SavedModel> {
  const { onnx, ...storage } = options;
  return writeSavedModel(model, target, metadata, storage, onnx ?? {});
}

/** saveModel, and with `onnx` saveServableModel: the one writer of a model folder. */
async function writeSavedModel(
  model: tf.LayersModel,
  target: string | BlobStore,
  metadata: ModelMetadataInput,
  options: OpenStoreOptions,
  onnx: ExportOnnxOptions | undefined,
): Promise<SavedModel> {
  const store = await storeOf(target, options);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts?.modelTopology || !artifacts.weightSpecs) {
    throw new ModelError("CORRUPT_MODEL", `tfjs produced no topology or weights for model "${model.name}": only LayersModels can be saved with saveModel.`);
  }
  const weights = toBytes(artifacts.weightData);
  const modelJson = {
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
  };
  const files: [string, Uint8Array][] = [
    [MODEL_FILES.weights, weights],
    [MODEL_FILES.topology, Buffer.from(JSON.stringify(modelJson), "utf8")],
  ];
  if (onnx) files.push([MODEL_FILES.onnx, exportOnnx(model, onnx)]);
  const full = buildMetadata(model, metadata, Object.fromEntries(files.map(([name, bytes]) => [name, fileChecksum(bytes)])));
  // An older save's metadata.json goes first, so that no reader pairs it with the new files; the
  // new one comes last: a reader that finds metadata.json finds a complete model.
  if ((await store.size(MODEL_FILES.metadata)) !== undefined) await store.delete(MODEL_FILES.metadata);
  for (const [name, bytes] of files) await store.put(name, bytes);
  await store.put(MODEL_FILES.metadata, JSON.stringify(full, null, 2));
  return { url: store.url, metadata: full, files: [...files.map(([name]) => name), MODEL_FILES.metadata] };
}

/**
 * Loads what saveModel wrote: checks the metadata (present, valid, readable by this version), the
 * weights (present, of the size the manifest says, with the checksum the metadata says) and that
 * the model's shapes match the metadata, then builds the model with tf.io.fromMemory. Each
 * failure is a ModelError naming the file and what to do. The caller disposes the model.
 */
export async function loadModel(source: string | BlobStore, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const store = await storeOf(source, options);
  const where = store.url;
  const topologyBytes = await store.get(MODEL_FILES.topology);
  if (topologyBytes === undefined) {
    const present = await store.list().catch(() => [] as string[]);
    throw new ModelError(
      "MODEL_NOT_FOUND",
      `No ${MODEL_FILES.topology} at ${where}${present.length ? ` (found ${present.slice(0, 5).join(", ")}${present.length > 5 ? ", ..." : ""})` : " (the location is empty)"}: check the URL, or save a model there with saveModel.`,
    );
  }
  let modelJson: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string; generatedBy?: string; convertedBy?: string | null; trainingConfig?: tf.io.TrainingConfig };
  try {
    modelJson = JSON.parse(Buffer.from(topologyBytes).toString("utf8"));
  } catch (error) {
    throw new ModelError("CORRUPT_MODEL", `${where}/${MODEL_FILES.topology} is not valid JSON (${(error as Error).message}): save the model again.`);
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new ModelError("CORRUPT_MODEL", `${where}/${MODEL_FILES.topology} has no modelTopology or weightsManifest: it is not a tfjs layers model; save it with saveModel.`);
  }
  const metadata = await readModelMetadata(store);
  verifyModelFile(metadata, MODEL_FILES.topology, topologyBytes, where);

  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const file of group.paths) {
      const bytes = await store.get(file);
      if (bytes === undefined) {
        throw new ModelError("MODEL_INCOMPLETE", `The weights file ${where}/${file} is missing (named by ${MODEL_FILES.topology}): copy the whole model folder, or save the model again.`);
      }
      parts.push(bytes);
    }
  }
  const weights = concat(parts);
  const expectedBytes = weightSpecs.reduce((sum, spec) => sum + bytesOf(spec), 0);
  if (weights.byteLength !== expectedBytes) {
    throw new ModelError(
      "CORRUPT_WEIGHTS",
      `The weights at ${where} are ${weights.byteLength} bytes but ${MODEL_FILES.topology} describes ${expectedBytes}: the file is truncated or from another model. Save the model again.`,
    );
  }
  const sha256 = sha256Of(weights);
  if (sha256 !== metadata.weights.sha256) {
    throw new ModelError(
      "CORRUPT_WEIGHTS",
      `The weights at ${where} do not match the checksum in ${MODEL_FILES.metadata} (sha256 ${sha256.slice(0, 12)}… vs ${metadata.weights.sha256.slice(0, 12)}…): the file was changed or belongs to another save. Save the model again.`,
    );
  }

  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy ?? undefined,
        ...(modelJson.trainingConfig ? { trainingConfig: modelJson.trainingConfig } : {}),
      }),
    );
  } catch (error) {
    throw new ModelError("CORRUPT_MODEL", `tfjs could not build the model at ${where}: ${(error as Error).message}. Save the model again with saveModel.`, { cause: error });
  }
  try {
    checkModelAgainstMetadata(model, metadata, where);
    if (options.expect) checkExpectations(metadata, options.expect, where);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, metadata, url: where };
}

function buildMetadata(model: tf.LayersModel, input: ModelMetadataInput, files: Record<string, FileChecksum>): ModelMetadata {
  const inputs = (input.inputs ?? tensorSchemas(model.inputs, model.inputNames)).map((s) => ({ ...s, shape: s.shape.slice() }));
  if (input.features) {
    const width = inputs[0].shape[inputs[0].shape.length - 1];
    if (width !== null && width !== input.features.length) {
      throw new ModelError("METADATA_MISMATCH", `saveModel: ${input.features.length} feature names given for an input of ${width} features; name each column once, in order.`);
    }
    inputs[0].features = input.features.slice();
  }
  const toolkit = toolkitInfo();
  const metadata: ModelMetadata = {
    schemaVersion: METADATA_SCHEMA_VERSION,
    name: input.name ?? model.name,
    inputs,
    outputs: input.outputs ?? tensorSchemas(model.outputs, model.outputNames),
    metrics: { ...(input.metrics ?? {}) },
    preprocessing: input.preprocessing ?? [],
    createdAt: new Date().toISOString(),
    toolkit: { name: toolkit.name, version: toolkit.version },
    tfjsVersion: tf.version.tfjs,
    weights: { files: [MODEL_FILES.weights], ...files[MODEL_FILES.weights] }, // hashed once, with the other files
    files,
  };
  if (input.task !== undefined) metadata.task = input.task;
  if (input.labels !== undefined) metadata.labels = input.labels.slice();
  if (input.backend !== undefined) metadata.backend = input.backend;
  if (input.trainingDataHash !== undefined) metadata.trainingDataHash = input.trainingDataHash;
  if (input.extra !== undefined) metadata.extra = input.extra;
  // What we write must pass what we read.
  validateMetadata(JSON.parse(JSON.stringify(metadata)), "the metadata given to saveModel");
  checkModelAgainstMetadata(model, metadata, "saveModel's input");
  return metadata;
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return concat(buffers.map((b) => new Uint8Array(b)));
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  // Quantized weights store fewer bytes per value.
  const quant = spec.quantization;
  if (quant) return size * ({ uint8: 1, uint16: 2, float16: 2 } as Record<string, number>)[quant.dtype];
  return size * (DTYPE_BYTES[spec.dtype] ?? 4);
}
