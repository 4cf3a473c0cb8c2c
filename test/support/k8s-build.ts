// The local Kubernetes control plane's binaries, built before any test starts (vitest global
// setup): a cold build takes minutes, longer than any test's timeout. Once built, this is a hash
// of four files.
import { buildLocalKubernetes } from "../../lib/k8s/local/index.js";

export async function ensureLocalKubernetes(log: (line: string) => void = console.log): Promise<void> {
  let told = false;
  const result = await buildLocalKubernetes({
    onProgress: (p) => {
      if (told || p.step === "done") return;
      told = true;
      log(`custom-ai: building the local Kubernetes control plane (first run only, ~7 min on 2 cores) into .cache/k8s/bin…`);
    },
  });
  if (result.built) log(`custom-ai: local Kubernetes control plane built in ${(result.durationMs / 1000).toFixed(0)} s.`);
}
