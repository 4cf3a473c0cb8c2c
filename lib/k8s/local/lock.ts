// A lock between processes: a folder (mkdir is atomic) holding its owner's pid. A lock whose owner
// died is taken over. Serialises builds, and cluster starts (kwokctl picks "free" ports by trying
// them, so two starts at once can pick the same ones).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CustomAiError, processExists } from "../../core/index.js";
import { aborted } from "./run-command.js";

export interface LockOptions {
  /** How long to wait for another holder. */
  waitMs: number;
  abortSignal?: AbortSignal;
  /** Called once, when the lock is found held (with the holder's pid, or "?"). */
  onWait?: (holder: string) => void;
}

export async function withLock<T>(lock: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    if (options.abortSignal?.aborted) throw aborted(`waiting for ${lock}`);
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readHolder(lock);
      if (holder !== undefined && (holder === 0 || !processExists(holder))) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new CustomAiError(lock.endsWith("build-lock") ? "K8S_LOCAL_BUILD" : "K8S_LOCAL_START", `${lock} has been held by process ${holder ?? "?"} for over ${Math.round(options.waitMs / 60_000)} minutes.`, {
          hint: "Remove that folder if no build or start is running, then run it again.",
        });
      }
      if (!told) options.onWait?.(String(holder ?? "?"));
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The holder's pid; 0 for a lock left without one (its maker died between mkdir and writing); undefined while it may be being written. */
function readHolder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(lock, "pid"), "utf8").trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
  } catch {
    // not written yet
  }
  try {
    return Date.now() - statSync(lock).mtimeMs > 10_000 ? 0 : undefined;
  } catch {
    return undefined;
  }
}
