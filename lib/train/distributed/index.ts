export { runWorker, readRunResult, FAULT_EXIT_CODE, type RunResult, type WorkerOutcome, type RunWorkerOptions } from "./worker.js";
export {
  workerConfigFromEnv,
  resolveWorkerConfig,
  workerEnv,
  newRunId,
  applySweepConfig,
  WORKER_ENV,
  DEFAULT_TRAIN_SPEC,
  SWEEP_KEYS,
  type WorkerConfig,
  type WorkerConfigInput,
  type WorkerEnvOptions,
  type TrainSpec,
  type ModelSpec,
  type HyperParams,
  type DatasetSpec,
  type SweepGrid,
  type FaultSpec,
} from "./config.js";
export { sweepConfigs, collectSweep, type TrialResult, type SweepSummary, type CollectSweepOptions } from "./sweep.js";
export { runDistributedTraining, runSweep, TRAINING_WORKER_ENTRY, type LocalRunOptions, type LocalTrainingRun, type LocalSweepRun } from "./local.js";
export {
  registerDataset,
  loadDataset,
  datasetNames,
  syntheticBinary,
  shardIndices,
  type TabularData,
  type DatasetLoader,
  type SyntheticBinaryOptions,
} from "./datasets.js";
export { waitForEpoch, describeRank, HeartbeatWriter, type Heartbeat, type RankStatus, type WorkerPhase, type BarrierOptions } from "./barrier.js";
export { averageWeights, encodeRankWeights, decodeRankWeights, readWeights, writeWeights, type RankWeights } from "./weights.js";
export { runLayout } from "./layout.js";
export { DistributedTrainingError, type DistributedErrorCode } from "./errors.js";
