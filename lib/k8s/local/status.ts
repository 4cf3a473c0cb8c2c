import { existsSync } from "node:fs";
import { isBuilt } from "./build.js";
import { listLocalClusters, type LocalClusterInfo } from "./cluster.js";
import { localKubernetesPaths } from "./paths.js";
import { KUBE_VERSION } from "./versions.js";

/** localClusterStatus's answer. */
export interface LocalClusterStatus {
  /** The binaries are built, from the current go.mod/go.sum and versions. */
  built: boolean;
  /** Binaries exist but from other versions (a rebuild is due). */
  stale: boolean;
  /** The binaries' folder, .cache/k8s/bin. */
  bin: string;
  /** The version the binaries are (to be) built at. */
  kubernetesVersion: string;
  /** Clusters with a folder under .cache/k8s/clusters. */
  clusters: LocalClusterInfo[];
}

/** Built? Which clusters run? Cheap: reads files and checks pids, starts nothing. */
export function localClusterStatus(options: { root?: string } = {}): LocalClusterStatus {
  const paths = localKubernetesPaths(options.root);
  const built = isBuilt(paths);
  return {
    built,
    stale: !built && existsSync(paths.bin),
    bin: paths.bin,
    kubernetesVersion: KUBE_VERSION,
    clusters: listLocalClusters(options),
  };
}
