import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { toolkitInfo } from "../../models/toolkit.js"; // not the index: no tfjs in launchers
import { WORKER_ENV } from "./config.js";
import { DistributedTrainingError } from "./errors.js";

/** The worker entrypoint, relative to the project root. */
export const DEFAULT_WORKER_ENTRY = "lib/train/distributed/worker-main.ts";

export interface LocalJobOptions {
  /** Number of indices, 0..workers-1 (a Kubernetes Indexed Job's `completions`). */
  workers: number;
  /** Most processes at once (the Job's `parallelism`). Default: all. Data-parallel training needs all at once. */
  parallelism?: number;
  /** The entrypoint (.ts files run through bin/run-ts.mjs). Default lib/train/distributed/worker-main.ts. */
  entry?: string;
  args?: string[];
  /** Added to this process's environment for every worker. WORLD_SIZE defaults to `workers`. */
  env?: Record<string, string | undefined>;
  /** Working directory of the workers, against which entry resolves. Default: the project root. */
  cwd?: string;
  /** When a worker exits non-zero, stop the others (SIGTERM, then SIGKILL after 3 s) and start no more. */
  killOthersOnFailure?: boolean;
  /** Stop every worker after this long. */
  timeoutMs?: number;
  /** Each output line. Default: console.log(`[rank N] line`); set `log: false` for silence. */
  onLine?: (line: string, rank: number, stream: "stdout" | "stderr") => void;
  log?: boolean;
  signal?: AbortSignal;
}

export interface WorkerExit {
  rank: number;
  /** null when it was killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the launcher stopped it (failure of another, timeout, abort) or never started it. */
  killed: boolean;
  started: boolean;
  durationMs: number;
  /** Its last 50 output lines (stdout and stderr). */
  tail: string[];
  /** Its last 20 stderr lines: where a worker says why it failed. */
  stderrTail: string[];
}

export interface LocalJobResult {
  ok: boolean;
  /** By rank. */
  exitCodes: (number | null)[];
  workers: WorkerExit[];
  durationMs: number;
}

/**
 * Runs N processes of the same worker entrypoint with JOB_COMPLETION_INDEX=0..N-1, as a Kubernetes
 * Indexed Job does, streaming their output with a `[rank N]` prefix. Resolves when all have ended,
 * with their exit codes; never rejects for a worker's failure (look at `ok`). Workers go when this
 * process exits or dies (they watch their stdin).
 */
export async function runLocalJob(options: LocalJobOptions): Promise<LocalJobResult> {
  const workers = options.workers;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new DistributedTrainingError("LAUNCH_FAILED", `runLocalJob: workers must be a whole number ≥ 1, not ${workers}.`);
  }
  const parallelism = Math.max(1, Math.min(workers, options.parallelism ?? workers));
  const cwd = options.cwd ?? (toolkitInfo().root || process.cwd());
  const entry = path.resolve(cwd, options.entry ?? DEFAULT_WORKER_ENTRY);
  if (!existsSync(entry)) {
    throw new DistributedTrainingError("LAUNCH_FAILED", `runLocalJob: the entrypoint ${entry} does not exist; give entry relative to ${cwd}, or set cwd to the project root.`);
  }
  const command: string[] = [];
  if (/\.(ts|mts|cts)$/.test(entry)) {
    const runner = [path.join(cwd, "bin", "run-ts.mjs"), path.join(toolkitInfo().root || cwd, "bin", "run-ts.mjs")].find((f) => existsSync(f));
    if (!runner) throw new DistributedTrainingError("LAUNCH_FAILED", `runLocalJob: bin/run-ts.mjs (which runs .ts entrypoints) is not under ${cwd}; set cwd to the project root.`);
    command.push(runner);
  }
  command.push(entry, ...(options.args ?? []));
  const onLine =
    options.onLine ?? (options.log === false ? () => undefined : (line: string, rank: number) => console.log(`[rank ${rank}] ${line}`));

  const start = Date.now();
  const exits: WorkerExit[] = Array.from({ length: workers }, (_, rank) => ({ rank, exitCode: null, signal: null, killed: false, started: false, durationMs: 0, tail: [], stderrTail: [] }));
  const running = new Map<number, ChildProcess>();
  let next = 0;
  let stopping = false;

  const killAll = () => {
    stopping = true;
    for (const [rank, child] of running) {
      exits[rank].killed = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      timer.unref?.();
    }
  };
  const onProcessExit = () => {
    for (const child of running.values()) child.kill("SIGKILL");
  };
  process.once("exit", onProcessExit);
  const onAbort = () => killAll();
  options.signal?.addEventListener("abort", onAbort);
  const timer = options.timeoutMs ? setTimeout(killAll, options.timeoutMs) : undefined;

  await new Promise<void>((resolve) => {
    const launch = (rank: number) => {
      const began = Date.now();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        [WORKER_ENV.worldSize]: String(workers),
        ...options.env,
        [WORKER_ENV.rank]: String(rank),
        CUSTOM_AI_EXIT_WITH_PARENT: "1",
      };
      const child = spawn(process.execPath, command, { cwd, env, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
      exits[rank].started = true;
      running.set(rank, child);
      for (const [stream, name] of [[child.stdout, "stdout"], [child.stderr, "stderr"]] as const) {
        createInterface({ input: stream! }).on("line", (line) => {
          const tail = exits[rank].tail;
          tail.push(line);
          if (tail.length > 50) tail.shift();
          if (name === "stderr") {
            exits[rank].stderrTail.push(line);
            if (exits[rank].stderrTail.length > 20) exits[rank].stderrTail.shift();
          }
          onLine(line, rank, name);
        });
      }
      child.once("error", (error) => {
        exits[rank].tail.push(`spawn failed: ${error.message}`);
        exits[rank].stderrTail.push(`spawn failed: ${error.message}`);
      });
      child.once("close", (code, signal) => {
        running.delete(rank);
        Object.assign(exits[rank], { exitCode: code, signal, durationMs: Date.now() - began });
        if (code !== 0 && options.killOthersOnFailure && !stopping) killAll();
        pump();
      });
    };
    const pump = () => {
      while (!stopping && running.size < parallelism && next < workers) launch(next++);
      if (running.size === 0) {
        for (let rank = next; rank < workers; rank++) exits[rank].killed = true; // never started
        resolve();
      }
    };
    pump();
  });

  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);
  process.removeListener("exit", onProcessExit);
  return {
    ok: exits.every((e) => e.exitCode === 0),
    exitCodes: exits.map((e) => e.exitCode),
    workers: exits,
    durationMs: Date.now() - start,
  };
}

/** A few words on each failed worker (its last stderr line, else its last line), for an error message. */
export function describeFailures(job: LocalJobResult): string {
  return job.workers
    .filter((w) => w.exitCode !== 0)
    .map((w) => {
      const how = !w.started ? "never started" : w.exitCode === null ? `killed (${w.signal ?? "signal"})` : `exited ${w.exitCode}`;
      const last = (w.stderrTail.some((l) => l.trim()) ? w.stderrTail : w.tail).filter((l) => l.trim()).slice(-1)[0];
      return `rank ${w.rank} ${how}${last ? `: ${last.slice(0, 400)}` : ""}`;
    })
    .join("; ");
}
