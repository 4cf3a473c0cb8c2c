// Spark batches through a Livy REST API: Azure Synapse Spark pools and HDInsight clusters both take
// a job as POST /batches { file, args, pyFiles, conf, ... } and report its state until it ends.
import { SparkError } from "./errors.js";

/** Livy's batch states; success, dead and killed are final. */
export type LivyState = "not_started" | "starting" | "recovering" | "idle" | "running" | "busy" | "shutting_down" | "error" | "dead" | "killed" | "success";
const FINAL: ReadonlySet<string> = new Set(["success", "dead", "killed", "error"]);

export interface LivyBatchRequest {
  /** The application: abfss://<container>@<account>.dfs.core.windows.net/jobs/score_batch.py */
  file: string;
  args?: string[];
  pyFiles?: string[];
  jars?: string[];
  conf?: Record<string, string>;
  name?: string;
  driverMemory?: string;
  driverCores?: number;
  executorMemory?: string;
  executorCores?: number;
  numExecutors?: number;
}

export interface LivyBatch {
  id: number;
  state: LivyState;
  appId?: string | null;
  appInfo?: Record<string, string | null>;
  log?: string[];
}

export interface LivyClientOptions {
  /** A bearer token (Synapse: for https://dev.azuresynapse.net), or a function that gets a fresh one. */
  token?: string | (() => Promise<string>);
  /** HDInsight: the cluster login. */
  basicAuth?: { user: string; password: string };
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
}

/** The Livy batches URL of a Synapse Spark pool or an HDInsight cluster. */
export function livyBatchesUrl(where: { synapseWorkspace: string; sparkPool: string; apiVersion?: string } | { hdinsightCluster: string }): string {
  if ("hdinsightCluster" in where) return `https://${where.hdinsightCluster}.azurehdinsight.net/livy/batches`;
  return `https://${where.synapseWorkspace}.dev.azuresynapse.net/livyApi/versions/${where.apiVersion ?? "2019-11-01-preview"}/sparkPools/${where.sparkPool}/batches`;
}

export interface WaitForBatchOptions {
  /** Between state polls. Default 5 s. */
  pollMs?: number;
  /** Stop waiting (and DELETE the batch) when aborted. */
  abortSignal?: AbortSignal;
  onState?: (batch: LivyBatch, elapsedMs: number) => void;
  /** Log lines fetched for a failed batch's message. Default 50. */
  logLines?: number;
}

/** A Livy batches endpoint: submit, look at, read the log of, and kill Spark batches. */
export class LivyClient {
  private readonly fetch: typeof fetch;

  constructor(
    /** The batches URL, e.g. livyBatchesUrl(...), or http://127.0.0.1:8998/batches. */
    readonly batchesUrl: string,
    private readonly options: LivyClientOptions = {},
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.batchesUrl = batchesUrl.replace(/\/+$/, "");
  }

  /** POST /batches. */
  submit(request: LivyBatchRequest): Promise<LivyBatch> {
    return this.call<LivyBatch>("POST", "", request);
  }

  /** GET /batches/{id}. */
  get(id: number): Promise<LivyBatch> {
    return this.call<LivyBatch>("GET", `/${id}`);
  }

  /** GET /batches/{id}/state. */
  async state(id: number): Promise<LivyState> {
    return (await this.call<{ id: number; state: LivyState }>("GET", `/${id}/state`)).state;
  }

  /** GET /batches/{id}/log?from=&size=: the driver's log lines. */
  async log(id: number, from = 0, size = 100): Promise<string[]> {
    return (await this.call<{ log: string[] }>("GET", `/${id}/log?from=${from}&size=${size}`)).log ?? [];
  }

  /** DELETE /batches/{id}: kills a running batch (Livy keeps it as killed). */
  async delete(id: number): Promise<void> {
    await this.call("DELETE", `/${id}`);
  }

  /**
   * Polls until the batch ends. Resolves with it on success; throws SparkError SPARK_JOB_FAILED
   * (dead, killed, error: with the log's last lines) or ABORTED (after deleting the batch).
   */
  async wait(id: number, options: WaitForBatchOptions = {}): Promise<LivyBatch> {
    const started = Date.now();
    const signal = options.abortSignal;
    for (;;) {
      if (signal?.aborted) {
        await this.delete(id).catch(() => undefined);
        throw new SparkError("ABORTED", `Stopped waiting for Livy batch ${id}; it was deleted (killed).`);
      }
      const batch = await this.get(id);
      options.onState?.(batch, Date.now() - started);
      if (FINAL.has(batch.state)) {
        if (batch.state === "success") return batch;
        const lines = options.logLines ?? 50;
        const log = await this.log(id, -lines, lines).catch(() => batch.log ?? []);
        const tail = log.slice(-lines);
        throw new SparkError("SPARK_JOB_FAILED", `Livy batch ${id}${batch.appId ? ` (${batch.appId})` : ""} ended ${batch.state}. Its log's last lines:\n${tail.slice(-25).join("\n")}`, { logTail: tail });
      }
      await sleep(options.pollMs ?? 5_000, signal);
    }
  }

  private async headers(): Promise<Record<string, string>> {
    const h: Record<string, string> = { "content-type": "application/json", accept: "application/json", "X-Requested-By": "custom-ai" };
    const { token, basicAuth } = this.options;
    if (token) h.authorization = `Bearer ${typeof token === "string" ? token : await token()}`;
    else if (basicAuth) h.authorization = `Basic ${Buffer.from(`${basicAuth.user}:${basicAuth.password}`).toString("base64")}`;
    return h;
  }

  private async call<T>(method: string, suffix: string, body?: unknown): Promise<T> {
    const url = this.batchesUrl + suffix;
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: await this.headers(),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new SparkError("LIVY_REQUEST_FAILED", `No answer from Livy at ${url} (${(error as Error).message}): check the endpoint and the network.`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new SparkError("LIVY_REQUEST_FAILED", `Livy answered ${method} ${url} with HTTP ${response.status}: ${text.slice(0, 500) || response.statusText}`);
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SparkError("LIVY_REQUEST_FAILED", `Livy answered ${method} ${url} with something that is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
