// The manifests, without a cluster: what each object says, validated by kubernetes-models, and the
// scoring container's arguments checked against the real `custom-ai serve` command.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../lib/cli/main.js";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Secret, Service } from "kubernetes-models/v1";
import { serveCommand } from "../../lib/cli/serve.js";
import { ENTRYPOINTS } from "../../lib/jobs/index.js";
import {
  API_KEY_ANNOTATION,
  batchJobManifests,
  DEPLOYER_RULES,
  KubernetesError,
  LABELS,
  manifestsToYaml,
  rbacManifests,
  scoringManifests,
  terminationGraceSeconds,
  trainJobManifests,
  type Manifest,
} from "../../lib/k8s/index.js";
import { imageMetadata, tabularMetadata } from "./fixtures.js";
import { modelFolder, runCli } from "./helpers.js";

/** `custom-ai …` in this process, its output captured. */
async function inProcess(argv: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const spies = (["stdout", "stderr"] as const).map((s) =>
    vi.spyOn(process[s], "write").mockImplementation((chunk: any) => ((out[s] += String(chunk)), true)),
  );
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  try {
    return { code: await main(argv), ...out };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
    vi.unstubAllEnvs();
  }
}

const MODELS: Record<string, new (data: any) => { validate(): void }> = { Secret, Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, Job, CronJob };

const byKind = (ms: Manifest[], kind: string) => ms.find((m) => m.kind === kind) as any;
const podSpecOf = (m: any) => (m.kind === "CronJob" ? m.spec.jobTemplate.spec.template.spec : m.spec.template.spec);
const nodes = readFileSync("environments/k8s-local/nodes.yaml", "utf8");

