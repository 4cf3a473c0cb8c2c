// Runs once around the whole suite (vitest globalSetup):
// - creates the project's Python environment before any test needs it (once; then reused), so a
//   fresh clone's `npm test` installs its own peers and no test skips for want of one;
// - builds the local Kubernetes control plane's binaries (test/support/k8s-build.ts; once, ~7 min
//   cold on 2 cores; then a hash check), so test files only start clusters;
// - gives the run a temp folder of its own (TMPDIR, inherited by every worker, server, kernel and
//   job the tests start) and fails the run if anything is left in it at the end: every test,
//   notebook and command must remove what it created, also when it fails.
import { mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error -- plain ESM script without type declarations
import { ensurePythonEnv } from "../../bin/python-env.mjs";
import { ensureLocalKubernetes } from "./k8s-build.js";

const root = path.resolve(import.meta.dirname, "../..");

export default async function setup(): Promise<() => void> {
  ensurePythonEnv((line: string) => console.log(line));
  await ensureLocalKubernetes(); // binaries only (no cluster): a cold build outlasts any test timeout
  const tmp = path.join(root, ".cache", "tmp", `test-run-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // tsx keeps its compile cache in <tmp>/tsx-<uid> on purpose, reused across runs: point it at
  // one that outlives this run's folder, and do not count it as a leftover.
  const tsxCache = `tsx-${os.userInfo().uid}`;
  mkdirSync(path.join(root, ".cache", tsxCache), { recursive: true });
  symlinkSync(path.join(root, ".cache", tsxCache), path.join(tmp, tsxCache));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    const left = readdirSync(tmp).filter((name) => name !== tsxCache);
    rmSync(tmp, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports a teardown error but still exits 0: set the exit code ourselves.
      console.error(`\nFAIL  The test run left ${left.length} entries in its temp folder (each test must remove what it creates, also on failure):\n  ${left.sort().join("\n  ")}\n`);
      process.exitCode = 1;
    }
  };
}
