export {
  probeBackends,
  selectBackend,
  BACKEND_LADDER,
  TF_BACKEND,
  type BackendName,
  type BackendProbe,
  type ProbeOptions,
} from "./backends.js";
export { BackendError, type BackendErrorCode } from "./errors.js";
export { TrainError, type TrainErrorCode } from "./train-error.js";
export { ensureTrainable, missingGradientKernels, layerClassNames, type TrainableCheck } from "./trainable.js";
export { fitModel, type FitOptions, type FitProgress, type FitResult, type FitX, type FitY, type EpochStats, type EarlyStoppingOptions } from "./fit.js";
export {
  saveCheckpoint,
  readCheckpoint,
  restoreCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_MANIFEST,
  type CheckpointManifest,
  type CheckpointState,
  type EarlyStoppingState,
  type EpochLogs,
  type RestoredCheckpoint,
  type SaveCheckpointOptions,
} from "./checkpoint.js";
export { createProgress, type ProgressMode, type TrainingProgress, type ProgressStart, type BatchProgress } from "./progress.js";
export { evaluateClassifier, classificationReport, confusionMatrix, rocAuc, type ClassifierReport, type ClassMetrics, type EvaluateOptions, type Scores } from "./metrics.js";
export { plotTrainingCurves, plotConfusionMatrix, trainingCurvesSpec, confusionMatrixSpec } from "./plots.js";
export { buildTabularModel, buildDigitsCnn, type TabularModelOptions, type DigitsCnnOptions } from "./models.js";
export { registerConvGradients, unregisterConvGradients, conv2dBackpropFilterNhwc } from "./conv-gradients.js";
export { ensureTutorialModel, type TutorialModel, type TutorialModelName, type EnsureTutorialModelOptions } from "./tutorial-models.js";
