// `custom-ai azure plan|apply|status|teardown|start|stop|deallocate|kubeconfig`: provisioning on
// Azure from the command line (lib/azure does the work; errors end in lib/cli/errors.ts).
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import type { AzureProgress, ProvisionOptions } from "../azure/index.js";
import { interruptible } from "./interrupt.js";

/** What tests (and embedders) may preset: the credential, the HTTP client, the environment. */
export type AzureCommandDefaults = Pick<ProvisionOptions, "credential" | "httpClient" | "env" | "pollIntervalMs" | "endpoint">;

const wholeNumber = (flag: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} takes a whole number ≥ ${min}.`);
  return n;
};

interface Flags {
  subscription?: string;
  location?: string;
  resourceGroup?: string;
  deployment?: string;
  dsvm: boolean;
  aks: boolean;
  dsvmSize?: string;
  gpuSize?: string;
  gpuMax?: number;
  spot?: boolean;
  callerIp?: string;
  sshKey?: string;
  repoUrl?: string;
  repoRef?: string;
  kubeconfig?: string;
  offline?: boolean;
  json?: boolean;
  armEndpoint?: string;
}

function common(c: Command, provisioning: boolean): Command {
  c.option("--subscription <id>", "subscription (default $AZURE_SUBSCRIPTION_ID)")
    .option("--location <region>", "region (default $AZURE_LOCATION, else eastus)")
    .option("--resource-group <name>", "resource group (default $AZURE_RESOURCE_GROUP, else <deployment>-rg)")
    .option("--deployment <name>", "deployment name: prefix of the resource names, and a tag (default $CUSTOM_AI_DEPLOYMENT, else custom-ai)")
    .option("--arm-endpoint <url>", "Azure Resource Manager of another cloud (e.g. https://management.usgovcloudapi.net, Azure Stack Hub's)")
    .option("--json", "print the result as JSON");
  if (provisioning) {
    c.option("--no-dsvm", "leave out the Data Science VM and its network")
      .option("--no-aks", "leave out the AKS cluster and its AcrPull grant")
      .option("--dsvm-size <size>", "the DSVM's GPU size (default Standard_NC4as_T4_v3)")
      .option("--gpu-size <size>", "the AKS GPU pool's size (default Standard_NC4as_T4_v3)")
      .option("--gpu-max <n>", "most GPU nodes the autoscaler may add (default 2)", wholeNumber("--gpu-max", 1))
      .option("--spot", "spot priority for the GPU pool (evicted nodes are deleted)")
      .option("--caller-ip <ip>", "the only address SSH and JupyterHub accept (`curl -s https://api.ipify.org`)")
      .option("--ssh-key <file>", "OpenSSH public key file (default ~/.ssh/id_ed25519.pub or id_rsa.pub)")
      .option("--repo-url <url>", "public git URL the DSVM's cloud-init clones the toolkit from")
      .option("--repo-ref <ref>", "branch or tag to clone (default main)");
  }
  return c;
}

function toOptions(f: Flags, defaults: AzureCommandDefaults, onProgress?: (p: AzureProgress) => void): ProvisionOptions {
  const o: ProvisionOptions = { ...defaults };
  if (f.subscription) o.subscriptionId = f.subscription;
  if (f.location) o.location = f.location;
  if (f.resourceGroup) o.resourceGroup = f.resourceGroup;
  if (f.deployment) o.deployment = f.deployment;
  if (f.armEndpoint) o.endpoint = f.armEndpoint;
  if (onProgress) o.onProgress = onProgress;
  if (f.dsvm === false) o.dsvm = false;
  else {
    o.dsvm = {
      ...(f.dsvmSize ? { size: f.dsvmSize } : {}),
      ...(f.callerIp ? { callerIp: f.callerIp } : {}),
      ...(f.sshKey ? { sshPublicKey: readFileSync(f.sshKey, "utf8").trim() } : {}),
      ...(f.repoUrl ? { repoUrl: f.repoUrl, repoRef: f.repoRef ?? "main" } : {}),
    };
  }
  if (f.aks === false) o.aks = false;
  else o.aks = { ...(f.gpuSize ? { gpuVmSize: f.gpuSize } : {}), ...(f.gpuMax ? { gpuMaxCount: f.gpuMax } : {}), ...(f.spot ? { spot: true } : {}) };
  return o;
}

