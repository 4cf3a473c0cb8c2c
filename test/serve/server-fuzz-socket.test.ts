// The fuzzer over a real socket (the 10,000-request runs are `npm run fuzz [-- --model image]`):
// malformed HTTP, invalid UTF-8, huge and deep bodies, slow bodies past the request time-out,
// images cut, patched and lied about — each answered with a 4xx (or, for broken HTTP framing, a
// closed connection), no stack traces, and valid requests mixed in keep scoring throughout.
import { describe, expect, it } from "vitest";
import { startScoringServer } from "../../lib/serve/index.js";
import { generateCases } from "./fuzz/cases.js";
import { runFuzz } from "./fuzz/client.js";
import { fuzzModel, fuzzTarget, type FuzzModel } from "./fuzz/targets.js";

const BODY_LIMIT = 64 * 1024;
const MAX_QUEUE = 64;

async function fuzz(kind: FuzzModel, count: number, slow: number) {
  const model = await fuzzModel(kind);
  const started = await startScoringServer({ model: model.dir, bodyLimit: BODY_LIMIT, maxQueue: MAX_QUEUE, requestTimeoutMs: 1000 });
  try {
    const meta = (await (await fetch(`${started.url}/v2/models/${model.name}`)).json()) as { inputs: { name: string }[] };
    const target = fuzzTarget(kind, model.name, meta.inputs[0].name, { bodyLimit: BODY_LIMIT, maxRows: MAX_QUEUE });
    const report = await runFuzz(Number(new URL(started.url).port), generateCases(target, count, 20261202, { slow, slowDelayMs: 200 }), { concurrency: 16, timeoutMs: 15_000 });
    const health = (await fetch(`${started.url}/healthz`)).status;
    const metrics = await (await fetch(`${started.url}/metrics`)).text();
    return { report, health, metrics };
  } finally {
    await started.close();
  }
}

describe("fuzzing over a socket", () => {
  it("answers 800 hostile requests and 6 slow bodies to a tabular model with 4xx, keeps scoring, leaks nothing", async () => {
    const { report, health, metrics } = await fuzz("tabular", 800, 6);
    expect(report.violations).toEqual([]);
    const categories = Object.keys(report.byCategory);
    for (const c of ["valid", "random-json", "broken-record", "broken-v2", "huge", "deep-nesting", "invalid-utf8", "random-bytes", "content-type", "malformed-http", "slow-body"]) {
      expect(categories).toContain(c);
    }
    // Slow bodies are cut off by the request time-out (408), not left holding the socket.
    expect(report.byCategory["slow-body"]).toEqual({ 408: 6 });
    expect(report.byCategory.valid["200"]).toBeGreaterThan(30);
    expect(health).toBe(200);
    expect(metrics).not.toMatch(/status="5\d\d"/);
  });

  it("answers 400 hostile requests to an image model, mangled images included, with 4xx and keeps scoring", async () => {
    const { report, health, metrics } = await fuzz("image", 400, 3);
    expect(report.violations).toEqual([]);
    expect(report.byCategory["hostile-image"]).toBeDefined();
    const hostile = report.byCategory["hostile-image"];
    expect(Object.keys(hostile).every((s) => s === "200" || /^4\d\d$/.test(s))).toBe(true);
    expect(report.byCategory.valid["200"]).toBeGreaterThan(15);
    expect(report.byCategory["slow-body"]).toEqual({ 408: 3 });
    expect(health).toBe(200);
    expect(metrics).not.toMatch(/status="5\d\d"/);
  });
});
