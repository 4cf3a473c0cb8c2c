// status: what of the deployment exists, in which provisioning state, and whose it is.
import { checkCredential } from "./context.js";
import { deployment } from "./deployment.js";
import { translateAzureError } from "./errors.js";
import type { ResourceKey } from "./resource.js";
import type { ProvisionOptions } from "./settings.js";

export interface ResourceStatus {
  key: ResourceKey;
  type: string;
  name: string;
  exists: boolean;
  provisioningState?: string;
  /** True when it carries the toolkit's tags for this deployment. */
  managed?: boolean;
  /** A VM's or cluster's power state, a public IP's address, the kubelet identity... */
  details?: Record<string, string>;
}

export interface DeploymentStatus {
  subscriptionId: string;
  location: string;
  resourceGroup: string;
  deployment: string;
  resources: ResourceStatus[];
}

export async function status(options: ProvisionOptions = {}): Promise<DeploymentStatus> {
  const d = deployment(withEverything(options));
  await checkCredential(d.target);
  const resources = await Promise.all(
    d.resources.map(async (r): Promise<ResourceStatus> => {
      let o;
      try {
        o = await r.read(d.clients);
      } catch (e) {
        throw translateAzureError(e, `read ${r.key} (${r.name})`, r.key);
      }
      if (!o) return { key: r.key, type: r.type, name: r.name, exists: false };
      return { key: r.key, type: r.type, name: r.name, exists: true, managed: o.managed, ...(o.provisioningState ? { provisioningState: o.provisioningState } : {}), ...(o.extra ? { details: o.extra } : {}) };
    }),
  );
  const t = d.target;
  return { subscriptionId: t.subscriptionId, location: t.location, resourceGroup: t.resourceGroup, deployment: t.deployment, resources };
}

/** status and teardown look at every kind of resource, whatever the apply left out. */
export function withEverything(options: ProvisionOptions): ProvisionOptions {
  return { ...options, dsvm: options.dsvm || {}, aks: options.aks || {} };
}
