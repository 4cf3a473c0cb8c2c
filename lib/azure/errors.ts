// AzureError and the translation of what the Azure SDK throws (RestError, a failed long-running
// operation, an AggregateAuthenticationError) into a message that says what to do.
import { CustomAiError, type ErrorCodesOf } from "../core/index.js";

export type AzureErrorCode = ErrorCodesOf<"AzureError">;

export interface AzureErrorDetails {
  /** Azure's own error code (`QuotaExceeded`, `AuthorizationFailed`, ...), when it sent one. */
  azureCode?: string;
  /** The HTTP status of the refused request, when there was one. */
  statusCode?: number;
  /** The resource (toolkit key, e.g. `vm`) the failing operation was about. */
  resource?: string;
}

/** An error from provisioning on Azure (lib/azure). */
export class AzureError extends CustomAiError<AzureErrorCode> {
  readonly azureCode?: string;
  readonly statusCode?: number;
  readonly resource?: string;

  constructor(code: AzureErrorCode, message: string, options: { hint?: string; cause?: unknown } & AzureErrorDetails = {}) {
    super(code, message, options);
    if (options.azureCode !== undefined) this.azureCode = options.azureCode;
    if (options.statusCode !== undefined) this.statusCode = options.statusCode;
    if (options.resource !== undefined) this.resource = options.resource;
  }
}

/** Where to ask for more vCPU quota. */
export const QUOTA_PORTAL_URL = "https://portal.azure.com/#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas";

/** The built-in roles the toolkit's operations need, by the resource provider action that was refused. */
function missingRole(action: string | undefined): string {
  if (action && /Microsoft\.Authorization\/roleAssignments\/write/i.test(action)) {
    return "Owner, User Access Administrator or Role Based Access Control Administrator (to grant AcrPull to the cluster)";
  }
  if (action && /\/read$/i.test(action)) return "Reader (or Contributor)";
  return "Contributor";
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: unknown;
  errors?: unknown[];
}

const LRO_FAILED = /^The long-running operation has failed\.\s*([^.\s]+)?\.?\s*([\s\S]*)$/;

/**
 * Turns what an Azure SDK call threw into an AzureError that says what to do; an AzureError or an
 * abort passes through (an abort as AzureError ABORTED). `what` names the operation ("create vm").
 */
export function translateAzureError(error: unknown, what: string, resource?: string): AzureError {
  if (error instanceof AzureError) return error;
  const e = (error ?? {}) as SdkError;
  if (e.name === "AbortError") {
    return new AzureError("ABORTED", `${what}: stopped by its AbortSignal. What finished is kept; apply again to go on.`, { cause: error, ...(resource ? { resource } : {}) });
  }
  if (e.name === "AggregateAuthenticationError" || e.name === "CredentialUnavailableError" || e.name === "AuthenticationRequiredError") {
    return noCredentialError(error);
  }
  const base = resource ? { resource } : {};
  const lro = typeof e.message === "string" && e.statusCode === undefined ? LRO_FAILED.exec(e.message) : null;
  const azureCode = lro ? lro[1] : e.code;
  const azureMessage = lro ? lro[2]!.trim() : (e.message ?? String(error));
  const statusCode = e.statusCode;
  const details: AzureErrorDetails = { ...base, ...(azureCode ? { azureCode } : {}), ...(statusCode !== undefined ? { statusCode } : {}) };
  const said = `Azure said: ${azureCode ? `${azureCode}: ` : ""}${azureMessage}`;

  const quota = (azureCode !== undefined && /QuotaExceeded|InsufficientVCPUQuota/i.test(azureCode)) || (azureCode === "OperationNotAllowed" && /quota/i.test(azureMessage));
  if (quota) {
    return new AzureError("AZURE_QUOTA", `${what}: not enough quota. ${said}`, {
      ...details,
      cause: error,
      hint: `Request more vCPU quota for the family and region Azure names: Azure portal → Quotas → Compute (${QUOTA_PORTAL_URL}), or \`az quota create\`; or choose a smaller size or another region.`,
    });
  }
  if (azureCode && /SkuNotAvailable|ZonalAllocationFailed|AllocationFailed|InvalidVMSize|VMSizeNotSupported/i.test(azureCode)) {
    return new AzureError("AZURE_SIZE_UNAVAILABLE", `${what}: the size is not available. ${said}`, { ...details, cause: error, hint: "Choose another size or region; `custom-ai azure plan` checks the sizes the region offers." });
  }
  if (statusCode === 403 || (azureCode && /AuthorizationFailed|LinkedAuthorizationFailed|Forbidden/i.test(azureCode))) {
    const action = /action '([^']+)'/i.exec(azureMessage)?.[1];
    const scope = /scope '([^']+)'/i.exec(azureMessage)?.[1];
    const role = missingRole(action);
    return new AzureError("AZURE_FORBIDDEN", `${what}: not authorized${action ? ` to ${action}` : ""}${scope ? ` at ${scope}` : ""}; the role that grants it: ${role}. ${said}`, {
      ...details,
      cause: error,
      hint: `Ask an Owner of the subscription to grant you ${role}${scope ? ` on ${scope}` : ""} (\`az role assignment create --assignee <you> --role "${role.split(/[ ,(]/)[0]}" --scope <scope>\`), then run it again.`,
    });
  }
  if (statusCode === 429) {
    return new AzureError("AZURE_THROTTLED", `${what}: Azure kept throttling the requests (429 after the retries). ${said}`, { ...details, cause: error });
  }
  if (lro) {
    return new AzureError("AZURE_OPERATION_FAILED", `${what}: the operation failed on Azure. ${said}`, { ...details, cause: error });
  }
  return new AzureError("AZURE_REQUEST_FAILED", `${what}: ${statusCode !== undefined ? `HTTP ${statusCode}. ` : ""}${said}`, { ...details, cause: error });
}

/** The tried-and-what-to-do message when no credential gives a token. */
export function noCredentialError(cause: unknown): AzureError {
  const inner = (cause as SdkError | undefined)?.errors;
  const tried = Array.isArray(inner) && inner.length > 0
    ? inner.map((x) => `  - ${String((x as SdkError).message ?? x).split("\n")[0]}`).join("\n")
    : `  - ${String((cause as SdkError | undefined)?.message ?? cause).split("\n")[0]}`;
  return new AzureError(
    "AZURE_NO_CREDENTIAL",
    "No Azure credential worked. DefaultAzureCredential tried, in order: environment variables (AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload identity, managed identity, Visual Studio Code, the Azure CLI, Azure PowerShell and the Azure Developer CLI; each said:\n" + tried,
    {
      cause,
      hint: "Log in with `az login` (and `az account set -s <subscription>`), or `azd auth login`; or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal; or run on an Azure VM with a managed identity.",
    },
  );
}
