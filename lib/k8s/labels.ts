// The labels every object the toolkit creates carries: `undeploy` finds what to remove by them.
import { KubernetesError } from "./errors.js";

/** The value of app.kubernetes.io/managed-by on everything lib/k8s makes. */
export const MANAGED_BY = "custom-ai";
/** The server-side apply field manager of lib/k8s. */
export const FIELD_MANAGER = "custom-ai";

export const LABELS = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  component: "app.kubernetes.io/component",
  managedBy: "app.kubernetes.io/managed-by",
} as const;

/** What a workload is: app.kubernetes.io/name. */
export type WorkloadKind = "scoring" | "batch-scoring" | "training" | "deployer";

export const APP_NAMES: Record<WorkloadKind, string> = {
  scoring: "custom-ai-scoring",
  "batch-scoring": "custom-ai-batch-scoring",
  training: "custom-ai-training",
  deployer: "custom-ai-deployer",
};

/** The labels of one instance's objects (its pods' selector is the first two). */
export function instanceLabels(kind: WorkloadKind, instance: string): Record<string, string> {
  return { [LABELS.name]: APP_NAMES[kind], [LABELS.instance]: instance, [LABELS.managedBy]: MANAGED_BY };
}

/** The label selector of everything the toolkit made for an instance. */
export function instanceSelector(instance: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.instance}=${instance}`;
}

/** Room left for suffixes (-api-key, -storage) and for a CronJob's 52 characters. */
const MAX_NAME = 40;

/** Checks an instance name: a DNS-1123 label of at most 40 characters. Throws KubernetesError BAD_OPTION. */
export function checkName(name: string, what = "name"): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name ?? "") || name.length > MAX_NAME) {
    throw new KubernetesError(
      "BAD_OPTION",
      `The ${what} ${JSON.stringify(name)} cannot name Kubernetes objects: use at most ${MAX_NAME} lower-case letters, digits and "-", starting and ending with a letter or digit (e.g. ${JSON.stringify(toKubernetesName(name || "model"))}).`,
    );
  }
  return name;
}

/** A valid instance name made from any text (a model's name): lower case, "-" for the rest, at most 40 characters. */
export function toKubernetesName(text: string): string {
  const name = text.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "").slice(0, MAX_NAME).replace(/-$/, "");
  return name || "model";
}
