// runLocalJob: a Kubernetes Indexed Job on this machine — N processes of one worker entrypoint,
// each told its index (JOB_COMPLETION_INDEX) and the job's size (WORLD_SIZE) as a pod is, with the
// Job's parallelism, per-index retries (backoffLimitPerIndex) and stop-on-failure. Training
// (lib/train/distributed) and batch scoring (lib/serve/batch) run their workers with it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { killWithParent, stopProcess, toolkitInfo } from "../core/index.js";
import { JOB_ENV, jobEnv } from "./env.js";
import { JobError } from "./errors.js";

export interface LocalJobOptions {
  /** The worker entrypoint, relative to `cwd` (.ts files run through bin/run-ts.mjs). */
  entry: string;
  /** Number of indices, 0..workers-1 (the Job's `completions`; WORLD_SIZE in each worker). */
  workers: number;
  /** Most processes at once (the Job's `parallelism`). Default: all. Data-parallel training needs all at once. */
  parallelism?: number;
  /**
   * Times an index is started again after it fails (exits non-zero) before it counts as failed,
   * as the Job's `backoffLimitPerIndex`. Default 0. A retry starts at once, with the same index.
   */
  backoffLimitPerIndex?: number;
  /** The job's name (CUSTOM_AI_JOB_NAME in each worker), for logs. Default: the entrypoint's folder and name. */
  name?: string;
  args?: string[];
  /** Added to this process's environment for every worker. The job's own variables (JOB_ENV) win. */
  env?: Record<string, string | undefined>;
  /** Working directory of the workers, against which entry resolves. Default: the project root. */
  cwd?: string;
  /** When an index has failed (its retries spent), stop the others (stopProcess: SIGTERM, then SIGKILL) and start no more. */
  killOthersOnFailure?: boolean;
  /** Stop every worker after this long. */
  timeoutMs?: number;
  /** Each output line. Default: console.log(`[rank N] line`); set `log: false` for silence. */
  onLine?: (line: string, rank: number, stream: "stdout" | "stderr") => void;
  log?: boolean;
  /** Each change of a worker, with the job's counts as a Kubernetes Job's status keeps them. */
  onProgress?: (progress: LocalJobProgress) => void;
  /** Stops every worker (SIGTERM, then SIGKILL) and starts no more; the result says which were stopped. */
  abortSignal?: AbortSignal;
}

export interface LocalJobProgress {
  /** What just happened to index `rank`: "retrying" is a failure that backoffLimitPerIndex starts again. */
  event: "started" | "succeeded" | "failed" | "retrying" | "stopped";
  rank: number;
  /** 1 for its first start. */
  attempt: number;
  /** Indices running now. */
  active: number;
  succeeded: number;
  /** Indices that ended without success (failed or stopped), retries spent. */
  failed: number;
  /** All indices (the Job's completions). */
  completions: number;
}

export interface WorkerExit {
  rank: number;
  /** Of its last attempt; null when it was killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the launcher stopped it (failure of another, timeout, abort) or never started it. */
  killed: boolean;
  started: boolean;
  /** Times it was started (1 + retries). */
  attempts: number;
  /** Of its last attempt. */
  durationMs: number;
  /** Its last 50 output lines (stdout and stderr), over all attempts. */
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
 * Runs N processes of the same worker entrypoint with the job's variables (JOB_ENV:
 * JOB_COMPLETION_INDEX=0..N-1, WORLD_SIZE=N, ...), as a Kubernetes Indexed Job does, streaming their
 * output with a `[rank N]` prefix. Resolves when all have ended, with their exit codes; never
 * rejects for a worker's failure (look at `ok`). Throws JobError BAD_OPTION for bad options.
 * Workers go when this process exits (killWithParent) or dies (they watch their stdin: runWorkerMain).
 */
