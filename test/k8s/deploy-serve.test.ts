// The scoring service on a real control plane (lib/k8s/local: kube-apiserver, controller-manager,
// scheduler, etcd; kwok simulates nodes and pods): it becomes Available as specified, lands on the
// GPU pool for an image model, re-applies without change, rolls a new model out without going
// below the desired replicas, reports apply conflicts and failing rollouts, and undeploys.
import { CoreV1Api, AppsV1Api, Watch, PatchStrategy, KubernetesObjectApi } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { deploy, describeDeployment, KubernetesError, scoringManifests, undeploy, MODEL_ANNOTATIONS, modelVersion, type DeployProgress } from "../../lib/k8s/index.js";
import { useLocalCluster } from "../support/k8s.js";
import { imageMetadata, tabularMetadata } from "./fixtures.js";
import { modelFolder, runCli } from "./helpers.js";

const k8s = useLocalCluster("deploy-serve");
const churn = (version = "v1", extra: Partial<Parameters<typeof scoringManifests>[0]> = {}) =>
  scoringManifests({ name: "churn", image: "acr.example/custom-ai-scoring:1", metadata: tabularMetadata(version), apiKey: "key-1", ...extra });

async function expectKubernetesError(promise: Promise<unknown>, code: string): Promise<KubernetesError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KubernetesError);
  expect((error as KubernetesError).code).toBe(code);
  return error as KubernetesError;
}

