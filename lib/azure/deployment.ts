// A deployment: the target, the settings, and the resources they make, in dependency order.
import { AzureClients } from "./clients.js";
import { resolveTarget, type AzureTarget } from "./context.js";
import { resourceNames, type ResourceNames } from "./names.js";
import type { Resource, ResourceKey } from "./resource.js";
import { acrPullResource, aksResource } from "./resources-aks.js";
import { containersResource, registryResource, resourceGroupResource, storageResource } from "./resources-data.js";
import { dsvmResources } from "./resources-dsvm.js";
import { resolveSettings, type ProvisionOptions, type Settings } from "./settings.js";

export interface Deployment {
  target: AzureTarget;
  settings: Settings;
  names: ResourceNames;
  /** Dependencies before dependents. */
  resources: Resource[];
  clients: AzureClients;
}

export function deployment(options: ProvisionOptions = {}): Deployment {
  const target = resolveTarget(options);
  const settings = resolveSettings(options);
  const names = resourceNames(target.deployment, target.subscriptionId, target.resourceGroup);
  const resources: Resource[] = [resourceGroupResource(target), storageResource(target, names), containersResource(target, names, settings.containers), registryResource(target, names)];
  if (settings.aks) resources.push(aksResource(target, names, settings.aks), acrPullResource(target, names));
  if (settings.dsvm) resources.push(...dsvmResources(target, names, settings.dsvm));
  return { target, settings, names, resources: topological(resources), clients: new AzureClients(target) };
}

/** Dependencies before dependents (stable: the listed order among independent ones). */
export function topological(resources: Resource[]): Resource[] {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const done = new Set<ResourceKey>();
  const out: Resource[] = [];
  const visit = (r: Resource, path: ResourceKey[]): void => {
    if (done.has(r.key)) return;
    if (path.includes(r.key)) throw new Error(`dependency cycle: ${[...path, r.key].join(" → ")}`);
    for (const d of r.dependsOn) {
      const dep = byKey.get(d);
      if (dep) visit(dep, [...path, r.key]);
    }
    done.add(r.key);
    out.push(r);
  };
  for (const r of resources) visit(r, []);
  return out;
}
