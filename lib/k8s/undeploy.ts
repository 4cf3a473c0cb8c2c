// Removing an instance: everything the toolkit made for it, found by its labels
// (app.kubernetes.io/managed-by=custom-ai, app.kubernetes.io/instance=<name>).
import { connect, toKubernetesError, type KubeOptions } from "./client.js";
import { KubernetesError } from "./errors.js";
import { checkName, instanceSelector } from "./labels.js";

/** The kinds an instance may have, users before what they use. */
const WORKLOAD_KINDS = [
  { apiVersion: "batch/v1", kind: "CronJob" },
  { apiVersion: "batch/v1", kind: "Job" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Secret" },
] as const;
const RBAC_KINDS = [
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" },
  { apiVersion: "v1", kind: "ServiceAccount" },
] as const;

export interface UndeployOptions extends KubeOptions {
  /** Also the deployer's ServiceAccount, Role and RoleBinding of that name (an administrator's job). Default false. */
  rbac?: boolean;
  /** Wait until the instance's pods are gone too. Default true. */
  wait?: boolean;
  /** For `wait`. Default 2 minutes. */
  timeoutMs?: number;
  abortSignal?: AbortSignal;
}

export interface RemovedObject {
  kind: string;
  name: string;
  namespace: string;
}

/** Deletes every object labelled as the instance's (pods go with their owners). Returns what it deleted (none: nothing was there). Throws KubernetesError. */
export async function undeploy(name: string, o: UndeployOptions = {}): Promise<RemovedObject[]> {
  checkName(name);
  const cluster = await connect(o);
  const namespace = o.namespace ?? cluster.namespace;
  const selector = instanceSelector(name);
  const removed: RemovedObject[] = [];
  for (const { apiVersion, kind } of [...WORKLOAD_KINDS, ...(o.rbac ? RBAC_KINDS : [])]) {
    let items: { metadata?: { name?: string } }[];
    try {
      items = (await cluster.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, selector)).items;
    } catch (error) {
      throw toKubernetesError(error, cluster, { verb: "list", kind, namespace });
    }
    for (const item of items) {
      const itemName = item.metadata!.name!;
      try {
        await cluster.objects.delete({ apiVersion, kind, metadata: { name: itemName, namespace } }, undefined, undefined, undefined, undefined, "Background");
      } catch (error) {
        if ((error as { code?: number }).code === 404) continue;
        throw toKubernetesError(error, cluster, { verb: "delete", kind, name: itemName, namespace });
      }
      removed.push({ kind, name: itemName, namespace });
    }
  }
  if (o.wait !== false) {
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    for (;;) {
      if (o.abortSignal?.aborted) throw new KubernetesError("ABORTED", `Stopped waiting for the pods of ${name} to go; they are being deleted.`);
      let left: number;
      try {
        left = (await cluster.core.listNamespacedPod({ namespace, labelSelector: selector })).items.length;
      } catch (error) {
        throw toKubernetesError(error, cluster, { verb: "list", kind: "pods", namespace });
      }
      if (left === 0) break;
      if (Date.now() > deadline) throw new KubernetesError("K8S_TIMEOUT", `${left} pod(s) of ${name} were still there ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s after their owners were deleted.`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return removed;
}