describe("deploy serve", () => {
  it("becomes Available with the probes, resources and drain of the manifest; re-applying changes nothing", async () => {
    const progress: DeployProgress[] = [];
    const result = await deploy(churn(), { kubeconfig: k8s.kubeconfig, onProgress: (p) => progress.push(p) });
    expect(result.applied.map((a) => `${a.kind}:${a.action}`)).toEqual(["Secret:created", "Deployment:created", "Service:created", "HorizontalPodAutoscaler:created", "PodDisruptionBudget:created"]);
    // The autoscaler's minimum seeds the replicas; the rollout waited for them.
    expect(result.deployment).toMatchObject({ desired: 2, available: 2, ready: 2, complete: true, modelVersion: modelVersion(tabularMetadata()) });
    expect(progress.filter((p) => p.phase === "rollout").at(-1)?.message).toBe("Deployment churn: ready 2/2, updated 2/2, available 2/2");

    const apps = k8s.kubeConfig().makeApiClient(AppsV1Api);
    const live = await apps.readNamespacedDeployment({ name: "churn", namespace: "default" });
    expect(live.status?.conditions?.find((c) => c.type === "Available")?.status).toBe("True");
    const c = live.spec!.template.spec!.containers[0];
    expect(c.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(c.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(c.resources?.requests).toEqual({ cpu: "500m", memory: "1Gi" });
    expect(live.spec!.template.spec!.terminationGracePeriodSeconds).toBe(40);
    expect(live.spec!.strategy?.rollingUpdate?.maxUnavailable).toBe(0);

    const again = await deploy(churn(), { kubeconfig: k8s.kubeconfig });
    expect(again.applied.map((a) => a.action)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged", "unchanged"]);
    const after = await apps.readNamespacedDeployment({ name: "churn", namespace: "default" });
    expect(after.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion);
    expect(after.metadata?.generation).toBe(live.metadata?.generation);
    expect(await describeDeployment("churn", { kubeconfig: k8s.kubeconfig })).toMatchObject({ desired: 2, available: 2 });
  });

  it("rolls a new model version out with maxUnavailable 0: never fewer available than desired", async () => {
    // Pods of the new version take 1 s to become ready (kwok), so the rollout has steps to watch.
    const slow = { podAnnotations: { "kwok.custom-ai/ready-after": "1s" } };
    await deploy(churn("v1", slow), { kubeconfig: k8s.kubeconfig });
    const seen: { available: number; ready: number; total: number; updated: number }[] = [];
    const watch = await new Watch(k8s.kubeConfig()).watch(
      "/apis/apps/v1/namespaces/default/deployments",
      { fieldSelector: "metadata.name=churn" },
      (_type, d) => seen.push({ available: d.status?.availableReplicas ?? 0, ready: d.status?.readyReplicas ?? 0, total: d.status?.replicas ?? 0, updated: d.status?.updatedReplicas ?? 0 }),
      () => undefined,
    );
    try {
      const result = await deploy(churn("v2", slow), { kubeconfig: k8s.kubeconfig });
      expect(result.applied.find((a) => a.kind === "Deployment")?.action).toBe("configured");
      expect(result.deployment).toMatchObject({ available: 2, updated: 2, total: 2, modelVersion: modelVersion(tabularMetadata("v2")) });
    } finally {
      watch.abort();
    }
    expect(seen.length).toBeGreaterThan(3);
    expect(Math.min(...seen.map((s) => s.available))).toBeGreaterThanOrEqual(2);
    expect(Math.min(...seen.map((s) => s.ready))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...seen.map((s) => s.total))).toBe(3); // one surge pod at a time
    const pods = await k8s.kubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "default", labelSelector: "app.kubernetes.io/instance=churn" });
    const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(live.map((p) => p.metadata?.annotations?.[MODEL_ANNOTATIONS.version])).toEqual([modelVersion(tabularMetadata("v2")), modelVersion(tabularMetadata("v2"))]);
  });

  it("puts an image model's pods on the simulated GPU pool", async () => {
    const result = await deploy(scoringManifests({ name: "digits", image: "acr.example/custom-ai-scoring-gpu:1", metadata: imageMetadata(), noAuth: true, replicas: 2, autoscale: false }), { kubeconfig: k8s.kubeconfig });
    expect(result.deployment).toMatchObject({ available: 2, desired: 2 });
    const pods = await k8s.kubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "default", labelSelector: "app.kubernetes.io/instance=digits" });
    expect(pods.items.map((p) => p.spec?.nodeName).sort()).toEqual(["kwok-gpu-0", "kwok-gpu-1"]);
    expect(pods.items[0].spec?.containers[0].resources?.limits?.["nvidia.com/gpu"]).toBe("1");
    // A third GPU pod has no GPU left: the rollout waits, and says why.
    const more: DeployProgress[] = [];
    const error = await expectKubernetesError(
      deploy(scoringManifests({ name: "digits", image: "acr.example/custom-ai-scoring-gpu:1", metadata: imageMetadata(), noAuth: true, replicas: 3, autoscale: false }), { kubeconfig: k8s.kubeconfig, timeoutMs: 3000, onProgress: (p) => more.push(p) }),
      "K8S_TIMEOUT",
    );
    expect(more.at(-1)?.message).toMatch(/ready 2\/3.*waiting: Unschedulable: .*Insufficient nvidia.com\/gpu/);
    expect(error.message).toMatch(/Deployment digits was not done after 3 s/);
    // An AbortSignal stops the wait (ABORTED, the CLI's exit 130); the cluster goes on.
    const abort = new AbortController();
    const aborted = await expectKubernetesError(
      deploy(scoringManifests({ name: "digits", image: "acr.example/custom-ai-scoring-gpu:1", metadata: imageMetadata(), noAuth: true, replicas: 3, autoscale: false }), { kubeconfig: k8s.kubeconfig, abortSignal: abort.signal, onProgress: (p) => p.phase === "rollout" && abort.abort() }),
      "ABORTED",
    );
    expect(aborted.exitCode).toBe(130);
    expect(aborted.message).toMatch(/Stopped waiting for Deployment digits \(Deployment digits: ready 2\/3/);
  });

  it("reports a server-side apply conflict with the other manager and field, and takes it over with force", async () => {
    await deploy(churn("v2"), { kubeconfig: k8s.kubeconfig, wait: false });
    const objects = KubernetesObjectApi.makeApiClient(k8s.kubeConfig());
    await objects.patch(
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "churn", namespace: "default" }, spec: { template: { spec: { containers: [{ name: "server", image: "acr.example/hotfix:9" }] } } } } as any,
      undefined,
      undefined,
      "ops-hotfix",
      true,
      PatchStrategy.ServerSideApply,
    );
    const error = await expectKubernetesError(deploy(churn("v2"), { kubeconfig: k8s.kubeconfig, wait: false }), "K8S_CONFLICT");
    expect(error.message).toMatch(/Deployment churn in namespace default/);
    expect(error.message).toMatch(/\.spec\.template\.spec\.containers\[name="server"\]\.image/);
    expect(error.message).toMatch(/ops-hotfix/);
    expect(error.hint).toMatch(/--force/);
    const forced = await deploy(churn("v2"), { kubeconfig: k8s.kubeconfig, force: true });
    expect(forced.deployment?.image).toBe("acr.example/custom-ai-scoring:1");
  });

  it("a crashing or unpullable image fails the rollout with the pod's events, and the CLI exits 1", async () => {
    const model = modelFolder(tabularMetadata());
    const crash = await runCli(["deploy", "serve", "--name", "crashy", "--image", "acr.example/crash-on-start:1", "--model", model, "--no-auth", "--kubeconfig", k8s.kubeconfig]);
    expect(crash.code).toBe(1);
    expect(crash.stderr).toMatch(/Deployment crashy: ready 0\/2/);
    expect(crash.stderr).toMatch(/CrashLoopBackOff[\s\S]*\[ROLLOUT_FAILED\]/);
    expect(crash.stderr).toMatch(/Warning BackOff: Back-off restarting failed container/);
    expect(crash.stderr).toMatch(/log: none .*no log/);
    const pull = await deploy(scoringManifests({ name: "pully", image: "acr.example/fail-pull:1", metadata: tabularMetadata(), noAuth: true }), { kubeconfig: k8s.kubeconfig }).catch((e) => e);
    expect(pull).toBeInstanceOf(KubernetesError);
    expect(pull.code).toBe("ROLLOUT_FAILED");
    expect(pull.message).toMatch(/ErrImagePull[\s\S]*Warning Failed: Failed to pull image/);
  });

  it("undeploy removes every object of the instance and its pods, and nothing else", async () => {
    const removed = await undeploy("churn", { kubeconfig: k8s.kubeconfig });
    expect(removed.map((r) => r.kind).sort()).toEqual(["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret", "Service"]);
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    expect((await core.listNamespacedPod({ namespace: "default", labelSelector: "app.kubernetes.io/instance=churn" })).items).toEqual([]);
    expect((await core.listNamespacedSecret({ namespace: "default", labelSelector: "app.kubernetes.io/instance=churn" })).items).toEqual([]);
    expect((await core.listNamespacedPod({ namespace: "default", labelSelector: "app.kubernetes.io/instance=digits" })).items.length).toBe(3);
    const cli = await runCli(["undeploy", "churn", "--kubeconfig", k8s.kubeconfig]);
    expect(cli).toMatchObject({ code: 0 });
    expect(cli.stdout).toMatch(/Nothing of churn to remove/);
  });
});
