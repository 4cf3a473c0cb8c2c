// Running a Spark application on this machine through pyspark's spark-submit (local[N]): progress
// from the job's `@spark-progress` lines, its `@spark-result` line, the driver log's tail when it
// fails, stopping through lib/core's stopProcess, and no scratch files left behind.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { killWithParent, stopProcess, type ProcessEnd } from "../core/index.js";
import { localSparkEnvironment, type SparkEnvironment } from "./environment.js";
import { SparkError } from "./errors.js";
import { localSubmitArgs, type SparkAppOptions } from "./submit-args.js";
import { spawnWatched } from "./watchdog.js";

/** What the toolkit's Spark jobs print on stdout (environments/spark/*.py). */
export const SPARK_LINE_PREFIX = { progress: "@spark-progress ", result: "@spark-result ", batch: "@spark-batch " } as const;

/** A running stage's tasks (from the driver's status tracker), or a streaming micro-batch. */
export interface SparkProgress {
  kind: "stage" | "micro-batch";
  /** Stage: tasks of the running stages; done / total. */
  completed?: number;
  total?: number;
  active?: number;
  failed?: number;
  /** Everything the job printed for this progress line. */
  detail: Record<string, unknown>;
  elapsedMs: number;
}

export interface SparkSubmitOptions extends SparkAppOptions {
  /** local[N]. Default 2. */
  cores?: number;
  driverMemory?: string;
  /** The Python with pyspark. Default: the project's venv (localSparkEnvironment). */
  python?: string;
  /** More environment for spark-submit, the driver and the Python workers. */
  env?: Record<string, string | undefined>;
  /** Where scratch folders go (removed afterwards). Default os.tmpdir(). */
  tempDir?: string;
  /** Keep the driver log quiet (WARN) with environments/spark/log4j2.properties. Default true. */
  quietLog?: boolean;
  onProgress?: (progress: SparkProgress) => void;
  /** Every other line of stdout and stderr. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  abortSignal?: AbortSignal;
  /** Grace after SIGTERM when stopped. Default 10 s (the JVM's shutdown hooks stop the Python workers). */
  stopGraceMs?: number;
  /** Driver log lines kept for the error message. Default 60. */
  logTailLines?: number;
}

export interface SparkJobResult {
  exitCode: number;
  durationMs: number;
  /** The job's `@spark-result` JSON (the last one), if it printed one. */
  result?: Record<string, unknown>;
  /** Its `@spark-batch` lines (streaming: one per micro-batch). */
  batches: Record<string, unknown>[];
  logTail: string[];
}

export interface SparkJob {
  pid: number;
  /** Resolves when spark-submit exits 0; rejects with SparkError SPARK_JOB_FAILED or ABORTED. */
  done: Promise<SparkJobResult>;
  /** Stops it (SIGTERM to its process group, then SIGKILL after the grace; SIGKILL at once with "SIGKILL"). */
  stop(signal?: NodeJS.Signals): Promise<ProcessEnd>;
}

/** Submits and waits: see startSparkJob. */
export function submitSparkJob(options: SparkSubmitOptions): Promise<SparkJobResult> {
  return startSparkJob(options).done;
}

/**
 * Starts spark-submit with a local[N] master, loopback only and no web UI, scratch folders under
 * a temporary folder removed when it ends, pyspark's Python for driver and workers. Throws
 * SparkError SPARK_UNAVAILABLE at once when there is no Spark or Java.
 */
