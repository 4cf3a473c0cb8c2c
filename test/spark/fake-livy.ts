// An in-process fake of the Livy batch REST API (the slice Synapse Spark pools and HDInsight
// serve): POST /batches, GET /batches/{id}, /state, /log, DELETE. Each batch walks a scripted list
// of states, one per GET; a request can be made to fail with an HTTP status.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeBatch {
  id: number;
  request: Record<string, unknown>;
  states: string[];
  step: number;
  log: string[];
  deleted: boolean;
}

export interface FakeLivy {
  url: string;
  batches: Map<number, FakeBatch>;
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  /** The states the next submitted batch goes through (one per GET of it). */
  nextStates: string[];
  /** Answer the next request with this status and body. */
  failNext?: { status: number; body: string };
  close(): Promise<void>;
}

export async function startFakeLivy(): Promise<FakeLivy> {
  let nextId = 0;
  const fake = { batches: new Map<number, FakeBatch>(), requests: [], nextStates: ["starting", "running", "success"] } as unknown as FakeLivy;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
  const view = (b: FakeBatch) => ({ id: b.id, state: b.states[Math.min(b.step, b.states.length - 1)], appId: `application_1_${String(b.id).padStart(4, "0")}`, appInfo: { driverLogUrl: null, sparkUiUrl: null }, log: b.log.slice(-5) });
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      fake.requests.push({ method: req.method ?? "", path: url.pathname + url.search, headers: req.headers });
      if (fake.failNext) {
        const { status, body: text } = fake.failNext;
        fake.failNext = undefined;
        return send(res, status, text);
      }
      const parts = url.pathname.split("/").filter(Boolean); // ["batches", id?, "state"|"log"?]
      if (parts[0] !== "batches") return send(res, 404, { msg: "not found" });
      if (parts.length === 1 && req.method === "POST") {
        let request: Record<string, unknown>;
        try {
          request = JSON.parse(body) as Record<string, unknown>;
        } catch {
          return send(res, 400, { msg: "Rejected, Reason: body is not JSON" });
        }
        if (typeof request.file !== "string") return send(res, 400, { msg: "Rejected, Reason: file is required" });
        const batch: FakeBatch = { id: nextId++, request, states: fake.nextStates, step: 0, log: ["stdout: ", "starting driver"], deleted: false };
        fake.batches.set(batch.id, batch);
        return send(res, 201, view(batch));
      }
      const batch = fake.batches.get(Number(parts[1]));
      if (!batch) return send(res, 404, { msg: `Session '${parts[1]}' not found.` });
      if (req.method === "DELETE") {
        batch.deleted = true;
        batch.states = [...batch.states.slice(0, batch.step + 1), "killed"];
        batch.step = batch.states.length - 1;
        return send(res, 200, { msg: "deleted" });
      }
      if (parts[2] === "log") {
        const from = Number(url.searchParams.get("from") ?? 0);
        const size = Number(url.searchParams.get("size") ?? 100);
        const start = from < 0 ? Math.max(0, batch.log.length + from) : from;
        return send(res, 200, { id: batch.id, from: start, total: batch.log.length, log: batch.log.slice(start, start + size) });
      }
      const shown = view(batch);
      if (batch.step < batch.states.length - 1) batch.step++;
      const state = batch.states[Math.min(batch.step, batch.states.length - 1)];
      if (state === "running" && !batch.log.includes("running tasks")) batch.log.push("running tasks");
      if (state === "dead") batch.log.push("Traceback (most recent call last):", "ValueError: input folder is empty");
      return send(res, 200, parts[2] === "state" ? { id: batch.id, state: shown.state } : shown);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/batches`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
