// buildLocalKubernetes's bookkeeping, around a stand-in for `go` (the real build runs once in the
// suite's global setup and takes minutes): concurrent callers build once, the key makes a version
// bump rebuild, and go's failures come back as K8S_LOCAL_BUILD saying what to do.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildLocalKubernetes, localClusterStatus, localKubernetesPaths } from "../../lib/k8s/local/index.js";
import { tempDir } from "../support/temp.js";

const environment = path.resolve(import.meta.dirname, "../../environments/k8s-local");

/** A project root holding a copy of environments/k8s-local's module files, and a fake `go` that logs its calls. */
function project(go: { version?: string; failWith?: string } = {}): { root: string; go: string; calls: () => string[] } {
  const root = tempDir("cai-k8s-build-");
  for (const file of ["go.mod", "go.sum", "kwok/go.mod", "kwok/go.sum"]) {
    mkdirSync(path.dirname(path.join(root, "environments/k8s-local", file)), { recursive: true });
    copyFileSync(path.join(environment, file), path.join(root, "environments/k8s-local", file));
  }
  const log = path.join(root, "go-calls.log");
  writeFileSync(log, "");
  const fake = path.join(root, "fake-go");
  // `go env GOVERSION` prints the version; `go build ... -o OUT pkg...` makes OUT (a file, or each
  // command's name in the folder OUT/) after 300 ms, or fails as asked.
  writeFileSync(
    fake,
    `#!/bin/sh
echo "$@" >> "${log}"
if [ "$1" = env ]; then echo ${go.version ?? "go1.26.8"}; exit 0; fi
${go.failWith ? `echo '${go.failWith}' >&2; exit 1` : ""}
sleep 0.3
out=""; prev=""
for a in "$@"; do if [ "$prev" = "-o" ]; then out="$a"; fi; prev="$a"; done
case "$out" in */) for a in "$@"; do case "$a" in */cmd/*) touch "$out$(basename "$a")";; esac; done;; *) touch "$out";; esac
`,
  );
  chmodSync(fake, 0o755);
  return { root, go: fake, calls: () => readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("build")) };
}

describe("buildLocalKubernetes", () => {
  it("builds once for concurrent callers, then only checks its key; a go.mod change rebuilds", async () => {
    const p = project();
    expect(localClusterStatus({ root: p.root }).built).toBe(false);
    const results = await Promise.all([buildLocalKubernetes({ root: p.root, go: p.go }), buildLocalKubernetes({ root: p.root, go: p.go })]);
    expect(results.map((r) => r.built).sort()).toEqual([false, true]);
    expect(p.calls()).toHaveLength(3); // kubernetes (4 commands in one go build), etcd, kwok
    const paths = localKubernetesPaths(p.root);
    expect(readdirSync(paths.bin).sort()).toEqual([".build-key", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwokctl"]);
    expect(existsSync(paths.buildLock)).toBe(false);
    expect(localClusterStatus({ root: p.root })).toMatchObject({ built: true, stale: false, clusters: [] });

    expect((await buildLocalKubernetes({ root: p.root, go: p.go })).built).toBe(false);
    expect(p.calls()).toHaveLength(3);

    appendFileSync(path.join(p.root, "environments/k8s-local/go.mod"), "\n// bumped\n");
    expect(localClusterStatus({ root: p.root })).toMatchObject({ built: false, stale: true });
    expect((await buildLocalKubernetes({ root: p.root, go: p.go })).built).toBe(true);
    expect(p.calls()).toHaveLength(6);
    // The build ran in a staging folder, swapped in whole: nothing else is left beside bin/.
    expect(readdirSync(path.dirname(paths.bin)).filter((f) => f.startsWith("bin"))).toEqual(["bin"]);
  });

  it("tells a module proxy it cannot reach from other failures, and keeps no half-built folder", async () => {
    const p = project({ failWith: "go: k8s.io/api@v0.36.3: Get https://proxy.golang.org/k8s.io/api/@v/v0.36.3.zip: dial tcp: lookup proxy.golang.org: no such host" });
    const progress: string[] = [];
    const error = await buildLocalKubernetes({ root: p.root, go: p.go, onProgress: (e) => progress.push(e.step) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "K8S_LOCAL_BUILD", message: expect.stringContaining("no such host"), hint: expect.stringContaining("module proxy") });
    expect(progress).toEqual(["go", "kubernetes"]);
    const paths = localKubernetesPaths(p.root);
    expect(readdirSync(paths.cache).filter((f) => f.startsWith("bin") || f.startsWith(".build-lock"))).toEqual([]);
    expect(localClusterStatus({ root: p.root }).built).toBe(false);
  });

  it("refuses a Go older than go.mod asks for, saying which", async () => {
    const p = project({ version: "go1.22.5" });
    await expect(buildLocalKubernetes({ root: p.root, go: p.go })).rejects.toMatchObject({
      code: "K8S_LOCAL_BUILD",
      message: expect.stringMatching(/go1\.22\.5.*needs Go 1\.26/),
    });
    expect(p.calls()).toHaveLength(0);
  });
});
