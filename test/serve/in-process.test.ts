// scoreInProcess scores as the server does; readMetrics reads what the server's /metrics exposes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, loadScoringModel, parseMetrics, readMetrics, scoreInProcess, startScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { FEATURES, LABELS, record, row, saveTinyCnn, saveTinyModel, type TinyModel } from "./server-helpers.js";

let tiny: TinyModel;
let server: ScoringServer;

beforeAll(async () => {
  tiny = await saveTinyModel();
  // `modelDir` is the deprecated alias of `model` (2-2 and 2-5 taught it first): it still works.
  server = createScoringServer({ modelDir: tiny.dir });
  await server.scoring.loaded;
});
afterAll(() => server?.close());

describe("scoreInProcess", () => {
  it("gives /score's predictions for the same raw records, and the model's own outputs", async () => {
    const records = Array.from({ length: 7 }, (_, i) => record(i));
    const served = (await server.inject({ method: "POST", url: "/score", payload: { records } })).json().predictions;
    const local = await scoreInProcess(tiny.dir, records);
    expect(local.predictions).toEqual(served);
    expect(local.classLabels).toEqual(LABELS);
    // The scaler was applied (tfjs on rows scaled by hand agrees), and instances give the same.
    const reference = tiny.reference(records.map((_, i) => row(i)));
    local.outputs.forEach((out, r) => out.forEach((p, c) => expect(Math.abs(p - reference[r][c])).toBeLessThan(1e-5)));
    expect((await scoreInProcess(tiny.dir, records.map((_, i) => row(i)))).outputs).toEqual(local.outputs);
  });

  it("takes a loaded model (left loaded), refuses rows /score would refuse, and scores none", async () => {
    const model = await loadScoringModel(tiny.dir);
    try {
      expect((await scoreInProcess(model, [])).outputs).toEqual([]);
      const missing = { ...record(1) } as Record<string, unknown>;
      delete missing[FEATURES[0]];
      await expect(scoreInProcess(model, [missing])).rejects.toMatchObject({ statusCode: 400, message: `Missing feature "${FEATURES[0]}" in records[0].` });
      await expect(scoreInProcess(model, [record(1), row(1)])).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining("one kind") });
      expect((await scoreInProcess(model, [record(2)])).outputs).toHaveLength(1); // still usable
    } finally {
      await model.release();
    }
  });

  it("scores nested instances of a model without feature names", async () => {
    const cnn = await saveTinyCnn();
    const image = Array.from({ length: 4 }, (_, y) => Array.from({ length: 4 }, (_, x) => [(x + y) / 6]));
    const out = await scoreInProcess(cnn.dir, [image]);
    const want = cnn.reference([image.flat(2)])[0];
    out.outputs[0].forEach((p, c) => expect(Math.abs(p - want[c])).toBeLessThan(1e-5));
  });
});

describe("readMetrics", () => {
  it("reads a live server's counters and histograms by name and labels", async () => {
    const started = await startScoringServer({ model: tiny.dir, apiKey: "k" });
    try {
      const headers = { authorization: "Bearer k" };
      for (let i = 0; i < 3; i++) await fetch(`${started.url}/score`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(record(i)) });
      await fetch(`${started.url}/score`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{" });
      const m = await readMetrics(`${started.url}/metrics`, { headers });
      expect(m.value("scoring_http_requests_total", { route: "/score", status: "200" })).toBe(3);
      expect(m.value("scoring_http_requests_total", { route: "/score", status: "400" })).toBe(1);
      expect(m.value("scoring_http_requests_total", { route: "/score" })).toBe(4);
      expect(m.value("scoring_batch_requests_count")).toBe(3);
      expect(m.value("scoring_batch_rows_sum")).toBe(3);
      expect(m.value("scoring_batch_rows_bucket", { le: "+Inf" })).toBe(3);
      expect(m.types.scoring_http_requests_total).toBe("counter");
      expect(m.value("no_such_metric")).toBeNaN();
      await expect(readMetrics(`${started.url}/metrics`)).rejects.toThrow(/answered 401/);
    } finally {
      await started.close();
    }
  });

  it("parses exposition text: escaped label values, +Inf, NaN, timestamps; refuses a broken line", () => {
    const m = parseMetrics(
      [
        "# HELP x_total An example",
        "# TYPE x_total counter",
        'x_total{path="/a\\"b",note="line\\nbreak"} 2 1700000000000',
        'x_total{path="/c"} 3',
        "g +Inf",
        "h NaN",
        "",
      ].join("\n"),
    );
    expect(m.samples[0]).toEqual({ name: "x_total", labels: { path: '/a"b', note: "line\nbreak" }, value: 2 });
    expect(m.value("x_total")).toBe(5);
    expect(m.value("x_total", { path: "/c" })).toBe(3);
    expect(m.value("g")).toBe(Infinity);
    expect(m.value("h")).toBeNaN();
    expect(() => parseMetrics("x_total{path=/a} 1")).toThrow(/Line 1/);
  });
});
