// How each resource type answers, as the real resource providers do (from the REST specs'
// examples and the SDKs' recorded sessions): which PUTs and DELETEs are long-running and how they
// are polled, and what the service fills in on a resource it stores.
import { createHash } from "node:crypto";
import type { ParsedId } from "./ids.js";

/** sync: 200/201 with the body. async: 201/200 + Azure-AsyncOperation, body in Creating. location: 202 + Location, no body. */
export type Polling = "sync" | "async" | "location";

export interface Behavior {
  put: Polling;
  delete: Polling;
  /** Fills in what the service adds (ids, identities, addresses...). */
  fill?(body: Json, id: ParsedId): void;
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const guid = (seed: string): string => {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule";

const BEHAVIORS: Record<string, Behavior> = {
  "microsoft.resources/resourcegroups": { put: "sync", delete: "location" },
  "microsoft.storage/storageaccounts": {
    put: "location",
    delete: "sync",
    fill(b, id) {
      b.properties.primaryEndpoints = { blob: `https://${id.name}.blob.core.windows.net/` };
      b.properties.creationTime = new Date().toISOString();
    },
  },
  "microsoft.storage/storageaccounts/blobservices/containers": { put: "sync", delete: "sync" },
  "microsoft.containerregistry/registries": {
    put: "async",
    delete: "async",
    fill(b, id) {
      b.properties.loginServer = `${id.name}.azurecr.io`;
    },
  },
  "microsoft.containerservice/managedclusters": {
    put: "async",
    delete: "async",
    fill(b, id) {
      const nodeGroup = `MC_${id.resourceGroup}_${id.name}_${b.location}`;
      b.identity = { ...(b.identity ?? {}), principalId: guid(`${id.key}/principal`), tenantId: guid("tenant") };
      b.properties.kubernetesVersion ??= "1.33.5";
      b.properties.fqdn = `${b.properties.dnsPrefix}-abc123.hcp.${b.location}.azmk8s.io`;
      b.properties.nodeResourceGroup = nodeGroup;
      b.properties.powerState = { code: "Running" };
      b.properties.identityProfile = {
        kubeletidentity: {
          resourceId: `/subscriptions/${id.subscription}/resourcegroups/${nodeGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${id.name}-agentpool`,
          clientId: guid(`${id.key}/kubelet-client`),
          objectId: guid(`${id.key}/kubelet-object`),
        },
      };
      for (const pool of b.properties.agentPoolProfiles ?? []) {
        // As AKS does: a spot pool gets the spot taint added to the user's.
        if (pool.scaleSetPriority === "Spot" && !(pool.nodeTaints ?? []).includes(SPOT_TAINT)) pool.nodeTaints = [...(pool.nodeTaints ?? []), SPOT_TAINT];
        pool.provisioningState = "Succeeded";
        pool.powerState = { code: "Running" };
        pool.orchestratorVersion = b.properties.kubernetesVersion;
      }
    },
  },
  "microsoft.authorization/roleassignments": {
    put: "sync",
    delete: "sync",
    fill(b, id) {
      b.properties.scope = id.parent;
    },
  },
  "microsoft.network/virtualnetworks": {
    put: "async",
    delete: "location",
    fill(b, id) {
      for (const s of b.properties.subnets ?? []) {
        s.id = `${id.id}/subnets/${s.name}`;
        s.properties = { ...(s.properties ?? {}), provisioningState: "Succeeded" };
      }
    },
  },
  "microsoft.network/networksecuritygroups": { put: "async", delete: "location" },
  "microsoft.network/publicipaddresses": {
    put: "async",
    delete: "location",
    fill(b, id) {
      const h = createHash("sha256").update(id.key).digest();
      b.properties.ipAddress = `20.${h[0]}.${h[1]}.${h[2]}`;
    },
  },
  "microsoft.network/networkinterfaces": { put: "async", delete: "location" },
  "microsoft.compute/virtualmachines": {
    put: "async",
    delete: "async",
    fill(b, id) {
      b.properties.vmId = guid(id.key);
      delete b.properties.osProfile?.customData; // never returned
    },
  },
  "microsoft.devtestlab/schedules": { put: "sync", delete: "sync" },
};

export function behaviorOf(type: string): Behavior {
  return BEHAVIORS[type.toLowerCase()] ?? { put: "sync", delete: "sync" };
}
