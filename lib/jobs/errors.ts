import { CustomAiError } from "../core/index.js";

export type JobErrorCode =
  | "BAD_JOB_ENV" // a worker's job variable (JOB_COMPLETION_INDEX, WORLD_SIZE, ...) is missing or invalid
  | "LAUNCH_FAILED"; // runLocalJob cannot start the workers (bad options, no entrypoint)

/**
 * Thrown by the local stand-in for a Kubernetes Indexed Job (lib/jobs): runLocalJob's options, and
 * readJobEnv in a worker. A worker's own failure is not thrown: it is in runLocalJob's result.
 */
export class JobError extends CustomAiError {
  constructor(code: JobErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
