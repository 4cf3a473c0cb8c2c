// Load shedding over a real socket: with the queue full, a scoring request is refused with 503 +
// Retry-After as soon as its headers arrive, without waiting for (or reading) its body.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScoringServer, type StartedScoringServer } from "../../lib/serve/index.js";
import { record, saveTinyModel } from "./server-helpers.js";

let started: StartedScoringServer;

beforeAll(async () => {
  const tiny = await saveTinyModel();
  // A minute's wait and room for two rows: two requests fill the queue and stay there.
  started = await startScoringServer({ model: tiny.dir, maxWaitMs: 60_000, maxBatch: 32, maxQueue: 2 });
});
afterAll(() => started?.close());

/** Sends the request head of a POST whose body never comes; resolves with what the server answers. */
function headersOnly(url: string, path: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"rec`);
    });
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", reject);
    setTimeout(() => (socket.destroy(), resolve(answer)), 5000);
  });
}

describe("load shedding", () => {
  it("answers 503 with Retry-After before reading the body while the queue is full, and scores again once it drains", async () => {
    const { server, url } = started;
    const waiting = [0, 1].map((i) => server.inject({ method: "POST", url: "/score", payload: record(i) }));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.scoring.stats().runs).toBe(0); // both still queued

    for (const path of ["/score", "/v2/models/tiny-classifier/infer"]) {
      const answer = await headersOnly(url, path);
      expect(answer).toMatch(/^HTTP\/1\.1 503/);
      expect(answer).toMatch(/\r\nretry-after: 1\r\n/i);
    }
    expect(server.scoring.stats().rejected).toBe(2);
    // Other routes are not refused.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    await server.close(); // drains: the queued two are scored
    expect((await Promise.all(waiting)).map((r) => r.statusCode)).toEqual([200, 200]);
  });
});
