// Starts and stops local clusters: kwokctl (binary runtime) runs etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok from .cache/k8s/bin, bound to 127.0.0.1 on free
// ports, in .cache/k8s/clusters/<name>/; then the simulated nodes of environments/k8s-local/nodes.yaml
// are created and awaited. Nothing is written outside .cache/k8s (no ~/.kube, no ~/.kwok, no TMPDIR).
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { CustomAiError } from "../../core/index.js";
import { isBuilt } from "./build.js";
import { withLock } from "./lock.js";
import { localKubernetesPaths, type LocalKubernetesPaths } from "./paths.js";
import { componentPids, isRunning, killAll, waitForExit } from "./processes.js";
import { aborted, runCommand, tail } from "./run-command.js";
import { ETCD_VERSION, KUBE_VERSION } from "./versions.js";

/** The name of the cluster `npm run k8s:local -- start` starts, and startLocalCluster's default. */
export const DEFAULT_CLUSTER_NAME = "custom-ai";

/** What startLocalCluster's `onProgress` receives. */
export interface StartProgress {
  /** starting: kwokctl starts the processes; nodes: the simulated nodes are created; ready: done. */
  step: "starting" | "nodes" | "ready";
  /** One line for a person. */
  message: string;
  /** Since the start began. */
  elapsedMs: number;
}

/** Options of startLocalCluster. */
export interface StartLocalClusterOptions {
  /** Lowercase letters, digits and "-" (default "custom-ai"). One cluster per name at a time. */
  name?: string;
  /** The project root (default: the project this code runs in). */
  root?: string;
  /**
   * Leave the cluster running when this process exits (`npm run k8s:local -- start`). Default
   * false: its processes are killed and its folder removed when this process exits without stop().
   */
  keepRunning?: boolean;
  /** How long the control plane and the nodes may take to become ready. Default 120 s. */
  timeoutMs?: number;
  /** A line per step. */
  onProgress?: (progress: StartProgress) => void;
  /** Stops the start; what was started is stopped again. */
  abortSignal?: AbortSignal;
}

