// Every error a user meets while provisioning, injected into the fake ARM and seen through the
// real SDK clients, comes out as an AzureError that says what to do.
import { execFileSync } from "node:child_process";
import { AggregateAuthenticationError, CredentialUnavailableError, DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { apply, AzureError, plan, QUOTA_PORTAL_URL, type ApplyOptions } from "../../lib/azure/index.js";
import { isCustomAiError } from "../../lib/core/index.js";
import { harness } from "./helpers.js";

async function failure(options: ApplyOptions, run: (o: ApplyOptions) => Promise<unknown> = apply): Promise<AzureError> {
  const error = await run(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AzureError);
  expect(isCustomAiError(error)).toBe(true);
  return error as AzureError;
}

describe("quota and sizes, checked before anything is created", () => {
  it("quota too small: AZURE_QUOTA with the family, the numbers and where to ask, and no write sent", async () => {
    const h = harness({ aks: false });
    h.arm.usages.find((u) => u.name === "standardNCASv3_T4Family")!.limit = 2;
    const e = await failure(h.options);
    expect(e.code).toBe("AZURE_QUOTA");
    expect(e.message).toMatch(/standardNCASv3_T4Family\) has 0 of 2 in use, and this deployment needs 4 more/);
    expect(e.hint).toContain(QUOTA_PORTAL_URL);
    expect(e.exitCode).toBe(1);
    expect(h.arm.writes()).toEqual([]);
  });

  it("counts the DSVM and the GPU pool together, and spot pools against the spot quota", async () => {
    const h = harness();
    h.arm.usages.find((u) => u.name === "standardNCASv3_T4Family")!.limit = 6; // 4 (VM) + 4 (one GPU node) > 6
    expect((await failure(h.options)).code).toBe("AZURE_QUOTA");
    const spot = harness({ aks: { spot: true } });
    spot.arm.usages.find((u) => u.name === "standardNCASv3_T4Family")!.limit = 6;
    spot.arm.usages.find((u) => u.name === "lowPriorityCores")!.limit = 2;
    const e = await failure(spot.options);
    expect(e.message).toMatch(/lowPriorityCores/);
  });

  it("a size the region does not offer (restricted for the subscription): AZURE_SIZE_UNAVAILABLE listing the GPU sizes that are", async () => {
    const h = harness({ aks: false, dsvm: { ...(harness().options.dsvm as object), size: "Standard_NC24ads_A100_v4" } });
    const e = await failure(h.options);
    expect(e.code).toBe("AZURE_SIZE_UNAVAILABLE");
    expect(e.message).toContain("Standard_NC24ads_A100_v4 is not offered");
    // Every page of the SKU list was read (nextLink), the restricted size left out.
    expect(e.message).toMatch(/GPU sizes offered there: Standard_NC40ads_H100_v5, Standard_NC4as_T4_v3, Standard_NC8as_T4_v3\./);
    expect(h.arm.requests.filter((r) => r.path.endsWith("/skus")).length).toBe(3);
    expect(h.arm.writes()).toEqual([]);
  });

  it("Azure's own quota refusal at creation time is AZURE_QUOTA too", async () => {
    const h = harness({ dsvm: false });
    h.arm.inject({
      method: "PUT",
      path: "/managedClusters/",
      status: 409,
      code: "OperationNotAllowed",
      message: "Operation could not be completed as it results in exceeding approved standardNCASv3_T4Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: eastus, Current Limit: 0, Current Usage: 0, Additional Required: 4.",
    });
    const e = await failure(h.options);
    expect(e).toMatchObject({ code: "AZURE_QUOTA", azureCode: "OperationNotAllowed", statusCode: 409, resource: "aks" });
    expect(e.hint).toContain(QUOTA_PORTAL_URL);
  });
});

