// plan and apply through the real SDK clients against the fake ARM: what is created, in which
// order, how concurrently, with which tags and settings, and that a second apply sends no write.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { apply, GPU_TAINT, MANAGED_BY_TAG, DEPLOYMENT_TAG, plan, type ResourceKey } from "../../lib/azure/index.js";
import { tempDir } from "../support/temp.js";
import { FakeArm, type ArmEvent } from "./fake-arm/index.js";
import { harness, SSH_KEY } from "./helpers.js";

const TYPES: Record<string, ResourceKey> = {
  "microsoft.resources/resourcegroups": "resourceGroup",
  "microsoft.storage/storageaccounts": "storage",
  "microsoft.storage/storageaccounts/blobservices/containers": "containers",
  "microsoft.containerregistry/registries": "registry",
  "microsoft.containerservice/managedclusters": "aks",
  "microsoft.authorization/roleassignments": "acrPull",
  "microsoft.network/virtualnetworks": "vnet",
  "microsoft.network/networksecuritygroups": "nsg",
  "microsoft.network/publicipaddresses": "publicIp",
  "microsoft.network/networkinterfaces": "nic",
  "microsoft.compute/virtualmachines": "vm",
  "microsoft.devtestlab/schedules": "autoShutdown",
};
const at = (events: ArmEvent[], key: ResourceKey, phase: "start" | "end", verb = "put"): number[] =>
  events.filter((e) => TYPES[e.type] === key && e.phase === phase && e.verb === verb).map((e) => e.at);

