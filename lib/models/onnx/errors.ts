import { CustomAiError } from "../../core/index.js";

/**
 * Thrown by the ONNX export boundary. Codes: UNSUPPORTED_LAYER (a layer class with no ONNX
 * mapping), UNSUPPORTED_OPTION (a supported layer configured in a way that has none: an unknown
 * activation, channelsFirst, …), BAD_OPTION (bad exportOnnx options), MODEL_NOT_BUILT (a
 * Sequential model without an input shape) and BAD_MODEL_BYTES (onnxModelInfo got no ONNX model).
 */
export class OnnxExportError extends CustomAiError {}