export function azureCommand(_setExit: (code: number) => void, defaults: AzureCommandDefaults = {}, out: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  const progress = (p: AzureProgress) => {
    if (p.phase === "skipped") return;
    process.stderr.write(`  ${p.phase === "failed" ? "✗" : p.phase === "done" ? "✓" : "…"} ${p.resource}: ${p.message}${p.elapsedMs !== undefined ? ` (${(p.elapsedMs / 1000).toFixed(1)} s)` : ""}\n`);
  };
  const azure = new Command("azure").description("Provision on Azure: a GPU Data Science VM, an AKS cluster with a GPU pool, storage and a registry");
  const lib = () => import("../azure/index.js");

  azure.addCommand(
    common(new Command("plan"), true)
      .description("show what apply would create or change, and a rough hourly cost (reads only)")
      .option("--offline", "read nothing from Azure (no credential needed): everything shows as create")
      .action(async (f: Flags) => {
        const { plan, formatPlan } = await lib();
        const p = await plan({ ...toOptions(f, defaults), offline: f.offline ?? false });
        out(f.json ? `${JSON.stringify(p, null, 2)}\n` : `${formatPlan(p)}\n`);
      }),
  );
  azure.addCommand(
    common(new Command("apply"), true)
      .description("create or update the resources (idempotent: run it again to go on after a failure)")
      .option("--kubeconfig <file>", "write the AKS cluster's user kubeconfig there")
      .option("--device-plugin", "then apply the NVIDIA device plugin to the cluster (needs --kubeconfig, and kubelogin on the PATH)")
      .action(async (f: Flags & { devicePlugin?: boolean }) => {
        const { apply, formatPlan } = await lib();
        const stop = interruptible({ reason: new Error("SIGINT") });
        try {
          const r = await apply({ ...toOptions(f, defaults, progress), abortSignal: stop.signal, ...(f.kubeconfig ? { kubeconfigPath: f.kubeconfig } : {}), ...(f.devicePlugin ? { nvidiaDevicePlugin: true } : {}) });
          out(f.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatPlan(r.plan)}\n\nChanged: ${r.changed.join(", ") || "nothing"} (${(r.elapsedMs / 1000).toFixed(1)} s).${r.kubeconfigPath ? ` Kubeconfig: ${r.kubeconfigPath}` : ""}\n`);
        } finally {
          stop.done();
        }
      }),
  );
  azure.addCommand(
    common(new Command("status"), false)
      .description("show what of the deployment exists and in which state")
      .action(async (f: Flags) => {
        const { status, formatStatus } = await lib();
        const s = await status(toOptions({ ...f, dsvm: true, aks: true }, defaults));
        out(f.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s)}\n`);
      }),
  );
  azure.addCommand(
    common(new Command("teardown"), false)
      .description("delete what custom-ai tagged for the deployment, dependents first; says what it left")
      .action(async (f: Flags) => {
        const { teardown, formatTeardown } = await lib();
        const stop = interruptible({ reason: new Error("SIGINT") });
        try {
          const t = await teardown({ ...toOptions({ ...f, dsvm: true, aks: true }, defaults, progress), abortSignal: stop.signal });
          out(f.json ? `${JSON.stringify(t, null, 2)}\n` : `${formatTeardown(t)}\n`);
        } finally {
          stop.done();
        }
      }),
  );
  for (const action of ["start", "stop", "deallocate"] as const) {
    azure.addCommand(
      common(new Command(action), false)
        .description(action === "start" ? "start the DSVM" : action === "stop" ? "power the DSVM off (still billed)" : "deallocate the DSVM (billing stops but for its disk and IP)")
        .action(async (f: Flags) => {
          const { setDsvmPower } = await lib();
          await setDsvmPower(action, toOptions({ ...f, dsvm: true, aks: false }, defaults, progress));
        }),
    );
  }
  azure.addCommand(
    new Command("device-plugin")
      .description("apply the NVIDIA device plugin (a DaemonSet on the GPU pool's nodes) to a cluster")
      .argument("<kubeconfig>", "the cluster's kubeconfig (`custom-ai azure kubeconfig <file>`)")
      .action(async (kubeconfig: string) => {
        const { installNvidiaDevicePlugin } = await lib();
        const applied = await installNvidiaDevicePlugin({ kubeconfig });
        out(`${applied.map((a) => `${a.kind} ${a.namespace}/${a.name}: ${a.action}`).join("\n")}\n`);
      }),
  );
  azure.addCommand(
    common(new Command("kubeconfig"), false)
      .description("write the AKS cluster's user kubeconfig (for kubectl and `custom-ai deploy`)")
      .argument("<file>", "where to write it (mode 0600)")
      .action(async (file: string, f: Flags) => {
        const { fetchKubeconfig } = await lib();
        out(`${await fetchKubeconfig(file, toOptions({ ...f, dsvm: false, aks: true }, defaults))}\n`);
      }),
  );
  return azure;
}
