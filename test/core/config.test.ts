import { describe, expect, it } from "vitest";
import { CustomAiError, isCustomAiError, loadConfig } from "../../lib/core/index.js";

const SUB = "00000000-0000-0000-0000-000000000001";

function configError(env: NodeJS.ProcessEnv): CustomAiError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(isCustomAiError(error)).toBe(true);
    return error as CustomAiError;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  it("defaults to local with no variables", () => {
    const config = loadConfig({});
    expect(config.target).toBe("local");
    expect(config.subscriptionId).toBeUndefined();
    expect(config.reasons.join(" ")).toMatch(/neither CUSTOM_AI_TARGET nor AZURE_SUBSCRIPTION_ID/);
  });

  it("chooses azure when a subscription is set", () => {
    const config = loadConfig({ AZURE_SUBSCRIPTION_ID: SUB, AZURE_RESOURCE_GROUP: "rg-ai", AZURE_LOCATION: "westeurope" });
    expect(config).toMatchObject({ target: "azure", subscriptionId: SUB, resourceGroup: "rg-ai", location: "westeurope" });
    expect(config.reasons[0]).toMatch(/AZURE_SUBSCRIPTION_ID is set/);
  });

  it("lets CUSTOM_AI_TARGET=local win over a subscription", () => {
    const config = loadConfig({ CUSTOM_AI_TARGET: "local", AZURE_SUBSCRIPTION_ID: SUB });
    expect(config.target).toBe("local");
    expect(config.subscriptionId).toBe(SUB);
    expect(config.reasons.join(" ")).toMatch(/ignored while the target is local/);
  });

  it("accepts an explicit azure target with any case and spaces", () => {
    expect(loadConfig({ CUSTOM_AI_TARGET: " Azure ", AZURE_SUBSCRIPTION_ID: SUB }).target).toBe("azure");
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ CUSTOM_AI_TARGET: "", AZURE_SUBSCRIPTION_ID: "  " }).target).toBe("local");
  });

  it("rejects an unknown target, naming the variable and the allowed values", () => {
    const error = configError({ CUSTOM_AI_TARGET: "cloud" });
    expect(error).toBeInstanceOf(CustomAiError);
    expect(error.code).toBe("BAD_CONFIG");
    expect(error.message).toContain("CUSTOM_AI_TARGET");
    expect(error.message).toContain("local | azure");
    expect(error.message).toContain('"cloud"');
  });

  it("rejects target azure without a subscription and says how to get one", () => {
    const error = configError({ CUSTOM_AI_TARGET: "azure" });
    expect(error.code).toBe("BAD_CONFIG");
    expect(error.message).toContain("AZURE_SUBSCRIPTION_ID");
    expect(error.message).toContain("az account show");
  });

  it("reads process.env by default", () => {
    expect(["local", "azure"]).toContain(loadConfig().target);
  });
});