describe("refusals and failures of Azure", () => {
  it("not authorized to grant AcrPull: AZURE_FORBIDDEN naming the action, the scope and the role", async () => {
    const h = harness({ dsvm: false });
    h.arm.inject({
      method: "PUT",
      path: "/roleAssignments/",
      status: 403,
      code: "AuthorizationFailed",
      message:
        "The client 'dev@example.org' with object id '0000' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-test/providers/Microsoft.ContainerRegistry/registries/caitest1eaefea7' or the scope is invalid. If access was recently granted, please refresh your credentials.",
    });
    const e = await failure(h.options);
    expect(e).toMatchObject({ code: "AZURE_FORBIDDEN", statusCode: 403, resource: "acrPull" });
    expect(e.message).toContain("Microsoft.Authorization/roleAssignments/write");
    expect(e.message).toContain("User Access Administrator");
    expect(e.hint).toContain("/registries/caitest1eaefea7");
    // Everything else was created; apply again (with the role) only adds the grant.
    const again = await apply(h.options);
    expect(again.changed).toEqual(["acrPull"]);
  });

  it("a kubelet identity not yet replicated (PrincipalNotFound) is waited for; other refusals of the grant are not retried", async () => {
    const h = harness({ dsvm: false });
    h.arm.inject({ method: "PUT", path: "/roleAssignments/", times: 2, status: 400, code: "PrincipalNotFound", message: "Principal 9ea1 does not exist in the directory 72f9. Check that you have the correct principal ID." });
    await apply(h.options);
    expect(h.arm.requests.filter((r) => r.method === "PUT" && r.path.includes("/roleAssignments/")).map((r) => r.status)).toEqual([400, 400, 201]);
    const other = harness({ dsvm: false });
    other.arm.inject({ method: "PUT", path: "/roleAssignments/", times: 5, status: 400, code: "InvalidRoleDefinitionId", message: "The role definition ID is not valid." });
    expect((await failure(other.options)).azureCode).toBe("InvalidRoleDefinitionId");
    expect(other.arm.requests.filter((r) => r.method === "PUT" && r.path.includes("/roleAssignments/"))).toHaveLength(1);
  });

  it("a long-running operation that ends in Failed: AZURE_OPERATION_FAILED with Azure's code and message; dependents not started", async () => {
    const h = harness({ dsvm: false });
    h.arm.inject({ method: "PUT", path: "/managedClusters/", operationError: { code: "VMExtensionProvisioningError", message: "Unable to establish outbound connection from agents." } });
    const e = await failure(h.options);
    expect(e).toMatchObject({ code: "AZURE_OPERATION_FAILED", azureCode: "VMExtensionProvisioningError", resource: "aks" });
    expect(e.message).toContain("Unable to establish outbound connection from agents.");
    expect(h.arm.writes().some((w) => w.path.includes("roleAssignments"))).toBe(false);
    // The failed cluster shows in the plan as needing an update.
    const p = await plan(h.options);
    expect(p.resources.find((r) => r.key === "aks")).toMatchObject({ action: "update", changes: ["provisioningState"] });
  });

  it("throttled: the SDK retries after the Retry-After the service sent, and apply succeeds", async () => {
    const h = harness({ aks: false });
    h.arm.inject({ method: "PUT", path: "/virtualMachines/", status: 429, code: "TooManyRequests", message: "The request is being throttled.", headers: { "retry-after": "1" } });
    await apply(h.options);
    const vmPuts = h.arm.requests.filter((r) => r.method === "PUT" && r.path.includes("/virtualMachines/"));
    expect(vmPuts.map((r) => r.status)).toEqual([429, 201]);
    expect(vmPuts[1]!.at - vmPuts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("throttled beyond the retries: AZURE_THROTTLED", async () => {
    const h = harness({ aks: false, dsvm: false, maxRetries: 2 });
    h.arm.inject({ method: "PUT", path: "/registries/", times: 10, status: 429, code: "TooManyRequests", message: "The request is being throttled.", headers: { "retry-after-ms": "5" } });
    const e = await failure(h.options);
    expect(e).toMatchObject({ code: "AZURE_THROTTLED", statusCode: 429, resource: "registry" });
    expect(h.arm.requests.filter((r) => r.method === "PUT" && r.path.includes("/registries/")).length).toBe(3);
  });

  it("any other refusal: AZURE_REQUEST_FAILED with the status, Azure's code and message", async () => {
    const h = harness({ aks: false, dsvm: false });
    h.arm.inject({ method: "PUT", path: "/storageAccounts/", status: 409, code: "StorageAccountAlreadyTaken", message: "The storage account named caitest1eaefea7 is already taken." });
    const e = await failure(h.options);
    expect(e).toMatchObject({ code: "AZURE_REQUEST_FAILED", statusCode: 409, azureCode: "StorageAccountAlreadyTaken" });
    expect(e.message).toContain("already taken");
  });
});

describe("before any request", () => {
  it("no credential: AZURE_NO_CREDENTIAL with what each source said and how to log in; nothing sent", async () => {
    const tried = new AggregateAuthenticationError(
      [new CredentialUnavailableError("EnvironmentCredential is unavailable."), new CredentialUnavailableError("Azure CLI could not be found.")],
      "ChainedTokenCredential authentication failed.",
    );
    const h = harness({ credential: { getToken: async () => { throw tried; } } });
    const e = await failure(h.options, plan);
    expect(e.code).toBe("AZURE_NO_CREDENTIAL");
    expect(e.message).toContain("  - EnvironmentCredential is unavailable.");
    expect(e.message).toContain("  - Azure CLI could not be found.");
    expect(e.hint).toContain("az login");
    expect(e.hint).toContain("AZURE_CLIENT_SECRET");
    expect(h.arm.requests).toEqual([]);
  });

  const loginPossible = hasAzureCli() || Boolean(process.env.AZURE_CLIENT_ID || process.env.IDENTITY_ENDPOINT || process.env.MSI_ENDPOINT);
  it.skipIf(loginPossible)("no credential, through the real DefaultAzureCredential (skipped where a login may exist)", async () => {
    const h = harness({ credential: new DefaultAzureCredential() });
    const e = await failure(h.options, plan);
    expect(e.code).toBe("AZURE_NO_CREDENTIAL");
    expect(e.message).toMatch(/EnvironmentCredential/);
    expect(e.message).toMatch(/Azure CLI/);
  });

  it("settings the DSVM needs are missing: BAD_OPTION naming them, no write sent", async () => {
    const h = harness({ dsvm: { sshPublicKey: "ssh-ed25519 AAAA x" } }); // no callerIp, no repoUrl
    const e = await failure(h.options);
    expect(e.code).toBe("BAD_OPTION");
    expect(e.message).toMatch(/nsg: callerIp/);
    expect(e.message).toMatch(/vm: repoUrl/);
    expect(h.arm.writes()).toEqual([]);
  });

  it("no subscription: BAD_CONFIG; a bad deployment name: BAD_OPTION", async () => {
    expect((await failure({ env: {} }, plan)).code).toBe("BAD_CONFIG");
    expect((await failure({ ...harness().options, deployment: "Bad_Name" }, plan)).code).toBe("BAD_OPTION");
    const h = harness({ nvidiaDevicePlugin: true });
    expect((await failure(h.options)).message).toMatch(/nvidiaDevicePlugin needs kubeconfigPath/);
    expect(h.arm.requests).toEqual([]);
  });
});

function hasAzureCli(): boolean {
  try {
    execFileSync("az", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
