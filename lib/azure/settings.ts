// What a deployment consists of: the DSVM's and the AKS cluster's settings, with their defaults.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AzureOptions } from "./context.js";
import { repoFile } from "./module-dir.js";

export interface DsvmSettings {
  /** A GPU size. Default: Standard_NC4as_T4_v3 (1 T4, 4 vCPUs). */
  size: string;
  /** Default: azureuser. */
  adminUsername: string;
  /** The OpenSSH public key (password login is disabled). Default: ~/.ssh/id_ed25519.pub or id_rsa.pub. Required to create the VM. */
  sshPublicKey?: string;
  /** The only address SSH (22) and JupyterHub (8000) accept, e.g. your public IP (`curl -s https://api.ipify.org`). Required to create the network security group. */
  callerIp?: string;
  /** Daily auto-shutdown time, HHmm. Default: 1900. */
  autoShutdownTime: string;
  /** Windows time-zone id of the shutdown time. Default: UTC. */
  timeZone: string;
  /** The VM's cloud-init user data. Default: environments/dsvm/cloud-init.yaml with repoUrl / repoRef filled in. */
  cloudInit?: string;
  /** Substituted for @REPO_URL@ / @REPO_REF@ in the default cloud-init. */
  repoUrl?: string;
  repoRef?: string;
}

export interface AksSettings {
  /** Default: the region's default version (Azure chooses). */
  kubernetesVersion?: string;
  /** Default: Standard_D4s_v5. */
  systemVmSize: string;
  /** Default: 1. */
  systemNodeCount: number;
  /** Default: Standard_NC4as_T4_v3. */
  gpuVmSize: string;
  /** Autoscaler bounds of the GPU pool. Default: 0..2. */
  gpuMinCount: number;
  gpuMaxCount: number;
  /** Spot priority (eviction policy Delete) for the GPU pool. Default: false. */
  spot: boolean;
}

export interface ProvisionOptions extends AzureOptions {
  /** The DSVM and its network, or false for none. Default: included. */
  dsvm?: Partial<DsvmSettings> | false;
  /** The AKS cluster (with the AcrPull grant), or false for none. Default: included. */
  aks?: Partial<AksSettings> | false;
  /** Blob containers of the storage account. Default: data, models. */
  containers?: string[];
}

export interface Settings {
  dsvm: DsvmSettings | undefined;
  aks: AksSettings | undefined;
  containers: string[];
}

export const DEFAULT_GPU_SIZE = "Standard_NC4as_T4_v3";

/** The toolkit's DSVM user data, beside lib/ in the repository (undefined when lib/azure was copied out alone). */
export function defaultCloudInitPath(): string | undefined {
  return repoFile("environments/dsvm/cloud-init.yaml");
}

function defaultSshKey(): string | undefined {
  for (const name of ["id_ed25519.pub", "id_rsa.pub"]) {
    const file = path.join(os.homedir(), ".ssh", name);
    if (existsSync(file)) return readFileSync(file, "utf8").trim();
  }
  return undefined;
}

export function resolveSettings(options: ProvisionOptions): Settings {
  let dsvm: DsvmSettings | undefined;
  if (options.dsvm !== false) {
    const d = options.dsvm ?? {};
    dsvm = { size: d.size ?? DEFAULT_GPU_SIZE, adminUsername: d.adminUsername ?? "azureuser", autoShutdownTime: d.autoShutdownTime ?? "1900", timeZone: d.timeZone ?? "UTC" };
    const key = d.sshPublicKey ?? defaultSshKey();
    if (key) dsvm.sshPublicKey = key;
    if (d.callerIp) dsvm.callerIp = d.callerIp;
    let cloudInit = d.cloudInit;
    if (cloudInit === undefined) {
      const file = defaultCloudInitPath();
      if (file) cloudInit = readFileSync(file, "utf8");
    }
    if (cloudInit !== undefined) {
      if (d.repoUrl) cloudInit = cloudInit.replaceAll("@REPO_URL@", d.repoUrl);
      if (d.repoRef) cloudInit = cloudInit.replaceAll("@REPO_REF@", d.repoRef);
      dsvm.cloudInit = cloudInit;
    }
  }
  let aks: AksSettings | undefined;
  if (options.aks !== false) {
    const a = options.aks ?? {};
    aks = {
      systemVmSize: a.systemVmSize ?? "Standard_D4s_v5",
      systemNodeCount: a.systemNodeCount ?? 1,
      gpuVmSize: a.gpuVmSize ?? DEFAULT_GPU_SIZE,
      gpuMinCount: a.gpuMinCount ?? 0,
      gpuMaxCount: a.gpuMaxCount ?? 2,
      spot: a.spot ?? false,
    };
    if (a.kubernetesVersion) aks.kubernetesVersion = a.kubernetesVersion;
  }
  return { dsvm, aks, containers: options.containers ?? ["data", "models"] };
}
