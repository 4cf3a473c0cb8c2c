// HTTP load with autocannon (closed loop: each connection sends its next request when the last
// one answered; no pipelining), with every response's latency kept so that percentiles are
// exact (autocannon's own histogram has 1 ms steps and counts only 2xx), split by status and
// by time window. autocannon runs in this (the bench) process, apart from the servers, and
// shares the machine's cores with them: its CPU time is reported beside the results.
import autocannon from "autocannon";
import { treeUsage } from "./proc-tree.js";

export interface Payload {
  method: "POST";
  path: string;
  headers: Record<string, string>;
  /** Request bodies, sent in turn (one record or image each). */
  bodies: (string | Buffer)[];
}

export interface LoadOptions {
  url: string;
  payload: Payload;
  connections: number;
  durationS: number;
  /** Requests per second over all connections (autocannon's overallRate); default: as fast as answered. */
  rate?: number;
  /** Seconds per window of `windows` (default: none). */
  windowS?: number;
  /** Process whose tree's CPU time to report (the server). */
  serverPid?: number;
  /** Count 503 responses with and without Retry-After (needs autocannon to read each response: slower). */
  checkRetryAfter?: boolean;
  timeoutS?: number;
}

export interface Latency {
  count: number;
  /** ms */
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  durationS: number;
  connections: number;
  rate?: number;
  requests: number;
  /** 2xx answers per second. */
  okPerS: number;
  ok: Latency;
  /** Latency of each non-2xx status seen, e.g. "503". */
  byStatus: Record<string, Latency>;
  non2xx: number;
  /** Connection errors and time-outs (no HTTP answer). */
  errors: number;
  timeouts: number;
  retryAfter?: { with: number; without: number };
  windows?: { fromS: number; requests: number; okPerS: number; p99: number }[];
  /** CPU used during the run, as a share of one core: the server's tree and the load generator. */
  serverCpu?: number;
  loadgenCpu: number;
}

/** Exact percentile of latencies (ms). */
export function percentiles(values: number[]): Latency {
  if (values.length === 0) return { count: 0, mean: NaN, p50: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { count: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const byStatus = new Map<number, number[]>();
  const windowed: { ok: number[]; all: number }[] = [];
  let retryWith = 0;
  let retryWithout = 0;
  let next = 0;
  const { bodies } = o.payload;
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const server0 = o.serverPid ? treeUsage(o.serverPid).cpuS : 0;
  // Latency from each client's last request to its answer, not autocannon's own: against a server
  // that closes the connection after each answer (gunicorn's sync worker), autocannon writes one
  // request into the closing socket, sends another on the new connection, and then times the
  // answer from the lost one, a drift that grows with every reconnect.
  const sentAt = new Map<autocannon.Client, number>();
  const options: autocannon.Options = {
    url: o.url,
    setupClient: (client) => void (client as unknown as NodeJS.EventEmitter).on("request", () => sentAt.set(client, performance.now())),
    connections: o.connections,
    pipelining: 1,
    duration: o.durationS,
    timeout: o.timeoutS ?? 10,
    ...(o.rate ? { overallRate: Math.max(1, Math.round(o.rate)) } : {}),
    requests: [
      {
        method: o.payload.method,
        path: o.payload.path,
        headers: o.payload.headers,
        body: bodies[0],
        ...(bodies.length > 1 ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] }) } : {}),
        ...(o.checkRetryAfter
          ? {
              onResponse: (status: number, _body: string, _ctx: object, headers: autocannon.Request["headers"]) => {
                if (status !== 503) return;
                if (headers && headers["retry-after"] !== undefined) retryWith++;
                else retryWithout++;
              },
            }
          : {}),
      },
    ],
  };
  const onResponse = (status: number, ms: number) => {
    let list = byStatus.get(status);
    if (!list) byStatus.set(status, (list = []));
    list.push(ms);
    if (o.windowS) {
      const w = Math.floor((Date.now() - started) / 1000 / o.windowS);
      while (windowed.length <= w) windowed.push({ ok: [], all: 0 });
      windowed[w].all++;
      if (status >= 200 && status < 300) windowed[w].ok.push(ms);
    }
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on("response", (client, status) => onResponse(status, performance.now() - sentAt.get(client)!));
  });
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ok: number[] = [];
  const other: Record<string, Latency> = {};
  let non2xx = 0;
  for (const [status, list] of byStatus) {
    if (status >= 200 && status < 300) for (const v of list) ok.push(v);
    else {
      other[String(status)] = percentiles(list);
      non2xx += list.length;
    }
  }
  const durationS = result.duration || elapsed;
  return {
    durationS,
    connections: o.connections,
    rate: o.rate,
    requests: ok.length + non2xx,
    okPerS: ok.length / durationS,
    ok: percentiles(ok),
    byStatus: other,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(o.checkRetryAfter ? { retryAfter: { with: retryWith, without: retryWithout } } : {}),
    // A last window cut short by the end of the run is dropped.
    ...(o.windowS
      ? {
          windows: windowed
            .map((w, i) => ({ fromS: i * o.windowS!, requests: w.all, okPerS: w.ok.length / o.windowS!, p99: percentiles(w.ok).p99 }))
            .filter((w) => w.fromS + o.windowS! <= durationS + 0.5),
        }
      : {}),
    ...(o.serverPid ? { serverCpu: (treeUsage(o.serverPid).cpuS - server0) / elapsed } : {}),
    loadgenCpu: (cpu.user + cpu.system) / 1e6 / elapsed,
  };
}
