export { createScoringServer, type ScoringServer, type ScoringServerOptions, type ScoringHandle } from "./server.js";
export { type ScoringServerSettings } from "./server-options.js";
export { startScoringServer, type StartedScoringServer } from "./start.js";
export { startScoringProcess, processRssMb, type ScoringProcess, type ScoringProcessOptions, type ScoringProcessSettings } from "./process.js";
export { type ModelLocationOption, type StorageCredentialOptions } from "./model-location.js";
export { scoreInProcess, type InProcessScores, type ScoreInProcessOptions } from "./score-in-process.js";
export { readMetrics, parseMetrics, type ScrapedMetrics, type MetricSample, type ReadMetricsOptions } from "./read-metrics.js";
export { loadTest, percentile, latencyHistogramSpec, type LoadTestOptions, type LoadTestResult } from "./load-test.js";
export { openApiDocument, type OpenApiOptions } from "./openapi.js";
export { loadScoringModel, checkModelDir, type ScoringModel, type LoadScoringModelOptions } from "./model.js";
export { MicroBatcher, type BatcherOptions, type BatcherStats } from "./batcher.js";
export { ServerMetrics } from "./metrics.js";
export { parseScoreBody, decodeImages, type ParsedRows } from "./parse-request.js";
export { toPrediction, type Prediction } from "./postprocess.js";
export { compilePreprocessing, type RowTransform } from "./preprocess.js";
export { v2ModelMetadata, parseV2Infer, V2_NUMERIC_DATATYPES } from "./v2.js";
export { ServeError, RequestError, type ServeErrorCode, type RequestErrorCode } from "./errors.js";
export { MAX_INPUT_VALUE, INPUT_RANGE_TEXT } from "./input-range.js";
export {
  resolveExecutionProvider,
  parseExecutionProvider,
  describeExecutionProvider,
  probeProvider,
  findCudaProvider,
  ortBindingDir,
  EXECUTION_PROVIDER_CHOICES,
  CUDA_INSTALLER,
  CUDA_PROVIDER_FILES,
  CUDA_MANIFEST_FILE,
  type ExecutionProviderChoice,
  type ExecutionProviderName,
  type ResolvedExecutionProvider,
  type CudaProviderManifest,
  type ProbeResult,
} from "./execution-providers.js";
export { createImageDecoder, readImageHeader, decodeBase64Image, ImageInputError, type ImageDecoder, type ImageInputErrorCode, type ImageHeader, type ImageProblem } from "./image/index.js";
// The batch scorer (lib/serve/batch).
export * from "./batch/index.js";
