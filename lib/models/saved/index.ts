// What a scorer needs of a saved model, without TensorFlow.js: the file names, the typed metadata
// reader, checksummed reads, and the metadata's types and preprocessing steps. lib/models' own
// index.ts re-exports all of it (and loads tfjs, through saveModel / loadModel).
export { MODEL_FILES } from "./files.js";
export { readModelMetadata, readModelFile } from "./read.js";
export { validateMetadata, METADATA_SCHEMA_VERSION, type ModelMetadata, type FileChecksum, type TensorSchema } from "../metadata.js";
export { findImageStep, type ImageInputStep, type StandardScalerStep, type Preprocessing } from "../preprocessing.js";
export { ModelError } from "../errors.js";
