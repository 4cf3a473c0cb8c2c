// What the scoring, batch and training pods share: the image and its command (lib/jobs
// ENTRYPOINTS), a non-root read-only container with a writable /tmp, resources, the GPU pool's
// limit, toleration and node selector, and the storage connection from a Secret.
import type { IContainer, IEnvVar, IPodSpec, IResourceRequirements, IToleration } from "kubernetes-models/v1";
import { STORAGE_CONNECTION_STRING_ENV } from "../core/index.js";
import { CONTAINER_WORKDIR } from "../jobs/index.js";

/** A GPU node pool: how pods find it. AKS labels GPU nodes `kubernetes.azure.com/accelerator: nvidia`. */
export interface GpuPoolOptions {
  /** nvidia.com/gpu per pod. Default 1. */
  count?: number;
  /** Default: { "kubernetes.azure.com/accelerator": "nvidia" }. */
  nodeSelector?: Record<string, string>;
  /** Default: tolerate the taints GPU pools are given (`sku=gpu:NoSchedule`, AKS's docs; `nvidia.com/gpu:NoSchedule`). */
  tolerations?: IToleration[];
}

export const DEFAULT_GPU_POOL: Required<GpuPoolOptions> = {
  count: 1,
  nodeSelector: { "kubernetes.azure.com/accelerator": "nvidia" },
  tolerations: [
    { key: "sku", operator: "Equal", value: "gpu", effect: "NoSchedule" },
    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
  ],
};

/** Requests (and memory limit) of each pod's container; Kubernetes quantities ("500m", "1Gi"). */
export interface ResourceOptions {
  cpu?: string;
  memory?: string;
  /** Default: memory (a pod over it is killed, instead of starving its node). */
  memoryLimit?: string;
  /** Default: none (CPU limits throttle a latency-sensitive server; requests schedule it). */
  cpuLimit?: string;
}

/** What every workload's options have. */
export interface WorkloadOptions {
  /** The instance: names its objects, and `undeploy` removes by it. A DNS-1123 label, ≤ 40 characters. */
  name: string;
  /** Default: none in the manifests, so `deploy` (and kubectl) use the kubeconfig context's namespace. */
  namespace?: string;
  /** The container image (environments/docker/): its entrypoint is lib/jobs ENTRYPOINTS. */
  image: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Secrets with registry credentials (none needed for an ACR attached to AKS). */
  imagePullSecrets?: string[];
  resources?: ResourceOptions;
  /** Run on a GPU node pool (true: DEFAULT_GPU_POOL). Default: by the model's kind (image → GPU) where there is a model. */
  gpu?: boolean | GpuPoolOptions;
  /**
   * A Secret whose key `connection-string` becomes AZURE_STORAGE_CONNECTION_STRING: how the pods
   * reach Blob storage with a key (or Azurite). Without it they use their workload identity.
   */
  storageSecret?: string;
  /** More environment for the container. */
  env?: Record<string, string>;
  /** Extra labels on every object (the toolkit's own win). */
  labels?: Record<string, string>;
  /** Extra annotations on the pods (e.g. prometheus.io/scrape; the toolkit's own win). */
  podAnnotations?: Record<string, string>;
}

/** The key of the storage Secret. */
export const STORAGE_SECRET_KEY = "connection-string";

export function gpuPool(gpu: WorkloadOptions["gpu"]): Required<GpuPoolOptions> | undefined {
  if (!gpu) return undefined;
  const given = gpu === true ? {} : gpu;
  return {
    count: given.count ?? DEFAULT_GPU_POOL.count,
    nodeSelector: given.nodeSelector ?? DEFAULT_GPU_POOL.nodeSelector,
    tolerations: given.tolerations ?? DEFAULT_GPU_POOL.tolerations,
  };
}

export function resourceRequirements(given: ResourceOptions | undefined, defaults: ResourceOptions, gpu: Required<GpuPoolOptions> | undefined): IResourceRequirements {
  const r = { ...defaults, ...given };
  const requests: Record<string, string> = {};
  const limits: Record<string, string | number> = {};
  if (r.cpu) requests.cpu = r.cpu;
  if (r.memory) requests.memory = r.memory;
  if (r.memoryLimit ?? r.memory) limits.memory = (r.memoryLimit ?? r.memory)!;
  if (r.cpuLimit) limits.cpu = r.cpuLimit;
  // Extended resources are limits only (the request defaults to the limit).
  if (gpu) limits["nvidia.com/gpu"] = gpu.count;
  return { requests, limits } as IResourceRequirements;
}

/** env entries from plain values, in a stable order. */
export function envVars(values: Record<string, string>): IEnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value }));
}

export function storageEnv(storageSecret: string | undefined): IEnvVar[] {
  return storageSecret ? [{ name: STORAGE_CONNECTION_STRING_ENV, valueFrom: { secretKeyRef: { name: storageSecret, key: STORAGE_SECRET_KEY } } }] : [];
}

/** The container: non-root, read-only root file system (a writable /tmp volume), no privilege escalation. */
export function container(name: string, o: WorkloadOptions, rest: Partial<IContainer>): IContainer {
  return {
    name,
    image: o.image,
    ...(o.imagePullPolicy ? { imagePullPolicy: o.imagePullPolicy } : {}),
    workingDir: CONTAINER_WORKDIR,
    ...rest,
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
  };
}

/** The pod spec around one container: GPU scheduling, no API token (the workloads never call the API), /tmp. */
export function podSpec(o: WorkloadOptions, c: IContainer, gpu: Required<GpuPoolOptions> | undefined, rest: Partial<IPodSpec>): IPodSpec {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    ...(o.imagePullSecrets?.length ? { imagePullSecrets: o.imagePullSecrets.map((name) => ({ name })) } : {}),
    ...(gpu ? { nodeSelector: gpu.nodeSelector, tolerations: gpu.tolerations } : {}),
    ...rest,
    containers: [c],
    volumes: [{ name: "tmp", emptyDir: {} }],
  };
}
