import { CustomAiError } from "../core/index.js";

/**
 * Thrown by the training helpers (fitModel, checkpoints, ensureTrainable, evaluateClassifier).
 * Codes: BAD_OPTION (an option or input the helper cannot use), NOT_COMPILED (model.compile first),
 * NOT_TRAINABLE (no available backend has the gradient kernels the model needs), CHECKPOINT (a
 * checkpoint folder that cannot be read or written), CHECKPOINT_MISMATCH (a checkpoint of another
 * model), ABORTED (stopped by an AbortSignal).
 */
export class TrainError extends CustomAiError {}
