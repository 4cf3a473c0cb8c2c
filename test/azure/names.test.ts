// Resource names follow Azure's rules; globally unique ones are stable per subscription + group.
import { describe, expect, it } from "vitest";
import { deterministicGuid, resourceNames, uniqueSuffix } from "../../lib/azure/index.js";

describe("resource names", () => {
  it("storage: 3-24 lowercase letters and digits; registry: 5-50 letters and digits; both stable, and different per subscription or group", () => {
    for (const deployment of ["abc", "custom-ai", "a-very-long-deployment"]) {
      const n = resourceNames(deployment.slice(0, 20), "sub-1", "rg");
      expect(n.storageAccount).toMatch(/^[a-z0-9]{3,24}$/);
      expect(n.registry).toMatch(/^[a-zA-Z0-9]{5,50}$/);
      expect(n.aks.length).toBeLessThanOrEqual(63);
      expect(n.aksDnsPrefix).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$/);
    }
    expect(resourceNames("custom-ai", "sub-1", "rg")).toEqual(resourceNames("custom-ai", "SUB-1", "RG"));
    expect(resourceNames("custom-ai", "sub-1", "rg").storageAccount).not.toBe(resourceNames("custom-ai", "sub-2", "rg").storageAccount);
    expect(resourceNames("custom-ai", "sub-1", "rg").registry).not.toBe(resourceNames("custom-ai", "sub-1", "rg2").registry);
    expect(uniqueSuffix("s", "g")).toMatch(/^[0-9a-f]{8}$/);
  });

  it("refuses deployment names Azure resources could not carry", () => {
    for (const bad of ["ab", "Custom", "1abc", "abc-", "a_b_c", "x".repeat(21)]) expect(() => resourceNames(bad, "s", "g")).toThrow(/Deployment name/);
  });

  it("role assignment names are GUIDs, the same for the same grant", () => {
    const a = deterministicGuid("/scope", "principal", "role");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicGuid("/SCOPE", "principal", "role")).toBe(a);
    expect(deterministicGuid("/scope", "other", "role")).not.toBe(a);
  });
});
