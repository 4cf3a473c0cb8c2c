// The resource group, the storage account with its blob containers, and the container registry.
import { deleteIfExists, getOrUndefined } from "./clients.js";
import type { AzureTarget } from "./context.js";
import { isToolkitTagged, toolkitTags, type ResourceNames } from "./names.js";
import { ownTags, type Resource } from "./resource.js";

export function rgId(t: AzureTarget): string {
  return `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}`;
}

export function resourceGroupResource(t: AzureTarget): Resource {
  const tags = toolkitTags(t.deployment);
  return {
    key: "resourceGroup",
    type: "Microsoft.Resources/resourceGroups",
    name: t.resourceGroup,
    id: rgId(t),
    dependsOn: [],
    desired: { location: t.location, tags },
    async read(c) {
      const rg = await getOrUndefined(() => c.resources.resourceGroups.get(t.resourceGroup, c.request));
      if (!rg) return undefined;
      return { state: { location: rg.location, tags: ownTags(rg.tags, tags) }, tags: rg.tags ?? {}, provisioningState: rg.properties?.provisioningState ?? "Succeeded", managed: isToolkitTagged(rg.tags, t.deployment) };
    },
    async put(c) {
      // A group the user made keeps its own tags; ours are added.
      const existing = await getOrUndefined(() => c.resources.resourceGroups.get(t.resourceGroup, c.request));
      await c.resources.resourceGroups.createOrUpdate(t.resourceGroup, { location: existing?.location ?? t.location, tags: { ...(existing?.tags ?? {}), ...tags } }, c.request);
    },
    async remove(c) {
      await deleteIfExists(() => c.resources.resourceGroups.beginDeleteAndWait(t.resourceGroup, c.lro));
    },
  };
}

export function storageResource(t: AzureTarget, names: ResourceNames): Resource {
  const tags = toolkitTags(t.deployment);
  const name = names.storageAccount;
  return {
    key: "storage",
    type: "Microsoft.Storage/storageAccounts",
    name,
    id: `${rgId(t)}/providers/Microsoft.Storage/storageAccounts/${name}`,
    dependsOn: ["resourceGroup"],
    desired: { location: t.location, sku: "Standard_LRS", kind: "StorageV2", allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2", tags },
    async read(c) {
      const a = await getOrUndefined(() => c.storage.storageAccounts.getProperties(t.resourceGroup, name, c.request));
      if (!a) return undefined;
      return {
        state: { location: a.location, sku: a.sku?.name, kind: a.kind, allowBlobPublicAccess: a.allowBlobPublicAccess, minimumTlsVersion: a.minimumTlsVersion, tags: ownTags(a.tags, tags) },
        tags: a.tags ?? {},
        ...(a.provisioningState ? { provisioningState: a.provisioningState } : {}),
        managed: isToolkitTagged(a.tags, t.deployment),
      };
    },
    async put(c) {
      await c.storage.storageAccounts.beginCreateAndWait(
        t.resourceGroup,
        name,
        { location: t.location, sku: { name: "Standard_LRS" }, kind: "StorageV2", allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2", enableHttpsTrafficOnly: true, tags },
        c.lro,
      );
    },
    async remove(c) {
      await deleteIfExists(() => c.storage.storageAccounts.delete(t.resourceGroup, name, c.request));
    },
  };
}

export function containersResource(t: AzureTarget, names: ResourceNames, containers: string[]): Resource {
  const account = names.storageAccount;
  return {
    key: "containers",
    type: "Microsoft.Storage/storageAccounts/blobServices/containers",
    name: containers.join(","),
    id: `${rgId(t)}/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers`,
    dependsOn: ["storage"],
    desired: { containers: [...containers].sort(), publicAccess: "None" },
    async read(c) {
      const found: string[] = [];
      for (const name of containers) {
        const got = await getOrUndefined(() => c.storage.blobContainers.get(t.resourceGroup, account, name, c.request));
        if (got) found.push(name);
      }
      if (found.length === 0) return undefined;
      // Containers carry no tags: they belong to the toolkit's account, and go with it.
      return { state: { containers: found.sort(), publicAccess: "None" }, managed: true };
    },
    async put(c) {
      await Promise.all(containers.map((name) => c.storage.blobContainers.create(t.resourceGroup, account, name, { publicAccess: "None" }, c.request)));
    },
  };
}

export function registryResource(t: AzureTarget, names: ResourceNames): Resource {
  const tags = toolkitTags(t.deployment);
  const name = names.registry;
  return {
    key: "registry",
    type: "Microsoft.ContainerRegistry/registries",
    name,
    id: `${rgId(t)}/providers/Microsoft.ContainerRegistry/registries/${name}`,
    dependsOn: ["resourceGroup"],
    desired: { location: t.location, sku: "Basic", adminUserEnabled: false, tags },
    async read(c) {
      const r = await getOrUndefined(() => c.registry.registries.get(t.resourceGroup, name, c.request));
      if (!r) return undefined;
      return {
        state: { location: r.location, sku: r.sku?.name, adminUserEnabled: r.adminUserEnabled ?? false, tags: ownTags(r.tags, tags) },
        tags: r.tags ?? {},
        ...(r.provisioningState ? { provisioningState: r.provisioningState } : {}),
        managed: isToolkitTagged(r.tags, t.deployment),
      };
    },
    async put(c) {
      await c.registry.registries.beginCreateAndWait(t.resourceGroup, name, { location: t.location, sku: { name: "Basic" }, adminUserEnabled: false, tags }, c.lro);
    },
    async remove(c) {
      await deleteIfExists(() => c.registry.registries.beginDeleteAndWait(t.resourceGroup, name, c.lro));
    },
  };
}
