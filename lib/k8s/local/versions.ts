// What the local control plane is built from. environments/k8s-local/go.mod (and kwok/go.mod)
// pin the same versions: change them together (environments/k8s-local/README.md says how).

/** kube-apiserver, kube-controller-manager, kube-scheduler and kubectl. */
export const KUBE_VERSION = "v1.36.3";
/** etcd (Debian's etcd-server is 3.4: too old). */
export const ETCD_VERSION = "3.6.8";
/** kwok and kwokctl: the simulated nodes and pods. */
export const KWOK_VERSION = "v0.8.0";
/** The Go release go.mod asks for (GOTOOLCHAIN=local: an older go refuses to build). */
export const GO_MIN_VERSION = "1.26";

/** The binaries a build leaves in the bin folder. */
export const BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd", "kwok", "kwokctl"] as const;
export type LocalBinary = (typeof BINARIES)[number];

/** -ldflags for the Kubernetes commands: stripped, and stamped with the version so version checks pass. */
export function kubeLdflags(): string {
  const [major, minor] = KUBE_VERSION.slice(1).split(".");
  const stamps = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${KUBE_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
  return ["-s", "-w", ...stamps].join(" ");
}
