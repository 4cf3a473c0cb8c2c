export { exportOnnx, DEFAULT_OPSET, MIN_OPSET, MAX_OPSET, type ExportOnnxOptions } from "./export.js";
export { onnxModelInfo, type OnnxModelInfo, type OnnxTensorInfo } from "./model-info.js";
export { OnnxExportError, type OnnxExportErrorCode } from "./errors.js";
export { SUPPORTED_LAYERS } from "./layers.js";
export { SUPPORTED_ACTIVATIONS, type SupportedActivation } from "./activations.js";
