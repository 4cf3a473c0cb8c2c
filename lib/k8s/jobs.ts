// The batch scorer and the multi-node trainer as Kubernetes Indexed Jobs (and the batch scorer on a
// schedule, as a CronJob): the same worker entrypoints (lib/jobs ENTRYPOINTS) and the same
// environment contract (JOB_ENV, BATCH_ENV, TRAIN_WORKER_ENV) as the local launcher, runLocalJob.
import { CronJob, Job } from "kubernetes-models/batch/v1";
import type { IJobSpec, IPodFailurePolicyRule } from "kubernetes-models/batch/v1";
import type { IEnvVar } from "kubernetes-models/v1";
import type { ExitCode } from "../core/index.js";
import { BATCH_ENV, ENTRYPOINTS, JOB_ENV, jobEnv, TRAIN_WORKER_ENV, type EntrypointName } from "../jobs/index.js";
import type { ModelMetadata } from "../models/saved/index.js";
import { KubernetesError } from "./errors.js";
import { checkName, instanceLabels, LABELS, type WorkloadKind } from "./labels.js";
import { validated, type Manifest } from "./manifest.js";
import { modelAnnotations, modelKind } from "./model-info.js";
import { container, envVars, gpuPool, podSpec, resourceRequirements, storageEnv, type WorkloadOptions } from "./pod.js";

/** The container of every Job pod. */
export const WORKER_CONTAINER = "worker";
/**
 * The exit code of a worker's known failure (runWorkerMain in lib/jobs: a CustomAiError — bad
 * configuration, model or input): the same pod would fail the same way, so its index fails at once
 * (podFailurePolicy FailIndex) instead of spending retries.
 */
export const KNOWN_FAILURE_EXIT = 2 satisfies ExitCode;
/** The label Kubernetes puts on a Job's pods with the Job's name (CUSTOM_AI_JOB_NAME comes from it). */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

export interface IndexedJobOptions {
  /** Indexes 0..workers-1: the Job's completions (WORLD_SIZE). Default 2. */
  workers?: number;
  /** Pods at once. Default: all (data-parallel training needs all at once). */
  parallelism?: number;
  /** Retries of each index before it fails (evictions do not count). Default 2 (training: 0). */
  backoffLimitPerIndex?: number;
  /** The Job fails once more indexes than this have failed. Default: it runs every index. */
  maxFailedIndexes?: number;
  /** Seconds the whole Job may run. */
  activeDeadlineSeconds?: number;
  /** Delete the finished Job (and its pods) this long after it ends. Default: kept. */
  ttlSecondsAfterFinished?: number;
}

export interface BatchJobManifestOptions extends WorkloadOptions, IndexedJobOptions {
  /** The model's metadata, when known: an image model runs on the GPU pool by default; its version annotates the pods. */
  metadata?: ModelMetadata;
  /** The model, input and output as the pods reach them (Blob URLs): CUSTOM_AI_BATCH_MODEL / _INPUT / _OUTPUT. */
  model: string;
  input: string;
  output: string;
  batchSize?: number;
  imagesPerPartition?: number;
  /** Default "cuda" on a GPU pool, else "cpu". */
  executionProvider?: "cpu" | "cuda" | "webgpu" | "auto";
  /** A cron schedule ("0 2 * * *"): a CronJob that runs the Job on it instead of the Job now. */
  schedule?: string;
  /** The schedule's time zone (IANA, e.g. "Europe/Paris"). Default: the controller's (UTC on AKS). */
  timeZone?: string;
}

export interface TrainJobManifestOptions extends WorkloadOptions, IndexedJobOptions {
  /** The run id (CUSTOM_AI_RUN_ID): letters, digits, ".", "_", "-". */
  runId: string;
  /** The run's storage root as the pods reach it (CUSTOM_AI_STORE_URL): a Blob URL. */
  storeUrl: string;
  /** Everything else of the worker's configuration (dataset, model, hyper, grid, seed…): CUSTOM_AI_TRAIN_CONFIG, as lib/train's workerEnv writes it. */
  config?: Record<string, unknown>;
  fault?: unknown;
  /** A tfjs backend rung to force (CUSTOM_AI_BACKEND). */
  backend?: string;
}

/** The environment of a batch worker's pod, but JOB_COMPLETION_INDEX (Kubernetes sets it) and the storage Secret. */
export function batchWorkerEnv(o: BatchJobManifestOptions, workers: number, parallelism: number): Record<string, string> {
  const ep = o.executionProvider ?? (batchGpu(o) ? "cuda" : "cpu");
  return {
    ...jobEnv({ worldSize: workers, parallelism }),
    [BATCH_ENV.model]: o.model,
    [BATCH_ENV.input]: o.input,
    [BATCH_ENV.output]: o.output,
    [BATCH_ENV.executionProvider]: ep,
    ...(o.batchSize ? { [BATCH_ENV.batchSize]: String(o.batchSize) } : {}),
    ...(o.imagesPerPartition ? { [BATCH_ENV.imagesPerPartition]: String(o.imagesPerPartition) } : {}),
  };
}

/** The environment of a training worker's pod, but JOB_COMPLETION_INDEX and the storage Secret: lib/train's workerEnv, less the connection string. */
export function trainWorkerEnv(o: TrainJobManifestOptions, workers: number, parallelism: number): Record<string, string> {
  const env: Record<string, string> = {
    ...jobEnv({ worldSize: workers, parallelism }),
    [TRAIN_WORKER_ENV.runId]: o.runId,
    [TRAIN_WORKER_ENV.storeUrl]: o.storeUrl,
  };
  // The mode, as the local launchers (runDistributedTraining, runSweep) write it: a grid makes a sweep.
  const config: Record<string, unknown> = { ...o.config, mode: o.config?.mode ?? (o.config?.grid ? "sweep" : "data-parallel") };
  for (const key of ["rank", "runId", "storeUrl", "worldSize", "fault"]) delete config[key]; // variables of their own
  env[TRAIN_WORKER_ENV.config] = JSON.stringify(config);
  if (o.fault) env[TRAIN_WORKER_ENV.fault] = JSON.stringify(o.fault);
  if (o.backend) env[TRAIN_WORKER_ENV.backend] = o.backend;
  return env;
}

