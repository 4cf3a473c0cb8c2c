// Image inputs: PNG / JPEG bytes (raw or base64) → a model's NHWC input values, as the model's
// metadata `image` preprocessing step says. Used by the scoring server and the batch scorer.
export { createImageDecoder, type ImageDecoder } from "./decode.js";
export { readImageHeader, type ImageHeader } from "./header.js";
export { decodeBase64Image } from "./base64.js";
export { ImageInputError, type ImageInputErrorCode, type ImageProblem } from "./errors.js";
