// The NVIDIA device plugin applied to a real Kubernetes control plane (lib/k8s/local: the API
// server, controllers and scheduler, nodes simulated by kwok): its pod lands on the GPU pool's node
// only (label + tainted like the AKS pool apply creates), and applying it again changes nothing.
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { GPU_POOL_LABEL, GPU_TAINT, installNvidiaDevicePlugin, nvidiaDevicePluginManifests } from "../../lib/azure/index.js";
import { azureCommand } from "../../lib/cli/azure.js";
import { runCli } from "../../lib/cli/main.js";
import { useLocalCluster } from "../support/k8s.js";

const k8s = useLocalCluster("azure-devplugin");

describe("NVIDIA device plugin", () => {
  it("runs on the tainted GPU pool's nodes only; a second install is unchanged", async () => {
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    const [key, rest] = GPU_TAINT.split("=") as [string, string];
    const [value, effect] = rest.split(":") as [string, string];
    // A node like the AKS GPU pool's: its label and its taint (kwok keeps it Ready).
    await core.createNode({
      body: {
        metadata: { name: "aks-gpu-0", labels: { [GPU_POOL_LABEL.key]: GPU_POOL_LABEL.value, "kubernetes.io/hostname": "aks-gpu-0", type: "kwok" }, annotations: { "kwok.x-k8s.io/node": "fake" } },
        spec: { taints: [{ key, value, effect }] },
      },
    });
    const first = await installNvidiaDevicePlugin({ kubeconfig: k8s.kubeconfig });
    expect(first.map((a) => [a.kind, a.namespace, a.action])).toEqual([["DaemonSet", "kube-system", "created"]]);
    const apps = k8s.kubeConfig().makeApiClient(AppsV1Api);
    const name = nvidiaDevicePluginManifests()[0]!.metadata.name;
    let ds = await apps.readNamespacedDaemonSet({ name, namespace: "kube-system" });
    for (let i = 0; i < 100 && (ds.status?.numberAvailable ?? 0) < 1; i++) {
      await new Promise((r) => setTimeout(r, 200));
      ds = await apps.readNamespacedDaemonSet({ name, namespace: "kube-system" });
    }
    // Scheduled on the GPU node (despite its taint), and on no other node.
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberAvailable: 1 });
    const pods = await core.listNamespacedPod({ namespace: "kube-system", labelSelector: "name=nvidia-device-plugin-ds" });
    expect(pods.items.map((p) => p.spec?.nodeName)).toEqual(["aks-gpu-0"]);
    const again = await installNvidiaDevicePlugin({ kubeconfig: k8s.kubeconfig });
    expect(again.map((a) => a.action)).toEqual(["unchanged"]);
    // The same through `custom-ai azure device-plugin <kubeconfig>`.
    let out = "";
    const code = await runCli(["azure", "device-plugin", k8s.kubeconfig], [(s) => azureCommand(s, {}, (t) => (out += t))]);
    expect(code).toBe(0);
    expect(out).toBe(`DaemonSet kube-system/${name}: unchanged\n`);
  });
});
