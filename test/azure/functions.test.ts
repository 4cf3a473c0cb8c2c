// The Functions app's triggers, invoked in process the way the Functions host invokes them: a real
// InvocationContext, the timer payload and the blob payload + trigger metadata the host sends.
// Kubernetes is a recorder of what would be applied (the Job manifests lib/k8s builds).
import { InvocationContext, type Timer } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { blobHandler, configFromSettings, timerHandler, type TriggerDeps } from "../../environments/functions/src/triggers.js";
import type { DeployOptions, Manifest } from "../../lib/k8s/index.js";

const settings = {
  CUSTOM_AI_BATCH_IMAGE: "caitest.azurecr.io/custom-ai-batch:1",
  CUSTOM_AI_MODEL_URL: "https://acct.blob.core.windows.net/models/digits-cnn",
  CUSTOM_AI_INPUT_URL: "https://acct.blob.core.windows.net/data/daily",
  CUSTOM_AI_OUTPUT_URL: "https://acct.blob.core.windows.net/data/scores/",
  CUSTOM_AI_WORKERS: "3",
  KUBECONFIG: "kubeconfig/aks.yaml",
};

function recorder(): TriggerDeps & { calls: { manifests: readonly Manifest[]; options: DeployOptions }[] } {
  const calls: { manifests: readonly Manifest[]; options: DeployOptions }[] = [];
  return {
    calls,
    now: () => new Date("2026-12-04T02:00:07Z"),
    deploy: async (manifests, options) => {
      calls.push({ manifests, options });
      return { applied: manifests.map((m) => ({ kind: m.kind, name: m.metadata?.name ?? "", action: "created" })) } as never;
    },
  };
}

function context(functionName: string, triggerMetadata?: Record<string, unknown>): { ctx: InvocationContext; logs: string[] } {
  const logs: string[] = [];
  const ctx = new InvocationContext({ invocationId: "3f4b2c1a-0000-4000-8000-000000000001", functionName, ...(triggerMetadata ? { triggerMetadata } : {}), logHandler: (level, ...args) => logs.push(`${level}: ${args.join(" ")}`) });
  return { ctx, logs };
}

const jobOf = (manifests: readonly Manifest[]) => manifests.find((m) => m.kind === "Job") as unknown as { metadata: { name: string }; spec: { completions: number; completionMode: string; template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } } };
const envOf = (manifests: readonly Manifest[]) => Object.fromEntries(jobOf(manifests).spec.template.spec.containers[0]!.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));

describe("Functions triggers → batch scoring Job", () => {
  it("timer: an Indexed Job over the input prefix, named after the run's minute, not waited for", async () => {
    const deps = recorder();
    const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "2026-12-03T02:00:00+00:00", next: "2026-12-05T02:00:00+00:00", lastUpdated: "2026-12-04T02:00:00+00:00" } };
    const { ctx, logs } = context("batchScoringTimer");
    const started = await timerHandler(configFromSettings(settings), deps)(timer, ctx);
    expect(started).toMatchObject({ job: "batch-scoring-202612040200", input: settings.CUSTOM_AI_INPUT_URL, output: "https://acct.blob.core.windows.net/data/scores/202612040200" });
    expect(deps.calls).toHaveLength(1);
    expect(deps.calls[0]!.options).toMatchObject({ wait: false, kubeconfig: "kubeconfig/aks.yaml" });
    const job = jobOf(deps.calls[0]!.manifests);
    expect(job.metadata.name).toBe("batch-scoring-202612040200");
    expect(job.spec).toMatchObject({ completions: 3, completionMode: "Indexed" });
    expect(job.spec.template.spec.containers[0]!.image).toBe(settings.CUSTOM_AI_BATCH_IMAGE);
    expect(Object.values(envOf(deps.calls[0]!.manifests))).toEqual(expect.arrayContaining([settings.CUSTOM_AI_MODEL_URL, settings.CUSTOM_AI_INPUT_URL]));
    expect(logs.join("\n")).toMatch(/information: custom-ai: started batch scoring Job batch-scoring-202612040200/);
  });

  it("timer past due: warns, and still scores", async () => {
    const deps = recorder();
    const { ctx, logs } = context("batchScoringTimer");
    await timerHandler(configFromSettings(settings), deps)({ isPastDue: true, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } }, ctx);
    expect(logs[0]).toMatch(/^warning: .*past due/);
    expect(deps.calls).toHaveLength(1);
  });

  it("blob: one Job for the blob that arrived, named after its path (the same blob twice: the same Job)", async () => {
    const deps = recorder();
    const metadata = {
      blobTrigger: "incoming/2026/12/04/part-0007.csv",
      uri: "https://acct.blob.core.windows.net/incoming/2026/12/04/part-0007.csv",
      name: "2026/12/04/part-0007.csv",
      properties: { contentLength: 11, contentType: "text/csv", eTag: '"0x8DD1"', lastModified: "2026-12-04T09:30:00+00:00", blobType: "BlockBlob" },
      metadata: {},
    };
    const body = Buffer.from("a,b\n1,2\n3,4");
    const handler = blobHandler(configFromSettings(settings), deps);
    const first = await handler(body, context("batchScoringBlob", metadata).ctx);
    const again = await handler(body, context("batchScoringBlob", metadata).ctx);
    expect(first.job).toMatch(/^batch-scoring-[0-9a-f]{10}$/);
    expect(again.job).toBe(first.job);
    expect(first).toMatchObject({ input: metadata.uri, output: "https://acct.blob.core.windows.net/data/scores/2026/12/04/part-0007" });
    expect(Object.values(envOf(deps.calls[0]!.manifests))).toContain(metadata.uri);
    const other = await handler(body, context("batchScoringBlob", { ...metadata, blobTrigger: "incoming/other.csv", uri: "https://acct.blob.core.windows.net/incoming/other.csv" }).ctx);
    expect(other.job).not.toBe(first.job);
  });

  it("missing settings or metadata fail the invocation with what to set, before anything is applied", async () => {
    expect(() => configFromSettings({ CUSTOM_AI_BATCH_IMAGE: "x" })).toThrow(/CUSTOM_AI_MODEL_URL, CUSTOM_AI_INPUT_URL, CUSTOM_AI_OUTPUT_URL/);
    expect(() => configFromSettings({ ...settings, CUSTOM_AI_WORKERS: "0" })).toThrow(/CUSTOM_AI_WORKERS must be a whole number/);
    const deps = recorder();
    await expect(blobHandler(configFromSettings(settings), deps)(Buffer.alloc(0), context("batchScoringBlob").ctx)).rejects.toThrow(/no uri/);
    expect(deps.calls).toEqual([]);
  });
});
