// `custom-ai serve`'s request log: ONE JSON line per answered request (method, url, status,
// duration, request id, model), written asynchronously — and none lost when SIGTERM comes right
// after the last answer, while lines may still wait in the buffer.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { record, saveTinyModel, type TinyModel } from "./server-helpers.js";
import { tempDir } from "../support/temp.js";

const MODEL_NAME = "logged-model";
let model: TinyModel;
beforeAll(async () => {
  model = await saveTinyModel(MODEL_NAME);
});

interface LogLine {
  msg?: string;
  level?: number;
  reqId?: string;
  model?: string;
  responseTime?: number;
  req?: { method?: string; url?: string; remoteAddress?: string };
  res?: { statusCode?: number };
}

describe("custom-ai serve's request log", () => {
  it("writes one line per request, with id, method, url, status, duration and model, and loses none on SIGTERM", async () => {
    const child = spawn(process.execPath, ["bin/custom-ai.mjs", "serve", "--model", model.dir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    // 'close': the process has exited AND its stdout has been read to the end.
    const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /Model ready: (http:\/\/[^/\s]+)/.exec(err);
        if (m) return resolve(m[1]);
        if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode}: ${err}`));
        setTimeout(check, 50);
      };
      check();
    });

    // N requests, 16 at a time: scores, a 400 and a 404 among them.
    const n = 400;
    const statuses = new Map<string, number>();
    let next = 0;
    const send = async () => {
      while (next < n) {
        const i = next++;
        const id = `req-${i}`;
        const bad = i % 100 === 7;
        const path = i % 100 === 9 ? "/nowhere" : "/score";
        const res = await fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": id },
          body: bad ? "{not json" : JSON.stringify({ records: [record(i % 10)] }),
        });
        await res.arrayBuffer();
        expect(res.headers.get("x-request-id")).toBe(id);
        statuses.set(id, res.status);
      }
    };
    await Promise.all(Array.from({ length: 16 }, send));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);

    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as LogLine);
    const requestLines = lines.filter((l) => l.msg === "request completed");
    expect(requestLines).toHaveLength(n);
    expect(lines.filter((l) => l.msg === "incoming request")).toHaveLength(0);
    expect(new Set(requestLines.map((l) => l.reqId)).size).toBe(n);
    for (const l of requestLines) {
      const status = statuses.get(l.reqId!);
      expect(l.res?.statusCode).toBe(status);
      expect(l.req?.method).toBe("POST");
      expect(l.req?.remoteAddress).toBe("127.0.0.1");
      expect(l.responseTime).toBeGreaterThan(0);
      expect(l.level).toBe(30);
      if (l.req?.url === "/score") expect(l.model).toBe(MODEL_NAME);
      else expect(l.model).toBeUndefined();
    }
    expect(requestLines.filter((l) => l.res?.statusCode === 400)).toHaveLength(4);
    expect(requestLines.filter((l) => l.res?.statusCode === 404 && l.req?.url === "/nowhere")).toHaveLength(4);
    expect(requestLines.filter((l) => l.res?.statusCode === 200)).toHaveLength(n - 8);
    // The shutdown lines come after the requests' lines, in the order they were written.
    expect(lines.findIndex((l) => /shutting down/.test(l.msg ?? ""))).toBeGreaterThan(lines.indexOf(requestLines[n - 1]));
  }, 60_000);

  it("at level warn writes no request line but still counts the request; a request's own logger names its id", async () => {
    const { createScoringServer } = await import("../../lib/serve/index.js");
    const lines: LogLine[] = [];
    const stream = { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) };
    const server = createScoringServer({ model: model.dir, logger: { level: "warn", stream } });
    await server.scoring.loaded;
    server.get("/log-probe", async (req) => {
      req.log.warn("from the handler");
      req.log.info("below the level");
      return { ok: true };
    });
    const ok = await server.inject({ method: "POST", url: "/score", headers: { "x-request-id": "fine" }, payload: { records: [record()] } });
    expect(ok.statusCode).toBe(200);
    expect((await server.inject({ method: "GET", url: "/log-probe", headers: { "x-request-id": "probe" } })).statusCode).toBe(200);
    const metrics = await server.scoring.metrics.registry.getSingleMetricAsString("scoring_http_requests_total");
    expect(metrics).toMatch(/scoring_http_requests_total\{method="POST",route="\/score",status="200"\} 1/);
    await server.close();
    expect(lines.filter((l) => l.msg === "request completed")).toHaveLength(0);
    expect(lines.filter((l) => l.msg === "from the handler").map((l) => l.reqId)).toEqual(["probe"]);
    expect(lines.some((l) => l.msg === "below the level")).toBe(false);
  });
});

describe("BatchedWriter (the server's stdout)", () => {
  it("writes the lines of one event-loop turn together at its end, and each line at once once unbatched", async () => {
    const { BatchedWriter } = await import("../../lib/serve/log-destination.js");
    const file = path.join(tempDir("cai-log-"), "out.log");
    const fd = openSync(file, "w");
    try {
      const w = new BatchedWriter(fd);
      w.write("a\n");
      w.write("b\n");
      expect(readFileSync(file, "utf8")).toBe(""); // still this turn
      await new Promise((r) => setImmediate(r));
      expect(readFileSync(file, "utf8")).toBe("a\nb\n");
      w.write("c\n");
      w.unbatch(); // the pending line, at once
      expect(readFileSync(file, "utf8")).toBe("a\nb\nc\n");
      w.write("d\n");
      expect(readFileSync(file, "utf8")).toBe("a\nb\nc\nd\n");
      w.close();
      w.write("e\n");
      expect(readFileSync(file, "utf8")).toBe("a\nb\nc\nd\n");
    } finally {
      closeSync(fd);
    }
  });

  it("never blocks the event loop on a pipe nobody reads: the lines wait, and come out once it is read", async () => {
    const { BatchedWriter } = await import("../../lib/serve/log-destination.js");
    // A child that reads its stdin only when told to (a signal), and counts the bytes it got.
    const reader = spawn(process.execPath, ["-e", "const alive = setInterval(() => {}, 1000); process.stdin.pause(); let n = 0; process.on('SIGUSR2', () => { process.stdin.on('data', (d) => (n += d.length)); process.stdin.on('end', () => { console.log(n); clearInterval(alive); }); process.stdin.resume(); });"], { stdio: ["pipe", "pipe", "inherit"] });
    await new Promise((r) => setTimeout(r, 300));
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const w = new BatchedWriter(fd);
    const line = `${"x".repeat(99)}\n`;
    const started = Date.now();
    for (let i = 0; i < 20_000; i++) w.write(line); // 2 MB: far more than a pipe holds
    w.flush();
    expect(Date.now() - started).toBeLessThan(1_000); // it did not wait for the reader
    let out = "";
    reader.stdout.on("data", (d: Buffer) => (out += d));
    reader.kill("SIGUSR2");
    // The retries write the rest as the reader drains the pipe; then nothing is left.
    const deadline = Date.now() + 10_000;
    while ((w as unknown as { carry?: Buffer }).carry && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    w.unbatch();
    w.close();
    reader.stdin.end();
    await new Promise((r) => reader.once("exit", r));
    expect(Number(out.trim())).toBe(20_000 * 100);
  });
});
