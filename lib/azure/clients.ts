// The Azure SDK clients of one target, made on first use, and the two helpers every resource
// uses: a GET that answers undefined for 404, and the options of a long-running operation.
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ComputeManagementClient } from "@azure/arm-compute";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { NetworkManagementClient } from "@azure/arm-network";
import { ResourceManagementClient } from "@azure/arm-resources";
import { StorageManagementClient } from "@azure/arm-storage";
import type { AzureTarget } from "./context.js";

export class AzureClients {
  readonly target: AzureTarget;
  #made = new Map<string, unknown>();

  constructor(target: AzureTarget) {
    this.target = target;
  }

  #client<T>(name: string, make: () => T): T {
    if (!this.#made.has(name)) this.#made.set(name, make());
    return this.#made.get(name) as T;
  }

  get resources(): ResourceManagementClient {
    const t = this.target;
    return this.#client("resources", () => new ResourceManagementClient(t.credential, t.subscriptionId, t.clientOptions));
  }
  get compute(): ComputeManagementClient {
    const t = this.target;
    return this.#client("compute", () => new ComputeManagementClient(t.credential, t.subscriptionId, t.clientOptions));
  }
  get network(): NetworkManagementClient {
    const t = this.target;
    return this.#client("network", () => new NetworkManagementClient(t.credential, t.subscriptionId, t.clientOptions));
  }
  get storage(): StorageManagementClient {
    const t = this.target;
    return this.#client("storage", () => new StorageManagementClient(t.credential, t.subscriptionId, t.clientOptions));
  }
  get registry(): ContainerRegistryManagementClient {
    const t = this.target;
    return this.#client("registry", () => new ContainerRegistryManagementClient(t.credential, t.subscriptionId, t.clientOptions));
  }
  get aks(): ContainerServiceClient {
    const t = this.target;
    return this.#client("aks", () => new ContainerServiceClient(t.credential, t.subscriptionId, t.clientOptions));
  }
  get authorization(): AuthorizationManagementClient {
    const t = this.target;
    return this.#client("authorization", () => new AuthorizationManagementClient(t.credential, t.subscriptionId, t.clientOptions));
  }

  /** Options of a plain request: the abort signal. */
  get request(): { abortSignal?: AbortSignal } {
    return this.target.abortSignal ? { abortSignal: this.target.abortSignal } : {};
  }

  /** Options of a long-running operation: the abort signal and the poll interval. */
  get lro(): { abortSignal?: AbortSignal; updateIntervalInMs?: number } {
    return { ...this.request, ...(this.target.pollIntervalMs !== undefined ? { updateIntervalInMs: this.target.pollIntervalMs } : {}) };
  }
}

/** The result of a GET, or undefined when Azure answers 404 (the resource, or its parent, does not exist). */
export async function getOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** A DELETE that counts 404 (already gone) as done. */
export async function deleteIfExists(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return;
    throw e;
  }
}
