// The environment contract of an Indexed Job's workers: what runLocalJob sets for each local
// process, and what the Kubernetes Job's pods get (JOB_COMPLETION_INDEX from Kubernetes itself,
// the rest from the pod spec). Workers read it with readJobEnv; their own settings (model, store,
// run id...) are their package's variables, beside these.
import { JobError } from "./errors.js";

/** The variables of the job contract, by meaning. */
export const JOB_ENV = {
  /** This worker's index, 0..worldSize-1 (the toolkit calls it the rank). Kubernetes sets it in an Indexed Job's pods. */
  rank: "JOB_COMPLETION_INDEX",
  /** Number of indices: the Job's `completions`. Set by the pod spec (and runLocalJob). */
  worldSize: "WORLD_SIZE",
  /** Most workers running at once: the Job's `parallelism`. Set by the pod spec (and runLocalJob). */
  parallelism: "CUSTOM_AI_JOB_PARALLELISM",
  /** The job's name, for logs: the Job's `metadata.name`. Set by the pod spec (and runLocalJob). */
  jobName: "CUSTOM_AI_JOB_NAME",
  /** Local workers only ("1"): leave when the launcher goes, i.e. when the pipe to stdin closes (runWorkerMain). */
  exitWithParent: "CUSTOM_AI_EXIT_WITH_PARENT",
} as const;

/** What a worker knows of its job. */
export interface JobEnv {
  /** JOB_COMPLETION_INDEX. */
  rank: number;
  /** WORLD_SIZE. */
  worldSize: number;
  /** CUSTOM_AI_JOB_PARALLELISM; default worldSize. */
  parallelism: number;
  /** CUSTOM_AI_JOB_NAME; "" when not set. */
  jobName: string;
}

export interface ReadJobEnvOptions {
  /**
   * Values for variables that are not set, instead of an error: e.g. { rank: 0, worldSize: 1 } for
   * a worker that may also be run by hand, as a job of one. Variables win.
   */
  defaults?: { rank?: number; worldSize?: number };
}

/**
 * Reads the job contract from the environment. Throws JobError BAD_CONFIG naming the variable
 * that is missing or invalid, or a rank outside 0..worldSize-1.
 */
export function readJobEnv(env: NodeJS.ProcessEnv = process.env, options: ReadJobEnvOptions = {}): JobEnv {
  const defaults = options.defaults ?? {};
  const worldSize = integer(env, JOB_ENV.worldSize, 1) ?? defaults.worldSize;
  if (worldSize === undefined) {
    throw new JobError("BAD_CONFIG", `${JOB_ENV.worldSize} is not set: set it to the number of workers (the Job's completions).`, { hint: HINT });
  }
  const given = integer(env, JOB_ENV.rank, 0);
  // A default rank goes with the default world size (a job of one run by hand). With WORLD_SIZE
  // set to more, it would make every pod rank 0 (a Job that is not Indexed): all would do index
  // 0's share and the rest would never run.
  if (given === undefined && worldSize > 1 && worldSize !== defaults.worldSize) {
    throw new JobError("BAD_CONFIG", `${JOB_ENV.rank} is not set but ${JOB_ENV.worldSize}=${worldSize}: every worker would take rank 0's share. Run it as an Indexed Job (completionMode: Indexed), or set ${JOB_ENV.rank} per worker.`, { hint: HINT });
  }
  const rank = given ?? defaults.rank;
  if (rank === undefined) {
    throw new JobError("BAD_CONFIG", `The rank is missing: set ${JOB_ENV.rank} (Kubernetes sets it in an Indexed Job's pods).`, { hint: HINT });
  }
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new JobError("BAD_CONFIG", `${JOB_ENV.worldSize} must be a whole number ≥ 1, not ${worldSize}.`, { hint: HINT });
  if (!Number.isInteger(rank) || rank < 0) throw new JobError("BAD_CONFIG", `${JOB_ENV.rank} must be a whole number ≥ 0, not ${rank}.`, { hint: HINT });
  if (rank >= worldSize) {
    throw new JobError("BAD_CONFIG", `rank ${rank} is outside 0..${worldSize - 1} (${JOB_ENV.rank}=${rank}, ${JOB_ENV.worldSize}=${worldSize}): set ${JOB_ENV.worldSize} to the Job's completions.`, { hint: HINT });
  }
  const parallelism = integer(env, JOB_ENV.parallelism, 1) ?? worldSize;
  return { rank, worldSize, parallelism, jobName: env[JOB_ENV.jobName]?.trim() ?? "" };
}

/** The job variables of one worker: what runLocalJob sets, and what a Job's pod spec sets (but the rank, which Kubernetes sets). */
export function jobEnv(job: { rank?: number; worldSize: number; parallelism?: number; jobName?: string }): Record<string, string> {
  const env: Record<string, string> = {
    [JOB_ENV.worldSize]: String(job.worldSize),
    [JOB_ENV.parallelism]: String(job.parallelism ?? job.worldSize),
  };
  if (job.jobName) env[JOB_ENV.jobName] = job.jobName;
  if (job.rank !== undefined) env[JOB_ENV.rank] = String(job.rank);
  return env;
}

const HINT = "runLocalJob (lib/jobs) sets these for local workers; a Kubernetes Indexed Job's pod spec must set them too.";

function integer(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new JobError("BAD_CONFIG", `${name} must be a whole number ≥ ${min}, not ${JSON.stringify(text)}.`, { hint: HINT });
  return value;
}