/** A running local cluster. */
export interface LocalCluster {
  /** Its name (its folder is .cache/k8s/clusters/<name>). */
  name: string;
  /** The cluster's kubeconfig file (admin credentials; removed by stop()). */
  kubeconfig: string;
  /** The API server's URL (https://127.0.0.1:<port>). */
  server: string;
  /** The cluster's folder: logs/ holds each component's log. */
  workdir: string;
  /** Deletes the cluster and waits until its processes have exited; removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** A local cluster found on disk (listLocalClusters). */
export interface LocalClusterInfo {
  /** Its name. */
  name: string;
  /** True while any of its components runs. */
  running: boolean;
  /** Its kubeconfig file (there while it runs). */
  kubeconfig: string;
  /** Component pids still running. */
  pids: number[];
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/**
 * Starts a local cluster and returns once its API server answers, its 4 simulated nodes are Ready
 * and the default service account exists (3–4 s on an idle 2-core machine; 6–16 s measured on a
 * busy one). Throws K8S_LOCAL_START (not built, the name is running already, kwokctl failed: with
 * its output and the component logs), ABORTED (what was started is stopped first).
 */
export async function startLocalCluster(options: StartLocalClusterOptions = {}): Promise<LocalCluster> {
  const started = Date.now();
  const progress = (step: StartProgress["step"], message: string) => options.onProgress?.({ step, message, elapsedMs: Date.now() - started });
  const paths = localKubernetesPaths(options.root);
  const name = options.name ?? DEFAULT_CLUSTER_NAME;
  if (!NAME.test(name)) {
    throw new CustomAiError("K8S_LOCAL_START", `"${name}" cannot name a local cluster: use 1–40 lowercase letters, digits and "-", starting and ending with a letter or digit.`, {
      hint: `Pass a name such as "${name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || DEFAULT_CLUSTER_NAME}".`,
    });
  }
  if (!isBuilt(paths)) {
    throw new CustomAiError("K8S_LOCAL_START", `The local Kubernetes control plane is not built (or was built from other versions): no current binaries in ${path.relative(paths.root, paths.bin)}.`, {
      hint: "Run `npm run k8s:local -- build` (once, ~7 min on 2 cores; it needs Go 1.26+), then start again.",
    });
  }
  const dir = path.join(paths.clusters, name);
  if (componentPids(dir).some(isRunning)) {
    throw new CustomAiError("K8S_LOCAL_START", `A local cluster named "${name}" is already running (${path.relative(paths.root, dir)}).`, {
      hint: `Use it (KUBECONFIG=${path.join(dir, "kubeconfig.yaml")}), stop it with \`npm run k8s:local -- stop ${name}\`, or start one of another name.`,
    });
  }
  if (existsSync(dir)) await deleteCluster(paths, name); // the remains of one that died

  const timeoutMs = options.timeoutMs ?? 120_000;
  progress("starting", `starting cluster "${name}" (Kubernetes ${KUBE_VERSION}, etcd ${ETCD_VERSION}, kwok)`);
  const cluster = clusterHandle(paths, name);
  const forget = options.keepRunning ? () => {} : removeOnExit(dir);
  const stop = cluster.stop;
  cluster.stop = async () => {
    forget();
    await stop();
  };
  try {
    // One start at a time on this machine: kwokctl picks ports by trying them, then starts the
    // processes; two starts at once can pick the same ports. Held until the processes listen.
    const create = await withLock(paths.startLock, { waitMs: timeoutMs, abortSignal: options.abortSignal }, () =>
      runCommand(
        [path.join(paths.bin, "kwokctl"), ...configArgs(paths), "create", "cluster", "--name", name, "--kubeconfig", "", "--wait", `${Math.ceil(timeoutMs / 1000)}s`],
        { env: kwokEnv(paths), abortSignal: options.abortSignal, what: `starting local cluster "${name}"` },
      ),
    );
    if (create.exitCode !== 0 || !existsSync(cluster.kubeconfig)) {
      throw new CustomAiError("K8S_LOCAL_START", `kwokctl could not start local cluster "${name}" (exit ${create.exitCode}):\n${tail(create.output)}${logTails(dir)}`, {
        hint: "Read kwokctl's output and the component logs above; `npm run k8s:local -- status` lists what runs.",
      });
    }
    cluster.server = serverOf(cluster.kubeconfig);
    progress("nodes", `creating the simulated nodes (${path.relative(paths.root, path.join(paths.environment, "nodes.yaml"))})`);
    const kubectl = kubectlRunner(paths, cluster.kubeconfig, options.abortSignal);
    const applied = await kubectl(["apply", "-f", path.join(paths.environment, "nodes.yaml")]);
    if (applied.exitCode !== 0) throw new CustomAiError("K8S_LOCAL_START", `kubectl apply of nodes.yaml failed:\n${tail(applied.output)}`);
    await waitReady(kubectl, name, dir, started + timeoutMs, options.abortSignal);
    progress("ready", `cluster "${name}" ready in ${((Date.now() - started) / 1000).toFixed(1)} s: KUBECONFIG=${cluster.kubeconfig}`);
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => {});
    throw error;
  }
}

/** Stops the local cluster of that name (started by this or another process). False when there was none. */
export async function stopLocalCluster(options: { name?: string; root?: string } = {}): Promise<boolean> {
  const paths = localKubernetesPaths(options.root);
  const name = options.name ?? DEFAULT_CLUSTER_NAME;
  if (!existsSync(path.join(paths.clusters, name))) return false;
  await clusterHandle(paths, name).stop();
  return true;
}

/** The local clusters that have a folder under .cache/k8s/clusters, running or not. */
export function listLocalClusters(options: { root?: string } = {}): LocalClusterInfo[] {
  const paths = localKubernetesPaths(options.root);
  if (!existsSync(paths.clusters)) return [];
  return readdirSync(paths.clusters, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dir = path.join(paths.clusters, e.name);
      const pids = componentPids(dir).filter(isRunning);
      return { name: e.name, running: pids.length > 0, kubeconfig: path.join(dir, "kubeconfig.yaml"), pids };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function clusterHandle(paths: LocalKubernetesPaths, name: string): LocalCluster {
  const dir = path.join(paths.clusters, name);
  const kubeconfig = path.join(dir, "kubeconfig.yaml");
  let stopping: Promise<void> | undefined;
  return {
    name,
    kubeconfig,
    server: existsSync(kubeconfig) ? serverOf(kubeconfig) : "",
    workdir: dir,
    stop: () => (stopping ??= deleteCluster(paths, name)),
  };
}

/**
 * kwokctl delete returns before the components have exited (~1 s later): the pids are read first
 * (delete removes their files) and awaited; what still runs after 10 s is killed.
 */
async function deleteCluster(paths: LocalKubernetesPaths, name: string): Promise<void> {
  const dir = path.join(paths.clusters, name);
  const pids = componentPids(dir);
  // --kubeconfig names the file to remove the cluster's context from: one of its own, not ~/.kube/config ("" is refused).
  const ownKubeconfig = path.join(dir, "no-user-kubeconfig.yaml");
  const deleted = await runCommand([path.join(paths.bin, "kwokctl"), "delete", "cluster", "--name", name, "--kubeconfig", ownKubeconfig], { env: kwokEnv(paths), what: `stopping local cluster "${name}"` }).catch(
    (error: unknown) => ({ exitCode: null, output: String(error) }),
  );
  let left = await waitForExit(pids, deleted.exitCode === 0 ? 10_000 : 0);
  if (left.length > 0) {
    killAll(left, "SIGKILL");
    left = await waitForExit(left, 5_000);
  }
  rmSync(dir, { recursive: true, force: true });
  if (left.length > 0) {
    throw new CustomAiError("K8S_LOCAL_START", `Local cluster "${name}": processes ${left.join(", ")} did not exit after SIGKILL.`, { hint: "Look at them with `ps -p <pid>`." });
  }
}

/** kwokctl's environment: binaries from the build, every folder under .cache/k8s, no user kubeconfig touched. */
function kwokEnv(paths: LocalKubernetesPaths): NodeJS.ProcessEnv {
  const bin = (name: string) => path.join(paths.bin, name);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KWOK_WORKDIR: paths.kwokWorkdir,
    KWOK_RUNTIME: "binary",
    KWOK_KUBE_VERSION: KUBE_VERSION,
    KWOK_ETCD_VERSION: ETCD_VERSION,
    KWOK_KUBE_BINARY_PREFIX: paths.bin,
    KWOK_KUBE_APISERVER_BINARY: bin("kube-apiserver"),
    KWOK_KUBE_CONTROLLER_MANAGER_BINARY: bin("kube-controller-manager"),
    KWOK_KUBE_SCHEDULER_BINARY: bin("kube-scheduler"),
    KWOK_KUBECTL_BINARY: bin("kubectl"),
    KWOK_ETCD_BINARY: bin("etcd"),
    KWOK_BINARY_PREFIX: paths.bin,
    KWOK_CONTROLLER_BINARY: bin("kwok"),
    KUBECACHEDIR: path.join(paths.cache, "kube-cache"),
  };
  delete env.KUBECONFIG;
  return env;
}

function configArgs(paths: LocalKubernetesPaths): string[] {
  return ["kwokctl.yaml", "stages/nodes.yaml", "stages/pods.yaml"].flatMap((file) => ["--config", path.join(paths.environment, file)]);
}

type Kubectl = (args: string[]) => ReturnType<typeof runCommand>;

function kubectlRunner(paths: LocalKubernetesPaths, kubeconfig: string, abortSignal?: AbortSignal): Kubectl {
  const env = { ...process.env, KUBECACHEDIR: path.join(paths.cache, "kube-cache") };
  return (args) => runCommand([path.join(paths.bin, "kubectl"), "--kubeconfig", kubeconfig, ...args], { env, abortSignal, what: `kubectl ${args[0]}` });
}

/** Until every node of nodes.yaml is Ready and the default service account exists (pods are refused before it). */
async function waitReady(kubectl: Kubectl, name: string, dir: string, deadline: number, abortSignal?: AbortSignal): Promise<void> {
  let last = "";
  for (;;) {
    const nodes = await kubectl(["get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}`]);
    const account = await kubectl(["get", "serviceaccount", "default", "--namespace", "default", "-o", "name"]);
    const states = nodes.output.trim().split("\n").filter(Boolean);
    if (nodes.exitCode === 0 && account.exitCode === 0 && states.length > 0 && states.every((s) => s.endsWith("=True"))) return;
    last = `nodes: ${states.join(", ") || nodes.output.trim()}; default service account: ${account.exitCode === 0 ? "yes" : "not yet"}`;
    if (Date.now() > deadline) {
      throw new CustomAiError("K8S_LOCAL_START", `Local cluster "${name}" did not become ready in time (${last}).${logTails(dir)}`, { hint: "Read the component logs above; on a busy machine pass a longer timeoutMs." });
    }
    if (abortSignal?.aborted) throw aborted(`starting local cluster "${name}"`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function serverOf(kubeconfig: string): string {
  return /^\s*server:\s*(\S+)/m.exec(readFileSync(kubeconfig, "utf8"))?.[1] ?? "";
}

/** The last lines of each component's log, for a start failure. */
function logTails(dir: string): string {
  const logs = path.join(dir, "logs");
  if (!existsSync(logs)) return "";
  return readdirSync(logs)
    .filter((f) => f.endsWith(".log"))
    .map((f) => `\n${f}:\n${tail(readFileSync(path.join(logs, f), "utf8"), 8)}`)
    .join("");
}

const ownedClusters = new Set<string>();
let exitHookInstalled = false;

/** Kills the cluster's components (SIGKILL) and removes its folder if this process exits before stop(). */
function removeOnExit(dir: string): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const owned of ownedClusters) {
        killAll(componentPids(owned), "SIGKILL");
        rmSync(owned, { recursive: true, force: true });
      }
    });
  }
  ownedClusters.add(dir);
  return () => ownedClusters.delete(dir);
}
