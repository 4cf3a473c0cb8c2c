// One-look summaries for notebooks and scripts: replicas available, indexes completed.
import { connect, toKubernetesError, type KubeOptions } from "./client.js";
import { summarizeDeployment, summarizeJob, type DeploymentSummary, type JobSummary } from "./status.js";

/** The Deployment's replicas (desired, ready, available, updated), image and model version. Throws KubernetesError (K8S_REJECTED when it does not exist). */
export async function describeDeployment(name: string, o: KubeOptions = {}): Promise<DeploymentSummary> {
  const cluster = await connect(o);
  const namespace = o.namespace ?? cluster.namespace;
  try {
    return summarizeDeployment(await cluster.objects.read({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace } }));
  } catch (error) {
    throw toKubernetesError(error, cluster, { verb: "get", kind: "Deployment", name, namespace });
  }
}

/** The Job's indexes (done n/m, completedIndexes, failedIndexes) and state. Throws KubernetesError (K8S_REJECTED when it does not exist). */
export async function describeJob(name: string, o: KubeOptions = {}): Promise<JobSummary> {
  const cluster = await connect(o);
  const namespace = o.namespace ?? cluster.namespace;
  try {
    return summarizeJob(await cluster.objects.read({ apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace } }));
  } catch (error) {
    throw toKubernetesError(error, cluster, { verb: "get", kind: "Job", name, namespace });
  }
}
