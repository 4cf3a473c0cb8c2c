// What the tutorials' "On Kubernetes" sections call: deploy a tutorial's manifests where this
// machine can — the cluster of a kubeconfig (AKS), else a local control plane started for the
// purpose when its binaries are built (lib/k8s/local), else nowhere, saying how to get one — wait
// for what comes up, then remove it (and stop the local cluster) so a notebook leaves nothing behind.
import { randomBytes } from "node:crypto";
import { toolkitInfo } from "../core/index.js";
import { connect } from "./client.js";
import { deploy, type DeployResult } from "./deploy.js";
import { LABELS } from "./labels.js";
import type { Manifest } from "./manifest.js";
import { manifestsToYaml } from "./manifests-yaml.js";
import { localClusterStatus, startLocalCluster, type LocalCluster } from "./local/index.js";
import { undeploy, type RemovedObject } from "./undeploy.js";

/** Where a tutorial deploy went: a kubeconfig's cluster, a local cluster started for it, or nowhere. */
export type TutorialTarget = "kubeconfig" | "local" | "none";

/** The command that builds the local control plane (once, minutes). */
export const BUILD_LOCAL_COMMAND = "npm run k8s:local -- build";

export interface TutorialDeployOptions {
  /** A kubeconfig file (AKS: `az aks get-credentials … --file <file>`); "" or absent: the local control plane. */
  kubeconfig?: string;
  /** Default: the kubeconfig context's namespace ("default" on a local cluster, which creates it if missing). */
  namespace?: string;
  /** The local cluster's name starts with this (a unique suffix is added). Default "tutorial". */
  clusterName?: string;
  /** Leave it deployed on the kubeconfig's cluster (a local cluster is always removed). Default false. */
  keep?: boolean;
  /** How long the rollout or the job may take. Default 120 s. */
  timeoutMs?: number;
  /** One line per step and per change of the rollout / job. */
  onProgress?: (line: string) => void;
  abortSignal?: AbortSignal;
  /** The project root (where .cache/k8s is); default: this project. */
  root?: string;
}

export interface TutorialDeployResult extends Partial<DeployResult> {
  target: TutorialTarget;
  /** The API server deployed to. */
  server?: string;
  namespace?: string;
  /** One line for a person: what came up where, or how to get a cluster. */
  message: string;
  /** What was removed after (nothing with `keep`). */
  removed: RemovedObject[];
  /** Starting the local cluster, and the deploy with its wait (ms). */
  clusterStartMs?: number;
  deployMs?: number;
}

/**
 * Deploys `manifests` (one instance: scoringManifests, batchJobManifests, trainJobManifests), waits
 * for the rollout / the Job, and removes it again. Never throws for want of a cluster (target
 * "none", with the command to build one); a failing deploy throws KubernetesError, after cleaning up.
 */
export async function deployTutorial(manifests: readonly Manifest[], o: TutorialDeployOptions = {}): Promise<TutorialDeployResult> {
  const say = (line: string) => o.onProgress?.(line);
  const instance = manifests[0]?.metadata.labels?.[LABELS.instance] ?? manifests[0]?.metadata.name;
  if (!instance) throw new TypeError("deployTutorial: no manifests");
  let cluster: LocalCluster | undefined;
  let kubeconfig = o.kubeconfig || undefined;
  let clusterStartMs: number | undefined;
  if (!kubeconfig) {
    if (!localBuilt(o.root)) {
      return { target: "none", removed: [], message: `No cluster: give a kubeconfig (AKS: az aks get-credentials --resource-group <rg> --name <cluster> --file aks.kubeconfig), or build the local control plane once with \`${BUILD_LOCAL_COMMAND}\` (~7 min on 2 cores).` };
    }
    const started = Date.now();
    const name = `${(o.clusterName ?? "tutorial").toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 24)}-${randomBytes(3).toString("hex")}`;
    cluster = await startLocalCluster({ name, root: o.root, abortSignal: o.abortSignal, onProgress: (p) => say(p.message) });
    clusterStartMs = Date.now() - started;
    kubeconfig = cluster.kubeconfig;
  }
  const target: TutorialTarget = cluster ? "local" : "kubeconfig";
  const kube = { kubeconfig, namespace: o.namespace || undefined };
  let deployed = false;
  try {
    const { server, core, namespace } = await connect(kube);
    if (cluster && namespace !== "default") await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e: { code?: number }) => { if (e.code !== 409) throw e; });
    say(`deploying ${manifests.map((m) => `${m.kind} ${m.metadata.name}`).join(", ")} to ${server} (${target}), namespace ${namespace}`);
    const began = Date.now();
    deployed = true;
    const result = await deploy(manifests, { ...kube, timeoutMs: o.timeoutMs ?? 120_000, abortSignal: o.abortSignal, onProgress: (p) => say(p.message) });
    const deployMs = Date.now() - began;
    const what = result.deployment
      ? `Deployment ${result.deployment.name}: ${result.deployment.available}/${result.deployment.desired} replicas available`
      : result.job
        ? `Job ${result.job.name}: ${result.job.indexesDone}/${result.job.completions} indexes completed`
        : result.applied.map((a) => `${a.kind} ${a.name} ${a.action}`).join(", ");
    // On a local cluster about to stop, the pods need not be waited for; elsewhere the next deploy may need their room (GPUs).
    const removed = o.keep && !cluster ? [] : await undeploy(instance, { ...kube, wait: !cluster });
    deployed = false;
    return { ...result, target, server, namespace, removed, clusterStartMs, deployMs, message: `${what} on ${target === "local" ? "the local control plane" : server}${removed.length ? `; then removed (${removed.length} object${removed.length === 1 ? "" : "s"})` : ""}` };
  } finally {
    if (deployed && !(o.keep && !cluster)) await undeploy(instance, kube).catch(() => undefined); // a failed deploy: clean up, keep its error
    await cluster?.stop();
  }
}

