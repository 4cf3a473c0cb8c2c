// A small closed-loop load test for a notebook or a smoke check: `concurrency` clients each send
// their next request as soon as the last one is answered, and every latency is kept, so the
// notebook can show percentiles and a histogram. (The benchmarks use autocannon, a load generator
// in its own process; this one runs in the caller's process and measures what a client sees.)
export interface LoadTestOptions {
  url: string;
  /** The body of request i (JSON-serialised unless a string or bytes). */
  body: (i: number) => unknown;
  /** Requests in all. */
  requests: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  method?: string;
  headers?: Record<string, string>;
  /** Called with each answer (to check it). */
  onResponse?: (i: number, status: number, body: string) => void;
}

export interface LoadTestResult {
  requests: number;
  /** Answers by HTTP status ("error" for a failed connection). */
  statuses: Record<string, number>;
  /** Non-2xx answers and failed connections. */
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  /** Latency of every request, in ms, in order of completion. */
  latenciesMs: number[];
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function loadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 8, options.requests));
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const client = async () => {
    while (next < options.requests) {
      const i = next++;
      const body = options.body(i);
      const payload = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
      const headers = { "content-type": "application/json", ...options.headers };
      const started = performance.now();
      let key: string;
      try {
        const res = await fetch(options.url, { method: options.method ?? "POST", headers, body: payload });
        const text = await res.text();
        key = String(res.status);
        options.onResponse?.(i, res.status, text);
      } catch {
        key = "error";
      }
      latenciesMs.push(performance.now() - started);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - t0) / 1000;
  const errors = Object.entries(statuses).reduce((n, [k, v]) => (/^2\d\d$/.test(k) ? n : n + v), 0);
  return {
    requests: options.requests,
    statuses,
    errors,
    seconds,
    requestsPerSecond: options.requests / seconds,
    latenciesMs,
    p50Ms: percentile(latenciesMs, 50),
    p90Ms: percentile(latenciesMs, 90),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: Math.max(...latenciesMs),
  };
}

/** A Vega-Lite histogram of latencies (render with lib/data vegaLiteToSvg). */
export function latencyHistogramSpec(latenciesMs: readonly number[], title = "Request latency"): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 420,
    height: 180,
    data: { values: latenciesMs.map((ms) => ({ ms })) },
    mark: "bar",
    encoding: {
      x: { field: "ms", type: "quantitative", bin: { maxbins: 40 }, title: "latency (ms)" },
      y: { aggregate: "count", type: "quantitative", title: "requests" },
    },
  };
}
