import os from "node:os";
import path from "node:path";
import { access, readFile, readdir, stat } from "node:fs/promises";
import { constants as fsConstants } from "node:fs";
import { loadConfig, type Target } from "./config.js";
import { findPackage } from "./packages.js";

export type CredentialStatus = "found" | "partial" | "absent" | "possible";

/** One place @azure/identity's DefaultAzureCredential could take a token from. */
export interface CredentialSource {
  source: string;
  status: CredentialStatus;
  /** Names of variables and tools only, never their values. */
  detail: string;
}

export interface EnvironmentReport {
  node: { version: string; major: number };
  platform: string;
  arch: string;
  cpus: number;
  totalMemoryGiB: number;
  /** "tslab" when this process is the tslab kernel, else "node". */
  runtime: "tslab" | "node";
  packages: { tslab: string | null; tfjs: string | null };
  /** GPU device files (/dev/nvidia*, /dev/dri/renderD*): a hint only, the backend probe is the test. */
  gpuDevices: string[];
  target: Target | "invalid";
  targetReasons: string[];
  azure: {
    subscriptionId: "set" | "not set";
    /** True when at least one source is "found" (complete enough to try; nothing was contacted). */
    credentialsFound: boolean;
    sources: CredentialSource[];
  };
}

export interface EnvironmentReportOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * Describes this machine and where the toolkit would run, without touching the network: Azure
 * credentials are looked for in variables, files and PATH only (managed identity is never probed,
 * since that means calling the instance metadata endpoint). Reports presence, never a value.
 */
export async function environmentReport(options: EnvironmentReportOptions = {}): Promise<EnvironmentReport> {
  const env = options.env ?? process.env;
  let target: Target | "invalid";
  let targetReasons: string[];
  try {
    const config = loadConfig(env);
    target = config.target;
    targetReasons = config.reasons;
  } catch (error) {
    target = "invalid";
    targetReasons = [error instanceof Error ? error.message : String(error)];
  }
  const version = process.versions.node;
  const cpus = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return {
    node: { version, major: Number(version.split(".")[0]) },
    platform: process.platform,
    arch: process.arch,
    cpus,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    runtime: /[\\/]tslab[\\/]/.test(process.argv[1] ?? "") ? "tslab" : "node",
    packages: {
      tslab: findPackage("tslab")?.version ?? null,
      tfjs: findPackage("@tensorflow/tfjs")?.version ?? null,
    },
    gpuDevices: await gpuDeviceFiles(),
    target,
    targetReasons,
    azure: {
      subscriptionId: isSet(env.AZURE_SUBSCRIPTION_ID) ? "set" : "not set",
      ...(await credentialSources(env)),
    },
  };
}

