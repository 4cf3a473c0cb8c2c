// The real-time scoring service on Kubernetes: Deployment (probes on the server's /readyz and
// /healthz, a drain-long grace period, rolling updates that never go below the desired replicas),
// Service, HorizontalPodAutoscaler, PodDisruptionBudget, and the API key's Secret when given.
import { createHash } from "node:crypto";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service } from "kubernetes-models/v1";
import type { IEnvVar } from "kubernetes-models/v1";
import { CONTAINER_WORKDIR, ENTRYPOINTS } from "../jobs/index.js";
import type { ModelMetadata } from "../models/saved/index.js";
import { KubernetesError } from "./errors.js";
import { APP_NAMES, checkName, instanceLabels, LABELS } from "./labels.js";
import { secretManifest, validated, type Manifest } from "./manifest.js";
import { modelAnnotations, modelKind } from "./model-info.js";
import { container, envVars, gpuPool, podSpec, resourceRequirements, storageEnv, type WorkloadOptions } from "./pod.js";

/** The port the server listens on in its pod (named "http"). */
export const SCORING_PORT = 8080;
/** Where a model baked into the image lies (environments/docker/ copies it there). */
export const BAKED_MODEL_PATH = `${CONTAINER_WORKDIR}/model`;
/** The key of the API key's Secret. */
export const API_KEY_SECRET_KEY = "api-key";
/** The pods' annotation with a short digest of the API key given as `apiKey`: a new key rolls them. */
export const API_KEY_ANNOTATION = "custom-ai.io/api-key-digest";
/** Seconds a stopping pod keeps serving (preStop) while the Service's endpoints drop it. */
export const PRE_STOP_SECONDS = 5;
/** The server's own request time-out (lib/serve server-options: requestTimeoutMs): the longest drain. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface AutoscaleOptions {
  /** Default: `replicas`. */
  minReplicas?: number;
  /** Default: 3 × minReplicas. */
  maxReplicas?: number;
  /** Average CPU utilisation (of the requests) to keep. Default 70. */
  cpuUtilization?: number;
}

export interface ScoringManifestOptions extends WorkloadOptions {
  /** The model's metadata (readModelMetadata): its kind picks CPU or GPU, its checksum is the version a new model rolls out by. */
  metadata: ModelMetadata;
  /**
   * Where the pods read the model: a Blob URL (storage credentials: `storageSecret`, else the pod's
   * workload identity), or a folder in the image. Default BAKED_MODEL_PATH (/app/model).
   */
  modelLocation?: string;
  /** Pods, and the autoscaler's minimum. Default 2. */
  replicas?: number;
  /** A HorizontalPodAutoscaler on CPU (default), or false for a fixed `replicas`. */
  autoscale?: false | AutoscaleOptions;
  /** Default "ClusterIP". */
  serviceType?: "ClusterIP" | "LoadBalancer";
  /** The API key: a Secret `<name>-api-key` is made with it. Or give `apiKeySecret`, or `noAuth`. */
  apiKey?: string;
  /** An existing Secret with the API key under the key `api-key`: becomes SCORING_API_KEY. */
  apiKeySecret?: string;
  /** Serve without an API key (something in front authenticates). */
  noAuth?: boolean;
  /** The server's --request-timeout-ms (default 30000): the grace period is the drain it bounds, plus the preStop pause. */
  requestTimeoutMs?: number;
  /** The server's --max-batch and --max-queue. */
  maxBatch?: number;
  maxQueue?: number;
  /** ONNX Runtime execution provider. Default "cuda" on a GPU pool, else "cpu". */
  executionProvider?: "cpu" | "cuda" | "webgpu" | "auto";
  /** Seconds without progress before the rollout counts as failed. Default 600. */
  progressDeadlineSeconds?: number;
}

/** Seconds between SIGTERM and SIGKILL: the preStop pause, the longest request (the drain), and 5 s to release the model. */
export function terminationGraceSeconds(requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): number {
  return PRE_STOP_SECONDS + Math.ceil(requestTimeoutMs / 1000) + 5;
}

/**
 * The manifests of a scoring service: [Secret (when `apiKey`)], Deployment, Service,
 * HorizontalPodAutoscaler (unless `autoscale: false`), PodDisruptionBudget. Validated; throws
 * KubernetesError BAD_OPTION for an option that makes an invalid object.
 */
