// Sends one fuzz case over its own TCP connection, byte for byte, and reads what comes back — a
// raw socket, because an HTTP client library would refuse to send most of these requests.
import net from "node:net";
import type { Category, FuzzCase } from "./cases.js";

export interface FuzzAnswer {
  /** The status code, or undefined when the server closed the connection without an answer. */
  status?: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
  /** A client-side failure: the server did not answer within the time limit, or reset. */
  error?: string;
}

export function sendCase(port: number, c: FuzzCase, timeoutMs: number): Promise<FuzzAnswer> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect({ port, host: "127.0.0.1" });
    const data: Buffer[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(data)), ms: performance.now() - t0, ...(error ? { error } : {}) });
    };
    timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on("data", (d) => data.push(d));
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (e: NodeJS.ErrnoException) => {
      // The server may close while we are still writing a body it refused: that is an answer.
      if (e.code === "EPIPE" || e.code === "ECONNRESET") return finish();
      finish(`socket error ${e.code ?? e.message}`);
    });
    socket.once("connect", async () => {
      for (let i = 0; i < c.chunks.length && !done; i++) {
        if (i > 0 && c.delayMs) await new Promise((r) => setTimeout(r, c.delayMs));
        if (!done && !socket.destroyed) socket.write(c.chunks[i]);
      }
    });
  });
}

function parse(raw: Buffer): Omit<FuzzAnswer, "ms"> {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (!text.startsWith("HTTP/1.1 ") || end < 0) return { headers: {}, body: text };
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
  if (headers["transfer-encoding"] === "chunked") body = dechunk(body);
  return { status: Number(statusLine.split(" ")[1]), headers, body: body.toString("utf8") };
}

function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const eol = b.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = parseInt(b.subarray(at, eol).toString(), 16);
    if (!size) break;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A stack trace, a source path or a module path in a response: a leak the fuzzer reports. */
export const LEAK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|\/work\/|\/home\//;

/** Why an answer breaks the server's contract, or undefined when it keeps it. */
export function violation(c: FuzzCase, a: FuzzAnswer): string | undefined {
  if (a.error) return a.error;
  if (a.status === undefined) return c.mayClose ? undefined : "closed without an answer";
  if (c.expectOk) return a.status === 200 ? undefined : `a valid request got ${a.status}: ${a.body.slice(0, 200)}`;
  if (c.mayScore && a.status === 200) return undefined;
  if (a.status < 400 || a.status >= 500) return `got ${a.status}, not a 4xx`;
  if (LEAK.test(a.body)) return `leaks internals: ${a.body.slice(0, 300)}`;
  // Our own answers are JSON { error }; Node's HTTP parser answers malformed requests with no body.
  if (a.body.length > 0) {
    try {
      if (typeof (JSON.parse(a.body) as { error?: unknown }).error !== "string") return `no error message: ${a.body.slice(0, 200)}`;
    } catch {
      return `a body that is not JSON: ${a.body.slice(0, 200)}`;
    }
  } else if (!c.mayClose && c.category !== "slow-body") return `${a.status} with an empty body`;
  return undefined;
}

export interface FuzzReport {
  cases: number;
  byCategory: Record<string, Record<string, number>>;
  violations: { category: Category; request: string; problem: string }[];
  okLatencyMs: number[];
}

/** Runs every case with `concurrency` connections at a time. */
export async function runFuzz(port: number, cases: FuzzCase[], options: { concurrency: number; timeoutMs: number; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const report: FuzzReport = { cases: cases.length, byCategory: {}, violations: [], okLatencyMs: [] };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const a = await sendCase(port, c, options.timeoutMs);
      const key = a.status === undefined ? (a.error ? "error" : "closed") : String(a.status);
      const counts = (report.byCategory[c.category] ??= {});
      counts[key] = (counts[key] ?? 0) + 1;
      const problem = violation(c, a);
      if (problem) report.violations.push({ category: c.category, request: Buffer.concat(c.chunks).toString("latin1").slice(0, 160), problem });
      if (c.expectOk && a.status === 200) report.okLatencyMs.push(a.ms);
      options.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return report;
}
