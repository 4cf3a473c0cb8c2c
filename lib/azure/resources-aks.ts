// The AKS cluster (managed identity, Azure RBAC, workload identity; a system pool and an
// autoscaled, tainted GPU user pool) and the AcrPull grant of the registry to its kubelet identity.
import type { ManagedCluster, ManagedClusterAgentPoolProfile } from "@azure/arm-containerservice";
import { deleteIfExists, getOrUndefined, type AzureClients } from "./clients.js";
import type { AzureTarget } from "./context.js";
import { deterministicGuid, isToolkitTagged, MANAGED_BY_VALUE, toolkitTags, type ResourceNames } from "./names.js";
import { rgId } from "./resources-data.js";
import { ownTags, type Resource } from "./resource.js";
import type { AksSettings } from "./settings.js";

/** The taint that keeps everything but GPU workloads off the GPU pool (the k8s manifests tolerate it). */
export const GPU_TAINT = "sku=gpu:NoSchedule";
/** The label on the GPU pool's nodes (the device plugin and GPU workloads select them by it). */
export const GPU_POOL_LABEL = { key: "custom-ai/pool", value: "gpu" } as const;
/** The built-in AcrPull role's id (the same in every subscription). */
export const ACR_PULL_ROLE_ID = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

function pools(s: AksSettings): ManagedClusterAgentPoolProfile[] {
  const gpu: ManagedClusterAgentPoolProfile = {
    name: "gpu",
    mode: "User",
    vmSize: s.gpuVmSize,
    osType: "Linux",
    type: "VirtualMachineScaleSets",
    enableAutoScaling: true,
    minCount: s.gpuMinCount,
    maxCount: s.gpuMaxCount,
    count: s.gpuMinCount,
    nodeTaints: [GPU_TAINT],
    nodeLabels: { [GPU_POOL_LABEL.key]: GPU_POOL_LABEL.value },
  };
  if (s.spot) Object.assign(gpu, { scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1 });
  return [{ name: "system", mode: "System", vmSize: s.systemVmSize, osType: "Linux", type: "VirtualMachineScaleSets", count: s.systemNodeCount }, gpu];
}

