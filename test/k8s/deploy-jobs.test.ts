// Indexed Jobs, a CronJob and the deployer's RBAC on a real control plane (kwok simulates the
// pods: they succeed, or exit with the code of their kwok.custom-ai/exit-code annotation).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { BatchV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { batchJobManifests, deploy, describeJob, KubernetesError, rbacManifests, scoringManifests, trainJobManifests, undeploy, DEPLOYER_RULES, type DeployProgress } from "../../lib/k8s/index.js";
import { useLocalCluster } from "../support/k8s.js";
import { tempDir } from "../support/temp.js";
import { tabularMetadata } from "./fixtures.js";
import { modelFolder, runCli } from "./helpers.js";

const k8s = useLocalCluster("deploy-jobs");
const blob = "https://account.blob.core.windows.net";
const batch = (name: string, extra: Partial<Parameters<typeof batchJobManifests>[0]> = {}) =>
  batchJobManifests({ name, image: "acr.example/custom-ai-batch:1", model: `${blob}/models/churn`, input: `${blob}/in`, output: `${blob}/out/${name}`, workers: 4, parallelism: 2, ...extra });

describe("Indexed Jobs", () => {
  it("a batch-scoring Job completes every index, reporting indexes done n/m", async () => {
    const progress: DeployProgress[] = [];
    const result = await deploy(batch("nightly"), { kubeconfig: k8s.kubeconfig, onProgress: (p) => progress.push(p) });
    expect(result.job).toMatchObject({ status: "complete", completions: 4, indexesDone: 4, completedIndexes: "0-3", failedIndexes: "", failedPods: 0 });
    const done = progress.flatMap((p) => (p.phase === "job" ? [p.indexesDone] : []));
    expect(done[0]).toBeLessThan(4);
    expect(done.at(-1)).toBe(4);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(progress.filter((p) => p.phase === "job").some((p) => p.phase === "job" && p.active === 2)).toBe(true); // parallelism 2
    // Applying the finished Job again changes nothing (its pod template cannot change anyway).
    const again = await deploy(batch("nightly"), { kubeconfig: k8s.kubeconfig });
    expect(again.applied[0].action).toBe("unchanged");
    expect(await describeJob("nightly", { kubeconfig: k8s.kubeconfig })).toMatchObject({ indexesDone: 4, status: "complete" });
  });

  it("a known failure (exit 2) fails its index at once; another exit code spends the retries", async () => {
    const bad = await deploy(batch("bad-input", { workers: 2, podAnnotations: { "kwok.custom-ai/exit-code": "2" } }), { kubeconfig: k8s.kubeconfig }).catch((e) => e);
    expect(bad).toBeInstanceOf(KubernetesError);
    expect(bad.code).toBe("JOB_FAILED");
    expect(bad.message).toMatch(/Job bad-input failed: FailedIndexes.*indexes done 0\/2, failed indexes 0,1|failed indexes 0-1/);
    expect(bad.message).toMatch(/exit code 2/);
    const failedBad = (await describeJob("bad-input", { kubeconfig: k8s.kubeconfig })).failedPods;
    expect(failedBad).toBe(2); // FailIndex: no retry

    const flaky = await deploy(batch("flaky", { workers: 2, backoffLimitPerIndex: 1, podAnnotations: { "kwok.custom-ai/exit-code": "1" } }), { kubeconfig: k8s.kubeconfig }).catch((e) => e);
    expect(flaky.code).toBe("JOB_FAILED");
    expect((await describeJob("flaky", { kubeconfig: k8s.kubeconfig })).failedPods).toBe(4); // 2 indexes × (1 + 1 retry)
  });

  it("an evicted pod (a spot node taken back) is retried without spending the index's retries", async () => {
    const manifests = batch("spot", { workers: 1, backoffLimitPerIndex: 0, podAnnotations: { "kwok.custom-ai/run-for": "3s" } });
    const done = deploy(manifests, { kubeconfig: k8s.kubeconfig });
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    let pod: string | undefined;
    for (let i = 0; i < 100 && !pod; i++) {
      const pods = await core.listNamespacedPod({ namespace: "default", labelSelector: "batch.kubernetes.io/job-name=spot" });
      pod = pods.items.find((p) => p.status?.phase === "Running")?.metadata?.name;
      if (!pod) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pod).toBeDefined();
    await core.createNamespacedPodEviction({ name: pod!, namespace: "default", body: { metadata: { name: pod!, namespace: "default" } } });
    // What the node's kubelet does then, and kwok does not: stop the container (the pod Failed, exit 137).
    // kwok and the controllers may update the pod between our read and write (409 Conflict): read again.
    for (let attempt = 1; ; attempt++) {
      const evicted = await core.readNamespacedPod({ name: pod!, namespace: "default" });
      expect(evicted.status?.conditions?.find((c) => c.type === "DisruptionTarget")?.status).toBe("True");
      evicted.status!.phase = "Failed";
      evicted.status!.containerStatuses = evicted.status!.containerStatuses!.map((c) => ({ ...c, ready: false, state: { terminated: { exitCode: 137, reason: "Error", startedAt: new Date(), finishedAt: new Date() } } }));
      const conflict = await core.replaceNamespacedPodStatus({ name: pod!, namespace: "default", body: evicted }).then(
        () => false,
        (e: { code?: number }) => {
          if (e.code !== 409 || attempt >= 10) throw e;
          return true;
        },
      );
      if (!conflict) break;
    }
    // backoffLimitPerIndex 0: had the failure counted, the index (and the Job) would have failed.
    const result = await done;
    expect(result.job).toMatchObject({ status: "complete", indexesDone: 1, failedIndexes: "", failedPods: 0 });
    const pods = await core.listNamespacedPod({ namespace: "default", labelSelector: "batch.kubernetes.io/job-name=spot" });
    expect(pods.items.map((p) => p.metadata?.name)).not.toContain(pod); // a new pod ran the index
  });

  it("a scheduled batch job is a CronJob with its schedule, applied once", async () => {
    const result = await deploy(batch("hourly", { schedule: "15 * * * *", timeZone: "Etc/UTC" }), { kubeconfig: k8s.kubeconfig });
    expect(result.applied.map((a) => `${a.kind}:${a.action}`)).toEqual(["CronJob:created"]);
    expect(result.job).toBeUndefined();
    const cron = await k8s.kubeConfig().makeApiClient(BatchV1Api).readNamespacedCronJob({ name: "hourly", namespace: "default" });
    expect(cron.spec).toMatchObject({ schedule: "15 * * * *", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid" });
    expect(cron.spec?.jobTemplate.spec?.completionMode).toBe("Indexed");
    expect((await deploy(batch("hourly", { schedule: "15 * * * *", timeZone: "Etc/UTC" }), { kubeconfig: k8s.kubeconfig })).applied[0].action).toBe("unchanged");
    expect((await undeploy("hourly", { kubeconfig: k8s.kubeconfig })).map((r) => r.kind)).toEqual(["CronJob"]);
  });

  it("a training Job runs all its ranks at once and completes", async () => {
    const result = await deploy(trainJobManifests({ name: "mnist-dp", image: "acr.example/custom-ai-training:1", runId: "r1", storeUrl: `${blob}/runs`, workers: 3 }), { kubeconfig: k8s.kubeconfig });
    expect(result.job).toMatchObject({ status: "complete", completions: 3, parallelism: 3, completedIndexes: "0-2" });
  });
});

describe("RBAC: the deployer's ServiceAccount", () => {
  /** A kubeconfig with the admin's cluster and a token of the ServiceAccount (TokenRequest API). */
  async function deployerKubeconfig(namespace: string, name: string): Promise<string> {
    const admin = k8s.kubeConfig();
    const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const cluster = admin.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name, token: token.status!.token }],
      contexts: [{ name, cluster: cluster.name, user: name, namespace }],
      currentContext: name,
    });
    const file = path.join(tempDir("cai-k8s-sa-"), "kubeconfig.yaml");
    writeFileSync(file, kc.exportConfig());
    return file;
  }

  it("deploys, waits and undeploys with only the Role's verbs; without one, the error names the verb and resource", async () => {
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "team-a" } } });
    const admin = await runCli(["deploy", "rbac", "--namespace", "team-a", "--kubeconfig", k8s.kubeconfig]);
    expect(admin).toMatchObject({ code: 0 });
    expect(admin.stdout).toMatch(/Role team-a\/custom-ai-deployer created/);
    const kubeconfig = await deployerKubeconfig("team-a", "custom-ai-deployer");

    // The context's namespace (team-a) is where it goes.
    const serve = await deploy(scoringManifests({ name: "churn", namespace: "team-a", image: "acr.example/custom-ai-scoring:1", metadata: tabularMetadata(), apiKey: "k" }), { kubeconfig });
    expect(serve.deployment).toMatchObject({ available: 2, namespace: "team-a" });
    const job = await deploy(batch("nightly", { namespace: "team-a" }), { kubeconfig });
    expect(job.job?.status).toBe("complete");
    expect((await undeploy("churn", { kubeconfig, namespace: "team-a" })).length).toBe(5);
    // Outside its namespace it may do nothing.
    const elsewhere = await deploy(batch("other"), { kubeconfig, namespace: "default" }).catch((e) => e);
    expect(elsewhere.code).toBe("K8S_FORBIDDEN");
    expect(elsewhere.message).toMatch(/system:serviceaccount:team-a:custom-ai-deployer may not (get|create|patch) jobs \(API group "batch"\) in namespace default/);

    // Take "create" on cronjobs away: a new CronJob cannot be made, and the CLI says which verb is missing.
    const rules = DEPLOYER_RULES.map((r) => (r.resources?.includes("cronjobs") ? { ...r, verbs: r.verbs.filter((v) => v !== "create") } : r));
    const [, role] = rbacManifests({ namespace: "team-a" });
    await deploy([{ ...role, rules }], { kubeconfig: k8s.kubeconfig });
    const model = modelFolder(tabularMetadata());
    const cli = await runCli(["deploy", "batch", "--name", "hourly", "--image", "i", "--model", model, "--input", `${blob}/in`, "--output", `${blob}/out`, "--schedule", "0 * * * *", "--kubeconfig", kubeconfig]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/may not create cronjobs \(API group "batch"\) in namespace team-a\. The toolkit needs the verb "create" on "cronjobs".*\[K8S_FORBIDDEN\]/);
    expect(cli.stderr).toMatch(/What to do: Grant it: a Role rule \{ apiGroups: \["batch"\], resources: \["cronjobs"\], verbs: \["create"\] \}/);
  });
});
