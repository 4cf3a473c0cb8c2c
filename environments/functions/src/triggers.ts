// The Functions app's handlers (Azure Functions, Node.js v4 programming model): a timer trigger
// and a blob trigger that each start the batch scorer as a Kubernetes Indexed Job on the AKS
// cluster lib/azure provisioned (lib/k8s builds and applies the Job; it does not wait for it: a
// function should return in seconds, the Job runs for as long as it needs).
// The handlers are plain functions of (trigger payload, InvocationContext): the tests invoke them
// in process with the payloads the Functions host sends; src/index.ts registers them with `app`.
import { createHash } from "node:crypto";
import type { InvocationContext, Timer } from "@azure/functions";
import { batchJobManifests, deploy, toKubernetesName, type DeployOptions, type DeployResult, type Manifest } from "../../../lib/k8s/index.js";

/** App settings the handlers read (local.settings.json locally, the Function App's settings on Azure). */
export const SETTINGS = {
  image: "CUSTOM_AI_BATCH_IMAGE",
  model: "CUSTOM_AI_MODEL_URL",
  input: "CUSTOM_AI_INPUT_URL",
  output: "CUSTOM_AI_OUTPUT_URL",
  jobName: "CUSTOM_AI_JOB_NAME",
  workers: "CUSTOM_AI_WORKERS",
  namespace: "CUSTOM_AI_NAMESPACE",
  kubeconfig: "KUBECONFIG",
} as const;

export interface TriggerConfig {
  image: string;
  model: string;
  /** The Blob prefix the timer's Job scores. */
  input: string;
  /** Where scores go; the blob trigger's Job writes under <output>/<blob name>. */
  output: string;
  /** Base of the Jobs' names. Default batch-scoring. */
  jobName: string;
  workers: number;
  namespace?: string;
  kubeconfig?: string;
}

export interface TriggerDeps {
  /** lib/k8s deploy (a test passes one that records). */
  deploy: (manifests: readonly Manifest[], options: DeployOptions) => Promise<DeployResult>;
  /** Default: Date.now. */
  now?: () => Date;
}

/** Reads the app settings; throws (the host logs it, the invocation fails) naming what is missing. */
export function configFromSettings(env: NodeJS.ProcessEnv = process.env): TriggerConfig {
  const missing = (["image", "model", "input", "output"] as const).filter((k) => !env[SETTINGS[k]]);
  if (missing.length) throw new Error(`custom-ai triggers: set the app settings ${missing.map((k) => SETTINGS[k]).join(", ")} (the batch image, and the model, input and output Blob URLs).`);
  const workers = Number(env[SETTINGS.workers] ?? "2");
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`custom-ai triggers: ${SETTINGS.workers} must be a whole number ≥ 1, not ${env[SETTINGS.workers]}.`);
  return {
    image: env[SETTINGS.image]!,
    model: env[SETTINGS.model]!,
    input: env[SETTINGS.input]!,
    output: env[SETTINGS.output]!.replace(/\/+$/, ""),
    jobName: env[SETTINGS.jobName] || "batch-scoring",
    workers,
    ...(env[SETTINGS.namespace] ? { namespace: env[SETTINGS.namespace] } : {}),
    ...(env[SETTINGS.kubeconfig] ? { kubeconfig: env[SETTINGS.kubeconfig] } : {}),
  };
}

export interface StartedJob {
  job: string;
  input: string;
  output: string;
  objects: number;
}

async function startJob(config: TriggerConfig, deps: TriggerDeps, name: string, input: string, output: string, context: InvocationContext): Promise<StartedJob> {
  const manifests = batchJobManifests({ name, image: config.image, model: config.model, input, output, workers: config.workers, ...(config.namespace ? { namespace: config.namespace } : {}) });
  const result = await deps.deploy(manifests, { wait: false, ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}), ...(config.namespace ? { namespace: config.namespace } : {}) });
  context.log(`custom-ai: started batch scoring Job ${name}: ${input} → ${output} (${config.workers} workers, ${result.applied.length} objects applied)`);
  return { job: name, input, output, objects: result.applied.length };
}

/** The timer trigger: scores the configured input prefix into output/<UTC minute of the schedule>. */
export function timerHandler(config: TriggerConfig, deps: TriggerDeps) {
  return async (timer: Timer, context: InvocationContext): Promise<StartedJob> => {
    if (timer.isPastDue) context.warn("custom-ai: the timer is past due (the app was down at the scheduled time); scoring now.");
    // The run is named after its UTC minute: a retry within that minute applies the same Job again
    // (server-side apply: no second Job).
    const at = (deps.now ?? (() => new Date()))();
    const stamp = at.toISOString().slice(0, 16).replace(/[-:T]/g, "");
    const name = toKubernetesName(`${config.jobName.slice(0, 26)}-${stamp}`);
    return startJob(config, deps, name, config.input, `${config.output}/${stamp}`, context);
  };
}

/** The blob trigger: scores the blob that arrived into output/<its name>. */
export function blobHandler(config: TriggerConfig, deps: TriggerDeps) {
  return async (blob: unknown, context: InvocationContext): Promise<StartedJob> => {
    const uri = context.triggerMetadata?.uri;
    const path = context.triggerMetadata?.blobTrigger;
    if (typeof uri !== "string" || typeof path !== "string") throw new Error("custom-ai: the blob trigger's metadata has no uri / blobTrigger: is this a storageBlob trigger?");
    const size = Buffer.isBuffer(blob) ? blob.length : undefined;
    // One Job per blob, named after its path: the host may deliver a blob more than once.
    const hash = createHash("sha256").update(path).digest("hex").slice(0, 10);
    const name = toKubernetesName(`${config.jobName.slice(0, 28)}-${hash}`);
    const base = path.split("/").slice(1).join("/").replace(/\.[^./]+$/, "");
    if (size !== undefined) context.log(`custom-ai: blob ${path} arrived (${size} bytes)`);
    return startJob(config, deps, name, uri, `${config.output}/${base}`, context);
  };
}
