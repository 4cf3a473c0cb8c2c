// Waiting for a rollout or a Job with watches (no polling), with live progress, a time limit and
// an AbortSignal; a failure ends in a KubernetesError that carries the failing pods' events and logs.
import { connect, toKubernetesError, type Cluster, type KubeOptions } from "./client.js";
import { diagnose } from "./diagnose.js";
import { KubernetesError } from "./errors.js";
import { podStuck, podWaiting, summarizeDeployment, summarizeJob, type DeploymentSummary, type JobSummary } from "./status.js";
import { lastingWatch } from "./watch.js";
import { MODEL_ANNOTATIONS } from "./model-info.js";
import { JOB_NAME_LABEL } from "./jobs.js";

export type WaitProgress =
  | ({ phase: "rollout"; message: string } & DeploymentSummary)
  | ({ phase: "job"; message: string } & JobSummary);

export interface WaitOptions extends KubeOptions {
  /** Give up after this long: K8S_TIMEOUT. Default 10 minutes. */
  timeoutMs?: number;
  /** Each change of the picture (pods ready n/m, indexes done n/m), with a one-line message. */
  onProgress?: (progress: WaitProgress) => void;
  /** Stops waiting (ABORTED); what runs in the cluster goes on. */
  abortSignal?: AbortSignal;
  /** Fail at once when a pod cannot pull its image or crash-loops, instead of waiting for the deadline. Default true. */
  failFast?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** Waits until the Deployment's rollout is complete (Available, every pod of the current template). Throws KubernetesError ROLLOUT_FAILED, K8S_TIMEOUT, ABORTED. */
export async function waitForRollout(name: string, o: WaitOptions = {}): Promise<DeploymentSummary> {
  const cluster = await connect(o);
  const namespace = o.namespace ?? cluster.namespace;
  await mustExist(cluster, "apps/v1", "Deployment", name, namespace);
  return rolloutOn(cluster, namespace, name, o);
}

/** Waits until the Job is Complete. Throws KubernetesError JOB_FAILED, K8S_TIMEOUT, ABORTED. */
export async function waitForJob(name: string, o: WaitOptions = {}): Promise<JobSummary> {
  const cluster = await connect(o);
  const namespace = o.namespace ?? cluster.namespace;
  await mustExist(cluster, "batch/v1", "Job", name, namespace);
  return jobOn(cluster, namespace, name, o);
}

/** A watch on what does not exist would wait for nothing: K8S_REJECTED (404) instead. */
async function mustExist(cluster: Cluster, apiVersion: string, kind: string, name: string, namespace: string): Promise<void> {
  try {
    await cluster.objects.read({ apiVersion, kind, metadata: { name, namespace } });
  } catch (error) {
    throw toKubernetesError(error, cluster, { verb: "get", kind, name, namespace });
  }
}

interface Tracker<S> {
  kind: "Deployment" | "Job";
  path: string;
  podSelector: (object: any) => string;
  summarize: (object: any) => S;
  /** Done (true), a failure (string), or not yet (false). */
  verdict: (object: any, summary: S, pods: any[]) => true | string | false;
  message: (summary: S, pods: any[]) => string;
  progress: (summary: S, message: string) => WaitProgress;
  failCode: "ROLLOUT_FAILED" | "JOB_FAILED";
}

export function rolloutOn(cluster: Cluster, namespace: string, name: string, o: WaitOptions): Promise<DeploymentSummary> {
  return track(cluster, namespace, name, o, {
    kind: "Deployment",
    path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
    podSelector: (d) => Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
    summarize: summarizeDeployment,
    verdict: (d, s, pods) => {
      if (s.complete) return true;
      if (s.failure) return `the rollout of Deployment ${name} stopped: ${s.failure}`;
      const stuck = o.failFast === false ? undefined : pods.filter((p) => ofTemplate(p, d)).map(podStuck).find(Boolean);
      return stuck ? `a pod of the new version of Deployment ${name} is stuck: ${stuck}` : false;
    },
    message: (s, pods) => `Deployment ${name}: ready ${s.ready}/${s.desired}, updated ${s.updated}/${s.desired}, available ${s.available}/${s.desired}${s.total > s.updated ? `, ${s.total - s.updated} old pod(s) left` : ""}${waiting(pods)}`,
    progress: (s, message) => ({ phase: "rollout", message, ...s }),
    failCode: "ROLLOUT_FAILED",
  });
}

export function jobOn(cluster: Cluster, namespace: string, name: string, o: WaitOptions): Promise<JobSummary> {
  return track(cluster, namespace, name, o, {
    kind: "Job",
    path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
    podSelector: () => `${JOB_NAME_LABEL}=${name}`,
    summarize: summarizeJob,
    verdict: (_j, s, pods) => {
      if (s.status === "complete") return true;
      if (s.status === "failed") return `Job ${name} failed: ${s.reason ?? "Failed"}${s.message ? ` (${s.message})` : ""}; indexes done ${s.indexesDone}/${s.completions}${s.failedIndexes ? `, failed indexes ${s.failedIndexes}` : ""}`;
      const stuck = o.failFast === false ? undefined : pods.map(podStuck).find(Boolean);
      return stuck ? `a pod of Job ${name} is stuck: ${stuck}` : false;
    },
    message: (s, pods) => `Job ${name}: indexes done ${s.indexesDone}/${s.completions}${s.completedIndexes ? ` (${s.completedIndexes})` : ""}, running ${s.active}${s.failedIndexes ? `, failed indexes ${s.failedIndexes}` : ""}${s.failedPods ? `, failed pods ${s.failedPods}` : ""}${waiting(pods)}`,
    progress: (s, message) => ({ phase: "job", message, ...s }),
    failCode: "JOB_FAILED",
  });
}

/** A pod of the Deployment's current template (not one of an earlier version that is going away). */
function ofTemplate(pod: any, d: any): boolean {
  const template = d.spec?.template;
  const image = template?.spec?.containers?.[0]?.image;
  const version = template?.metadata?.annotations?.[MODEL_ANNOTATIONS.version];
  return pod.spec?.containers?.[0]?.image === image && pod.metadata?.annotations?.[MODEL_ANNOTATIONS.version] === version;
}

function waiting(pods: any[]): string {
  const reasons = pods.map(podWaiting).filter(Boolean);
  return reasons.length ? ` — ${reasons.length} pod(s) waiting: ${reasons[0]}` : "";
}

function track<S>(cluster: Cluster, namespace: string, name: string, o: WaitOptions, t: Tracker<S>): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    let object: any;
    let podWatch: ReturnType<typeof lastingWatch> | undefined;
    const pods = new Map<string, any>();
    let settled = false;
    let failing = false; // diagnosing a failure: no more verdicts
    let lastMessage = "";
    const finish = (error: KubernetesError | undefined, value?: S) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.abortSignal?.removeEventListener("abort", onAbort);
      main.stop();
      podWatch?.stop();
      if (error) reject(error);
      else resolve(value as S);
    };
    const failWith = (code: KubernetesError["code"], why: string) => {
      if (settled || failing) return;
      failing = true;
      void diagnose(cluster, namespace, { kind: t.kind, name }, [...pods.values()]).then(
        (details) => finish(new KubernetesError(code, `${why}.${details ? `\n${details}` : ""}`)),
        () => finish(new KubernetesError(code, `${why}.`)),
      );
    };
    const evaluate = () => {
      if (settled || failing || !object) return;
      const summary = t.summarize(object);
      const list = [...pods.values()];
      const message = t.message(summary, list);
      if (message !== lastMessage) {
        lastMessage = message;
        o.onProgress?.(t.progress(summary, message));
      }
      const verdict = t.verdict(object, summary, list);
      if (verdict === true) finish(undefined, summary);
      else if (verdict) failWith(t.failCode, verdict);
    };
    const onError = (verb: string, kind: string, group: string) => (error: unknown) => {
      const status = (error as { statusCode?: number }).statusCode;
      finish(toKubernetesError(status ? Object.assign(error as object, { code: status }) : error, cluster, { verb, kind, group, namespace }));
    };
    const main = lastingWatch(
      cluster,
      t.path,
      { fieldSelector: `metadata.name=${name}` },
      (type, obj) => {
        if (type === "DELETED") return finish(new KubernetesError(t.failCode, `${t.kind} ${name} was deleted while waiting for it.`));
        object = obj;
        if (!podWatch) {
          podWatch = lastingWatch(cluster, `/api/v1/namespaces/${namespace}/pods`, { labelSelector: t.podSelector(obj) }, (podType, pod) => {
            if (podType === "DELETED") pods.delete(pod.metadata.name);
            else pods.set(pod.metadata.name, pod);
            evaluate();
          }, onError("watch", "pods", ""));
        }
        evaluate();
      },
      t.kind === "Deployment" ? onError("watch", "deployments", "apps") : onError("watch", "jobs", "batch"),
    );
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => failWith("K8S_TIMEOUT", `${t.kind} ${name} was not done after ${Math.round(timeoutMs / 1000)} s (${lastMessage || "no status yet"})`), timeoutMs);
    const onAbort = () => finish(new KubernetesError("ABORTED", `Stopped waiting for ${t.kind} ${name} (${lastMessage || "no status yet"}); it goes on in the cluster.`));
    if (o.abortSignal?.aborted) onAbort();
    o.abortSignal?.addEventListener("abort", onAbort);
  });
}