/** The compared fields of the pools (the autoscaled pool's current count is the autoscaler's business). */
function poolState(p: ManagedClusterAgentPoolProfile[] | undefined): unknown[] {
  return (p ?? [])
    .map((x) => ({
      name: x.name,
      mode: x.mode,
      vmSize: x.vmSize,
      count: x.enableAutoScaling ? undefined : x.count,
      autoscale: x.enableAutoScaling ? [x.minCount, x.maxCount] : undefined,
      // AKS adds its own taints (kubernetes.azure.com/scalesetpriority=spot:NoSchedule on spot pools): only ours count.
      taints: (x.nodeTaints ?? []).filter((t) => !t.startsWith("kubernetes.azure.com/")),
      priority: x.scaleSetPriority ?? "Regular",
      eviction: x.scaleSetPriority === "Spot" ? x.scaleSetEvictionPolicy : undefined,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function clusterState(m: ManagedCluster, s: AksSettings | undefined, tags: Record<string, string>): Record<string, unknown> {
  const state: Record<string, unknown> = {
    location: m.location,
    identity: m.identity?.type,
    azureRbac: m.aadProfile?.enableAzureRbac ?? false,
    workloadIdentity: m.securityProfile?.workloadIdentity?.enabled ?? false,
    oidcIssuer: m.oidcIssuerProfile?.enabled ?? false,
    pools: poolState(m.agentPoolProfiles),
    tags: ownTags(m.tags, tags),
  };
  if (s?.kubernetesVersion) state.kubernetesVersion = m.kubernetesVersion;
  return state;
}

export function aksResource(t: AzureTarget, names: ResourceNames, s: AksSettings): Resource {
  const tags = toolkitTags(t.deployment);
  const name = names.aks;
  const body: ManagedCluster = {
    location: t.location,
    tags,
    identity: { type: "SystemAssigned" },
    dnsPrefix: names.aksDnsPrefix,
    enableRbac: true,
    aadProfile: { managed: true, enableAzureRbac: true },
    oidcIssuerProfile: { enabled: true },
    securityProfile: { workloadIdentity: { enabled: true } },
    agentPoolProfiles: pools(s),
    ...(s.kubernetesVersion ? { kubernetesVersion: s.kubernetesVersion } : {}),
  };
  return {
    key: "aks",
    type: "Microsoft.ContainerService/managedClusters",
    name,
    id: `${rgId(t)}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    dependsOn: ["resourceGroup"],
    desired: clusterState(body, s, tags),
    compute: [
      { vmSize: s.systemVmSize, count: s.systemNodeCount, maxCount: s.systemNodeCount, spot: false },
      { vmSize: s.gpuVmSize, count: s.gpuMinCount, maxCount: s.gpuMaxCount, spot: s.spot },
    ],
    async read(c) {
      const m = await getOrUndefined(() => c.aks.managedClusters.get(t.resourceGroup, name, c.request));
      if (!m) return undefined;
      return {
        state: clusterState(m, s, tags),
        tags: m.tags ?? {},
        ...(m.provisioningState ? { provisioningState: m.provisioningState } : {}),
        managed: isToolkitTagged(m.tags, t.deployment),
        extra: { powerState: m.powerState?.code ?? "unknown", fqdn: m.fqdn ?? "" },
      };
    },
    async put(c) {
      await c.aks.managedClusters.beginCreateOrUpdateAndWait(t.resourceGroup, name, body, c.lro);
    },
    async remove(c) {
      await deleteIfExists(() => c.aks.managedClusters.beginDeleteAndWait(t.resourceGroup, name, c.lro));
    },
  };
}

async function kubeletObjectId(c: AzureClients, t: AzureTarget, cluster: string): Promise<string | undefined> {
  const m = await getOrUndefined(() => c.aks.managedClusters.get(t.resourceGroup, cluster, c.request));
  return m?.identityProfile?.["kubeletidentity"]?.objectId;
}

export function acrPullResource(t: AzureTarget, names: ResourceNames): Resource {
  const scope = `${rgId(t)}/providers/Microsoft.ContainerRegistry/registries/${names.registry}`;
  const roleDefinitionId = `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL_ROLE_ID}`;
  const description = `${MANAGED_BY_VALUE} deployment ${t.deployment}: AcrPull for ${names.aks}'s kubelet identity`;
  const assignmentName = (principal: string): string => deterministicGuid(scope, principal, ACR_PULL_ROLE_ID);
  return {
    key: "acrPull",
    type: "Microsoft.Authorization/roleAssignments",
    name: "AcrPull → kubelet identity",
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments`,
    dependsOn: ["aks", "registry"],
    desired: { role: ACR_PULL_ROLE_ID, principalType: "ServicePrincipal" },
    async read(c) {
      const principal = await kubeletObjectId(c, t, names.aks);
      if (!principal) return undefined;
      const a = await getOrUndefined(() => c.authorization.roleAssignments.get(scope, assignmentName(principal), c.request));
      if (!a) return undefined;
      return {
        state: { role: a.roleDefinitionId?.split("/").pop(), principalType: a.principalType },
        managed: (a.description ?? "").startsWith(MANAGED_BY_VALUE),
        extra: { principalId: principal },
      };
    },
    async put(c) {
      const principal = await kubeletObjectId(c, t, names.aks);
      if (!principal) throw new Error(`the cluster ${names.aks} has no kubelet identity yet`);
      // A new managed identity takes a while to reach Entra ID's replicas: Azure answers
      // PrincipalNotFound until it has. Retry that (only that) a few times.
      const pause = t.pollIntervalMs ?? 10_000;
      for (let attempt = 1; ; attempt++) {
        try {
          await c.authorization.roleAssignments.create(scope, assignmentName(principal), { roleDefinitionId, principalId: principal, principalType: "ServicePrincipal", description }, c.request);
          return;
        } catch (e) {
          if ((e as { code?: string }).code !== "PrincipalNotFound" || attempt >= PRINCIPAL_RETRIES) throw e;
          await delay(pause * attempt, t.abortSignal);
        }
      }
    },
    async remove(c) {
      const principal = await kubeletObjectId(c, t, names.aks);
      if (!principal) return; // the cluster is gone: Azure removes grants of deleted identities itself
      await deleteIfExists(() => c.authorization.roleAssignments.delete(scope, assignmentName(principal), c.request));
    },
  };
}

/** Attempts of the AcrPull grant while the kubelet identity replicates (10, 20, ... 50 s apart). */
const PRINCIPAL_RETRIES = 6;

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
    const timer = setTimeout(() => (signal?.removeEventListener("abort", onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(timer), reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The cluster's user kubeconfig (listClusterUserCredential), as YAML text. */
export async function clusterUserKubeconfig(c: AzureClients, t: AzureTarget, cluster: string): Promise<string> {
  const result = await c.aks.managedClusters.listClusterUserCredentials(t.resourceGroup, cluster, c.request);
  const value = result.kubeconfigs?.[0]?.value;
  if (!value) throw new Error(`Azure returned no kubeconfig for ${cluster}`);
  return new TextDecoder().decode(value);
}
