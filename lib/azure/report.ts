// Plain-text tables of a plan, its cost, a status and a teardown, for the CLI and the notebooks.
import type { CostEstimate } from "./cost.js";
import type { Plan } from "./plan.js";
import type { DeploymentStatus } from "./status.js";
import type { TeardownResult } from "./teardown.js";

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function formatPlan(p: Plan): string {
  const where = `subscription ${p.subscriptionId}${p.offline ? " (offline: nothing read from Azure)" : ""}, ${p.location}, resource group ${p.resourceGroup}, deployment ${p.deployment}`;
  const rows = p.resources.map((r) => [r.action + (r.foreign ? " (not ours)" : ""), r.key, r.type, r.name, [r.changes.join(", "), ...(r.missing ?? []).map((m) => `needs ${m}`)].filter(Boolean).join("; ")]);
  const summary = p.upToDate ? "Nothing to change." : `${p.resources.filter((r) => r.action === "create").length} to create, ${p.resources.filter((r) => r.action === "update").length} to update.`;
  return `Plan for ${where}\n${table(["action", "key", "type", "name", "details"], rows)}\n${summary}\n\n${formatCost(p.cost)}`;
}

export function formatCost(c: CostEstimate): string {
  const money = (x: number | undefined) => (x === undefined ? "?" : `${x.toFixed(3)}`);
  const rows = c.lines.map((l) => [l.resource, l.item, String(l.count), money(l.unitHourly), money(l.hourly)]);
  return [
    `Rough cost per hour (${c.currency}, list prices of ${c.priceRegion} dated ${c.priceDate}):`,
    table(["resource", "item", "count", "unit/h", "total/h"], rows),
    `Total: ${c.hourly.toFixed(3)} ${c.currency}/h while running (${c.hourlyAtMax.toFixed(3)} with the GPU pool at its maximum).${c.unpriced.length ? ` Not priced: ${c.unpriced.join(", ")}.` : ""}`,
    ...c.notes.map((n) => `  · ${n}`),
    `  · Prices: lib/azure/prices.json. ${c.source.split(". ")[0]}.`,
  ].join("\n");
}

export function formatStatus(s: DeploymentStatus): string {
  const rows = s.resources.map((r) => [r.key, r.name, r.exists ? (r.provisioningState ?? "exists") : "absent", r.exists ? (r.managed ? "custom-ai" : "not ours") : "", Object.entries(r.details ?? {}).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(" ")]);
  return `Deployment ${s.deployment} in ${s.resourceGroup} (${s.location}), subscription ${s.subscriptionId}\n${table(["key", "name", "state", "owner", "details"], rows)}`;
}

export function formatTeardown(t: TeardownResult): string {
  const rows = t.entries.map((e) => [e.outcome, e.key, e.name, e.reason ?? ""]);
  const left = t.left.length ? `Left ${t.left.length}: ${t.left.map((e) => `${e.name} (${e.reason})`).join("; ")}.` : "Nothing of the deployment is left.";
  return `${table(["outcome", "key", "name", "why"], rows)}\nDeleted ${t.deleted.length} in ${(t.elapsedMs / 1000).toFixed(1)} s. ${left}`;
}
