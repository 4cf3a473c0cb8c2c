// Builds the local control plane's binaries from the Go module proxy into .cache/k8s/bin, once:
// a build key (sha-256 of the go.mod/go.sum pairs, the versions and the link flags) is written
// beside them last, and a later call with the same key returns at once. A lock folder makes
// concurrent callers (a test run and a user's `npm run k8s:local -- build`) build once.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CustomAiError } from "../../core/index.js";
import { withLock } from "./lock.js";
import { localKubernetesPaths, type LocalKubernetesPaths } from "./paths.js";
import { runCommand, tail } from "./run-command.js";
import { BINARIES, ETCD_VERSION, GO_MIN_VERSION, KUBE_VERSION, KWOK_VERSION, kubeLdflags } from "./versions.js";

/** What `onProgress` receives: a line per step of the build. */
export interface BuildProgress {
  /** go: checking the go command; waiting: another process holds the build lock. */
  step: "go" | "kubernetes" | "etcd" | "kwok" | "waiting" | "done";
  /** One line for a person. */
  message: string;
  /** Since the build started. */
  elapsedMs: number;
}

/** Options of buildLocalKubernetes. */
export interface BuildLocalKubernetesOptions {
  /** The project root (default: the project this code runs in). */
  root?: string;
  /** The go command (default $GO, else `go` on the PATH). */
  go?: string;
  /** Rebuild even when the binaries are current. */
  force?: boolean;
  /** A line per step. */
  onProgress?: (progress: BuildProgress) => void;
  /** Stops go (the Go caches keep what it finished). */
  abortSignal?: AbortSignal;
}

/** What buildLocalKubernetes did. */
export interface BuildResult {
  /** The folder holding the binaries. */
  bin: string;
  /** False when they were current already (nothing was built). */
  built: boolean;
  /** Wall time, waiting for another builder included. */
  durationMs: number;
}

const KEY_FILE = ".build-key";
const LOCK_WAIT_MS = 30 * 60_000;

/** The key the binaries must have been built with: changes with go.mod/go.sum, the versions and the link flags. */
export function buildKey(paths: LocalKubernetesPaths): string {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "kwok/go.mod", "kwok/go.sum"]) hash.update(file).update(readFileSync(path.join(paths.environment, file)));
  hash.update([KUBE_VERSION, ETCD_VERSION, KWOK_VERSION, kubeLdflags()].join("\n"));
  return hash.digest("hex");
}

/** Whether the bin folder holds every binary, built with the current key. */
export function isBuilt(paths: LocalKubernetesPaths): boolean {
  const keyFile = path.join(paths.bin, KEY_FILE);
  if (!existsSync(keyFile) || readFileSync(keyFile, "utf8") !== buildKey(paths)) return false;
  return BINARIES.every((name) => existsSync(path.join(paths.bin, name)));
}

/**
 * Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (v1.36.3), etcd (3.6.8),
 * kwok and kwokctl (v0.8.0) into .cache/k8s/bin, unless they are current. Cold: ~7 min on 2 cores
 * and ~4.5 GB of Go caches; a rebuild with the caches kept only relinks. Throws K8S_LOCAL_BUILD
 * (no Go, no module proxy, a failed build: with its output), ABORTED.
 */
