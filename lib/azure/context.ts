// Where and as whom the toolkit provisions: subscription, region, resource group and deployment
// name from options or the environment, a credential, and the SDK clients built from them.
import type { ComputeManagementClient } from "@azure/arm-compute";
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { AzureError, noCredentialError } from "./errors.js";
import { validateDeployment } from "./names.js";

/** The SDK clients' HTTP client type (@azure/core-rest-pipeline's HttpClient; not a direct dependency). */
export type HttpClient = NonNullable<NonNullable<ConstructorParameters<typeof ComputeManagementClient>[2]>["httpClient"]>;

/** The standard ARM endpoint; a sovereign cloud or Azure Stack has its own (`endpoint`). */
export const PUBLIC_ARM_ENDPOINT = "https://management.azure.com";

/** The environment variables read when the option is not given. */
export const AZURE_ENV = {
  subscriptionId: "AZURE_SUBSCRIPTION_ID",
  location: "AZURE_LOCATION",
  resourceGroup: "AZURE_RESOURCE_GROUP",
  deployment: "CUSTOM_AI_DEPLOYMENT",
} as const;

export const DEFAULT_LOCATION = "eastus";
export const DEFAULT_DEPLOYMENT = "custom-ai";

export interface AzureProgress {
  /** The resource's key in the plan (`vm`, `aks`, ...), or `preflight` / `devicePlugin`. */
  resource: string;
  phase: "start" | "done" | "skipped" | "failed";
  /** What is happening, in words. */
  message: string;
  /** Milliseconds since the operation started (on `done` / `failed`). */
  elapsedMs?: number;
}

export interface AzureOptions {
  /** Default: AZURE_SUBSCRIPTION_ID. Required. */
  subscriptionId?: string;
  /** Default: AZURE_LOCATION, else eastus. */
  location?: string;
  /** Default: AZURE_RESOURCE_GROUP, else `<deployment>-rg`. */
  resourceGroup?: string;
  /** The deployment's name: resource names start with it, and every resource carries it as a tag. Default: CUSTOM_AI_DEPLOYMENT, else custom-ai. */
  deployment?: string;
  /** Default: DefaultAzureCredential. */
  credential?: TokenCredential;
  /** The ARM endpoint, for a sovereign cloud or Azure Stack. Default: https://management.azure.com. */
  endpoint?: string;
  /** The SDK clients' HTTP client (tests; a proxy). Default: the SDK's. */
  httpClient?: HttpClient;
  /** Milliseconds between polls of a long-running operation. Default: the SDK's (or the service's Retry-After). */
  pollIntervalMs?: number;
  /** How many times the SDK retries a throttled (429) or failed request. Default: the SDK's (3). */
  maxRetries?: number;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  abortSignal?: AbortSignal;
  onProgress?: (progress: AzureProgress) => void;
}

/** The resolved target of an operation. */
export interface AzureTarget {
  subscriptionId: string;
  location: string;
  resourceGroup: string;
  deployment: string;
  credential: TokenCredential;
  endpoint: string;
  /** Options every SDK client is built with. */
  clientOptions: { endpoint: string; httpClient?: HttpClient; retryOptions?: { maxRetries: number }; credentialScopes: string[]; credentials: { scopes: string[] } };
  pollIntervalMs?: number;
  abortSignal?: AbortSignal;
  onProgress: (progress: AzureProgress) => void;
}

/** Reads options and the environment into a target; throws AzureError BAD_CONFIG / BAD_OPTION. Contacts nothing. */
export function resolveTarget(options: AzureOptions = {}): AzureTarget {
  const env = options.env ?? process.env;
  const read = (value: string | undefined, name: string): string | undefined => (value ?? env[name])?.trim() || undefined;
  const subscriptionId = read(options.subscriptionId, AZURE_ENV.subscriptionId);
  if (subscriptionId === undefined) {
    throw new AzureError("BAD_CONFIG", `No Azure subscription: set ${AZURE_ENV.subscriptionId} (\`az account show --query id -o tsv\` prints the current one) or pass subscriptionId.`);
  }
  const deployment = read(options.deployment, AZURE_ENV.deployment) ?? DEFAULT_DEPLOYMENT;
  validateDeployment(deployment);
  const location = (read(options.location, AZURE_ENV.location) ?? DEFAULT_LOCATION).toLowerCase().replaceAll(" ", "");
  const resourceGroup = read(options.resourceGroup, AZURE_ENV.resourceGroup) ?? `${deployment}-rg`;
  if (!/^[-\w.()]{1,90}$/.test(resourceGroup) || resourceGroup.endsWith(".")) {
    throw new AzureError("BAD_OPTION", `Resource group "${resourceGroup}" is not a valid name: 1-90 letters, digits, - _ . ( ), not ending in a period.`);
  }
  const endpoint = (options.endpoint ?? PUBLIC_ARM_ENDPOINT).replace(/\/+$/, "");
  const credential = options.credential ?? new DefaultAzureCredential();
  const target: AzureTarget = {
    subscriptionId,
    location,
    resourceGroup,
    deployment,
    credential,
    endpoint,
    clientOptions: {
      endpoint,
      // Both generations of the SDK clients: credentialScopes (AutoRest), credentials.scopes (TypeSpec).
      credentialScopes: [`${endpoint}/.default`],
      credentials: { scopes: [`${endpoint}/.default`] },
      ...(options.httpClient ? { httpClient: options.httpClient } : {}),
      ...(options.maxRetries !== undefined ? { retryOptions: { maxRetries: options.maxRetries } } : {}),
    },
    onProgress: options.onProgress ?? (() => {}),
  };
  if (options.pollIntervalMs !== undefined) target.pollIntervalMs = options.pollIntervalMs;
  if (options.abortSignal) target.abortSignal = options.abortSignal;
  return target;
}

/**
 * Gets one token for ARM, so that a missing login fails first, with what was tried and how to log
 * in (AzureError AZURE_NO_CREDENTIAL), rather than inside the first SDK call.
 */
export async function checkCredential(target: AzureTarget): Promise<void> {
  try {
    const token = await target.credential.getToken(target.clientOptions.credentialScopes, target.abortSignal ? { abortSignal: target.abortSignal } : {});
    if (!token) throw new Error("the credential returned no token");
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw new AzureError("ABORTED", "Stopped by its AbortSignal while getting an Azure token.", { cause: e });
    throw noCredentialError(e);
  }
}
