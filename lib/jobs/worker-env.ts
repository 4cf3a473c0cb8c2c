// The variables each Indexed Job's workers read besides the job's own (JOB_ENV): the batch
// scorer's (lib/serve/batch) and the training worker's (lib/train/distributed). They live here,
// beside the contract, so that the local launchers and the Kubernetes Job (lib/k8s) name the same
// ones without lib/k8s importing the scorer or the trainer.
import { STORAGE_CONNECTION_STRING_ENV } from "../core/index.js";

/**
 * The environment variables a batch worker reads (lib/serve/batch worker-main.ts) besides the job's
 * own (JOB_ENV: JOB_COMPLETION_INDEX is its rank, WORLD_SIZE the number of workers).
 */
export const BATCH_ENV = {
  model: "CUSTOM_AI_BATCH_MODEL",
  input: "CUSTOM_AI_BATCH_INPUT",
  output: "CUSTOM_AI_BATCH_OUTPUT",
  batchSize: "CUSTOM_AI_BATCH_SIZE",
  /** Image models: image keys per partition (default: what the job recorded, else 500). */
  imagesPerPartition: "CUSTOM_AI_BATCH_IMAGES_PER_PARTITION",
  /** ONNX Runtime execution provider: cpu (default), cuda, webgpu or auto (execution-providers.ts). */
  executionProvider: "CUSTOM_AI_BATCH_EXECUTION_PROVIDER",
  /** Test hook: after scoring this many rows (in whole batches), print `paused pid=<pid>` and hang. */
  pauseAfterRows: "CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS",
} as const;

/**
 * Environment variables a training worker (lib/train/distributed) reads besides the job's own
 * (JOB_ENV: JOB_COMPLETION_INDEX is its rank, WORLD_SIZE the number of workers). The Kubernetes Job sets the same ones.
 */
export const TRAIN_WORKER_ENV = {
  runId: "CUSTOM_AI_RUN_ID",
  storeUrl: "CUSTOM_AI_STORE_URL",
  config: "CUSTOM_AI_TRAIN_CONFIG",
  configFile: "CUSTOM_AI_TRAIN_CONFIG_FILE",
  fault: "CUSTOM_AI_FAULT",
  connectionString: STORAGE_CONNECTION_STRING_ENV,
  backend: "CUSTOM_AI_BACKEND",
} as const;
