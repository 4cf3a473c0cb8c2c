export { saveModel, saveServableModel, loadModel, type SavedModel, type SaveServableModelOptions, type LoadedModel, type LoadModelOptions } from "./save-load.js";
export {
  validateMetadata,
  checkExpectations,
  checkModelAgainstMetadata,
  tensorSchemas,
  METADATA_SCHEMA_VERSION,
  MAX_IMAGE_SIDE,
  imageStepProblem,
  type ModelMetadata,
  type ModelMetadataInput,
  type MetadataExpectations,
  type TensorSchema,
  type FileChecksum,
} from "./metadata.js";
export { hashData, type HashableData } from "./hash.js";
export { standardScalerStep, imageInputStep, findImageStep, type StandardScalerStep, type ImageInputStep, type Preprocessing } from "./preprocessing.js";
export { toolkitInfo, type ToolkitInfo } from "../core/index.js"; // saveModel records it in metadata.json
export { ModelError, type ModelErrorCode } from "./errors.js";
export * from "./onnx/index.js";
// The tfjs-free part, for scorers: file names, the metadata reader, checksummed reads.
export { MODEL_FILES, readModelMetadata, readModelFile } from "./saved/index.js";
