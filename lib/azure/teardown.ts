// teardown: deletes what the toolkit tagged for this deployment, dependents before what they
// depend on (independent ones concurrently), and says what it left and why. Running it again
// deletes nothing and reports everything absent.
import { checkCredential } from "./context.js";
import { deployment } from "./deployment.js";
import { AzureError, translateAzureError } from "./errors.js";
import type { ResourceKey } from "./resource.js";
import type { ProvisionOptions } from "./settings.js";
import { withEverything } from "./status.js";

export interface TeardownEntry {
  key: ResourceKey;
  name: string;
  outcome: "deleted" | "absent" | "left" | "with-parent";
  /** Why it was left. */
  reason?: string;
}

export interface TeardownResult {
  entries: TeardownEntry[];
  deleted: ResourceKey[];
  left: TeardownEntry[];
  elapsedMs: number;
}

export async function teardown(options: ProvisionOptions = {}): Promise<TeardownResult> {
  const started = performance.now();
  const d = deployment(withEverything(options));
  const { onProgress, abortSignal } = d.target;
  await checkCredential(d.target);
  const entries = new Map<ResourceKey, TeardownEntry>();
  const dependents = (key: ResourceKey) => d.resources.filter((r) => r.dependsOn.includes(key)).map((r) => r.key);
  const running = new Map<ResourceKey, Promise<void>>();
  let firstError: unknown;
  const group = d.resources.find((r) => r.key === "resourceGroup")!;

  // Reverse dependency order: a resource goes once everything that depends on it has gone.
  const order = [...d.resources].reverse().filter((r) => r !== group);
  const start = (key: ResourceKey): Promise<void> => {
    const existing = running.get(key);
    if (existing) return existing;
    const r = d.resources.find((x) => x.key === key)!;
    const after = dependents(key).filter((k) => k !== "resourceGroup").map(start);
    const p = Promise.all(after).then(async () => {
      if (firstError !== undefined) throw firstError;
      if (abortSignal?.aborted) throw new AzureError("ABORTED", `teardown stopped by its AbortSignal before ${r.key}. Run it again to go on.`);
      if (!r.remove) {
        entries.set(r.key, { key: r.key, name: r.name, outcome: "with-parent", reason: "deleted with its parent" });
        return;
      }
      try {
        const o = await r.read(d.clients);
        if (!o) {
          entries.set(r.key, { key: r.key, name: r.name, outcome: "absent" });
          return;
        }
        if (!o.managed) {
          entries.set(r.key, { key: r.key, name: r.name, outcome: "left", reason: `not tagged by custom-ai for deployment ${d.target.deployment}` });
          return;
        }
        const t0 = performance.now();
        onProgress({ resource: r.key, phase: "start", message: `delete ${r.type} ${r.name}` });
        await r.remove(d.clients);
        entries.set(r.key, { key: r.key, name: r.name, outcome: "deleted" });
        onProgress({ resource: r.key, phase: "done", message: `${r.name}: deleted`, elapsedMs: performance.now() - t0 });
      } catch (e) {
        const error = translateAzureError(e, `delete ${r.key} (${r.name})`, r.key);
        onProgress({ resource: r.key, phase: "failed", message: error.message });
        firstError ??= error;
        throw error;
      }
    });
    running.set(key, p);
    return p;
  };
  const settled = await Promise.allSettled(order.map((r) => start(r.key)));
  if (settled.some((s) => s.status === "rejected")) throw firstError ?? (settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;

  // The group last, and only when it is ours and holds nothing else.
  try {
    const o = await group.read(d.clients);
    if (!o) entries.set("resourceGroup", { key: "resourceGroup", name: group.name, outcome: "absent" });
    else if (!o.managed) entries.set("resourceGroup", { key: "resourceGroup", name: group.name, outcome: "left", reason: "not created by custom-ai (no managed-by tag)" });
    else {
      const others: string[] = [];
      for await (const x of d.clients.resources.resources.listByResourceGroup(d.target.resourceGroup, d.clients.request)) others.push(`${x.type}/${x.name}`);
      if (others.length) {
        entries.set("resourceGroup", { key: "resourceGroup", name: group.name, outcome: "left", reason: `it still holds resources custom-ai did not delete: ${others.join(", ")}` });
      } else {
        onProgress({ resource: "resourceGroup", phase: "start", message: `delete resource group ${group.name}` });
        await group.remove!(d.clients); // each remove treats "already gone" as done
        entries.set("resourceGroup", { key: "resourceGroup", name: group.name, outcome: "deleted" });
        onProgress({ resource: "resourceGroup", phase: "done", message: `${group.name}: deleted` });
      }
    }
  } catch (e) {
    throw translateAzureError(e, `delete the resource group ${group.name}`, "resourceGroup");
  }

  const list = d.resources.map((r) => entries.get(r.key)!).filter(Boolean);
  return { entries: list, deleted: list.filter((e) => e.outcome === "deleted").map((e) => e.key), left: list.filter((e) => e.outcome === "left"), elapsedMs: performance.now() - started };
}
