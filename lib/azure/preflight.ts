// Before a VM or a GPU pool is created: is the size offered to this subscription in the region
// (resource SKUs), and does the vCPU quota allow it (usages)? Both answers come before any PUT, so a
// refused deployment leaves nothing half made.
import type { ResourceSku, Usage } from "@azure/arm-compute";
import type { AzureClients } from "./clients.js";
import { AzureError, QUOTA_PORTAL_URL, translateAzureError } from "./errors.js";
import type { ComputeNeed, Resource } from "./resource.js";

export interface SizeInfo {
  name: string;
  family: string;
  vCPUs: number;
}

function capability(sku: ResourceSku, name: string): string | undefined {
  return sku.capabilities?.find((c) => c.name === name)?.value;
}

/** VM sizes offered to the subscription in the location (no Location restriction). */
export async function offeredSizes(c: AzureClients, location: string): Promise<SizeInfo[]> {
  const sizes: SizeInfo[] = [];
  try {
    for await (const sku of c.compute.resourceSkus.list({ ...c.request, filter: `location eq '${location}'` })) {
      if (sku.resourceType !== "virtualMachines" || !sku.name) continue;
      if (!(sku.locations ?? []).some((l) => l.toLowerCase() === location)) continue;
      const restricted = (sku.restrictions ?? []).some((r) => r.type === "Location" && r.reasonCode === "NotAvailableForSubscription");
      if (restricted) continue;
      sizes.push({ name: sku.name, family: sku.family ?? "", vCPUs: Number(capability(sku, "vCPUs") ?? 0) });
    }
  } catch (e) {
    throw translateAzureError(e, `list the VM sizes of ${location}`, "preflight");
  }
  return sizes;
}

export interface QuotaCheck {
  /** Quota name, e.g. standardNCASv3_T4Family, cores, lowPriorityCores. */
  quota: string;
  used: number;
  needed: number;
  limit: number;
}

/** Checks every size `resources` would create against what the region offers and the quotas; throws AzureError AZURE_SIZE_UNAVAILABLE / AZURE_QUOTA. */
export async function preflight(c: AzureClients, location: string, resources: Resource[]): Promise<QuotaCheck[]> {
  const needs: (ComputeNeed & { resource: string })[] = resources.flatMap((r) => (r.compute ?? []).map((n) => ({ ...n, resource: r.key })));
  if (needs.length === 0) return [];
  const sizes = await offeredSizes(c, location);
  const byName = new Map(sizes.map((s) => [s.name.toLowerCase(), s]));
  const perQuota = new Map<string, number>();
  for (const need of needs) {
    const size = byName.get(need.vmSize.toLowerCase());
    if (!size) {
      const gpu = sizes.filter((s) => /^Standard_N/i.test(s.name)).map((s) => s.name).sort();
      const sameSeries = gpu.length ? gpu : sizes.map((s) => s.name).sort().slice(0, 30);
      throw new AzureError(
        "AZURE_SIZE_UNAVAILABLE",
        `${need.resource}: the size ${need.vmSize} is not offered to this subscription in ${location}. ${gpu.length ? "GPU sizes" : "Sizes"} offered there: ${sameSeries.join(", ") || "(none)"}.`,
        { resource: need.resource, hint: `Choose one of those sizes, or another region (AZURE_LOCATION) that offers ${need.vmSize}: \`az vm list-skus --size ${need.vmSize} -o table\`.` },
      );
    }
    // A pool that autoscales from 0 still needs room for one node to be of use.
    const vcpus = size.vCPUs * Math.max(1, need.count);
    const family = need.spot ? "lowPriorityCores" : size.family;
    perQuota.set(family, (perQuota.get(family) ?? 0) + vcpus);
    if (!need.spot) perQuota.set("cores", (perQuota.get("cores") ?? 0) + vcpus);
  }
  let usages: Usage[] = [];
  try {
    for await (const u of c.compute.usage.list(location, c.request)) usages.push(u);
  } catch (e) {
    throw translateAzureError(e, `list the vCPU quotas of ${location}`, "preflight");
  }
  const checks: QuotaCheck[] = [];
  for (const [quota, needed] of perQuota) {
    const u = usages.find((x) => x.name.value?.toLowerCase() === quota.toLowerCase());
    if (!u) continue; // a quota Azure does not report is not enforced
    const check = { quota, used: u.currentValue, needed, limit: u.limit };
    checks.push(check);
    if (u.currentValue + needed > u.limit) {
      throw new AzureError(
        "AZURE_QUOTA",
        `Not enough vCPU quota in ${location}: ${u.name.localizedValue ?? quota} (${quota}) has ${u.currentValue} of ${u.limit} in use, and this deployment needs ${needed} more.`,
        {
          resource: needs.find((n) => (n.spot ? "lowPriorityCores" : byName.get(n.vmSize.toLowerCase())?.family) === quota || quota === "cores")?.resource ?? "preflight",
          hint: `Request at least ${u.currentValue + needed} for ${quota} in ${location}: Azure portal → Quotas → Compute (${QUOTA_PORTAL_URL}), or \`az quota create --resource-name ${quota} --scope /subscriptions/<id>/providers/Microsoft.Compute/locations/${location} --limit-object value=${u.currentValue + needed}\`; or choose a smaller size or another region.`,
        },
      );
    }
  }
  return checks;
}
