#!/usr/bin/env node
// The local Kubernetes control plane in one command (environments/k8s-local/README.md):
//   npm run k8s:local -- build            build the binaries into .cache/k8s/bin (once, ~7 min)
//   npm run k8s:local -- start [name]     build if needed, start a cluster, print its KUBECONFIG
//   npm run k8s:local -- stop [name|--all]
//   npm run k8s:local -- status
import { register } from "tsx/esm/api";

register();
const local = await import("../lib/k8s/local/index.ts");
const { reportError } = await import("../lib/cli/errors.ts");

const USAGE = "usage: npm run k8s:local -- build | start [name] | stop [name|--all] | status";
const [command, arg] = process.argv.slice(2);
const abort = new AbortController();
process.once("SIGINT", () => abort.abort());
const say = (line) => console.error(`k8s-local: ${line}`);
const onProgress = (p) => say(p.message);

async function main() {
  switch (command) {
    case "build": {
      const r = await local.buildLocalKubernetes({ onProgress, abortSignal: abort.signal });
      if (!r.built) say(`the binaries in ${r.bin} are current; nothing to build`);
      return 0;
    }
    case "start": {
      await local.buildLocalKubernetes({ onProgress, abortSignal: abort.signal });
      const cluster = await local.startLocalCluster({ name: arg, keepRunning: true, onProgress, abortSignal: abort.signal });
      say(`API server ${cluster.server}; stop it with: npm run k8s:local -- stop${arg ? ` ${arg}` : ""}`);
      console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
      return 0;
    }
    case "stop": {
      const names = arg === "--all" ? local.listLocalClusters().map((c) => c.name) : [arg ?? local.DEFAULT_CLUSTER_NAME];
      for (const name of names) say((await local.stopLocalCluster({ name })) ? `stopped "${name}"` : `no local cluster named "${name}"`);
      return 0;
    }
    case "status": {
      const s = local.localClusterStatus();
      console.log(`binaries: ${s.built ? `built (Kubernetes ${s.kubernetesVersion})` : s.stale ? "stale: run `npm run k8s:local -- build`" : "not built: run `npm run k8s:local -- build`"} — ${s.bin}`);
      if (s.clusters.length === 0) console.log("clusters: none");
      for (const c of s.clusters) console.log(`cluster ${c.name}: ${c.running ? `running (pids ${c.pids.join(" ")}) — KUBECONFIG=${c.kubeconfig}` : "not running (leftover folder: `stop` removes it)"}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.exitCode = reportError(error);
}
