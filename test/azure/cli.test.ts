// `custom-ai azure ...`: the real command parser and lib/azure against the fake ARM in process
// (runCli with the command given the fake's HTTP client and a credential: a seam for tests and
// embedders, not an environment variable a user could trip over), and the real binary for what
// needs no Azure at all (an offline plan, a missing subscription).
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { azureCommand } from "../../lib/cli/azure.js";
import { runCli } from "../../lib/cli/main.js";
import { tempDir } from "../support/temp.js";
import { FakeArm } from "./fake-arm/index.js";
import { fakeCredential, SSH_KEY, SUBSCRIPTION } from "./helpers.js";

const root = path.resolve(import.meta.dirname, "../..");

async function cli(arm: FakeArm, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const write = process.stderr.write;
  process.stderr.write = ((t: string) => ((err += t), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(["azure", ...args], [(s) => azureCommand(s, { credential: fakeCredential, httpClient: arm.httpClient, pollIntervalMs: 1, env: {} }, (t) => (out += t))]);
    return { code, out, err };
  } finally {
    process.stderr.write = write;
  }
}

const where = ["--subscription", SUBSCRIPTION, "--resource-group", "rg-cli", "--deployment", "cai-cli"];

describe("custom-ai azure (in process, fake ARM)", () => {
  it("plan → apply → apply again → status → teardown", async () => {
    const arm = new FakeArm();
    const dir = tempDir("cai-azure-cli-");
    const key = path.join(dir, "id.pub");
    writeFileSync(key, `${SSH_KEY}\n`);
    const dsvm = ["--caller-ip", "198.51.100.20", "--ssh-key", key, "--repo-url", "https://example.org/x.git"];

    const plan = await cli(arm, ["plan", ...where, ...dsvm]);
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(/12 to create, 0 to update\./);
    expect(plan.out).toMatch(/Total: \d+\.\d{3} USD\/h while running/);

    const kube = path.join(dir, "kubeconfig");
    const applied = await cli(arm, ["apply", ...where, ...dsvm, "--kubeconfig", kube]);
    expect(applied.code).toBe(0);
    expect(applied.err).toMatch(/✓ aks: cai-cli-aks: created/);
    expect(readFileSync(kube, "utf8")).toContain("kind: Config");

    const writes = arm.writes().length;
    const again = await cli(arm, ["apply", ...where, ...dsvm, "--json"]);
    expect(JSON.parse(again.out).changed).toEqual([]);
    expect(arm.writes().length).toBe(writes);

    const status = await cli(arm, ["status", ...where, "--json"]);
    expect(JSON.parse(status.out).resources.every((r: { exists: boolean }) => r.exists)).toBe(true);

    const down = await cli(arm, ["teardown", ...where]);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/Deleted 11 in [\d.]+ s\. Nothing of the deployment is left\./);
    expect(arm.store.size).toBe(0);
  });

  it("an Azure error ends through reportError: message, what to do, exit 1", async () => {
    const arm = new FakeArm();
    arm.usages.find((u) => u.name === "standardNCASv3_T4Family")!.limit = 0;
    const key = path.join(tempDir("cai-azure-cli-"), "id.pub");
    writeFileSync(key, SSH_KEY);
    const r = await cli(arm, ["apply", ...where, "--no-aks", "--caller-ip", "198.51.100.20", "--ssh-key", key, "--repo-url", "https://example.org/x.git"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/custom-ai: Not enough vCPU quota in eastus: .* \[AZURE_QUOTA\]/);
    expect(r.err).toMatch(/What to do: Request at least 4 for standardNCASv3_T4Family/);
  });
});

function bin(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/custom-ai.mjs", ...args], { cwd: root, env }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

describe("custom-ai azure (the binary, no Azure needed)", () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AZURE_") && k !== "CUSTOM_AI_DEPLOYMENT"));
  it("plan --offline needs no subscription and no login, and prints the plan and the cost", async () => {
    const r = await bin(["azure", "plan", "--offline", "--no-dsvm"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("offline: nothing read from Azure");
    expect(r.stdout).toMatch(/6 to create, 0 to update\./);
    expect(r.stdout).toMatch(/Standard_D4s_v5 .* 0\.192/);
  });

  it("plan without a subscription: BAD_CONFIG, exit 1, says how to set it", async () => {
    const r = await bin(["azure", "plan"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No Azure subscription: set AZURE_SUBSCRIPTION_ID .* \[BAD_CONFIG\]/);
  });
});