/** Flattens a report into `{ item, value }` rows for a table. */
export function environmentReportRows(report: EnvironmentReport): Array<{ item: string; value: string }> {
  const rows = [
    { item: "Node.js", value: report.node.version },
    { item: "platform", value: `${report.platform}/${report.arch}` },
    { item: "CPUs", value: String(report.cpus) },
    { item: "memory", value: `${report.totalMemoryGiB} GiB` },
    { item: "runtime", value: report.runtime },
    { item: "tslab", value: report.packages.tslab ?? "not installed" },
    { item: "@tensorflow/tfjs", value: report.packages.tfjs ?? "not installed" },
    { item: "GPU devices", value: report.gpuDevices.length ? report.gpuDevices.join(", ") : "none" },
    { item: "target", value: `${report.target} (${report.targetReasons.join("; ")})` },
    { item: "AZURE_SUBSCRIPTION_ID", value: report.azure.subscriptionId },
  ];
  for (const s of report.azure.sources) rows.push({ item: `credential: ${s.source}`, value: `${s.status}: ${s.detail}` });
  return rows;
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function gpuDeviceFiles(): Promise<string[]> {
  const found: string[] = [];
  for (const [dir, pattern] of [
    ["/dev", /^nvidia\d+$/],
    ["/dev/dri", /^renderD\d+$/],
  ] as const) {
    try {
      for (const name of (await readdir(dir)).sort()) if (pattern.test(name)) found.push(path.join(dir, name));
    } catch {
      // no such directory (not Linux, or a container without devices)
    }
  }
  return found;
}

/** Finds an executable on PATH by looking at the files, without running it. */
async function onPath(command: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean);
  const names = process.platform === "win32" ? [`${command}.cmd`, `${command}.exe`, command] : [command];
  for (const dir of dirs) {
    for (const name of names) {
      try {
        await access(path.join(dir, name), fsConstants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

/** Azure's VMs carry this DMI chassis asset tag; reading it is a local file read, not a network call. */
const AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77";

async function looksLikeAzureVm(): Promise<boolean> {
  try {
    return (await readFile("/sys/class/dmi/id/chassis_asset_tag", "utf8")).trim() === AZURE_ASSET_TAG;
  } catch {
    return false;
  }
}

async function credentialSources(env: NodeJS.ProcessEnv): Promise<{ credentialsFound: boolean; sources: CredentialSource[] }> {
  const has = (name: string) => isSet(env[name]);
  const missing = (names: string[]) => names.filter((n) => !has(n));
  const sources: CredentialSource[] = [];

  // Like @azure/identity's EnvironmentCredential: tenant + client id + a secret or a certificate.
  const principal = (source: string, required: string[]): void => {
    const absent = missing(required);
    const status: CredentialStatus = absent.length === 0 ? "found" : absent.length === required.length ? "absent" : "partial";
    const detail =
      status === "found"
        ? `${required.join(", ")} set`
        : status === "absent"
          ? `${required.join(", ")} not set`
          : `${required.filter(has).join(", ")} set; missing ${absent.join(", ")}`;
    sources.push({ source, status, detail });
  };
  principal("service principal, secret (environment)", ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]);
  principal("service principal, certificate (environment)", ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH"]);
  const cert = sources[sources.length - 1];
  if (cert.status === "found" && !(await exists(env.AZURE_CLIENT_CERTIFICATE_PATH as string))) {
    cert.status = "partial";
    cert.detail = "AZURE_CLIENT_CERTIFICATE_PATH is set but names no readable file";
  }
  principal("workload identity (AKS federated token)", ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"]);

  const az = await onPath("az", env);
  const profile = path.join(env.AZURE_CONFIG_DIR || path.join(os.homedir(), ".azure"), "azureProfile.json");
  const loggedIn = az && (await exists(profile));
  sources.push({
    source: "Azure CLI",
    status: loggedIn ? "found" : az ? "partial" : "absent",
    detail: loggedIn
      ? "`az` on PATH with a login profile (run `az account show` to check the login is current)"
      : az
        ? "`az` on PATH but no login profile: run `az login`"
        : "`az` not on PATH",
  });
  const azd = await onPath("azd", env);
  sources.push({
    source: "Azure Developer CLI",
    status: azd ? "possible" : "absent",
    detail: azd ? "`azd` on PATH (run `azd auth login` if it is not logged in)" : "`azd` not on PATH",
  });

  const endpoint = ["IDENTITY_ENDPOINT", "MSI_ENDPOINT"].filter(has);
  const azureVm = await looksLikeAzureVm();
  sources.push({
    source: "managed identity",
    status: endpoint.length > 0 ? "found" : "possible",
    detail:
      endpoint.length > 0
        ? `${endpoint.join(", ")} set (App Service, Arc or Cloud Shell style); not probed`
        : azureVm
          ? "possible: this looks like an Azure VM (DMI asset tag); not probed, that would call the metadata endpoint"
          : "possible on an Azure VM only; not probed (this machine does not look like one)",
  });

  return { credentialsFound: sources.some((s) => s.status === "found"), sources };
}
