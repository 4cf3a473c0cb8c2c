// What the fake region offers: VM sizes (Microsoft.Compute/skus) and vCPU quotas (usages), as the
// list operations return them, in pages linked by nextLink.
export interface FakeSku {
  name: string;
  family: string;
  vCPUs: number;
  locations: string[];
  /** NotAvailableForSubscription in these locations. */
  restrictedIn?: string[];
}

export interface FakeUsage {
  /** Quota name (standardNCASv3_T4Family, cores, lowPriorityCores). */
  name: string;
  localizedName: string;
  current: number;
  limit: number;
}

export const DEFAULT_SKUS: FakeSku[] = [
  { name: "Standard_D2s_v5", family: "standardDSv5Family", vCPUs: 2, locations: ["eastus", "westeurope"] },
  { name: "Standard_D4s_v5", family: "standardDSv5Family", vCPUs: 4, locations: ["eastus", "westeurope"] },
  { name: "Standard_NC4as_T4_v3", family: "standardNCASv3_T4Family", vCPUs: 4, locations: ["eastus", "westeurope"] },
  { name: "Standard_NC8as_T4_v3", family: "standardNCASv3_T4Family", vCPUs: 8, locations: ["eastus"] },
  { name: "Standard_NC24ads_A100_v4", family: "StandardNCADSA100v4Family", vCPUs: 24, locations: ["eastus"], restrictedIn: ["eastus"] },
  { name: "Standard_NC40ads_H100_v5", family: "standardNCadsH100v5Family", vCPUs: 40, locations: ["eastus"] },
];

export const DEFAULT_USAGES: FakeUsage[] = [
  { name: "cores", localizedName: "Total Regional vCPUs", current: 2, limit: 100 },
  { name: "lowPriorityCores", localizedName: "Total Regional Low-priority vCPUs", current: 0, limit: 20 },
  { name: "standardDSv5Family", localizedName: "Standard DSv5 Family vCPUs", current: 2, limit: 50 },
  { name: "standardNCASv3_T4Family", localizedName: "Standard NCASv3_T4 Family vCPUs", current: 0, limit: 16 },
];

export function skuJson(s: FakeSku): unknown {
  return {
    resourceType: "virtualMachines",
    name: s.name,
    tier: "Standard",
    size: s.name.replace(/^Standard_/, ""),
    family: s.family,
    locations: s.locations,
    locationInfo: s.locations.map((l) => ({ location: l, zones: ["1", "2", "3"] })),
    capabilities: [
      { name: "vCPUs", value: String(s.vCPUs) },
      { name: "GPUs", value: s.name.startsWith("Standard_N") ? "1" : "0" },
    ],
    restrictions: (s.restrictedIn ?? []).map((l) => ({ type: "Location", values: [l], restrictionInfo: { locations: [l] }, reasonCode: "NotAvailableForSubscription" })),
  };
}

export function usageJson(u: FakeUsage): unknown {
  return { unit: "Count", currentValue: u.current, limit: u.limit, name: { value: u.name, localizedValue: u.localizedName } };
}

/** One page of `items`, with a nextLink to the next when there is more. */
export function page(items: unknown[], url: URL, pageSize: number): { value: unknown[]; nextLink?: string } {
  const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
  const value = items.slice(skip, skip + pageSize);
  if (skip + pageSize >= items.length) return { value };
  const next = new URL(url);
  next.searchParams.set("$skiptoken", String(skip + pageSize));
  return { value, nextLink: next.toString() };
}
