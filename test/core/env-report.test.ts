import { mkdtemp, writeFile, chmod, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { environmentReport, environmentReportRows } from "../../lib/core/index.js";

const SECRETS = {
  AZURE_CLIENT_SECRET: "supersecret",
  AZURE_CLIENT_ID: "client-id-0123456789",
  AZURE_TENANT_ID: "tenant-id-0123456789",
  AZURE_SUBSCRIPTION_ID: "subscription-id-0123456789",
  AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token",
};

let binDir: string;

beforeAll(async () => {
  // A fake `az` on PATH: found by looking at files, never run.
  binDir = await mkdtemp(path.join(os.tmpdir(), "custom-ai-bin-"));
  await writeFile(path.join(binDir, "az"), "#!/bin/sh\nexit 99\n");
  await chmod(path.join(binDir, "az"), 0o755);
});

afterAll(async () => {
  await rm(binDir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("environmentReport", () => {
  it("describes the machine", async () => {
    const report = await environmentReport({ env: {} });
    expect(report.node.major).toBe(Number(process.versions.node.split(".")[0]));
    expect(report.cpus).toBeGreaterThan(0);
    expect(report.totalMemoryGiB).toBeGreaterThan(0);
    expect(report.packages.tslab).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.packages.tfjs).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.target).toBe("local");
    expect(report.azure.credentialsFound).toBe(false);
    expect(report.azure.subscriptionId).toBe("not set");
  });

  it("never contains a secret or identifier value, only presence", async () => {
    for (const [name, value] of Object.entries(SECRETS)) vi.stubEnv(name, value);
    vi.stubEnv("PATH", `${binDir}${path.delimiter}${process.env.PATH ?? ""}`);
    const report = await environmentReport();
    const json = JSON.stringify(report) + JSON.stringify(environmentReportRows(report));
    for (const value of Object.values(SECRETS)) expect(json).not.toContain(value);
    expect(json).not.toContain("supersecret");

    const byName = Object.fromEntries(report.azure.sources.map((s) => [s.source, s]));
    expect(byName["service principal, secret (environment)"].status).toBe("found");
    expect(byName["workload identity (AKS federated token)"].status).toBe("found");
    expect(byName["service principal, certificate (environment)"].status).toBe("partial");
    expect(byName["Azure CLI"].status).not.toBe("absent");
    expect(byName["managed identity"].detail).toMatch(/not probed/);
    expect(report.azure.credentialsFound).toBe(true);
    expect(report.azure.subscriptionId).toBe("set");
    expect(report.target).toBe("azure");
  });

  it("reports a partial service principal with the missing variable named", async () => {
    const report = await environmentReport({ env: { AZURE_CLIENT_ID: "x", AZURE_CLIENT_SECRET: "y", PATH: "" } });
    const secret = report.azure.sources.find((s) => s.source.startsWith("service principal, secret"));
    expect(secret).toMatchObject({ status: "partial" });
    expect(secret?.detail).toContain("missing AZURE_TENANT_ID");
    expect(report.azure.sources.find((s) => s.source === "Azure CLI")?.status).toBe("absent");
    expect(report.azure.credentialsFound).toBe(false);
  });

  it("reports a bad target instead of throwing", async () => {
    const report = await environmentReport({ env: { CUSTOM_AI_TARGET: "mars" } });
    expect(report.target).toBe("invalid");
    expect(report.targetReasons[0]).toContain("CUSTOM_AI_TARGET");
  });

  it("flattens to table rows", async () => {
    const rows = environmentReportRows(await environmentReport({ env: {} }));
    expect(rows.map((r) => r.item)).toEqual(expect.arrayContaining(["Node.js", "tslab", "target", "credential: Azure CLI"]));
    for (const row of rows) expect(typeof row.value).toBe("string");
  });
});
