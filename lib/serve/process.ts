// The scoring server as a local process: `custom-ai serve`, the same entrypoint the AKS
// container runs, started from code (a notebook, a test) and stopped the way Kubernetes stops a
// pod — SIGTERM, in-flight requests drained, then exit.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { killWithParent, STORAGE_CONNECTION_STRING_ENV, stopProcess, toolkitInfo } from "../core/index.js";
import { ServeError } from "./errors.js";
import { modelLocationOf, type ModelLocationOption } from "./model-location.js";

/** `model`: a folder or storage URL (as `custom-ai serve --model`); the settings below; `connectionString` for a Blob model. */
export type ScoringProcessOptions = ScoringProcessSettings & ModelLocationOption;

export interface ScoringProcessSettings {
  /** For a model in Blob storage (Azurite's, or an account key one): the server's AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** Default 0: a free port. */
  port?: number;
  host?: string;
  maxBatch?: number;
  maxWaitMs?: number;
  maxQueue?: number;
  apiKey?: string;
  /** pino level of the process's JSON logs (kept, see `logs()`). Default "info". */
  logLevel?: string;
  /** More CLI flags. */
  args?: string[];
  /** Added to the environment (e.g. AZURE_STORAGE_CONNECTION_STRING for a Blob model). */
  env?: Record<string, string | undefined>;
  /** Longest wait for "Model ready". Default 60 s. */
  startTimeoutMs?: number;
  /** The project root holding bin/custom-ai.mjs. Default: found from the toolkit. */
  cwd?: string;
}

export interface ScoringProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** The JSON log lines it wrote so far (one per request, with its id). */
  logs(): Record<string, unknown>[];
  /** Its resident memory now, in MB (Linux), or undefined. */
  rssMb(): number | undefined;
  /** SIGTERM, then waits for it to drain and exit (SIGKILL after `graceMs`, default 10 s: see SERVER_STOP_GRACE_MS). */
  stop(graceMs?: number): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * How long stop() lets the server drain before SIGKILL: longer than lib/core's default (5 s)
 * because on SIGTERM the server finishes the requests in flight — queued in a batching window,
 * then scored — before it exits, as a pod does in its termination grace period.
 */
const SERVER_STOP_GRACE_MS = 10_000;

/**
 * Starts `custom-ai serve` and resolves once the model is loaded and warmed up. The server is
 * killed if this process exits without stopping it.
 */
export async function startScoringProcess(options: ScoringProcessOptions): Promise<ScoringProcess> {
  const cwd = options.cwd ?? (toolkitInfo().root || process.cwd());
  const bin = path.join(cwd, "bin", "custom-ai.mjs");
  if (!existsSync(bin)) throw new ServeError("BAD_OPTION", `startScoringProcess: ${bin} does not exist; set cwd to the toolkit's root.`);
  const flag = (name: string, v: unknown) => (v === undefined ? [] : [`--${name}`, String(v)]);
  const args = [
    bin,
    "serve",
    "--model",
    modelLocationOf(options, "startScoringProcess"),
    ...flag("port", options.port ?? 0),
    ...flag("host", options.host),
    ...flag("max-batch", options.maxBatch),
    ...flag("max-wait-ms", options.maxWaitMs),
    ...flag("max-queue", options.maxQueue),
    ...flag("log-level", options.logLevel ?? "info"),
    ...(options.args ?? []),
  ];
  // The key goes through the environment, not argv: argv is visible to every user of the machine.
  const env = {
    ...process.env,
    ...(options.connectionString ? { [STORAGE_CONNECTION_STRING_ENV]: options.connectionString } : {}),
    ...options.env,
    ...(options.apiKey ? { SCORING_API_KEY: options.apiKey } : {}),
  };
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  killWithParent(child);
  const logLines: string[] = [];
  let stdoutRest = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    const parts = (stdoutRest + d.toString()).split("\n");
    stdoutRest = parts.pop()!;
    logLines.push(...parts.filter(Boolean));
    if (logLines.length > 50_000) logLines.splice(0, logLines.length - 50_000);
  });
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));

  const url = await new Promise<string>((resolve, reject) => {
    const timeout = options.startTimeoutMs ?? 60_000;
    const t0 = Date.now();
    const timer = setInterval(() => {
      const ready = /Model ready: (https?:\/\/[^/\s]+)/.exec(stderr);
      if (ready) return done(() => resolve(ready[1]));
      if (child.exitCode !== null || child.signalCode !== null) {
        const why = stderr.trim().split("\n").filter((l) => !/^Scoring server on/.test(l)).join("\n");
        return done(() => reject(new ServeError("START_FAILED", `custom-ai serve exited (${child.exitCode ?? child.signalCode}) before it was ready: ${why || "no output"}`)));
      }
      if (Date.now() - t0 > timeout) {
        const error = new ServeError("START_FAILED", `custom-ai serve was not ready within ${timeout / 1000} s; its output: ${stderr.slice(-2000) || "none"}`);
        return done(() => void stopProcess(child, { signal: "SIGKILL" }).then(() => reject(error)));
      }
    }, 50);
    const done = (f: () => void) => {
      clearInterval(timer);
      f();
    };
  });

  return {
    url,
    pid: child.pid!,
    logs: () =>
      logLines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    rssMb: () => processRssMb(child.pid!),
    async stop(graceMs = SERVER_STOP_GRACE_MS) {
      const { exitCode, signal } = await stopProcess(child, { graceMs });
      return { exitCode, signal };
    },
  };
}

/** Resident memory of a process in MB, from /proc (Linux); undefined elsewhere or when it is gone. */
export function processRssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
