// The processes of a local cluster: kwokctl starts each component (etcd, kube-apiserver, ...)
// detached and records its pid in <cluster>/pids/<component>.pid (no trailing newline).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { processExists } from "../../core/index.js";

/** The pids recorded for a cluster's components (empty when none). */
export function componentPids(clusterDir: string): number[] {
  const dir = path.join(clusterDir, "pids");
  if (!existsSync(dir)) return [];
  const pids: number[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".pid")) continue;
    try {
      const pid = Number(readFileSync(path.join(dir, file), "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) pids.push(pid);
    } catch {
      // removed while we read: that component is stopping
    }
  }
  return pids;
}

/** Running, and not a zombie: a detached component may be reparented to a pid 1 that never reaps. */
export function isRunning(pid: number): boolean {
  if (!processExists(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return process.platform !== "linux"; // no /proc: trust kill(pid, 0)
  }
}

/** Waits until none of `pids` runs, up to `timeoutMs`; returns those still running. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(isRunning);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function killAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
