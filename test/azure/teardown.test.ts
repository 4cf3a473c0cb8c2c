// status and teardown against the fake ARM: dependents deleted before what they depend on,
// only what the toolkit tagged, idempotently, with what was left and why.
import { describe, expect, it } from "vitest";
import { apply, setDsvmPower, status, teardown } from "../../lib/azure/index.js";
import { harness } from "./helpers.js";

const RG = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-test";

describe("status", () => {
  it("reports what exists, its state, whose it is, and the DSVM's power state through start / stop / deallocate", async () => {
    const h = harness();
    expect((await status(h.options)).resources.every((r) => !r.exists)).toBe(true);
    await apply(h.options);
    const s = await status(h.options);
    expect(s.resources.every((r) => r.exists)).toBe(true);
    expect(s.resources.filter((r) => r.provisioningState !== undefined).every((r) => r.provisioningState === "Succeeded")).toBe(true);
    expect(s.resources.every((r) => r.managed)).toBe(true);
    const vmPower = async () => (await status(h.options)).resources.find((r) => r.key === "vm")!.details!.powerState;
    expect(await vmPower()).toBe("running");
    await setDsvmPower("deallocate", h.options);
    expect(await vmPower()).toBe("deallocated");
    await setDsvmPower("start", h.options);
    expect(await vmPower()).toBe("running");
    await setDsvmPower("stop", h.options);
    expect(await vmPower()).toBe("stopped");
    expect(h.arm.writes().filter((w) => w.method === "POST").map((w) => w.path.split("/").pop())).toEqual(["deallocate", "start", "powerOff"]);
  });
});

describe("teardown", () => {
  it("deletes dependents first, then the group; a second teardown deletes nothing", async () => {
    const h = harness();
    await apply(h.options);
    h.arm.events.length = 0;
    const result = await teardown(h.options);
    expect(result.left).toEqual([]);
    expect(result.deleted).toHaveLength(11); // all but the containers, which go with their account
    expect(h.arm.store.size).toBe(0);
    const deleted = (type: string, phase: "start" | "end") => h.arm.events.find((e) => e.verb === "delete" && e.phase === phase && e.type === type)?.at ?? NaN;
    const order: [string, string][] = [
      ["microsoft.devtestlab/schedules", "microsoft.compute/virtualmachines"],
      ["microsoft.compute/virtualmachines", "microsoft.network/networkinterfaces"],
      ["microsoft.network/networkinterfaces", "microsoft.network/publicipaddresses"],
      ["microsoft.network/networkinterfaces", "microsoft.network/virtualnetworks"],
      ["microsoft.network/networkinterfaces", "microsoft.network/networksecuritygroups"],
      ["microsoft.authorization/roleassignments", "microsoft.containerservice/managedclusters"],
      ["microsoft.authorization/roleassignments", "microsoft.containerregistry/registries"],
      ["microsoft.storage/storageaccounts", "microsoft.resources/resourcegroups"],
      ["microsoft.containerservice/managedclusters", "microsoft.resources/resourcegroups"],
    ];
    for (const [first, then] of order) expect(deleted(then, "start"), `${first} before ${then}`).toBeGreaterThan(deleted(first, "end"));
    // Independent deletes overlapped (the cluster, the storage account, the schedule start together).
    expect(h.arm.maxOpenWrites).toBeGreaterThanOrEqual(3);

    const writes = h.arm.writes().length;
    const again = await teardown(h.options);
    expect(again.deleted).toEqual([]);
    expect(again.entries.filter((e) => e.outcome !== "with-parent").every((e) => e.outcome === "absent")).toBe(true);
    expect(h.arm.writes().length).toBe(writes);
  });

  it("leaves what it did not tag, and the group while it holds anything else, and says so", async () => {
    const h = harness({ aks: false });
    // The user's own group, with a VM of theirs and a NIC named like ours but untagged.
    h.arm.seed(RG, { location: "eastus", tags: { owner: "someone" } });
    h.arm.seed(`${RG}/providers/Microsoft.Compute/virtualMachines/their-vm`, { location: "eastus", tags: {} });
    await apply({ ...h.options, dsvm: false });
    h.arm.seed(`${RG}/providers/Microsoft.Network/networkInterfaces/cai-test-dsvm-nic`, { location: "eastus", tags: { "managed-by": "someone-else" } });
    const result = await teardown(h.options);
    expect(result.deleted.sort()).toEqual(["registry", "storage"]);
    const left = Object.fromEntries(result.left.map((e) => [e.key, e.reason]));
    expect(left.nic).toMatch(/not tagged by custom-ai/);
    // apply tagged the group (keeping the user's tag), but the group still holds the user's VM.
    expect(left.resourceGroup).toMatch(/Microsoft\.Compute\/virtualMachines\/their-vm/);
    expect(h.arm.find("Microsoft.Resources/resourceGroups", "rg-test")!.tags).toMatchObject({ owner: "someone", "managed-by": "custom-ai" });
    expect(h.arm.find("Microsoft.Compute/virtualMachines", "their-vm")).toBeDefined();
    expect(h.arm.find("Microsoft.Network/networkInterfaces", "cai-test-dsvm-nic")).toBeDefined();
  });

  it("deletes the DSVM and the cluster even when the options leave them out", async () => {
    const h = harness();
    await apply(h.options);
    const result = await teardown({ ...h.options, dsvm: false, aks: false });
    expect(result.deleted).toContain("vm");
    expect(result.deleted).toContain("aks");
    expect(h.arm.store.size).toBe(0);
  });
});
