// The local Kubernetes control plane (lib/k8s/local, environments/k8s-local): one real cluster for
// this file — its API server, the simulated node pools, a Deployment's rollout, and the pod stages
// the deploy tests rely on (environments/k8s-local/README.md "Simulated pods") — then stop().
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { AppsV1Api, BatchV1Api, CoreV1Api, VersionApi, type V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { buildLocalKubernetes, listLocalClusters, localClusterStatus, startLocalCluster, KUBE_VERSION } from "../../lib/k8s/local/index.js";
import { useLocalCluster } from "../support/k8s.js";
import { tempDir } from "../support/temp.js";

const k8s = useLocalCluster("local-cluster");
const namespace = "default";

/** Polls `read` until `done` holds (every 100 ms, up to `timeoutMs`); returns the last value. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Live processes run from a cluster's folder (kwokctl starts each component from <cluster>/bin/). */
function processesOf(workdir: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return !/\) Z /.test(stat) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${workdir}/`);
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

function pod(name: string, image: string, extra: Partial<V1Pod["spec"]> = {}): V1Pod {
  return { metadata: { name }, spec: { containers: [{ name: "main", image }], ...extra } };
}

// The workload tests run at once (each waits on its own objects); stop() is checked last.
describe("local Kubernetes control plane", () => {
  it("is built, and a second build only checks its key", async () => {
    expect(localClusterStatus().built).toBe(true);
    const again = await buildLocalKubernetes();
    expect(again.built).toBe(false);
    expect(again.durationMs).toBeLessThan(2_000);
  });

  it("says what to install when Go is missing", async () => {
    const noGo = path.join(tempDir("cai-k8s-"), "go");
    await expect(buildLocalKubernetes({ force: true, go: noGo })).rejects.toMatchObject({
      code: "K8S_LOCAL_BUILD",
      message: expect.stringContaining("Go was not found"),
      hint: expect.stringContaining("https://go.dev/dl"),
    });
  });

  it("answers as Kubernetes v1.36.3, with a CPU and a tainted GPU node pool", async () => {
    const kc = k8s.kubeConfig();
    expect(k8s.cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await kc.makeApiClient(VersionApi).getCode()).gitVersion).toBe(KUBE_VERSION);
    const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(["kwok-cpu-0", "kwok-cpu-1", "kwok-gpu-0", "kwok-gpu-1"]);
    for (const node of nodes) expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const gpu = nodes.find((n) => n.metadata?.name === "kwok-gpu-0")!;
    expect(gpu.status?.capacity?.["nvidia.com/gpu"]).toBe("1");
    expect(gpu.metadata?.labels).toMatchObject({ agentpool: "gpu", accelerator: "nvidia" });
    expect(gpu.spec?.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
    const cpu = nodes.find((n) => n.metadata?.name === "kwok-cpu-0")!;
    expect(cpu.spec?.taints ?? []).toEqual([]);
    expect(cpu.status?.capacity?.["nvidia.com/gpu"]).toBeUndefined();
  });

  it.concurrent("rolls a GPU Deployment out onto the GPU pool, one pod per GPU", async () => {
    const kc = k8s.kubeConfig();
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: "gpu-scorer" };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: "gpu-scorer" },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { agentpool: "gpu" },
              tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
              containers: [{ name: "score", image: "example.azurecr.io/scoring-gpu:1", resources: { limits: { "nvidia.com/gpu": "1" } } }],
            },
          },
        },
      },
    });
    const deployment = await until(
      () => apps.readNamespacedDeploymentStatus({ name: "gpu-scorer", namespace }),
      (d) => d.status?.conditions?.some((c) => c.type === "Available" && c.status === "True") === true && d.status?.readyReplicas === 2,
    );
    expect(deployment.status?.readyReplicas).toBe(2);
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: "app=gpu-scorer" })).items;
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(["kwok-gpu-0", "kwok-gpu-1"]);
    expect(pods.every((p) => p.status?.phase === "Running" && p.status.podIP)).toBe(true);
  });

  it.concurrent("keeps a fail-pull pod Pending with ErrImagePull, then ImagePullBackOff, and a Warning event", async () => {
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace, body: pod("pull", "example.azurecr.io/fail-pull:1") });
    const first = await until(
      () => core.readNamespacedPodStatus({ name: "pull", namespace }),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason !== undefined,
    );
    expect(["ErrImagePull", "ImagePullBackOff"]).toContain(first.status?.containerStatuses?.[0]?.state?.waiting?.reason);
    const later = await until(
      () => core.readNamespacedPodStatus({ name: "pull", namespace }),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ImagePullBackOff",
    );
    expect(later.status?.phase).toBe("Pending");
    expect(later.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(later.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe("ImagePullBackOff");
    const events = await until(
      () => core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.kind=Pod,involvedObject.name=pull" }),
      (list) => list.items.some((e) => e.reason === "Failed"),
    );
    expect(events.items.find((e) => e.reason === "Failed")).toMatchObject({ type: "Warning", message: expect.stringContaining("ErrImagePull") });
  });

  it.concurrent("crash-loops a crash pod: never Ready, CrashLoopBackOff, restarts counted", async () => {
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace, body: pod("crasher", "example.azurecr.io/crash:1") });
    const restarted = await until(
      () => core.readNamespacedPodStatus({ name: "crasher", namespace }),
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
    );
    const status = restarted.status?.containerStatuses?.[0];
    expect(restarted.status?.phase).toBe("Running");
    expect(status?.ready).toBe(false);
    expect(status?.state?.waiting?.reason).toBe("CrashLoopBackOff");
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
    expect(status?.restartCount).toBeGreaterThanOrEqual(2);
    const events = (await core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=crasher" })).items;
    expect(events.some((e) => e.type === "Warning" && e.reason === "BackOff")).toBe(true);
  });

  it.concurrent("fails a Job whose pod exits 1 (annotation), and completes one without", async () => {
    const kc = k8s.kubeConfig();
    const batch = kc.makeApiClient(BatchV1Api);
    const job = (name: string, annotations?: Record<string, string>) =>
      batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name },
          spec: {
            backoffLimit: 0,
            template: { metadata: { annotations }, spec: { restartPolicy: "Never", containers: [{ name: "main", image: "example.azurecr.io/batch:1" }] } },
          },
        },
      });
    await Promise.all([job("exits-1", { "kwok.custom-ai/exit-code": "1" }), job("exits-0")]);
    const finished = (name: string) =>
      until(
        () => batch.readNamespacedJobStatus({ name, namespace }),
        (j) => j.status?.conditions?.some((c) => (c.type === "Failed" || c.type === "Complete") && c.status === "True") === true,
      );
    const [failed, succeeded] = await Promise.all([finished("exits-1"), finished("exits-0")]);
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", reason: "BackoffLimitExceeded" });
    expect(succeeded.status?.conditions?.find((c) => c.type === "Complete")?.status).toBe("True");
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: "job-name=exits-1" })).items;
    expect(pods).toHaveLength(1);
    expect(pods[0].status?.phase).toBe("Failed");
    expect(pods[0].status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: "Error" });
  });

  it("stops a start that is aborted half-way, leaving nothing running", async () => {
    const name = `aborted-${process.pid}`;
    // 1 s into kwokctl's start: etcd and the API server are starting (a start takes 3–4 s on an idle machine).
    const abort = new AbortController();
    const onProgress = (p: { step: string }) => void (p.step === "starting" && setTimeout(() => abort.abort(), 1_000));
    const error = await startLocalCluster({ name, abortSignal: abort.signal, onProgress }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ABORTED" });
    const workdir = path.join(path.dirname(k8s.cluster.workdir), name);
    expect(processesOf(workdir)).toEqual([]);
    expect(existsSync(workdir)).toBe(false);
  });

  it("refuses a second cluster of the same name; stop() leaves no process and no folder", async () => {
    const { name, workdir } = k8s.cluster;
    await expect(startLocalCluster({ name })).rejects.toMatchObject({ code: "K8S_LOCAL_START", message: expect.stringContaining("already running") });
    const running = processesOf(workdir);
    expect(running.length).toBeGreaterThanOrEqual(5); // etcd, apiserver, controller-manager, scheduler, kwok
    expect(listLocalClusters().find((c) => c.name === name)?.pids.sort()).toEqual(running.sort());
    const started = Date.now();
    await k8s.cluster.stop();
    const stopMs = Date.now() - started;
    expect(processesOf(workdir)).toEqual([]);
    expect(existsSync(workdir)).toBe(false);
    expect(listLocalClusters().map((c) => c.name)).not.toContain(name);
    expect(stopMs).toBeLessThan(15_000);
  });
});
