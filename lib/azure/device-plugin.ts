// The NVIDIA device plugin, the step after a GPU pool exists: a DaemonSet on the pool's nodes that
// advertises their GPUs to Kubernetes as `nvidia.com/gpu` (AKS's GPU node image carries the driver;
// without the plugin no pod can request a GPU). Applied with lib/k8s (server-side apply: applying
// it again changes nothing).
// lib/k8s (and kubernetes-models) load only when the plugin is installed: a notebook that plans
// and applies does not pay for them (and tslab's CommonJS loader overflows its stack on lib/k8s).
import type { AppliedObject, Manifest } from "../k8s/index.js";
import { AzureError } from "./errors.js";
import { GPU_POOL_LABEL, GPU_TAINT } from "./resources-aks.js";

export const NVIDIA_DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.17.0";
const NAME = "nvidia-device-plugin-daemonset";
const PLUGIN_DIR = "/var/lib/kubelet/device-plugins";

/** The DaemonSet (plain JSON: the API server validates it on apply), in kube-system, on the GPU pool's nodes only (they carry its label), tolerating its taints (ours, spot's, nvidia.com/gpu). */
export function nvidiaDevicePluginManifests(image = NVIDIA_DEVICE_PLUGIN_IMAGE): Manifest[] {
  const [taintKey, rest] = GPU_TAINT.split("=") as [string, string];
  const [taintValue, taintEffect] = rest.split(":") as [string, string];
  const labels = { name: "nvidia-device-plugin-ds", "app.kubernetes.io/managed-by": "custom-ai" };
  const ds: Manifest = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: NAME, namespace: "kube-system", labels },
    spec: {
      selector: { matchLabels: { name: labels.name } },
      updateStrategy: { type: "RollingUpdate" },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: { [GPU_POOL_LABEL.key]: GPU_POOL_LABEL.value },
          tolerations: [
            { key: taintKey, operator: "Equal", value: taintValue, effect: taintEffect },
            { key: "kubernetes.azure.com/scalesetpriority", operator: "Equal", value: "spot", effect: "NoSchedule" },
            { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
          ],
          priorityClassName: "system-node-critical",
          containers: [
            {
              name: "nvidia-device-plugin-ctr",
              image,
              env: [{ name: "FAIL_ON_INIT_ERROR", value: "false" }],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "device-plugin", mountPath: PLUGIN_DIR }],
            },
          ],
          volumes: [{ name: "device-plugin", hostPath: { path: PLUGIN_DIR } }],
        },
      },
    },
  };
  return [ds];
}

export interface DevicePluginOptions {
  /** The cluster's kubeconfig (apply's kubeconfigPath, or `custom-ai azure kubeconfig`). */
  kubeconfig: string;
  image?: string;
  abortSignal?: AbortSignal;
}

/** Applies the NVIDIA device plugin to the cluster; resolves with what was created, changed or left unchanged. */
export async function installNvidiaDevicePlugin(options: DevicePluginOptions): Promise<AppliedObject[]> {
  if (!options.kubeconfig) throw new AzureError("BAD_OPTION", "installNvidiaDevicePlugin needs the cluster's kubeconfig: apply with kubeconfigPath, or `custom-ai azure kubeconfig <file>`.");
  const { deploy } = await import("../k8s/index.js");
  const result = await deploy(nvidiaDevicePluginManifests(options.image), { kubeconfig: options.kubeconfig, wait: false, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) });
  return result.applied;
}