export function startSparkJob(options: SparkSubmitOptions): SparkJob {
  const env: SparkEnvironment = localSparkEnvironment({ python: options.python });
  const scratchParent = options.tempDir ?? os.tmpdir();
  mkdirSync(scratchParent, { recursive: true });
  const scratch = mkdtempSync(path.join(scratchParent, "cai-spark-"));
  const args = localSubmitArgs({
    ...options,
    scratchDir: scratch,
    ivyDir: path.join(env.root, ".cache", "ivy"),
    log4jConfig: options.quietLog === false ? undefined : path.join(env.root, "environments", "spark", "log4j2.properties"),
  });
  const started = Date.now();
  // Its own process group (the JVM, the Python driver and workers stop together), under a
  // watchdog that kills the group if this process dies without stopping it.
  const child = spawnWatched(env.sparkSubmit, args, {
    cwd: env.root,
    cleanup: scratch,
    env: {
      ...process.env,
      SPARK_HOME: env.sparkHome,
      PYSPARK_PYTHON: env.python,
      PYSPARK_DRIVER_PYTHON: env.python,
      SPARK_LOCAL_IP: "127.0.0.1",
      SPARK_LOCAL_DIRS: scratch,
      TMPDIR: scratch,
      ORT_DISABLE_TELEMETRY: "1",
      PYTHONUNBUFFERED: "1",
      ...options.env,
    },
  });
  const forget = killWithParent(child, { group: true });
  const tail: string[] = [];
  const keep = options.logTailLines ?? 60;
  const batches: Record<string, unknown>[] = [];
  let result: Record<string, unknown> | undefined;
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > keep) tail.shift();
  };
  const parse = (line: string, prefix: string) => {
    try {
      return JSON.parse(line.slice(prefix.length)) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const onStdout = (line: string) => {
    if (line.startsWith(SPARK_LINE_PREFIX.progress)) {
      const detail = parse(line, SPARK_LINE_PREFIX.progress);
      if (detail) {
        options.onProgress?.({
          kind: "stage",
          completed: Number(detail.completed),
          total: Number(detail.tasks),
          active: Number(detail.active),
          failed: Number(detail.failed),
          detail,
          elapsedMs: Date.now() - started,
        });
      }
    } else if (line.startsWith(SPARK_LINE_PREFIX.batch)) {
      const detail = parse(line, SPARK_LINE_PREFIX.batch);
      if (detail) {
        batches.push(detail);
        options.onProgress?.({ kind: "micro-batch", detail, elapsedMs: Date.now() - started });
      }
    } else if (line.startsWith(SPARK_LINE_PREFIX.result)) {
      result = parse(line, SPARK_LINE_PREFIX.result) ?? result;
    } else {
      remember(line);
      options.onLine?.(line, "stdout");
    }
  };
  const onStderr = (line: string) => {
    remember(line);
    options.onLine?.(line, "stderr");
  };
  // Lines end in \n, \r\n or a lone \r (Spark's console progress bar), so not readline; the
  // last line may have no end at all.
  const readLines = (stream: NodeJS.ReadableStream, handle: (line: string) => void) => {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString("utf8")).split(/\r?\n|\r/);
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) handle(line);
    });
    stream.on("end", () => {
      if (rest.trim()) handle(rest);
    });
  };
  readLines(child.stdout!, onStdout);
  readLines(child.stderr!, onStderr);

  let aborted = false;
  const stop = (signal: NodeJS.Signals = "SIGTERM") => stopProcess(child, { signal, group: true, graceMs: options.stopGraceMs ?? 10_000 });
  const onAbort = () => {
    aborted = true;
    void stop();
  };
  options.abortSignal?.addEventListener("abort", onAbort, { once: true });
  if (options.abortSignal?.aborted) onAbort();

  const done = new Promise<SparkJobResult>((resolve, reject) => {
    let spawnError: Error | undefined;
    child.once("error", (error) => (spawnError = error));
    child.once("close", (code, signal) => {
      forget();
      options.abortSignal?.removeEventListener("abort", onAbort);
      rmSync(scratch, { recursive: true, force: true });
      const durationMs = Date.now() - started;
      if (spawnError) return reject(new SparkError("SPARK_UNAVAILABLE", `spark-submit (${env.sparkSubmit}) did not start: ${spawnError.message}. Run \`node bin/python-env.mjs\`.`, { cause: spawnError }));
      if (aborted) return reject(new SparkError("ABORTED", `The Spark job ${options.name ?? path.basename(options.app)} was stopped after ${(durationMs / 1000).toFixed(1)} s.`, { logTail: [...tail] }));
      if (code !== 0) {
        const how = code === null ? `was killed (${signal})` : `exited with code ${code}`;
        const detail = typeof result?.message === "string" ? `: ${result.message}` : "";
        reject(
          new SparkError("SPARK_JOB_FAILED", `The Spark job ${options.name ?? path.basename(options.app)} ${how}${detail}. The driver log's last lines:\n${tail.slice(-25).join("\n")}`, {
            logTail: [...tail],
          }),
        );
        return;
      }
      resolve({ exitCode: 0, durationMs, ...(result ? { result } : {}), batches, logTail: [...tail] });
    });
  });
  return { pid: child.pid ?? -1, done, stop };
}
