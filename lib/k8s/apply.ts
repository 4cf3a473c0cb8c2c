// Server-side apply of the manifests, field manager "custom-ai": the API server merges, records
// who owns which field, refuses to take another manager's fields unless forced, and leaves an
// object untouched (same resourceVersion) when nothing changed.
import type { KubernetesObject } from "@kubernetes/client-node";
import { FIELD_MANAGER } from "./labels.js";
import type { Manifest } from "./manifest.js";
import { httpStatus, toKubernetesError, type Cluster } from "./client.js";

/** The field manager that sets an autoscaled Deployment's first replica count, once; the autoscaler owns it after. */
export const INITIAL_REPLICAS_MANAGER = "custom-ai-initial-replicas";

export interface AppliedObject {
  kind: string;
  name: string;
  namespace: string;
  /** created: it did not exist; configured: it changed; unchanged: the apply changed nothing. */
  action: "created" | "configured" | "unchanged";
  resourceVersion: string;
  generation?: number;
}

export interface ApplyOptions {
  /** Take over fields another field manager owns (a conflict otherwise). Default false. */
  force?: boolean;
  /** Ask the server to check it all, changing nothing (dryRun=All). */
  serverDryRun?: boolean;
  onApplied?: (object: AppliedObject) => void;
}

type Meta = { resourceVersion?: string; generation?: number };

/** Applies each manifest in order (Secrets and the like before what uses them). Throws KubernetesError. */
export async function applyManifests(cluster: Cluster, manifests: readonly Manifest[], o: ApplyOptions = {}): Promise<AppliedObject[]> {
  const done: AppliedObject[] = [];
  for (const manifest of manifests) {
    const namespace = manifest.metadata.namespace ?? cluster.namespace;
    const object = { ...manifest, metadata: { ...manifest.metadata, namespace } } as KubernetesObject & Manifest;
    const attempt = { kind: manifest.kind, name: manifest.metadata.name, namespace };
    let before: Meta | undefined;
    try {
      before = (await cluster.objects.read({ apiVersion: manifest.apiVersion, kind: manifest.kind, metadata: { name: manifest.metadata.name, namespace } })).metadata as Meta;
    } catch (error) {
      if (httpStatus(error) !== 404) throw toKubernetesError(error, cluster, { ...attempt, verb: "get" });
    }
    let after: Meta;
    try {
      const dryRun = o.serverDryRun ? "All" : undefined;
      after = (await cluster.objects.patch(object, undefined, dryRun, FIELD_MANAGER, o.force ?? false, cluster.k8s.PatchStrategy.ServerSideApply)).metadata as Meta;
      await seedReplicas(cluster, manifest, manifests, namespace, before === undefined, dryRun);
    } catch (error) {
      throw toKubernetesError(error, cluster, { ...attempt, verb: before ? "patch" : "create" });
    }
    const applied: AppliedObject = {
      ...attempt,
      action: before === undefined ? "created" : before.resourceVersion === after.resourceVersion ? "unchanged" : "configured",
      resourceVersion: after.resourceVersion ?? "",
      ...(after.generation !== undefined ? { generation: after.generation } : {}),
    };
    done.push(applied);
    o.onApplied?.(applied);
  }
  return done;
}

/**
 * A new Deployment that an autoscaler scales (its manifest leaves replicas out, so that applying
 * again never resets the autoscaler's count) starts at the autoscaler's minimum, set under a
 * manager of its own that never applies again.
 */
async function seedReplicas(cluster: Cluster, manifest: Manifest, all: readonly Manifest[], namespace: string, created: boolean, dryRun: string | undefined): Promise<void> {
  if (!created || manifest.kind !== "Deployment" || (manifest.spec as { replicas?: number }).replicas !== undefined) return;
  const hpa = all.find((m) => m.kind === "HorizontalPodAutoscaler" && (m.spec as { scaleTargetRef?: { kind?: string; name?: string } }).scaleTargetRef?.name === manifest.metadata.name);
  const min = (hpa?.spec as { minReplicas?: number } | undefined)?.minReplicas;
  if (!min || min === 1) return;
  const patch = { apiVersion: manifest.apiVersion, kind: manifest.kind, metadata: { name: manifest.metadata.name, namespace }, spec: { replicas: min } };
  await cluster.objects.patch(patch as KubernetesObject, undefined, dryRun, INITIAL_REPLICAS_MANAGER, false, cluster.k8s.PatchStrategy.ServerSideApply);
}
