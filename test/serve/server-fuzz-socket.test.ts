// The fuzzer over a real socket (the 10,000-request run is `npm run fuzz`): malformed HTTP,
// invalid UTF-8, huge and deep bodies, slow bodies past the request time-out — each answered with a
// 4xx (or, for broken HTTP framing, a closed connection), no stack traces, and valid requests
// mixed in keep scoring throughout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScoringServer, type StartedScoringServer } from "../../lib/serve/index.js";
import { generateCases, type FuzzTarget } from "./fuzz/cases.js";
import { runFuzz } from "./fuzz/client.js";
import { FEATURES, record, saveTinyModel } from "./server-helpers.js";

let started: StartedScoringServer;
let target: FuzzTarget;
const BODY_LIMIT = 64 * 1024;
const MAX_QUEUE = 64;

beforeAll(async () => {
  const tiny = await saveTinyModel();
  started = await startScoringServer({ modelDir: tiny.dir, bodyLimit: BODY_LIMIT, maxQueue: MAX_QUEUE, requestTimeoutMs: 1000 });
  const meta = (await (await fetch(`${started.url}/v2/models/tiny-classifier`)).json()) as { inputs: { name: string }[] };
  target = { model: "tiny-classifier", inputName: meta.inputs[0].name, features: FEATURES, record, bodyLimit: BODY_LIMIT, maxRows: MAX_QUEUE };
});
afterAll(() => started?.close());

describe("fuzzing over a socket", () => {
  it("answers 800 hostile requests and 6 slow bodies with 4xx, keeps scoring, leaks nothing", async () => {
    const port = Number(new URL(started.url).port);
    const cases = generateCases(target, 800, 20261202, { slow: 6, slowDelayMs: 200 });
    const report = await runFuzz(port, cases, { concurrency: 16, timeoutMs: 15_000 });
    expect(report.violations).toEqual([]);
    const categories = Object.keys(report.byCategory);
    for (const c of ["valid", "random-json", "broken-record", "broken-v2", "huge", "deep-nesting", "invalid-utf8", "random-bytes", "content-type", "malformed-http", "slow-body"]) {
      expect(categories).toContain(c);
    }
    // Slow bodies are cut off by the request time-out (408), not left holding the socket.
    expect(report.byCategory["slow-body"]).toEqual({ 408: 6 });
    expect(report.byCategory.valid["200"]).toBeGreaterThan(30);
    expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    expect(metrics).not.toMatch(/status="5\d\d"/);
  });
});