export async function runLocalJob(options: LocalJobOptions): Promise<LocalJobResult> {
  const workers = options.workers;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new JobError("BAD_OPTION", `runLocalJob: workers must be a whole number ≥ 1, not ${workers}.`);
  }
  const retries = options.backoffLimitPerIndex ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new JobError("BAD_OPTION", `runLocalJob: backoffLimitPerIndex must be a whole number ≥ 0, not ${retries}.`);
  }
  if (!options.entry) throw new JobError("BAD_OPTION", "runLocalJob needs entry: the worker entrypoint, relative to cwd.");
  const parallelism = Math.max(1, Math.min(workers, options.parallelism ?? workers));
  const root = toolkitInfo().root;
  const cwd = options.cwd ?? (root || process.cwd());
  const entry = path.resolve(cwd, options.entry);
  if (!existsSync(entry)) {
    throw new JobError("BAD_OPTION", `runLocalJob: the entrypoint ${entry} does not exist; give entry relative to ${cwd}, or set cwd to the project root.`);
  }
  const command: string[] = [];
  if (/\.(ts|mts|cts)$/.test(entry)) {
    const runner = [path.join(cwd, "bin", "run-ts.mjs"), path.join(root || cwd, "bin", "run-ts.mjs")].find((f) => existsSync(f));
    if (!runner) throw new JobError("BAD_OPTION", `runLocalJob: bin/run-ts.mjs (which runs .ts entrypoints) is not under ${cwd}; set cwd to the project root.`);
    command.push(runner);
  }
  command.push(entry, ...(options.args ?? []));
  const name = options.name ?? `${path.basename(path.dirname(entry))}/${path.basename(entry).replace(/\.[^.]+$/, "")}`;
  const onLine =
    options.onLine ?? (options.log === false ? () => undefined : (line: string, rank: number) => console.log(`[rank ${rank}] ${line}`));

  const start = Date.now();
  const exits: WorkerExit[] = Array.from({ length: workers }, (_, rank) => ({
    rank,
    exitCode: null,
    signal: null,
    killed: false,
    started: false,
    attempts: 0,
    durationMs: 0,
    tail: [],
    stderrTail: [],
  }));
  const running = new Map<number, ChildProcess>();
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let stopping = false;
  const report = (event: LocalJobProgress["event"], rank: number) =>
    options.onProgress?.({ event, rank, attempt: exits[rank].attempts, active: running.size, succeeded, failed, completions: workers });

  const stopAll = () => {
    stopping = true;
    for (const [rank, child] of running) {
      exits[rank].killed = true;
      void stopProcess(child); // its "close" below does the bookkeeping
    }
  };
  const onAbort = () => stopAll();
  options.abortSignal?.addEventListener("abort", onAbort);
  if (options.abortSignal?.aborted) stopping = true;
  const timer = options.timeoutMs ? setTimeout(stopAll, options.timeoutMs) : undefined;

  await new Promise<void>((resolve) => {
    const launch = (rank: number) => {
      const began = Date.now();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...options.env,
        ...jobEnv({ rank, worldSize: workers, parallelism, jobName: name }),
        [JOB_ENV.exitWithParent]: "1",
      };
      const child = spawn(process.execPath, command, { cwd, env, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
      killWithParent(child);
      const exit = exits[rank];
      exit.started = true;
      exit.attempts++;
      running.set(rank, child);
      report("started", rank);
      for (const [stream, streamName] of [[child.stdout, "stdout"], [child.stderr, "stderr"]] as const) {
        createInterface({ input: stream! }).on("line", (line) => {
          exit.tail.push(line);
          if (exit.tail.length > 50) exit.tail.shift();
          if (streamName === "stderr") {
            exit.stderrTail.push(line);
            if (exit.stderrTail.length > 20) exit.stderrTail.shift();
          }
          onLine(line, rank, streamName);
        });
      }
      child.once("error", (error) => {
        exit.tail.push(`spawn failed: ${error.message}`);
        exit.stderrTail.push(`spawn failed: ${error.message}`);
      });
      child.once("close", (code, signal) => {
        running.delete(rank);
        Object.assign(exit, { exitCode: code, signal, durationMs: Date.now() - began });
        if (code === 0) {
          succeeded++;
          report("succeeded", rank);
        } else if (stopping) {
          failed++;
          report("stopped", rank);
        } else if (exit.attempts <= retries) {
          report("retrying", rank);
          launch(rank);
          return;
        } else {
          failed++;
          report("failed", rank);
          if (options.killOthersOnFailure) stopAll();
        }
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
  options.abortSignal?.removeEventListener("abort", onAbort);
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
      const tries = w.attempts > 1 ? ` after ${w.attempts} attempts` : "";
      const last = (w.stderrTail.some((l) => l.trim()) ? w.stderrTail : w.tail).filter((l) => l.trim()).slice(-1)[0];
      return `rank ${w.rank} ${how}${tries}${last ? `: ${last.slice(0, 400)}` : ""}`;
    })
    .join("; ");
}