describe("plan", () => {
  it("on an empty subscription, creates everything and prices it from the dated table", async () => {
    const h = harness();
    const p = await plan(h.options);
    expect(p.resources.map((r) => r.action)).toEqual(Array(12).fill("create"));
    expect(p.upToDate).toBe(false);
    // Only GETs: planning changes nothing.
    expect(h.arm.writes()).toEqual([]);
    expect(p.cost.priceDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(p.cost.source).toContain("prices.azure.com");
    const vm = p.cost.lines.find((l) => l.resource === "vm" && l.item.startsWith("Standard_NC4as_T4_v3"))!;
    expect(vm.unitHourly).toBeGreaterThan(0.1);
    // DSVM + its disk + IP + registry + 1 system node; the GPU pool autoscales from 0.
    const sum = p.cost.lines.reduce((s, l) => s + (l.hourly ?? 0), 0);
    expect(p.cost.hourly).toBeCloseTo(sum, 3);
    expect(p.cost.hourlyAtMax).toBeGreaterThan(p.cost.hourly + 2 * vm.unitHourly! - 0.001);
  });

  it("offline, with no subscription and no credential, still lists the resources and the cost", async () => {
    const p = await plan({ offline: true, env: {}, credential: { getToken: async () => { throw new Error("must not be called"); } }, dsvm: { sshPublicKey: SSH_KEY } });
    expect(p.offline).toBe(true);
    expect(p.resources).toHaveLength(12);
    expect(p.resources.find((r) => r.key === "nsg")!.missing?.[0]).toMatch(/callerIp/);
    expect(p.cost.hourly).toBeGreaterThan(0);
  });
});

describe("apply", () => {
  it("creates dependencies before dependents, independent resources concurrently, everything tagged", async () => {
    const h = harness();
    const result = await apply(h.options);
    expect(new Set(result.changed)).toEqual(new Set(Object.values(TYPES)));
    const ev = h.arm.events;
    // Every dependent's first PUT comes after its dependencies' operations ended.
    const deps: [ResourceKey, ResourceKey[]][] = [
      ["storage", ["resourceGroup"]],
      ["containers", ["storage"]],
      ["acrPull", ["aks", "registry"]],
      ["nic", ["vnet", "nsg", "publicIp"]],
      ["vm", ["nic"]],
      ["autoShutdown", ["vm"]],
    ];
    for (const [key, before] of deps) for (const d of before) expect(Math.min(...at(ev, key, "start")), `${key} after ${d}`).toBeGreaterThan(Math.max(...at(ev, d, "end")));
    // Independent ones overlapped: storage, registry, AKS, VNet, NSG, public IP start before any of them ends.
    const parallel: ResourceKey[] = ["storage", "registry", "aks", "vnet", "nsg", "publicIp"];
    const lastStart = Math.max(...parallel.map((k) => at(ev, k, "start")[0]!));
    const firstEnd = Math.min(...parallel.map((k) => at(ev, k, "end")[0]!));
    expect(lastStart).toBeLessThan(firstEnd);
    expect(h.arm.maxOpenWrites).toBeGreaterThanOrEqual(6);
    // Tags on every resource that takes them.
    for (const { id, body } of h.arm.store.values()) {
      if (/roleAssignments|blobServices/i.test(id.type)) continue;
      expect(body.tags, id.id).toMatchObject({ [MANAGED_BY_TAG]: "custom-ai", [DEPLOYMENT_TAG]: "cai-test" });
    }
    // Long operations reported progress, start and done.
    for (const key of ["aks", "vm"]) expect(h.progress.filter((p) => p.resource === key).map((p) => p.phase)).toEqual(["start", "done"]);
    expect(h.progress[0]).toMatchObject({ resource: "preflight", phase: "start" });
  });

  it("is idempotent: a second apply finds nothing to change and sends no write", async () => {
    const h = harness();
    await apply(h.options);
    const writes = h.arm.writes().length;
    const again = await apply(h.options);
    expect(again.changed).toEqual([]);
    expect(again.plan.upToDate).toBe(true);
    expect(h.arm.writes().length).toBe(writes);
    expect(h.progress.filter((p) => p.phase === "skipped")).toHaveLength(12);
  });

  it("updates only what differs from the options", async () => {
    const h = harness();
    await apply(h.options);
    const writes = h.arm.writes().length;
    const changed = { ...h.options, dsvm: { ...(h.options.dsvm as object), size: "Standard_NC8as_T4_v3", callerIp: "198.51.100.9" } };
    const p = await plan(changed);
    expect(p.resources.filter((r) => r.action !== "none").map((r) => [r.key, r.changes])).toEqual([
      ["nsg", ["rules"]],
      ["vm", ["size"]],
    ]);
    const result = await apply(changed);
    expect(result.changed.sort()).toEqual(["nsg", "vm"]);
    const newWrites = h.arm.writes().slice(writes).map((w) => `${w.method} ${w.path.split("/").pop()}`);
    expect(newWrites.sort()).toEqual(["PATCH cai-test-dsvm", "PUT cai-test-dsvm-nsg"]);
    expect(h.arm.find("Microsoft.Compute/virtualMachines", "cai-test-dsvm")!.properties.hardwareProfile.vmSize).toBe("Standard_NC8as_T4_v3");
  });

  it("builds the DSVM as specified: DSVM image, SSH key only, NSG to the caller's IP, cloud-init, auto-shutdown", async () => {
    const h = harness();
    await apply(h.options);
    const vmPut = h.arm.requests.find((r) => r.method === "PUT" && r.path.endsWith("/virtualMachines/cai-test-dsvm"));
    expect(vmPut).toBeDefined();
    const vm = h.arm.find("Microsoft.Compute/virtualMachines", "cai-test-dsvm")!;
    expect(vm.properties.storageProfile.imageReference).toMatchObject({ publisher: "microsoft-dsvm", offer: "ubuntu-2204", sku: "2204-gen2" });
    expect(vm.properties.osProfile.linuxConfiguration.disablePasswordAuthentication).toBe(true);
    expect(vm.properties.osProfile.adminPassword).toBeUndefined();
    expect(vm.properties.osProfile.linuxConfiguration.ssh.publicKeys[0].keyData).toBe(SSH_KEY);
    const nsg = h.arm.find("Microsoft.Network/networkSecurityGroups", "cai-test-dsvm-nsg")!;
    const rules = nsg.properties.securityRules.map((r: { properties: { destinationPortRange: string; sourceAddressPrefix: string; access: string } }) => r.properties);
    expect(rules.map((r: { destinationPortRange: string }) => r.destinationPortRange).sort()).toEqual(["22", "8000"]);
    for (const r of rules) expect(r).toMatchObject({ sourceAddressPrefix: "203.0.113.7/32", access: "Allow" });
    const schedule = h.arm.find("Microsoft.DevTestLab/schedules", "shutdown-computevm-cai-test-dsvm")!;
    expect(schedule.properties).toMatchObject({ taskType: "ComputeVmShutdownTask", dailyRecurrence: { time: "1900" }, status: "Enabled" });
    expect(schedule.properties.targetResourceId).toBe(vm.id);
  });

  it("sends environments/dsvm/cloud-init.yaml, repo filled in, as the VM's custom data", async () => {
    const h = harness();
    const bodies: string[] = [];
    const send = h.arm.httpClient.sendRequest;
    h.options.httpClient = { sendRequest: (r) => (r.method === "PUT" && r.url.includes("/virtualMachines/") && bodies.push(String(r.body)), send(r)) };
    await apply(h.options);
    const customData = JSON.parse(bodies[0]!).properties.osProfile.customData as string;
    const text = Buffer.from(customData, "base64").toString("utf8");
    const file = readFileSync(path.resolve(import.meta.dirname, "../../environments/dsvm/cloud-init.yaml"), "utf8");
    expect(text).toBe(file.replaceAll("@REPO_URL@", "https://example.org/custom-ai.git").replaceAll("@REPO_REF@", "main"));
  });

  it("builds the cluster: managed identity, Azure RBAC, workload identity, a tainted autoscaled GPU pool, spot with eviction Delete; AcrPull to the kubelet identity; kubeconfig written", async () => {
    const dir = tempDir("cai-azure-");
    const h = harness({ aks: { spot: true, gpuMaxCount: 3 }, kubeconfigPath: path.join(dir, "kube", "config") });
    const result = await apply(h.options);
    const aks = h.arm.find("Microsoft.ContainerService/managedClusters", "cai-test-aks")!;
    expect(aks.identity.type).toBe("SystemAssigned");
    expect(aks.properties.aadProfile).toMatchObject({ managed: true, enableAzureRBAC: true }); // the wire name
    expect(aks.properties.securityProfile.workloadIdentity.enabled).toBe(true);
    expect(aks.properties.oidcIssuerProfile.enabled).toBe(true);
    const gpu = aks.properties.agentPoolProfiles.find((p: { name: string }) => p.name === "gpu");
    expect(gpu).toMatchObject({ mode: "User", vmSize: "Standard_NC4as_T4_v3", enableAutoScaling: true, minCount: 0, maxCount: 3, scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete" });
    expect(gpu.nodeTaints).toContain(GPU_TAINT);
    expect(aks.properties.agentPoolProfiles.find((p: { name: string }) => p.name === "system")).toMatchObject({ mode: "System", count: 1 });
    const grant = [...h.arm.store.values()].find(({ id }) => id.type === "Microsoft.Authorization/roleAssignments")!;
    expect(grant.id.parent).toBe(h.arm.find("Microsoft.ContainerRegistry/registries", result.plan.resources.find((r) => r.key === "registry")!.name)!.id);
    expect(grant.body.properties.principalId).toBe(aks.properties.identityProfile.kubeletidentity.objectId);
    expect(grant.body.properties.roleDefinitionId).toMatch(/\/roleDefinitions\/7f951dda-4ed3-4680-a7ca-43fe172d538d$/);
    expect(result.kubeconfigPath).toBe(path.join(dir, "kube", "config"));
    expect(readFileSync(result.kubeconfigPath!, "utf8")).toContain(`server: https://${aks.properties.fqdn}:443`);
    // AKS's own spot taint on the pool is not a difference: a second apply sends nothing.
    const writes = h.arm.writes().length;
    expect((await apply(h.options)).changed).toEqual([]);
    expect(h.arm.writes().length).toBe(writes);
  });

  it("leaves out the DSVM or the cluster on request", async () => {
    const h = harness({ dsvm: false, aks: false });
    const result = await apply(h.options);
    expect(result.changed.sort()).toEqual(["containers", "registry", "resourceGroup", "storage"]);
    // No compute: no size or quota lookups either.
    expect(h.arm.requests.some((r) => /\/skus|\/usages/.test(r.path))).toBe(false);
  });

  it("stops at its AbortSignal: what started finishes, nothing new starts, ABORTED", async () => {
    const controller = new AbortController();
    const h = harness({ abortSignal: controller.signal, onProgress: (p) => { if (p.resource === "resourceGroup" && p.phase === "done") controller.abort(); } });
    const error = await apply(h.options).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AzureError", code: "ABORTED" });
    const puts = h.arm.writes().map((w) => w.path.split("/").slice(-2, -1)[0]);
    expect(puts.map((p) => p!.toLowerCase())).toEqual(["resourcegroups"]);
    // Apply again without the signal: it goes on from there.
    const result = await apply({ ...h.options, abortSignal: undefined, onProgress: () => {} });
    expect(result.changed).not.toContain("resourceGroup");
    expect(result.changed).toHaveLength(11);
  });
});

describe("another cloud", () => {
  it("endpoint: every request and the token's scope go to that cloud's Resource Manager", async () => {
    const endpoint = "https://management.usgovcloudapi.net";
    const arm = new FakeArm(endpoint);
    const scopes: string[] = [];
    const credential = { getToken: async (s: string | string[]) => (scopes.push(...[s].flat()), { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const h = harness({ endpoint, credential, httpClient: arm.httpClient, location: "usgovvirginia", dsvm: false, aks: false });
    await apply(h.options);
    expect([...new Set(arm.requests.map((r) => `${r.method} ${new URL(r.url).origin}${r.path.split("/").slice(0, 6).join("/")}`))].filter((x) => !x.includes(endpoint))).toEqual([]);
    expect(new Set(scopes)).toEqual(new Set([`${endpoint}/.default`]));
    expect(arm.find("Microsoft.Storage/storageAccounts", [...arm.store.values()].find((x) => x.id.type === "Microsoft.Storage/storageAccounts")!.id.name)!.location).toBe("usgovvirginia");
  });
});
