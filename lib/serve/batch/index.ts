// Batch scoring: a folder or Blob prefix of CSV / Parquet partitions (tabular model), or of PNG /
// JPEG images in chunks of imagesPerPartition (image model), scored with an ONNX model by N
// workers (partition i → worker i mod N: a Kubernetes Indexed Job, or runBatchScoring's local
// processes). Output layout: results/<name>.csv (id, label, p_<label>...), _commits/<name>.json
// (written last; the only thing readers trust), quarantine/<input key> + .reason.json, _job.json
// (how the input is partitioned: a resume must agree), manifest.json.
export { runBatchScoring, formatBatchSummary, BATCH_WORKER_ENTRY, type BatchScoringOptions, type BatchScoringSummary, type BatchScoringProgress } from "./run.js";
export { readBatchResults, type BatchResults, type BatchResultRow, type BatchQuarantineEntry, type ReadBatchResultsOptions } from "./results.js";
export { runBatchWorker, batchWorkerConfigFromEnv, BATCH_ENV, PROGRESS_PREFIX, type BatchWorkerConfig, type BatchWorkerResult } from "./worker.js";
export { writeManifest, writeBatchManifest, type BatchManifest, type ManifestPartition } from "./manifest.js";
export {
  listPartitions,
  assignPartitions,
  resultKey,
  commitKey,
  quarantineKey,
  quarantineReasonKey,
  quarantineImageKey,
  quarantineImageReasonKey,
  BATCH_LAYOUT,
  INPUT_EXTENSIONS,
  IMAGE_INPUT_EXTENSIONS,
  DEFAULT_IMAGES_PER_PARTITION,
  type ListPartitionsOptions,
  type Partition,
  type CommitMarker,
} from "./layout.js";
export { planBatchJob, type BatchJobFile, type PlannedJob } from "./job.js";
export { loadBatchModel, type BatchModel, type Scaler } from "./model.js";
export { splitCsvLine, csvCell } from "./csv.js";
export { createBatchProgress, type BatchProgress, type BatchProgressState } from "./progress.js";
export { BatchScoringError, type BatchScoringErrorCode } from "./errors.js";
