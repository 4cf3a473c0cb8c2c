// Where the local control plane's files are: its definition (environments/k8s-local, tracked) and
// everything made from it (.cache/k8s: binaries, Go caches, cluster folders; untracked).
import { existsSync } from "node:fs";
import path from "node:path";
import { CustomAiError, toolkitInfo } from "../../core/index.js";

/** Where the local control plane's files are (localKubernetesPaths). */
export interface LocalKubernetesPaths {
  /** The project root (where package.json is). */
  root: string;
  /** environments/k8s-local: go.mod, kwokctl.yaml, stages, nodes. */
  environment: string;
  /** .cache/k8s */
  cache: string;
  /** .cache/k8s/bin: the built binaries and their .build-key. */
  bin: string;
  /** GOMODCACHE, GOCACHE and GOTMPDIR of the build. */
  goModCache: string;
  /** GOCACHE */
  goBuildCache: string;
  /** GOTMPDIR */
  goTmp: string;
  /** KWOK_WORKDIR: kwokctl keeps each cluster in clusters/<name>/ under it. */
  kwokWorkdir: string;
  /** .cache/k8s/clusters: one folder per cluster. */
  clusters: string;
  /** Folders that exist while a build runs, and while a cluster's processes start (lock.ts). */
  buildLock: string;
  /** See buildLock. */
  startLock: string;
}

/** The paths for the project at `root` (default: the project this code runs in). */
export function localKubernetesPaths(root?: string): LocalKubernetesPaths {
  const base = root ?? toolkitInfo().root;
  const environment = path.join(base, "environments", "k8s-local");
  if (!base || !existsSync(path.join(environment, "go.mod"))) {
    throw new CustomAiError(
      "K8S_LOCAL_BUILD",
      `No environments/k8s-local/go.mod under ${base || "the working directory"}: the local control plane is defined there.`,
      { hint: "Run this from the toolkit's folder, or copy environments/k8s-local along with lib/k8s/local." },
    );
  }
  const cache = path.join(base, ".cache", "k8s");
  return {
    root: base,
    environment,
    cache,
    bin: path.join(cache, "bin"),
    goModCache: path.join(cache, "gomod"),
    goBuildCache: path.join(cache, "gocache"),
    goTmp: path.join(cache, "tmp"),
    kwokWorkdir: cache,
    clusters: path.join(cache, "clusters"),
    buildLock: path.join(cache, ".build-lock"),
    startLock: path.join(cache, ".start-lock"),
  };
}
