// Resource names that follow Azure's rules. Storage accounts and registries are globally unique
// (their names are DNS names), so they carry a suffix derived from subscription + resource group:
// the same deployment always gets the same names (apply stays idempotent), another subscription or
// group gets others.
import { createHash } from "node:crypto";
import { AzureError } from "./errors.js";

/** The tag every toolkit resource carries, and its value. */
export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY_VALUE = "custom-ai";
/** The tag naming the deployment a resource belongs to. */
export const DEPLOYMENT_TAG = "custom-ai-deployment";

/** A deployment name: 3-20 lowercase letters, digits and hyphens, starting with a letter. */
export function validateDeployment(deployment: string): void {
  if (!/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/.test(deployment)) {
    throw new AzureError("BAD_OPTION", `Deployment name "${deployment}" is not usable: 3-20 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.`);
  }
}

/** 8 lowercase hex characters from subscription + resource group (case-insensitive, as ARM is). */
export function uniqueSuffix(subscriptionId: string, resourceGroup: string): string {
  return createHash("sha256").update(`${subscriptionId.toLowerCase()}/${resourceGroup.toLowerCase()}`).digest("hex").slice(0, 8);
}

export interface ResourceNames {
  /** 3-24 lowercase letters and digits, globally unique. */
  storageAccount: string;
  /** 5-50 letters and digits, globally unique. */
  registry: string;
  aks: string;
  /** The AKS API server's DNS prefix: 1-54 letters, digits, hyphens. */
  aksDnsPrefix: string;
  vm: string;
  vnet: string;
  subnet: string;
  nsg: string;
  publicIp: string;
  nic: string;
  /** DevTestLab's name for a VM's auto-shutdown schedule (the portal uses the same). */
  shutdownSchedule: string;
}

export function resourceNames(deployment: string, subscriptionId: string, resourceGroup: string): ResourceNames {
  validateDeployment(deployment);
  const suffix = uniqueSuffix(subscriptionId, resourceGroup);
  const compact = deployment.replaceAll("-", "");
  const vm = `${deployment}-dsvm`;
  return {
    storageAccount: `${compact.slice(0, 16)}${suffix}`,
    registry: `${compact.slice(0, 42)}${suffix}`,
    aks: `${deployment}-aks`,
    aksDnsPrefix: `${deployment}-${suffix}`,
    vm,
    vnet: `${vm}-vnet`,
    subnet: "default",
    nsg: `${vm}-nsg`,
    publicIp: `${vm}-ip`,
    nic: `${vm}-nic`,
    shutdownSchedule: `shutdown-computevm-${vm}`,
  };
}

/** A deterministic GUID (name-based, RFC 4122 layout) for a role assignment: the same grant always has the same name. */
export function deterministicGuid(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("|").toLowerCase()).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The tags of every resource of a deployment. */
export function toolkitTags(deployment: string): Record<string, string> {
  return { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [DEPLOYMENT_TAG]: deployment };
}

/** True when tags mark a resource as this deployment's. */
export function isToolkitTagged(tags: Record<string, string> | undefined, deployment: string): boolean {
  return tags?.[MANAGED_BY_TAG] === MANAGED_BY_VALUE && tags?.[DEPLOYMENT_TAG] === deployment;
}
