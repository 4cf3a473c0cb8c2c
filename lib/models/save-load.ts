import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { getJson, isCustomAiError, openStore, toolkitInfo, type BlobStore, type OpenStoreOptions } from "../core/index.js";
import { ModelError } from "./errors.js";
import {
  METADATA_SCHEMA_VERSION,
  checkExpectations,
  checkModelAgainstMetadata,
  tensorSchemas,
  validateMetadata,
  type MetadataExpectations,
  type ModelMetadata,
  type ModelMetadataInput,
} from "./metadata.js";

/** The files of a saved model, relative to its location. */
export const MODEL_FILES = { topology: "model.json", weights: "weights.bin", metadata: "metadata.json" } as const;

export interface SavedModel {
  /** The location's URL. */
  url: string;
  metadata: ModelMetadata;
  /** Keys written, in order (metadata.json last: its presence marks a complete save). */
  files: string[];
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
 * preprocessing, time, toolkit version, weights checksum). Input and output shapes are read from
 * the model; `metadata.features` names the first input's columns.
 */
export async function saveModel(
  model: tf.LayersModel,
  target: string | BlobStore,
  metadata: ModelMetadataInput = {},
  options: OpenStoreOptions = {},
): Promise<SavedModel> {
  const store = typeof target === "string" ? await openStore(target, options) : target;
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
  const full = buildMetadata(model, metadata, weights);
  const modelJson = {
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
  };
  // Weights, topology, then metadata: a reader that finds metadata.json finds a complete model.
  await store.put(MODEL_FILES.weights, weights);
  await store.put(MODEL_FILES.topology, JSON.stringify(modelJson));
  await store.put(MODEL_FILES.metadata, JSON.stringify(full, null, 2));
  return { url: store.url, metadata: full, files: [MODEL_FILES.weights, MODEL_FILES.topology, MODEL_FILES.metadata] };
}

/**
 * Loads what saveModel wrote: checks the metadata (present, valid, readable by this version), the
 * weights (present, of the size the manifest says, with the checksum the metadata says) and that
 * the model's shapes match the metadata, then builds the model with tf.io.fromMemory. Each
 * failure is a ModelError naming the file and what to do. The caller disposes the model.
 */
export async function loadModel(source: string | BlobStore, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const store = typeof source === "string" ? await openStore(source, options) : source;
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

  let rawMetadata: unknown;
  try {
    rawMetadata = await getJson(store, MODEL_FILES.metadata);
  } catch (error) {
    if (isCustomAiError(error) && error.code === "STORAGE_FAILED") {
      throw new ModelError("BAD_METADATA", `${where}/${MODEL_FILES.metadata} is unreadable: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (rawMetadata === undefined) {
    throw new ModelError(
      "BAD_METADATA",
      `No ${MODEL_FILES.metadata} at ${where}: the model was not saved by saveModel (lib/models), or its save was interrupted. Save it again with saveModel.`,
    );
  }
  const metadata = validateMetadata(rawMetadata, `${where}/${MODEL_FILES.metadata}`);

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

function buildMetadata(model: tf.LayersModel, input: ModelMetadataInput, weights: Uint8Array): ModelMetadata {
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
    weights: { files: [MODEL_FILES.weights], bytes: weights.byteLength, sha256: sha256Of(weights) },
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

function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
