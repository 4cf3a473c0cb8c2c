import { CustomAiError } from "../../core/index.js";

/**
 * Thrown by the batch scorer. Codes: BAD_OPTIONS (a missing or invalid option), NO_INPUT (no CSV
 * partitions at the input), BAD_MODEL (no model.onnx / metadata.json, or they do not fit),
 * EXECUTION_PROVIDER (the ONNX Runtime provider asked for, e.g. cuda, cannot run here),
 * ABORTED (stopped by the caller's signal; committed partitions are kept), WORKERS_FAILED (a
 * worker process died or failed; committed partitions are kept, so running the
 * same job again finishes it).
 */
export class BatchScoringError extends CustomAiError {}
