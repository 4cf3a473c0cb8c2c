// A rough hourly cost of a plan from the dated price table shipped beside this file (prices.json:
// its date, region and source travel with every estimate).
import { readFileSync } from "node:fs";
import { azureFile } from "./module-dir.js";
import type { Resource } from "./resource.js";

export interface PriceTable {
  date: string;
  currency: string;
  region: string;
  source: string;
  vmHourly: Record<string, number>;
  otherHourly: Record<string, number>;
  notes: string[];
}

export interface CostLine {
  resource: string;
  item: string;
  count: number;
  /** Per unit and hour; undefined when the table has no price for it. */
  unitHourly: number | undefined;
  hourly: number | undefined;
}

export interface CostEstimate {
  lines: CostLine[];
  /** Sum of the priced lines, at the minimum node counts. */
  hourly: number;
  /** With autoscaled pools at their maximum. */
  hourlyAtMax: number;
  currency: string;
  /** The price table's date and region, and where its prices came from. */
  priceDate: string;
  priceRegion: string;
  source: string;
  /** Items the table has no price for (counted as 0). */
  unpriced: string[];
  notes: string[];
}

let table: PriceTable | undefined;
export function priceTable(): PriceTable {
  table ??= JSON.parse(readFileSync(azureFile("prices.json"), "utf8")) as PriceTable;
  return table;
}

export function estimateCost(resources: Resource[]): CostEstimate {
  const t = priceTable();
  const lines: CostLine[] = [];
  let atMax = 0;
  const unpriced: string[] = [];
  const add = (resource: string, item: string, count: number, unit: number | undefined, maxCount = count): void => {
    lines.push({ resource, item, count, unitHourly: unit, hourly: unit === undefined ? undefined : round(unit * count) });
    if (unit === undefined) unpriced.push(item);
    else atMax += unit * maxCount;
  };
  for (const r of resources) {
    for (const need of r.compute ?? []) {
      const unit = need.spot ? undefined : t.vmHourly[need.vmSize];
      add(r.key, `${need.vmSize}${need.spot ? " (spot: price varies)" : ""}`, need.count, unit, need.maxCount);
      if (r.key === "vm") add(r.key, "OS disk Premium_LRS P10", 1, t.otherHourly["Microsoft.Compute/disks:Premium_LRS:P10"]);
    }
    if (r.key === "registry") add(r.key, "registry Basic", 1, t.otherHourly["Microsoft.ContainerRegistry/registries:Basic"]);
    if (r.key === "publicIp") add(r.key, "public IP Standard", 1, t.otherHourly["Microsoft.Network/publicIPAddresses:Standard"]);
    if (r.key === "aks") add(r.key, "AKS control plane (Free tier)", 1, t.otherHourly["Microsoft.ContainerService/managedClusters:Free"]);
  }
  const hourly = round(lines.reduce((s, l) => s + (l.hourly ?? 0), 0));
  return { lines, hourly, hourlyAtMax: round(atMax), currency: t.currency, priceDate: t.date, priceRegion: t.region, source: t.source, unpriced, notes: t.notes };
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;
