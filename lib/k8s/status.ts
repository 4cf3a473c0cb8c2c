// Summaries of a Deployment's rollout and an Indexed Job's progress, from the objects' status as
// the API server reports it (read or watched), and what is wrong with a pod.
import { MODEL_ANNOTATIONS } from "./model-info.js";

/** A Deployment as `describeDeployment` and rollout progress report it. */
export interface DeploymentSummary {
  name: string;
  namespace: string;
  /** spec.replicas. */
  desired: number;
  /** Pods of the current template. */
  updated: number;
  ready: number;
  available: number;
  /** All pods, old template included. */
  total: number;
  /** The rollout is done: every pod is of the current template and available, and the controller has seen the latest spec. */
  complete: boolean;
  image?: string;
  /** The model's sha256 (its pods' annotation). */
  modelVersion?: string;
  /** Why the rollout failed (Progressing=False, e.g. ProgressDeadlineExceeded). */
  failure?: string;
}

/** A Job as `describeJob` and job progress report it. */
export interface JobSummary {
  name: string;
  namespace: string;
  /** Indexes in all (spec.completions). */
  completions: number;
  parallelism: number;
  /** Indexes done (succeeded), from status.completedIndexes. */
  indexesDone: number;
  /** e.g. "0-2,4". */
  completedIndexes: string;
  failedIndexes: string;
  active: number;
  /** Pods that failed (retries included). */
  failedPods: number;
  status: "running" | "complete" | "failed";
  /** The Failed condition's reason and message (BackoffLimitExceeded, FailedIndexes, PodFailurePolicy, DeadlineExceeded...). */
  reason?: string;
  message?: string;
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

export function summarizeDeployment(d: any): DeploymentSummary {
  const s = d?.status ?? {};
  const desired = d?.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const seen = (d?.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0);
  const progressing = (s.conditions as Condition[] | undefined)?.find((c) => c.type === "Progressing");
  const failure = progressing?.status === "False" ? `${progressing.reason ?? "NotProgressing"}: ${progressing.message ?? ""}`.trim() : undefined;
  return {
    name: d?.metadata?.name,
    namespace: d?.metadata?.namespace,
    desired,
    updated,
    ready: s.readyReplicas ?? 0,
    available,
    total,
    complete: seen && updated === desired && total === updated && available === updated,
    image: d?.spec?.template?.spec?.containers?.[0]?.image,
    modelVersion: d?.spec?.template?.metadata?.annotations?.[MODEL_ANNOTATIONS.version],
    ...(failure ? { failure } : {}),
  };
}

/** Number of indexes in "0-2,4,7-8". */
export function countIndexes(indexes: string | undefined): number {
  if (!indexes) return 0;
  return indexes.split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

export function summarizeJob(j: any): JobSummary {
  const s = j?.status ?? {};
  const conditions = (s.conditions as Condition[] | undefined) ?? [];
  const is = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  const failed = is("Failed");
  const complete = is("Complete");
  const completions = j?.spec?.completions ?? 1;
  return {
    name: j?.metadata?.name,
    namespace: j?.metadata?.namespace,
    completions,
    parallelism: j?.spec?.parallelism ?? 1,
    indexesDone: s.completedIndexes !== undefined ? countIndexes(s.completedIndexes) : s.succeeded ?? 0,
    completedIndexes: s.completedIndexes ?? "",
    failedIndexes: s.failedIndexes ?? "",
    active: s.active ?? 0,
    failedPods: s.failed ?? 0,
    status: failed ? "failed" : complete ? "complete" : "running",
    ...(failed ? { reason: failed.reason, message: failed.message } : {}),
  };
}

/** Container states that will not fix themselves: the rollout or job fails on them at once. */
const STUCK = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "ErrImageNeverPull"]);

/** A container that waits for something that will not come by itself (an image that cannot be pulled, a crash loop), or undefined. */
export function podStuck(pod: any): string | undefined {
  for (const c of [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])]) {
    const waiting = c?.state?.waiting;
    if (waiting && STUCK.has(waiting.reason)) return `container ${c.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ""}`;
  }
  return undefined;
}

/** What is wrong with a pod (stuck, or failed), or undefined. */
export function podProblem(pod: any): string | undefined {
  const stuck = podStuck(pod);
  if (stuck) return stuck;
  if (pod?.status?.phase === "Failed") {
    const t = (pod.status.containerStatuses ?? []).map((c: any) => c?.state?.terminated).find(Boolean);
    return `failed${t ? `: exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ""}` : ""}${pod.status.reason ? ` ${pod.status.reason}` : ""}${pod.status.message ? `: ${pod.status.message}` : ""}`;
  }
  return undefined;
}

/** A pending pod's reason (Unschedulable: no node with its GPU / toleration / resources), for progress. */
export function podWaiting(pod: any): string | undefined {
  const scheduled = (pod?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") return `${scheduled.reason ?? "unscheduled"}: ${scheduled.message ?? ""}`.trim();
  return undefined;
}
