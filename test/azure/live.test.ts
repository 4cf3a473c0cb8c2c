// The same code against a real subscription: plan → apply → apply again (no change) → status →
// kubeconfig → teardown. Skipped unless AZURE_SUBSCRIPTION_ID is set (and a login works:
// `az login`, a service principal's variables, or a managed identity). It creates a resource
// group of its own (custom-ai-live-<random>-rg) and deletes it in afterAll even when a step fails.
// Cost and time: README "Provision Azure" (about 25-40 min, well under 1 USD without the DSVM).
// Knobs: AZURE_LOCATION; CUSTOM_AI_LIVE_DSVM=1 adds the GPU DSVM (needs GPU quota; then
// CUSTOM_AI_LIVE_CALLER_IP and an SSH key in ~/.ssh); CUSTOM_AI_LIVE_GPU_SIZE for the GPU pool.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { apply, formatTeardown, plan, status, teardown, type ApplyOptions } from "../../lib/azure/index.js";
import { tempDir } from "../support/temp.js";

const subscription = process.env.AZURE_SUBSCRIPTION_ID;
const deployment = `cai-live-${randomBytes(3).toString("hex")}`;
const options: ApplyOptions = {
  deployment,
  resourceGroup: `${deployment}-rg`,
  dsvm: process.env.CUSTOM_AI_LIVE_DSVM === "1" ? { callerIp: process.env.CUSTOM_AI_LIVE_CALLER_IP ?? "", repoUrl: "https://github.com/example/custom-ai-on-azure.git", repoRef: "main" } : false,
  aks: { gpuMinCount: 0, gpuMaxCount: 1, ...(process.env.CUSTOM_AI_LIVE_GPU_SIZE ? { gpuVmSize: process.env.CUSTOM_AI_LIVE_GPU_SIZE } : {}) },
  onProgress: (p) => console.log(`[live] ${p.phase} ${p.resource}: ${p.message}`),
};
const MINUTE = 60_000;

describe.skipIf(!subscription)("live Azure (skipped: AZURE_SUBSCRIPTION_ID is not set)", () => {
  let applied = false;
  afterAll(async () => {
    if (!applied) return;
    const t = await teardown(options).catch((e: unknown) => {
      console.error(`[live] TEARDOWN FAILED: delete the resource group ${options.resourceGroup} by hand (az group delete -n ${options.resourceGroup}).`, e);
      throw e;
    });
    console.log(formatTeardown(t));
  }, 60 * MINUTE);

  it("plan → apply → apply again → status → kubeconfig → teardown", async () => {
    const p = await plan(options);
    expect(p.resources.every((r) => r.action === "create")).toBe(true);
    applied = true; // from here on, afterAll cleans up whatever got created
    const kubeconfigPath = path.join(tempDir("cai-live-"), "kubeconfig");
    const first = await apply({ ...options, kubeconfigPath });
    expect(first.changed.length).toBe(p.resources.length);
    expect(first.kubeconfigPath).toBe(kubeconfigPath);
    const second = await apply(options);
    expect(second.changed).toEqual([]);
    const s = await status(options);
    const wanted = new Set(p.resources.map((r) => r.key));
    for (const r of s.resources.filter((x) => wanted.has(x.key))) expect([r.key, r.exists, r.managed]).toEqual([r.key, true, true]);
    const t = await teardown(options);
    applied = false;
    expect(t.left).toEqual([]);
    expect(t.deleted).toContain("resourceGroup");
  }, 90 * MINUTE);
});
