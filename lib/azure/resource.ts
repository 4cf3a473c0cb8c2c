// The plan's unit: one Azure resource the toolkit manages, with what it should look like (a flat
// record compared field by field with what a GET returns), its dependencies, and how to read,
// create or update, and delete it.
import type { AzureClients } from "./clients.js";

export type ResourceKey =
  | "resourceGroup"
  | "storage"
  | "containers"
  | "registry"
  | "aks"
  | "acrPull"
  | "vnet"
  | "nsg"
  | "publicIp"
  | "nic"
  | "vm"
  | "autoShutdown";

/** A VM size a resource runs, for the cost table and the size / quota checks. */
export interface ComputeNeed {
  vmSize: string;
  /** Nodes counted by the quota check and the cost (an autoscaled pool: its minimum, at least 1 for quota). */
  count: number;
  /** Most nodes (an autoscaled pool's maximum). */
  maxCount: number;
  spot: boolean;
}

export interface Observed {
  /** The same fields as `desired`, as Azure has them. */
  state: Record<string, unknown>;
  tags?: Record<string, string>;
  provisioningState?: string;
  /** True when the toolkit made it (its tags, or for untagged kinds its own mark). */
  managed: boolean;
  /** Extra facts for status (a VM's power state). */
  extra?: Record<string, string>;
}

export interface Resource {
  key: ResourceKey;
  /** ARM resource type, e.g. Microsoft.Compute/virtualMachines. */
  type: string;
  name: string;
  /** ARM id (for a role assignment whose name depends on the cluster: its scope + the type). */
  id: string;
  dependsOn: ResourceKey[];
  desired: Record<string, unknown>;
  compute?: ComputeNeed[];
  /** Settings that must be given before this resource can be created (option name → why). */
  missing?: string[];
  read(c: AzureClients): Promise<Observed | undefined>;
  put(c: AzureClients): Promise<void>;
  /** Undefined: deleted with its parent (blob containers, the resource group's content). */
  remove?(c: AzureClients): Promise<void>;
}

/** The fields of `desired` that differ from what exists (deep compare through JSON). */
export function changedFields(desired: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  return Object.keys(desired).filter((k) => JSON.stringify(normalize(desired[k])) !== JSON.stringify(normalize(actual[k])));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/** The toolkit's tags out of a resource's tags (other tags a user added do not count as a change). */
export function ownTags(tags: Record<string, string> | undefined, wanted: Record<string, string>): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(wanted).map((k) => [k, tags?.[k]]));
}
