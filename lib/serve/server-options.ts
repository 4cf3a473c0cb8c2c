// The scoring server's options: what each means, its default, and the check that refuses a
// value that cannot work (ServeError BAD_OPTION) before anything starts.
import type { FastifyServerOptions } from "fastify";
import { ServeError } from "./errors.js";
import type { ExecutionProviderChoice } from "./execution-providers.js";
import { modelLocationOf, type ModelLocationOption, type StorageCredentialOptions } from "./model-location.js";

/**
 * The scoring server's options: `model` (where the model is) and the settings below; for a Blob
 * URL, `connectionString` or `credential` (default: AZURE_STORAGE_CONNECTION_STRING, Azurite's key,
 * or DefaultAzureCredential).
 */
export type ScoringServerOptions = ScoringServerSettings & ModelLocationOption & StorageCredentialOptions;

export interface ScoringServerSettings {
  /** Rows per ONNX Runtime run at most. Default 32. */
  maxBatch?: number;
  /**
   * How long a request may wait for others to share its run. Default 0: no waiting, a run takes
   * the requests that arrived in the same turn of the event loop (and those queued behind a run).
   */
  maxWaitMs?: number;
  /** Rows that may wait before requests are refused with 503. Default 256. */
  maxQueue?: number;
  /** Request body limit in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Time a client has to send a whole request (headers and body), in ms; a slower one gets 408 and
   * its connection closed, so slow bodies cannot hold sockets and memory. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** When set, every route but the health checks needs `Authorization: Bearer <key>` or `x-api-key`. */
  apiKey?: string;
  /** fastify's logger option: false (default), true (JSON lines on stdout) or pino options. */
  logger?: FastifyServerOptions["logger"];
  /** Also export Node's process metrics (default false: tests run many servers). */
  defaultMetrics?: boolean;
  /**
   * ONNX Runtime intra-op threads. Default 1: the run happens on the event loop's thread, and a
   * pool spinning beside it takes the cores that HTTP and JSON need (scale with processes instead).
   */
  intraOpThreads?: number;
  /** ONNX Runtime execution provider: cpu (default), cuda, webgpu, or auto (cuda when it loads, else cpu). */
  executionProvider?: ExecutionProviderChoice;
}

/** The options with their defaults filled in (those that have one), as `server.scoring.options`. */
export type ResolvedServerOptions = Required<Omit<ScoringServerSettings, "apiKey" | "logger" | "intraOpThreads" | "executionProvider">> & {
  /** Where the model is (`model`, or the deprecated `modelDir`). */
  model: string;
};

function positive(name: string, v: number, integer: boolean): number {
  if (!(Number.isFinite(v) && v >= (integer ? 1 : 0)) || (integer && !Number.isInteger(v))) {
    throw new ServeError("BAD_OPTION", `${name} must be a ${integer ? "whole number ≥ 1" : "number ≥ 0"}, not ${v}.`);
  }
  return v;
}

/** Fills in the defaults and checks the numbers; throws ServeError BAD_OPTION for one that cannot work. */
export function resolveServerOptions(options: ScoringServerOptions): ResolvedServerOptions {
  return {
    model: modelLocationOf(options, "createScoringServer"),
    maxBatch: positive("maxBatch", options.maxBatch ?? 32, true),
    maxWaitMs: positive("maxWaitMs", options.maxWaitMs ?? 0, false),
    maxQueue: positive("maxQueue", options.maxQueue ?? 256, true),
    bodyLimit: positive("bodyLimit", options.bodyLimit ?? 1024 * 1024, true),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs ?? 30_000, true),
    defaultMetrics: options.defaultMetrics ?? false,
  };
}