/**
 * The reference of a toolkit image (environments/docker/images.mjs, as build.mjs tags it):
 * <registry login server>/custom-ai/<image>:<version> (an ACR name gets .azurecr.io), or
 * custom-ai/<image>:<version> without a registry. Version: this project's package.json version.
 */
export function imageReference(image: string, registry = "", version = toolkitInfo().version): string {
  const name = registry.trim().toLowerCase();
  const server = !name ? "" : name.includes(".") || name.includes(":") ? name : `${name}.azurecr.io`;
  return `${server ? `${server}/` : ""}custom-ai/${image}:${version}`;
}

/** One row per manifest with the fields a reader checks first (for a markdown table). */
export function manifestSummary(manifests: readonly Manifest[]): { kind: string; name: string; "key fields": string }[] {
  return manifests.map((m) => ({ kind: m.kind, name: m.metadata.name, "key fields": keyFields(m) }));
}

function keyFields(m: any): string {
  const spec = m.spec ?? {};
  const pod = m.kind === "CronJob" ? spec.jobTemplate?.spec?.template?.spec : spec.template?.spec;
  const c = pod?.containers?.[0];
  const parts: string[] = [];
  if (m.kind === "Deployment") parts.push(`replicas ${spec.replicas ?? "(from the HPA)"}`, `maxUnavailable ${spec.strategy?.rollingUpdate?.maxUnavailable}`);
  const job = m.kind === "CronJob" ? spec.jobTemplate?.spec : m.kind === "Job" ? spec : undefined;
  if (m.kind === "CronJob") parts.push(`schedule "${spec.schedule}"`);
  if (job) parts.push(`${job.completionMode} ${job.completions}, parallelism ${job.parallelism}`, `backoffLimitPerIndex ${job.backoffLimitPerIndex ?? "-"}`, `podFailurePolicy ${job.podFailurePolicy?.rules?.map((r: any) => r.action).join("/") ?? "-"}`);
  if (c) {
    parts.push(`image ${c.image}`);
    if (c.readinessProbe?.httpGet) parts.push(`probes ${c.readinessProbe.httpGet.path} ${c.livenessProbe?.httpGet?.path ?? ""}`.trim());
    const req = c.resources?.requests ?? {};
    const gpu = c.resources?.limits?.["nvidia.com/gpu"];
    parts.push(`requests ${Object.entries(req).map(([k, v]) => `${k} ${v}`).join(", ")}${gpu ? `, GPU ${gpu}` : ""}`);
    if (pod.tolerations?.length) parts.push(`tolerates ${pod.tolerations.map((t: any) => t.key).join(", ")}`);
    if (pod.nodeSelector) parts.push(`nodeSelector ${Object.entries(pod.nodeSelector).map(([k, v]) => `${k}=${v}`).join(", ")}`);
    if (pod.terminationGracePeriodSeconds !== undefined && m.kind === "Deployment") parts.push(`grace ${pod.terminationGracePeriodSeconds} s`);
  }
  if (m.kind === "Service") parts.push(`${spec.type ?? "ClusterIP"}, port ${spec.ports?.map((p: any) => `${p.port}→${p.targetPort}`).join(", ")}`);
  if (m.kind === "HorizontalPodAutoscaler") parts.push(`${spec.minReplicas}–${spec.maxReplicas} replicas, CPU ${spec.metrics?.[0]?.resource?.target?.averageUtilization ?? "?"} %`);
  if (m.kind === "PodDisruptionBudget") parts.push(spec.minAvailable !== undefined ? `minAvailable ${spec.minAvailable}` : `maxUnavailable ${spec.maxUnavailable}`);
  if (m.kind === "Secret") parts.push(`keys ${Object.keys(m.stringData ?? m.data ?? {}).join(", ")} (values not shown)`);
  return parts.join("; ");
}


/**
 * A short YAML excerpt of the workload (the Deployment, Job or CronJob): what makes it what it is —
 * the Job's completion mode and failure policy, the Deployment's strategy — and its container's
 * probes and resources and the pod's GPU placement; not the labels and the environment.
 */
export function manifestExcerpt(manifests: readonly Manifest[]): string {
  const m: any = manifests.find((x) => ["Deployment", "Job", "CronJob"].includes(x.kind));
  if (!m) return "";
  const job = m.kind === "CronJob" ? m.spec.jobTemplate.spec : m.spec;
  const { template, selector, ...spec } = job;
  const pod = template.spec;
  const c = pod.containers[0];
  const container = Object.fromEntries(Object.entries({ name: c.name, image: c.image, command: c.command, readinessProbe: c.readinessProbe, livenessProbe: c.livenessProbe, resources: c.resources }).filter(([, v]) => v !== undefined));
  const podPart = Object.fromEntries(Object.entries({ nodeSelector: pod.nodeSelector, tolerations: pod.tolerations, terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds, containers: [container] }).filter(([, v]) => v !== undefined));
  const excerpt = { kind: m.kind, metadata: { name: m.metadata.name }, spec: { ...(m.kind === "CronJob" ? { schedule: m.spec.schedule } : {}), ...spec, template: { spec: podPart } } };
  return manifestsToYaml([excerpt as unknown as Manifest]);
}

/** The local control plane's binaries are built (false too where lib/k8s was copied without environments/k8s-local). */
function localBuilt(root: string | undefined): boolean {
  try {
    return localClusterStatus({ root }).built;
  } catch {
    return false;
  }
}
