// apply: makes Azure look like the plan. Reads first (a second apply finds nothing to do and sends
// no PUT), checks sizes and quotas before creating compute, then creates or updates each resource
// as soon as what it depends on is done, independent ones concurrently.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AppliedObject } from "../k8s/index.js";
import { installNvidiaDevicePlugin } from "./device-plugin.js";
import { clusterUserKubeconfig } from "./resources-aks.js";
import { deployment, type Deployment } from "./deployment.js";
import { AzureError, translateAzureError } from "./errors.js";
import { planDeployment, type Plan } from "./plan.js";
import { preflight, type QuotaCheck } from "./preflight.js";
import type { ResourceKey } from "./resource.js";
import type { ProvisionOptions } from "./settings.js";

export interface ApplyOptions extends ProvisionOptions {
  /** Where to write the AKS cluster's user kubeconfig after apply (mode 0600). Default: not written. */
  kubeconfigPath?: string;
  /**
   * Apply the NVIDIA device plugin to the cluster after it exists (needs kubeconfigPath, and
   * `kubelogin` on the PATH: the user kubeconfig of an Azure RBAC cluster logs in through it). Default false.
   */
  nvidiaDevicePlugin?: boolean;
}

export interface ApplyResult {
  /** The plan apply carried out (what it found before changing anything). */
  plan: Plan;
  /** Resources created or updated, in the order they finished. */
  changed: ResourceKey[];
  unchanged: ResourceKey[];
  /** The quota checks made before creating compute. */
  quota: QuotaCheck[];
  /** The kubeconfig written, when kubeconfigPath was given and the deployment has a cluster. */
  kubeconfigPath?: string;
  /** What applying the NVIDIA device plugin did (nvidiaDevicePlugin). */
  devicePlugin?: AppliedObject[];
  elapsedMs: number;
}

export async function apply(options: ApplyOptions = {}): Promise<ApplyResult> {
  if (options.nvidiaDevicePlugin && !options.kubeconfigPath) throw new AzureError("BAD_OPTION", "nvidiaDevicePlugin needs kubeconfigPath: the plugin is applied through the cluster's kubeconfig.");
  const d = deployment(options);
  const result = await applyDeployment(d, options.kubeconfigPath);
  if (options.nvidiaDevicePlugin && result.kubeconfigPath) {
    d.target.onProgress({ resource: "devicePlugin", phase: "start", message: "apply the NVIDIA device plugin (DaemonSet in kube-system)" });
    result.devicePlugin = await installNvidiaDevicePlugin({ kubeconfig: result.kubeconfigPath, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) });
    d.target.onProgress({ resource: "devicePlugin", phase: "done", message: `NVIDIA device plugin ${result.devicePlugin.map((a) => a.action).join(", ")}` });
  }
  return result;
}

function abortedError(d: Deployment, what: string): AzureError {
  return new AzureError("ABORTED", `apply stopped by its AbortSignal before ${what}. What finished is kept; apply again to go on.`, { cause: d.target.abortSignal?.reason });
}

export async function applyDeployment(d: Deployment, kubeconfigPath?: string): Promise<ApplyResult> {
  const started = performance.now();
  const { onProgress, abortSignal } = d.target;
  const p = await planDeployment(d);
  const actions = new Map(p.resources.map((r) => [r.key, r]));
  const todo = d.resources.filter((r) => actions.get(r.key)!.action !== "none");
  const missing = todo.flatMap((r) => (r.missing ?? []).map((m) => `${r.key}: ${m}`));
  if (missing.length) {
    throw new AzureError("BAD_OPTION", `apply cannot create everything without these settings:\n  ${missing.join("\n  ")}`, { hint: "Give them (CLI: --caller-ip, --ssh-key, --repo-url; code: the dsvm options), or leave the DSVM out (--no-dsvm / dsvm: false)." });
  }

  let quota: QuotaCheck[] = [];
  const compute = todo.filter((r) => r.compute?.length);
  if (compute.length) {
    if (abortSignal?.aborted) throw abortedError(d, "the size and quota checks");
    onProgress({ resource: "preflight", phase: "start", message: `checking sizes and vCPU quota in ${d.target.location}` });
    quota = await preflight(d.clients, d.target.location, compute);
    onProgress({ resource: "preflight", phase: "done", message: "sizes offered, quota enough" });
  }

  const changed: ResourceKey[] = [];
  const running = new Map<ResourceKey, Promise<void>>();
  let firstError: unknown;
  for (const r of d.resources) {
    const deps = r.dependsOn.map((k) => running.get(k)).filter((x): x is Promise<void> => x !== undefined);
    const action = actions.get(r.key)!;
    running.set(
      r.key,
      Promise.all(deps).then(async () => {
        if (action.action === "none") {
          onProgress({ resource: r.key, phase: "skipped", message: `${r.name}: up to date` });
          return;
        }
        if (firstError !== undefined) throw firstError; // stop starting work after a failure
        if (abortSignal?.aborted) throw abortedError(d, `${action.action} ${r.key}`);
        const t0 = performance.now();
        onProgress({ resource: r.key, phase: "start", message: `${action.action} ${r.type} ${r.name}${action.changes.length ? ` (${action.changes.join(", ")})` : ""}` });
        try {
          await r.put(d.clients);
        } catch (e) {
          const error = translateAzureError(e, `${action.action} ${r.key} (${r.name})`, r.key);
          onProgress({ resource: r.key, phase: "failed", message: error.message, elapsedMs: performance.now() - t0 });
          firstError ??= error;
          throw error;
        }
        changed.push(r.key);
        onProgress({ resource: r.key, phase: "done", message: `${r.name}: ${action.action === "create" ? "created" : "updated"}`, elapsedMs: performance.now() - t0 });
      }),
    );
  }
  const settled = await Promise.allSettled(running.values());
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw firstError ?? (failed as PromiseRejectedResult).reason;

  const result: ApplyResult = { plan: p, changed, unchanged: p.resources.filter((r) => r.action === "none").map((r) => r.key), quota, elapsedMs: 0 };
  if (kubeconfigPath && d.settings.aks) result.kubeconfigPath = await writeKubeconfig(d, kubeconfigPath);
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Writes the cluster's user kubeconfig (listClusterUserCredential) to `file`, mode 0600; returns its path. */
export async function writeKubeconfig(d: Deployment, file: string): Promise<string> {
  let text: string;
  try {
    text = await clusterUserKubeconfig(d.clients, d.target, d.names.aks);
  } catch (e) {
    throw translateAzureError(e, `get the kubeconfig of ${d.names.aks}`, "aks");
  }
  const full = path.resolve(file);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text, { mode: 0o600 });
  chmodSync(full, 0o600);
  return full;
}

/** The AKS cluster's user kubeconfig, written to `file` (for lib/k8s, kubectl, KUBECONFIG). */
export async function fetchKubeconfig(file: string, options: ProvisionOptions = {}): Promise<string> {
  return writeKubeconfig(deployment(options), file);
}
