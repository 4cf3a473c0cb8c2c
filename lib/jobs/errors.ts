import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

/** BAD_CONFIG: a worker's job variable (JOB_COMPLETION_INDEX, WORLD_SIZE, ...); BAD_OPTION: runLocalJob's options. */
export type JobErrorCode = ErrorCodesOf<"JobError">;

/**
 * Thrown by the local stand-in for a Kubernetes Indexed Job (lib/jobs): runLocalJob's options, and
 * readJobEnv in a worker. A worker's own failure is not thrown: it is in runLocalJob's result.
 */
export class JobError extends CustomAiError<JobErrorCode> {}
