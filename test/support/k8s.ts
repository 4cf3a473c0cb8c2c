// A real local Kubernetes cluster for a test file (lib/k8s/local; the binaries are built by the
// global setup): started in beforeAll under a name of its own, stopped in afterAll.
//   const k8s = useLocalCluster("deploy");
//   it("...", async () => { const api = k8s.kubeConfig().makeApiClient(CoreV1Api); ... });
// What the simulated pods do (fail-pull, crash, exit-code annotations): environments/k8s-local/README.md.
import { randomBytes } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";
import { startLocalCluster, type LocalCluster } from "../../lib/k8s/local/index.js";


export interface LocalClusterFixture {
  /** The running cluster (after beforeAll). */
  readonly cluster: LocalCluster;
  /** Its kubeconfig file. */
  readonly kubeconfig: string;
  /** A @kubernetes/client-node KubeConfig for it. */
  kubeConfig(): KubeConfig;
}

/** Starts a cluster for this test file (beforeAll, ~4 s) and stops it after its last test. */
export function useLocalCluster(prefix = "test"): LocalClusterFixture {
  let cluster: LocalCluster | undefined;
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 20)}-${process.pid}-${randomBytes(2).toString("hex")}`;
  beforeAll(async () => {
    cluster = await startLocalCluster({ name });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const started = (): LocalCluster => {
    if (!cluster) throw new Error("the local cluster is not started: use useLocalCluster() at the top level of a test file, and the fixture in tests or later hooks");
    return cluster;
  };
  return {
    get cluster() {
      return started();
    },
    get kubeconfig() {
      return started().kubeconfig;
    },
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(started().kubeconfig);
      return kc;
    },
  };
}
