export { createScoringServer, type ScoringServer, type ScoringServerOptions, type ScoringHandle } from "./server.js";
export { startScoringServer, type StartedScoringServer } from "./start.js";
export { loadScoringModel, checkModelDir, MODEL_FILE, METADATA_FILE, type ScoringModel, type LoadScoringModelOptions } from "./model.js";
export { MicroBatcher, type BatcherOptions, type BatcherStats } from "./batcher.js";
export { ServerMetrics } from "./metrics.js";
export { parseScoreBody, type ParsedRows } from "./parse-request.js";
export { toPrediction, type Prediction } from "./postprocess.js";
export { compilePreprocessing, type RowTransform } from "./preprocess.js";
export { v2ModelMetadata, parseV2Infer } from "./v2.js";
export { ServeError, RequestError } from "./errors.js";
// The batch scorer (lib/serve/batch). METADATA_FILE is exported above with the same value.
export * from "./batch/index.js";