describe("scoringManifests", () => {
  const cpu = scoringManifests({ name: "churn", namespace: "ml", image: "acr.io/scoring:1", metadata: tabularMetadata(), apiKey: "secret-key" });
  const gpu = scoringManifests({ name: "digits", image: "acr.io/scoring-gpu:1", metadata: imageMetadata(), apiKeySecret: "keys" });

  it("makes the API key's Secret, Deployment, Service, autoscaler and disruption budget, all labelled for undeploy", () => {
    expect(cpu.map((m) => m.kind)).toEqual(["Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]);
    for (const m of [...cpu, ...gpu]) {
      expect(m.metadata.labels).toMatchObject({ [LABELS.managedBy]: "custom-ai", [LABELS.name]: "custom-ai-scoring", [LABELS.instance]: m.metadata.name.replace(/-api-key$/, "") });
    }
  });

  it("names a namespace only when given (else deploy and kubectl use the kubeconfig context's)", () => {
    expect(cpu.map((m) => m.metadata.namespace)).toEqual(["ml", "ml", "ml", "ml", "ml"]);
    expect(gpu.every((m) => !("namespace" in m.metadata))).toBe(true);
  });

  it("probes the server's real routes, runs its real command and flags", async () => {
    const c = byKind(cpu, "Deployment").spec.template.spec.containers[0];
    const routes = readFileSync("lib/serve/routes-ops.ts", "utf8");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(routes).toContain(`"GET", "${p.httpGet.path}"`);
    expect(c.command).toEqual([...ENTRYPOINTS.serve]);
    // Every flag the pod passes is one `custom-ai serve` knows (commander leaves unknown ones over).
    const parsed = serveCommand(() => undefined).parseOptions(c.args);
    expect(parsed.unknown).toEqual([]);
    expect(c.args).toEqual(expect.arrayContaining(["--host", "0.0.0.0", "--port", "8080", "--execution-provider", "cpu"]));
    expect(c.env).toEqual([{ name: "SCORING_API_KEY", valueFrom: { secretKeyRef: { name: "churn-api-key", key: "api-key" } } }]);
    expect(byKind(cpu, "Secret").stringData).toEqual({ "api-key": "secret-key" });
  });

  it("rolls out without going below the desired replicas, and gives a stopping pod its drain", () => {
    const d = byKind(cpu, "Deployment");
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    const pause = c.lifecycle.preStop.sleep.seconds;
    const drain = Number(c.args[c.args.indexOf("--request-timeout-ms") + 1]) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBe(terminationGraceSeconds(30_000));
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + drain);
    const slow = scoringManifests({ name: "slow", image: "i", metadata: tabularMetadata(), noAuth: true, requestTimeoutMs: 90_000 });
    expect(byKind(slow, "Deployment").spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(90);
    expect(byKind(slow, "Deployment").spec.template.spec.containers[0].args).toContain("--no-auth");
  });

  it("puts an image model on the GPU pool: nvidia.com/gpu limit, toleration of the pool's taint, node selector", () => {
    const pod = byKind(gpu, "Deployment").spec.template.spec;
    expect(pod.containers[0].resources.limits["nvidia.com/gpu"]).toBe(1);
    expect(pod.containers[0].args).toEqual(expect.arrayContaining(["--execution-provider", "cuda"]));
    // The simulated GPU pool (environments/k8s-local/nodes.yaml) has AKS's label and the usual taint.
    const [key, value] = Object.entries(pod.nodeSelector)[0] as [string, string];
    expect(nodes).toContain(`${key}: ${value}`);
    expect(nodes).toMatch(/- key: nvidia.com\/gpu\n\s+value: present\n\s+effect: NoSchedule/);
    expect(pod.tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    const cpuPod = byKind(cpu, "Deployment").spec.template.spec;
    expect(cpuPod.nodeSelector).toBeUndefined();
    expect(cpuPod.tolerations).toBeUndefined();
    expect(cpuPod.containers[0].resources.limits["nvidia.com/gpu"]).toBeUndefined();
    // --no-gpu and a custom pool
    const forced = scoringManifests({ name: "d", image: "i", metadata: imageMetadata(), noAuth: true, gpu: false });
    expect(byKind(forced, "Deployment").spec.template.spec.nodeSelector).toBeUndefined();
    const pool = scoringManifests({ name: "d", image: "i", metadata: tabularMetadata(), noAuth: true, gpu: { count: 2, nodeSelector: { agentpool: "gpu" } } });
    expect(byKind(pool, "Deployment").spec.template.spec.nodeSelector).toEqual({ agentpool: "gpu" });
    expect(byKind(pool, "Deployment").spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]).toBe(2);
  });

  it("leaves replicas to the autoscaler, or fixes them without one", () => {
    expect(byKind(cpu, "Deployment").spec.replicas).toBeUndefined();
    expect(byKind(cpu, "HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: "Deployment", name: "churn" } });
    const fixed = scoringManifests({ name: "f", image: "i", metadata: tabularMetadata(), noAuth: true, replicas: 3, autoscale: false });
    expect(fixed.map((m) => m.kind)).toEqual(["Deployment", "Service", "PodDisruptionBudget"]);
    expect(byKind(fixed, "Deployment").spec.replicas).toBe(3);
  });

  it("versions the pods by the model's checksum: a new model changes the template, the same one does not", () => {
    const again = scoringManifests({ name: "churn", namespace: "ml", image: "acr.io/scoring:1", metadata: tabularMetadata(), apiKey: "secret-key" });
    const next = scoringManifests({ name: "churn", namespace: "ml", image: "acr.io/scoring:1", metadata: tabularMetadata("v2"), apiKey: "secret-key" });
    expect(byKind(again, "Deployment")).toEqual(byKind(cpu, "Deployment"));
    expect(byKind(next, "Deployment").spec.template.metadata.annotations).not.toEqual(byKind(cpu, "Deployment").spec.template.metadata.annotations);
    expect(byKind(next, "Deployment").spec.selector).toEqual(byKind(cpu, "Deployment").spec.selector);
    // A new API key restarts the pods too (they read the Secret at start), without the key in the spec.
    const rotated = scoringManifests({ name: "churn", namespace: "ml", image: "acr.io/scoring:1", metadata: tabularMetadata(), apiKey: "secret-key-2" });
    const digest = (ms: Manifest[]) => byKind(ms, "Deployment").spec.template.metadata.annotations[API_KEY_ANNOTATION];
    expect(digest(rotated)).toMatch(/^[0-9a-f]{16}$/);
    expect(digest(rotated)).not.toBe(digest(cpu));
    expect(JSON.stringify(byKind(rotated, "Deployment"))).not.toContain("secret-key-2");
  });

  it("refuses what cannot work: no key choice, a bad name, an invalid quantity", () => {
    const bad = (f: () => unknown, re: RegExp) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(KubernetesError);
        expect((e as KubernetesError).code).toBe("BAD_OPTION");
        expect((e as Error).message).toMatch(re);
        return;
      }
      throw new Error("did not throw");
    };
    bad(() => scoringManifests({ name: "a", image: "i", metadata: tabularMetadata() }), /needs an API key/);
    bad(() => scoringManifests({ name: "My_Model", image: "i", metadata: tabularMetadata(), noAuth: true }), /cannot name Kubernetes objects.*"my-model"/);
    bad(() => scoringManifests({ name: "a", image: "i", metadata: tabularMetadata(), noAuth: true, resources: { cpu: "lots" } }), /Deployment a is not valid: .*cpu/);
  });
});

describe("batch and training Indexed Jobs", () => {
  const batch = batchJobManifests({ name: "nightly", image: "acr.io/batch:1", model: "https://a.blob.core.windows.net/m/churn", input: "https://a.blob.core.windows.net/in", output: "https://a.blob.core.windows.net/out", workers: 4, parallelism: 2, storageSecret: "storage" });

  it("is an Indexed Job with per-index retries: evictions ignored, a known failure fails its index", () => {
    expect(batch.map((m) => m.kind)).toEqual(["Job"]);
    const spec = (batch[0] as any).spec;
    expect(spec).toMatchObject({ completionMode: "Indexed", completions: 4, parallelism: 2, backoffLimitPerIndex: 2 });
    expect(spec.podFailurePolicy.rules).toEqual([
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
      { action: "FailIndex", onExitCodes: { containerName: "worker", operator: "In", values: [2] } },
    ]);
    const pod = spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.containers[0].command).toEqual([...ENTRYPOINTS.batchWorker]);
    expect(pod.containers[0].env).toContainEqual({ name: "AZURE_STORAGE_CONNECTION_STRING", valueFrom: { secretKeyRef: { name: "storage", key: "connection-string" } } });
    // Kubernetes sets the index itself.
    expect(pod.containers[0].env.map((e: any) => e.name)).not.toContain("JOB_COMPLETION_INDEX");
  });

  it("goes to the GPU pool for an image model, and becomes a CronJob with a schedule", () => {
    const gpu = batchJobManifests({ name: "imgs", image: "i", metadata: imageMetadata(), model: "m", input: "i", output: "o", schedule: "0 2 * * *", timeZone: "Europe/Paris" });
    expect(gpu[0].kind).toBe("CronJob");
    expect((gpu[0] as any).spec).toMatchObject({ schedule: "0 2 * * *", timeZone: "Europe/Paris", concurrencyPolicy: "Forbid" });
    const pod = podSpecOf(gpu[0]);
    expect(pod.containers[0].resources.limits["nvidia.com/gpu"]).toBe(1);
    expect(pod.containers[0].env).toContainEqual({ name: "CUSTOM_AI_BATCH_EXECUTION_PROVIDER", value: "cuda" });
  });

  it("runs training with every index at once and no retries by default", () => {
    const train = trainJobManifests({ name: "mnist-dp", image: "acr.io/train:1", runId: "r1", storeUrl: "https://a/runs", workers: 3, parallelism: 1 });
    const spec = (train[0] as any).spec;
    expect(spec).toMatchObject({ completionMode: "Indexed", completions: 3, parallelism: 1, backoffLimitPerIndex: 0 });
    expect(spec.template.spec.containers[0].command).toEqual([...ENTRYPOINTS.trainWorker]);
    expect(() => trainJobManifests({ name: "x", image: "i", runId: "bad id!", storeUrl: "s" })).toThrow(/runId/);
  });
});

describe("RBAC and YAML", () => {
  it("grants the deployer only namespaced verbs on the kinds it makes, nothing on RBAC itself", () => {
    const [sa, role, binding] = rbacManifests({ namespace: "ml" }) as any[];
    expect([sa.kind, role.kind, binding.kind]).toEqual(["ServiceAccount", "Role", "RoleBinding"]);
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "custom-ai-deployer", namespace: "ml" }]);
    const resources = role.rules.flatMap((r: any) => r.resources);
    expect(resources).toEqual(expect.arrayContaining(["deployments", "jobs", "cronjobs", "services", "secrets", "horizontalpodautoscalers", "poddisruptionbudgets", "pods", "pods/log", "events"]));
    expect(resources).not.toContain("roles");
    expect(role.rules.flatMap((r: any) => r.verbs)).not.toContain("*");
    expect(DEPLOYER_RULES.find((r) => r.resources?.includes("pods"))?.verbs).toEqual(["get", "list", "watch"]);
  });

  it("README's table of RBAC verbs is the Role's", () => {
    const readme = readFileSync("README.md", "utf8");
    const table = readme.slice(readme.indexOf("**RBAC: the verbs the toolkit needs**"));
    const rows = [...table.matchAll(/^\| (apps|batch|autoscaling|policy|"" \(core\)) \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => ({
      apiGroups: [m[1] === '"" (core)' ? "" : m[1]],
      resources: m[2].trim().split(/,\s*/),
      verbs: m[3].trim().split(/,\s*/).sort(),
    }));
    expect(rows).toEqual(DEPLOYER_RULES.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: [...r.verbs!].sort() })));
  });

  it("prints a multi-document YAML stream that parses back to the same, valid objects", () => {
    const ms = scoringManifests({ name: "churn", image: "i", metadata: tabularMetadata(), apiKey: "k" });
    const docs = parseAllDocuments(manifestsToYaml(ms)).map((d) => d.toJS());
    expect(docs).toEqual(ms);
    expect(() => new Deployment(docs[1]).validate()).not.toThrow();
  });

  it("`custom-ai deploy … --dry-run -o yaml` prints manifests that parse and validate, contacting no cluster", async () => {
    const model = modelFolder(imageMetadata());
    const noCluster = { KUBECONFIG: "/nonexistent/kubeconfig", SCORING_API_KEY: "from-env" };
    const serve = await runCli(["deploy", "serve", "--name", "digits", "--image", "acr.example/custom-ai-scoring-gpu:1", "--model", model, "--dry-run", "-o", "yaml"], noCluster);
    expect(serve).toMatchObject({ code: 0, stderr: "" });
    const docs = parseAllDocuments(serve.stdout).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(["Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]);
    for (const d of docs) expect(() => new MODELS[d.kind](d).validate()).not.toThrow();
    expect(docs[0].stringData).toEqual({ "api-key": "from-env" });
    expect(docs[1].spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]).toBe(1);
    // The same command in-process (cheaper than another child): JSON, and the missing key.
    const cron = await inProcess(["deploy", "batch", "--name", "nightly", "--image", "i", "--model", model, "--input", "https://a/in", "--output", "https://a/out", "--workers", "3", "--schedule", "0 2 * * *", "--dry-run", "-o", "json"], noCluster);
    expect(cron.code).toBe(0);
    const job = JSON.parse(cron.stdout);
    expect(() => new CronJob(job).validate()).not.toThrow();
    expect(job.spec.jobTemplate.spec).toMatchObject({ completionMode: "Indexed", completions: 3 });
    const noKey = await inProcess(["deploy", "serve", "--name", "digits", "--image", "i", "--model", model, "--dry-run"], { ...noCluster, SCORING_API_KEY: "" });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/needs an API key: set SCORING_API_KEY.*\[BAD_OPTION\]/);
  });
});