function batchGpu(o: BatchJobManifestOptions) {
  return gpuPool(o.gpu ?? (o.metadata ? modelKind(o.metadata) === "image" : false));
}

/**
 * The batch scorer as an Indexed Job (partition i → index i mod workers; resumable, so retries and
 * reruns skip committed partitions), or as a CronJob with `schedule`. Validated; throws
 * KubernetesError BAD_OPTION.
 */
export function batchJobManifests(o: BatchJobManifestOptions): Manifest[] {
  for (const key of ["model", "input", "output"] as const) {
    if (!o[key]) throw new KubernetesError("BAD_OPTION", `batchJobManifests needs ${key}: a Blob URL the pods can reach.`);
  }
  return indexedJob(o, "batch-scoring", "batchWorker", batchGpu(o), o.metadata ? modelAnnotations(o.metadata, o.model) : {}, 2, (w, p) => batchWorkerEnv(o, w, p), o.schedule, o.timeZone);
}

/** The multi-node trainer (data-parallel or a sweep: lib/train/distributed) as an Indexed Job, every index at once. */
export function trainJobManifests(o: TrainJobManifestOptions): Manifest[] {
  if (!o.runId || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(o.runId)) throw new KubernetesError("BAD_OPTION", `runId ${JSON.stringify(o.runId)} must be letters, digits, ".", "_" or "-".`);
  if (!o.storeUrl) throw new KubernetesError("BAD_OPTION", "trainJobManifests needs storeUrl: the run's Blob URL the pods can reach.");
  // A data-parallel rank that fails leaves the others at a barrier: no retries by default.
  return indexedJob(o, "training", "trainWorker", gpuPool(o.gpu ?? false), { "custom-ai.io/run-id": o.runId }, 0, (w, p) => trainWorkerEnv(o, w, p));
}

function indexedJob(
  o: WorkloadOptions & IndexedJobOptions,
  kind: WorkloadKind,
  entrypoint: EntrypointName,
  gpu: ReturnType<typeof gpuPool>,
  annotations: Record<string, string>,
  defaultRetries: number,
  workerEnv: (workers: number, parallelism: number) => Record<string, string>,
  schedule?: string,
  timeZone?: string,
): Manifest[] {
  const name = checkName(o.name);
  if (!o.image) throw new KubernetesError("BAD_OPTION", `The ${kind} job needs image (environments/docker/).`);
  const metadata = { name, ...(o.namespace ? { namespace: o.namespace } : {}) };
  const workers = o.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new KubernetesError("BAD_OPTION", `workers must be a whole number ≥ 1, not ${workers}.`);
  const parallelism = Math.min(workers, o.parallelism ?? workers);
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new KubernetesError("BAD_OPTION", `parallelism must be a whole number ≥ 1, not ${o.parallelism}.`);
  const labels = { ...o.labels, ...instanceLabels(kind, name), [LABELS.component]: "worker" };
  const env = workerEnv(workers, parallelism); // no job name: the pod reads it from its label below
  const vars: IEnvVar[] = [
    ...envVars(env),
    // The Job's own name, also for each run of a CronJob.
    { name: JOB_ENV.jobName, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_NAME_LABEL}']` } } },
    ...storageEnv(o.storageSecret),
    ...envVars(o.env ?? {}),
  ];
  const worker = container(WORKER_CONTAINER, o, {
    command: [...ENTRYPOINTS[entrypoint]],
    env: vars,
    resources: resourceRequirements(o.resources, gpu ? { cpu: "1", memory: "4Gi" } : { cpu: "1", memory: "2Gi" }, gpu),
  });
  const rules: IPodFailurePolicyRule[] = [
    // An evicted or preempted pod (a spot node taken back, a drain) is retried without counting.
    { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
    // A known failure (bad configuration or input) fails its index at once: a retry would fail the same way.
    { action: "FailIndex", onExitCodes: { containerName: WORKER_CONTAINER, operator: "In", values: [KNOWN_FAILURE_EXIT] } },
  ];
  const spec: IJobSpec = {
    completionMode: "Indexed",
    completions: workers,
    parallelism,
    backoffLimitPerIndex: o.backoffLimitPerIndex ?? defaultRetries,
    ...(o.maxFailedIndexes !== undefined ? { maxFailedIndexes: o.maxFailedIndexes } : {}),
    ...(o.activeDeadlineSeconds ? { activeDeadlineSeconds: o.activeDeadlineSeconds } : {}),
    ...(o.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished } : {}),
    podFailurePolicy: { rules },
    template: {
      metadata: { labels, annotations: { ...o.podAnnotations, ...annotations } },
      spec: podSpec(o, worker, gpu, { restartPolicy: "Never" }),
    },
  };
  if (!schedule) return [validated(new Job({ metadata: { ...metadata, labels }, spec }))];
  return [
    validated(
      new CronJob({
        metadata: { ...metadata, labels },
        spec: {
          schedule,
          ...(timeZone ? { timeZone } : {}),
          // A run resumes the last one's partitions: two at once would score the same ones.
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: { metadata: { labels }, spec },
        },
      }),
    ),
  ];
}
