// A real Kubernetes control plane on this machine (kube-apiserver, controller-manager, scheduler,
// etcd, built from the Go module proxy) with kwok simulating the nodes and pods: what
// lib/k8s's deploys and the tests run against when there is no AKS cluster.
// environments/k8s-local/README.md has the build, the simulated nodes and the pods' contract.
export { buildLocalKubernetes, type BuildLocalKubernetesOptions, type BuildProgress, type BuildResult } from "./build.js";
export {
  startLocalCluster,
  stopLocalCluster,
  listLocalClusters,
  DEFAULT_CLUSTER_NAME,
  type LocalCluster,
  type LocalClusterInfo,
  type StartLocalClusterOptions,
  type StartProgress,
} from "./cluster.js";
export { localClusterStatus, type LocalClusterStatus } from "./status.js";
export { localKubernetesPaths, type LocalKubernetesPaths } from "./paths.js";
export { KUBE_VERSION, ETCD_VERSION, KWOK_VERSION, GO_MIN_VERSION } from "./versions.js";
