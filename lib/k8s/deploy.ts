// deploy: server-side apply of a set of manifests, then the wait for what they start — the
// Deployment's rollout or the Job's indexes (a CronJob only waits for its schedule).
import { applyManifests, type AppliedObject } from "./apply.js";
import { connect, type KubeOptions } from "./client.js";
import type { Manifest } from "./manifest.js";
import type { DeploymentSummary, JobSummary } from "./status.js";
import { jobOn, rolloutOn, type WaitOptions, type WaitProgress } from "./wait.js";

export type DeployProgress = WaitProgress | ({ phase: "apply"; message: string } & AppliedObject);

export interface DeployOptions extends KubeOptions {
  /** Take over fields another field manager owns (otherwise K8S_CONFLICT names them). Default false. */
  force?: boolean;
  /** Wait for the rollout or the Job. Default true. */
  wait?: boolean;
  /** Of the wait. Default 10 minutes. */
  timeoutMs?: number;
  /** See WaitOptions.failFast. Default true. */
  failFast?: boolean;
  /** Each object applied, then the rollout's or the Job's progress. */
  onProgress?: (progress: DeployProgress) => void;
  abortSignal?: AbortSignal;
}

export interface DeployResult {
  applied: AppliedObject[];
  /** The Deployment's state when its rollout completed (with `wait`). */
  deployment?: DeploymentSummary;
  /** The Job's state when it completed (with `wait`). */
  job?: JobSummary;
}

/**
 * Applies the manifests (server-side apply, field manager "custom-ai"; applying the same again
 * changes nothing) and waits for the Deployment to roll out or the Job to complete. Throws
 * KubernetesError: NO_KUBECONFIG, K8S_UNREACHABLE, K8S_FORBIDDEN, K8S_CONFLICT, K8S_REJECTED,
 * ROLLOUT_FAILED / JOB_FAILED (with the failing pod's events and log), K8S_TIMEOUT, ABORTED.
 */
export async function deploy(manifests: readonly Manifest[], o: DeployOptions = {}): Promise<DeployResult> {
  const cluster = await connect(o);
  const placed = o.namespace ? manifests.map((m) => ({ ...m, metadata: { ...m.metadata, namespace: o.namespace } })) : manifests;
  const applied = await applyManifests(cluster, placed, {
    force: o.force,
    onApplied: (a) => o.onProgress?.({ phase: "apply", message: `${a.kind} ${a.name} ${a.action}`, ...a }),
  });
  const result: DeployResult = { applied };
  if (o.wait === false) return result;
  const wait: WaitOptions = { timeoutMs: o.timeoutMs, onProgress: o.onProgress, abortSignal: o.abortSignal, failFast: o.failFast };
  for (const a of applied) {
    if (a.kind === "Deployment") result.deployment = await rolloutOn(cluster, a.namespace, a.name, wait);
    if (a.kind === "Job") result.job = await jobOn(cluster, a.namespace, a.name, wait);
  }
  return result;
}
