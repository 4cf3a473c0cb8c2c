// plan: what apply would create or change (each resource's GET against what it should be), and a
// rough hourly cost.
import { checkCredential } from "./context.js";
import { estimateCost, type CostEstimate } from "./cost.js";
import { deployment, type Deployment } from "./deployment.js";
import { translateAzureError } from "./errors.js";
import { changedFields, type Resource, type ResourceKey } from "./resource.js";
import type { ProvisionOptions } from "./settings.js";

export type PlanAction = "create" | "update" | "none";

export interface PlannedResource {
  key: ResourceKey;
  type: string;
  name: string;
  id: string;
  action: PlanAction;
  /** For update: the fields that differ. */
  changes: string[];
  /** It exists but does not carry the toolkit's tags (apply adds them; teardown leaves it). */
  foreign?: boolean;
  /** Settings that must be given before apply can create it. */
  missing?: string[];
}

export interface Plan {
  subscriptionId: string;
  location: string;
  resourceGroup: string;
  deployment: string;
  resources: PlannedResource[];
  cost: CostEstimate;
  /** True when a GET found nothing to change. */
  upToDate: boolean;
  /** True for a plan made without reading Azure (no credential, maybe no subscription). */
  offline: boolean;
}

/** The subscription an offline plan without one names its resources after. */
export const PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/** Compares each resource with what exists; `offline` skips the GETs (everything reads as create). */
export async function planDeployment(d: Deployment, offline = false): Promise<Plan> {
  if (!offline) await checkCredential(d.target);
  // GETs are cheap and independent: all at once.
  const planned = await Promise.all(d.resources.map((r) => (offline ? Promise.resolve(offlineEntry(r)) : planOne(d, r))));
  return {
    subscriptionId: d.target.subscriptionId,
    location: d.target.location,
    resourceGroup: d.target.resourceGroup,
    deployment: d.target.deployment,
    resources: planned,
    cost: estimateCost(d.resources),
    upToDate: planned.every((p) => p.action === "none"),
    offline,
  };
}

function entry(r: Resource, action: PlanAction, changes: string[]): PlannedResource {
  const e: PlannedResource = { key: r.key, type: r.type, name: r.name, id: r.id, action, changes };
  if (action !== "none" && r.missing?.length) e.missing = r.missing;
  return e;
}

function offlineEntry(r: Resource): PlannedResource {
  return entry(r, "create", []);
}

async function planOne(d: Deployment, r: Resource): Promise<PlannedResource> {
  let observed;
  try {
    observed = await r.read(d.clients);
  } catch (e) {
    throw translateAzureError(e, `read ${r.key} (${r.name})`, r.key);
  }
  if (!observed) return entry(r, "create", []);
  const changes = changedFields(r.desired, observed.state);
  if (observed.provisioningState && observed.provisioningState !== "Succeeded" && !changes.includes("provisioningState")) changes.push("provisioningState");
  const e = entry(r, changes.length ? "update" : "none", changes);
  if (!observed.managed) e.foreign = true;
  return e;
}

/** What apply would do, with a rough hourly cost. With `offline: true`, no credential and no GETs: everything is "create". */
export async function plan(options: ProvisionOptions & { offline?: boolean } = {}): Promise<Plan> {
  const offline = options.offline ?? false;
  const env = options.env ?? process.env;
  const noSubscription = !options.subscriptionId && !env.AZURE_SUBSCRIPTION_ID?.trim();
  return planDeployment(deployment(offline && noSubscription ? { ...options, subscriptionId: PLACEHOLDER_SUBSCRIPTION } : options), offline);
}