export async function buildLocalKubernetes(options: BuildLocalKubernetesOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const paths = localKubernetesPaths(options.root);
  if (!options.force && isBuilt(paths)) return { bin: paths.bin, built: false, durationMs: Date.now() - started };
  const progress = (step: BuildProgress["step"], message: string) => options.onProgress?.({ step, message, elapsedMs: Date.now() - started });
  const wait = { waitMs: LOCK_WAIT_MS, abortSignal: options.abortSignal, onWait: (holder: string) => progress("waiting", `another process (${holder}) is building the local control plane; waiting for it`) };
  return withLock(paths.buildLock, wait, async () => {
    if (!options.force && isBuilt(paths)) return { bin: paths.bin, built: false, durationMs: Date.now() - started }; // built while we waited
    await build(paths, options, progress);
    progress("done", `built into ${path.relative(paths.root, paths.bin)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { bin: paths.bin, built: true, durationMs: Date.now() - started };
  });
}

async function build(paths: LocalKubernetesPaths, options: BuildLocalKubernetesOptions, progress: (step: BuildProgress["step"], message: string) => void): Promise<void> {
  const go = options.go ?? process.env.GO ?? "go";
  for (const dir of [paths.goModCache, paths.goBuildCache, paths.goTmp]) mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOMODCACHE: paths.goModCache,
    GOCACHE: paths.goBuildCache,
    GOTMPDIR: paths.goTmp, // go's work folders: not in the caller's TMPDIR
    GOMAXPROCS: process.env.GOMAXPROCS ?? "2",
    GOFLAGS: "-buildvcs=false",
    GOTOOLCHAIN: "local", // never download another toolchain
  };
  progress("go", `checking ${go}`);
  await checkGo(go, env, options.abortSignal);

  const key = buildKey(paths);
  const staging = `${paths.bin}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const steps: { step: BuildProgress["step"]; message: string; cwd: string; args: string[] }[] = [
      {
        step: "kubernetes",
        message: `building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ${KUBE_VERSION} (cold: ~6 min)`,
        cwd: paths.environment,
        args: ["build", "-trimpath", "-ldflags", kubeLdflags(), "-o", `${staging}${path.sep}`, ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map((c) => `k8s.io/kubernetes/cmd/${c}`)],
      },
      {
        step: "etcd",
        message: `building etcd ${ETCD_VERSION}`,
        cwd: paths.environment,
        args: ["build", "-trimpath", "-ldflags", "-s -w", "-o", path.join(staging, "etcd"), "go.etcd.io/etcd/server/v3"],
      },
      {
        step: "kwok",
        message: `building kwok, kwokctl ${KWOK_VERSION} (cold: ~1 min)`,
        cwd: path.join(paths.environment, "kwok"),
        args: ["build", "-trimpath", "-ldflags", "-s -w", "-o", `${staging}${path.sep}`, "sigs.k8s.io/kwok/cmd/kwok", "sigs.k8s.io/kwok/cmd/kwokctl"],
      },
    ];
    for (const s of steps) {
      progress(s.step, s.message);
      const result = await runCommand([go, ...s.args], { cwd: s.cwd, env, abortSignal: options.abortSignal, what: `go ${s.args[0]} (${s.step})` });
      if (result.exitCode !== 0) throw buildFailed(`go build of ${s.step} failed (exit ${result.exitCode})`, result.output);
    }
    const missing = BINARIES.filter((name) => !existsSync(path.join(staging, name)));
    if (missing.length > 0) throw new CustomAiError("K8S_LOCAL_BUILD", `The build left no ${missing.join(", ")} in ${staging}.`);
    writeFileSync(path.join(staging, KEY_FILE), key); // last: marks the folder complete
    // Swap folders: a running cluster keeps its (deleted) binaries open; new ones start from the new folder.
    const old = `${paths.bin}.old-${process.pid}`;
    if (existsSync(paths.bin)) renameSync(paths.bin, old);
    renameSync(staging, paths.bin);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function checkGo(go: string, env: NodeJS.ProcessEnv, abortSignal?: AbortSignal): Promise<void> {
  let version: string;
  try {
    const result = await runCommand([go, "env", "GOVERSION"], { env, abortSignal, what: "go env" });
    if (result.exitCode !== 0) throw buildFailed(`\`${go} env GOVERSION\` failed (exit ${result.exitCode})`, result.output);
    version = result.output.trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CustomAiError("K8S_LOCAL_BUILD", `Go was not found (\`${go}\`): building the local Kubernetes control plane needs Go ${GO_MIN_VERSION} or newer.`, {
        hint: `Install Go ${GO_MIN_VERSION}+ (https://go.dev/dl; Debian/Ubuntu: the golang-go package if it is ${GO_MIN_VERSION}+), put it on the PATH or set GO=/path/to/go, then run \`npm run k8s:local -- build\`.`,
        cause: error,
      });
    }
    throw error;
  }
  const match = /^go(\d+)\.(\d+)/.exec(version);
  const [wantMajor, wantMinor] = GO_MIN_VERSION.split(".").map(Number);
  if (!match || Number(match[1]) < wantMajor || (Number(match[1]) === wantMajor && Number(match[2]) < wantMinor)) {
    throw new CustomAiError("K8S_LOCAL_BUILD", `${go} is ${version || "of an unknown version"}; the local Kubernetes control plane needs Go ${GO_MIN_VERSION} or newer.`, {
      hint: `Install Go ${GO_MIN_VERSION}+ (https://go.dev/dl) and put it first on the PATH (or set GO=/path/to/go), then run \`npm run k8s:local -- build\`.`,
    });
  }
}

function buildFailed(what: string, output: string): CustomAiError<"K8S_LOCAL_BUILD"> {
  const offline = /dial tcp|no such host|i\/o timeout|connection refused|proxy\.golang\.org|GOPROXY|TLS handshake/i.test(output);
  return new CustomAiError("K8S_LOCAL_BUILD", `${what}:\n${tail(output)}`, {
    hint: offline
      ? `The Go module proxy (GOPROXY=${process.env.GOPROXY ?? "https://proxy.golang.org"}) must be reachable on the first build; fix the network or GOPROXY, then run \`npm run k8s:local -- build\`.`
      : "Read go's output above; `npm run k8s:local -- build` runs it again (the Go caches under .cache/k8s keep what was done).",
  });
}