export function scoringManifests(o: ScoringManifestOptions): Manifest[] {
  const name = checkName(o.name);
  const namespace = o.namespace; // none: deploy puts them in the kubeconfig context's namespace (kubectl too)
  if (!o.image) throw new KubernetesError("BAD_OPTION", "scoringManifests needs image: the scoring image (environments/docker/).");
  if (!o.metadata) throw new KubernetesError("BAD_OPTION", "scoringManifests needs metadata: readModelMetadata(<model folder or Blob URL>) (lib/models/saved).");
  const auth = [o.apiKey ? "apiKey" : "", o.apiKeySecret ? "apiKeySecret" : "", o.noAuth ? "noAuth" : ""].filter(Boolean);
  if (auth.length !== 1) {
    throw new KubernetesError(
      "BAD_OPTION",
      auth.length === 0
        ? "The scoring service needs an API key: give apiKey (a Secret is made), apiKeySecret (an existing Secret with the key `api-key`), or noAuth when something in front authenticates."
        : `Give one of apiKey, apiKeySecret and noAuth, not ${auth.join(" and ")}.`,
    );
  }
  const replicas = o.replicas ?? 2;
  if (!Number.isInteger(replicas) || replicas < 1) throw new KubernetesError("BAD_OPTION", `replicas must be a whole number ≥ 1, not ${replicas}.`);
  const kind = modelKind(o.metadata);
  const gpu = gpuPool(o.gpu ?? kind === "image");
  const labels = { ...o.labels, ...instanceLabels("scoring", name), [LABELS.component]: "server" };
  const selector = { [LABELS.name]: APP_NAMES.scoring, [LABELS.instance]: name };
  const meta = (objectName: string) => ({ name: objectName, ...(namespace ? { namespace } : {}), labels });
  const modelLocation = o.modelLocation ?? BAKED_MODEL_PATH;
  const executionProvider = o.executionProvider ?? (gpu ? "cuda" : "cpu");
  const requestTimeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  const manifests: Manifest[] = [];
  const keySecret = o.apiKey ? `${name}-api-key` : o.apiKeySecret;
  if (o.apiKey) manifests.push(secretManifest(keySecret!, namespace, labels, { [API_KEY_SECRET_KEY]: o.apiKey }));
  const env: IEnvVar[] = [
    ...(keySecret ? [{ name: "SCORING_API_KEY", valueFrom: { secretKeyRef: { name: keySecret, key: API_KEY_SECRET_KEY } } }] : []),
    ...storageEnv(o.storageSecret),
    ...envVars(o.env ?? {}),
  ];
  const args = ["--model", modelLocation, "--host", "0.0.0.0", "--port", String(SCORING_PORT), "--execution-provider", executionProvider, "--request-timeout-ms", String(requestTimeoutMs)];
  if (o.maxBatch) args.push("--max-batch", String(o.maxBatch));
  if (o.maxQueue) args.push("--max-queue", String(o.maxQueue));
  if (o.noAuth) args.push("--no-auth");
  const server = container("server", o, {
    command: [...ENTRYPOINTS.serve],
    args,
    ports: [{ name: "http", containerPort: SCORING_PORT, protocol: "TCP" }],
    env,
    resources: resourceRequirements(o.resources, gpu ? { cpu: "1", memory: "4Gi" } : { cpu: "500m", memory: "1Gi" }, gpu),
    // Ready once the model is loaded and warmed up (503 before); alive while the process answers.
    readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    // The process may take a while to listen (a GPU image loads CUDA): liveness waits for this.
    startupProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 60 },
    // Keep serving while the endpoints controller removes the pod; then SIGTERM drains (lib/serve lifecycle).
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
  });
  const autoscale = o.autoscale === false ? undefined : o.autoscale ?? {};
  manifests.push(
    validated(
      new Deployment({
        metadata: meta(name),
        spec: {
          // With an autoscaler, replicas is its field: an apply must not reset it (deploy seeds it once).
          ...(autoscale ? {} : { replicas }),
          selector: { matchLabels: selector },
          revisionHistoryLimit: 5,
          progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
          // A new model never lowers the ready pods below the desired count.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: {
              labels,
              annotations: {
                ...o.podAnnotations,
                ...modelAnnotations(o.metadata, modelLocation),
                // A new key restarts the pods (they read it from the Secret at start only).
                ...(o.apiKey ? { [API_KEY_ANNOTATION]: createHash("sha256").update(o.apiKey).digest("hex").slice(0, 16) } : {}),
              },
            },
            spec: podSpec(o, server, gpu, { terminationGracePeriodSeconds: terminationGraceSeconds(requestTimeoutMs) }),
          },
        },
      }),
    ),
    validated(
      new Service({
        metadata: meta(name),
        spec: { type: o.serviceType ?? "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
      }),
    ),
  );
  if (autoscale) {
    const min = autoscale.minReplicas ?? replicas;
    const max = autoscale.maxReplicas ?? 3 * min;
    if (!(Number.isInteger(min) && min >= 1 && Number.isInteger(max) && max >= min)) {
      throw new KubernetesError("BAD_OPTION", `autoscale needs whole numbers 1 ≤ minReplicas ≤ maxReplicas, not ${min}..${max}.`);
    }
    manifests.push(
      validated(
        new HorizontalPodAutoscaler({
          metadata: meta(name),
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
            minReplicas: min,
            maxReplicas: max,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscale.cpuUtilization ?? 70 } } }],
          },
        }),
      ),
    );
  }
  // Voluntary disruptions (node drains, upgrades) take one pod at a time.
  manifests.push(validated(new PodDisruptionBudget({ metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } })));
  return manifests;
}
