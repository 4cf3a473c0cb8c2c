// The scoring server through fastify's inject: formats, validation, HTTP semantics, auth,
// micro-batching, the bounded queue, metrics and the KServe V2 routes.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelError, saveServableModel } from "../../lib/models/index.js";
import { createScoringServer, ServeError, startScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { editMetadata, FEATURES, LABELS, record, recordChecksum, row, saveTinyCnn, saveTinyModel, type TinyModel } from "./server-helpers.js";
import { tempDir } from "../support/temp.js";

let tiny: TinyModel;
let server: ScoringServer;

beforeAll(async () => {
  tiny = await saveTinyModel();
  server = createScoringServer({ model: tiny.dir });
  await server.scoring.loaded;
});
afterAll(() => server?.close());

const score = (payload: unknown) => server.inject({ method: "POST", url: "/score", payload: payload as object });

describe("loading and health", () => {
  it("answers /readyz 503 until the model is loaded and warmed up, /healthz 200 all along", async () => {
    const s = createScoringServer({ model: tiny.dir });
    const before = await s.inject("/readyz");
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({ status: "loading" });
    expect((await s.inject("/healthz")).statusCode).toBe(200);
    expect((await s.inject("/v2/health/ready")).statusCode).toBe(503);
    expect((await s.inject({ method: "POST", url: "/score", payload: record() })).statusCode).toBe(503);
    await s.scoring.loaded;
    expect((await s.inject("/readyz")).json()).toEqual({ status: "ready", model: "tiny-classifier", executionProvider: "cpu" });
    expect((await s.inject("/v2/health/ready")).statusCode).toBe(200);
    expect(s.scoring.stats().runs).toBe(0); // the warm-up runs bypass the batcher
    await s.close();
  });

  it("refuses a folder without model.onnx with a ServeError that says what to write", () => {
    const empty = tempDir("cai-serve-empty-");
    expect(() => createScoringServer({ model: empty })).toThrowError(ServeError);
    expect(() => createScoringServer({ model: empty })).toThrowError(/No model\.onnx in .*exportOnnx/);
  });

  it("refuses bad options", () => {
    expect(() => createScoringServer({ model: tiny.dir, maxBatch: 0 })).toThrowError(/maxBatch must be a whole number/);
  });
});

describe("the model files", () => {
  it("refuses a model.onnx changed since its save, naming the file and what to do", async () => {
    const changed = tempDir("cai-serve-changed-");
    cpSync(tiny.dir, changed, { recursive: true });
    const onnx = path.join(changed, "model.onnx");
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(onnx, bytes);
    const s = createScoringServer({ model: changed });
    const error = await s.scoring.loaded.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH", message: expect.stringMatching(/\/model\.onnx does not match the save that wrote metadata\.json \(its sha256 is .*Copy the whole model folder again, or save the model again/) });
    expect((await s.inject("/readyz")).json()).toMatchObject({ status: "failed", error: expect.stringMatching(/model\.onnx does not match/) });
    await s.close();
  });

  it("serves a model saved before checksums were recorded, unchecked", async () => {
    const older = tempDir("cai-serve-older-");
    cpSync(tiny.dir, older, { recursive: true });
    editMetadata(older, (m) => delete m.files);
    const s = createScoringServer({ model: older });
    await s.scoring.loaded;
    const r = await s.inject({ method: "POST", url: "/score", payload: { records: [record(1)] } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual((await score({ records: [record(1)] })).json());
    await s.close();
  });
});

describe("POST /score", () => {
  it("scores records with the metadata's scaler applied, matching tfjs on the same scaled inputs", async () => {
    const r = await score({ records: [record(0), record(5)] });
    expect(r.statusCode).toBe(200);
    const { predictions } = r.json();
    const ref = tiny.reference([row(0), row(5)]);
    predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
      LABELS.forEach((l, k) => expect(p.probabilities[l]).toBeCloseTo(ref[i][k], 5));
      expect(p.label).toBe(LABELS[ref[i].indexOf(Math.max(...ref[i]))]);
    });
  });

  it("takes one record, or instances in feature order, with the same answer", async () => {
    const a = (await score({ records: [record(3)] })).json().predictions[0];
    const b = (await score(record(3))).json().predictions[0];
    const c = (await score({ instances: [row(3)] })).json().predictions[0];
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it.each([
    [{ records: [{ age: 1, income: 2, score: 3 }] }, /Missing feature "tenure" in records\[0\]/],
    [{ ...record(), colour: 1 }, /Unknown feature "colour"/],
    [{ ...record(), income: "high" }, /Feature "income" must be a number, not the string "high"/],
    [{ ...record(), age: "NaN" }, /Feature "age" must be a number/],
    [{ ...record(), age: null }, /Feature "age" must be a number, not null/],
    [{ ...record(), age: true }, /Feature "age" must be a number, not a boolean/],
    [{ instances: [[1, 2, 3]] }, /instances\[0\] has 3 values; .* takes 4 in this order: age, income, score, tenure/],
    [{ instances: [[1, 2, 3, "x"]] }, /instances\[0\]\[3\] must be a number/],
    [{ records: [] }, /"records" is empty/],
    [{ records: {} }, /"records" must be an array/],
    [{ records: [record()], extra: 1 }, /Unknown top-level field "extra"/],
    [[1, 2], /The body must be a JSON object/],
  ])("answers 400 naming the problem: %j", async (body, message) => {
    const r = await score(body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(message);
  });

  it("answers 400 for 1e999 (Infinity once parsed)", async () => {
    const r = await server.inject({ method: "POST", url: "/score", headers: { "content-type": "application/json" }, payload: '{"age":1e999,"income":1,"score":1,"tenure":1}' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/"age" must be a finite number/);
  });

  it.each([
    [{ ...record(), income: 1e210 }, /Feature "income" is 1e\+210, which float32 \(the model's input type\) cannot hold: send values from -1e15 to 1e15/],
    [{ records: [record(), { ...record(), age: -3.5e38 }] }, /Feature "age" in records\[1\] is -3\.5e\+38, which float32/],
    [{ instances: [[1, 2, 1e16, 4]] }, /instances\[0\]\[2\] is 10000000000000000, beyond the values the model takes: send values from -1e15 to 1e15/],
  ])("answers 400 naming the value and the range for a number the model cannot take: %j", async (body, message) => {
    const r = await score(body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(message);
  });

  it("scores the range's bounds with finite probabilities (never null)", async () => {
    const r = await score({ instances: [[1e15, -1e15, 1e15, -1e15], [-1e15, 1e15, -1e15, 1e15]] });
    expect(r.statusCode).toBe(200);
    for (const p of r.json().predictions) for (const l of LABELS) expect(Number.isFinite(p.probabilities[l])).toBe(true);
  });

  it("answers 413 over the body limit and for more rows than the queue holds", async () => {
    const s = createScoringServer({ model: tiny.dir, bodyLimit: 1000, maxQueue: 4 });
    await s.scoring.loaded;
    const big = await s.inject({ method: "POST", url: "/score", payload: { records: Array.from({ length: 50 }, (_, i) => record(i)) } });
    expect(big.statusCode).toBe(413);
    const many = await s.inject({ method: "POST", url: "/score", payload: { instances: Array.from({ length: 5 }, () => [1, 2, 3, 4]) } });
    expect(many.statusCode).toBe(413);
    expect(many.json().error).toMatch(/at most 4 per request/);
    await s.close();
  });
});

describe("HTTP semantics", () => {
  it("answers a wrong method on a known route with 405 and Allow, an unknown path with 404", async () => {
    const r = await server.inject({ method: "GET", url: "/score" });
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe("POST");
    const d = await server.inject({ method: "DELETE", url: "/v2/models/tiny-classifier" });
    expect(d.statusCode).toBe(405);
    expect(d.headers.allow).toBe("GET, HEAD");
    expect((await server.inject({ method: "GET", url: "/nope" })).statusCode).toBe(404);
  });

  it("answers 405 + Allow before reading a body: QUERY without a content type, PUT with an odd one", async () => {
    const q = await server.inject({ method: "QUERY" as "GET", url: "/healthz" });
    expect(q.statusCode).toBe(405);
    expect(q.headers.allow).toBe("GET, HEAD");
    const p = await server.inject({ method: "PUT", url: "/score", headers: { "content-type": "text/x-odd" }, payload: "x" });
    expect(p.statusCode).toBe(405);
    expect(p.headers.allow).toBe("POST");
    expect(p.json().error).toMatch(/PUT is not allowed on \/score; use POST/);
  });

  it("answers a method Node's parser does not know with 405 + Allow on a known path, over a socket", async () => {
    const started = await startScoringServer({ model: tiny.dir });
    try {
      const { port } = new URL(started.url);
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket: Socket = connect(Number(port), "127.0.0.1", () => socket.write(request));
          let text = "";
          socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
          socket.on("close", () => resolve(text));
          socket.on("error", reject);
        });
      const brew = await raw("BREW /score HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(brew).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
      expect(brew).toMatch(/\r\nAllow: POST\r\n/);
      expect(JSON.parse(brew.slice(brew.indexOf("\r\n\r\n") + 4)).error).toMatch(/"BREW" is not a method of \/score; use POST/);
      expect(await raw("BREW /nope HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    } finally {
      await started.close();
    }
  });

  it("answers an unsupported content type with 415 and bad JSON with 400, as { error }", async () => {
    const ct = await server.inject({ method: "POST", url: "/score", headers: { "content-type": "application/xml" }, payload: "<a/>" });
    expect(ct.statusCode).toBe(415);
    const js = await server.inject({ method: "POST", url: "/score", headers: { "content-type": "application/json" }, payload: "{" });
    expect(js.statusCode).toBe(400);
    expect(typeof js.json().error).toBe("string");
  });

  it("echoes a request id", async () => {
    const r = await server.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "abc-123" } });
    expect(r.headers["x-request-id"]).toBe("abc-123");
  });
});

describe("API key", () => {
  it("requires the key everywhere but the health checks, as Bearer or x-api-key", async () => {
    const s = createScoringServer({ model: tiny.dir, apiKey: "s3cret" });
    await s.scoring.loaded;
    for (const url of ["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"]) expect((await s.inject(url)).statusCode).toBe(200);
    const none = await s.inject({ method: "POST", url: "/score", payload: record() });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe("Bearer");
    expect((await s.inject({ method: "POST", url: "/score", payload: record(), headers: { authorization: "Bearer wrong" } })).statusCode).toBe(401);
    expect((await s.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
    expect((await s.inject({ method: "GET", url: "/v2/models/tiny-classifier" })).statusCode).toBe(401);
    expect((await s.inject({ method: "POST", url: "/score", payload: record(), headers: { authorization: "Bearer s3cret" } })).statusCode).toBe(200);
    expect((await s.inject({ method: "POST", url: "/score", payload: record(), headers: { "x-api-key": "s3cret" } })).statusCode).toBe(200);
    await s.close();
  });
});

describe("micro-batching and the bounded queue", () => {
  it("merges concurrent requests into fewer ONNX Runtime runs, each answer still its own", async () => {
    const s = createScoringServer({ model: tiny.dir, maxWaitMs: 20, maxBatch: 8 });
    await s.scoring.loaded;
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.inject({ method: "POST", url: "/score", payload: record(i) })));
    expect(rs.every((r) => r.statusCode === 200)).toBe(true);
    const stats = s.scoring.stats();
    expect(stats.requests).toBe(20);
    expect(stats.runs).toBeLessThan(20);
    expect(stats.runs).toBeGreaterThanOrEqual(3); // 20 rows, at most 8 per run
    expect(stats.largestBatch).toBeLessThanOrEqual(8);
    const ref = tiny.reference(Array.from({ length: 20 }, (_, i) => row(i)));
    rs.forEach((r, i) => expect(r.json().predictions[0].probabilities.high).toBeCloseTo(ref[i][2], 5));
    const metrics = (await s.inject("/metrics")).body;
    expect(metrics).toMatch(new RegExp(`scoring_batch_rows_count ${stats.runs}\\b`));
    expect(metrics).toMatch(new RegExp(`scoring_batch_rows_sum 20\\b`));
    await s.close();
  });

  it("answers 503 with Retry-After once more rows wait than maxQueue, and recovers", async () => {
    const s = createScoringServer({ model: tiny.dir, maxWaitMs: 300, maxBatch: 32, maxQueue: 4 });
    await s.scoring.loaded;
    const rs = await Promise.all(Array.from({ length: 7 }, (_, i) => s.inject({ method: "POST", url: "/score", payload: record(i) })));
    const codes = rs.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 200, 200, 200, 503, 503, 503]);
    const busy = rs.find((r) => r.statusCode === 503)!;
    expect(busy.headers["retry-after"]).toBe("1");
    expect(busy.json().error).toMatch(/busy/);
    expect(s.scoring.stats().rejected).toBe(3);
    expect((await s.inject({ method: "POST", url: "/score", payload: record() })).statusCode).toBe(200);
    expect((await s.inject("/metrics")).body).toMatch(/scoring_rejected_total 3\b/);
    await s.close();
  });
});

describe("a model whose output is not finite", () => {
  it("answers 500 saying so (never null probabilities) and counts the rows in /metrics", async () => {
    const dir = tempDir("cai-serve-nan-");
    await tf.setBackend("cpu");
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: LABELS.length, activation: "softmax", inputShape: [FEATURES.length] }));
    model.setWeights([tf.fill([FEATURES.length, LABELS.length], Number.NaN), tf.zeros([LABELS.length])]);
    await saveServableModel(model, dir, { name: "broken", task: "multiclass-classification", features: FEATURES, labels: LABELS });
    model.dispose();
    const s = createScoringServer({ model: dir });
    await s.scoring.loaded;
    const r = await s.inject({ method: "POST", url: "/score", payload: { records: [record(0), record(1)] } });
    expect(r.statusCode).toBe(500);
    expect(r.json()).toMatchObject({ code: "NON_FINITE_PREDICTION" });
    expect(r.json().error).toMatch(/output for row 0 is NaN, not a finite number \(2 of 2 rows\).*request id/);
    const input = (await s.inject("/v2/models/broken")).json().inputs[0].name;
    const v2 = await s.inject({ method: "POST", url: "/v2/models/broken/infer", payload: { inputs: [{ name: input, shape: [1, 4], datatype: "FP32", data: row(0) }] } });
    expect(v2.statusCode).toBe(500);
    const metrics = (await s.inject("/metrics")).body;
    expect(metrics).toMatch(/scoring_nonfinite_predictions_total 3\b/);
    expect(metrics).toMatch(/scoring_http_requests_total\{method="POST",route="\/score",status="500"\} 1/);
    await s.close();
  });
});

describe("GET /metrics", () => {
  it("exposes request counts by route and status, latency, batch sizes and queue depth", async () => {
    await score(record());
    await score({ nope: 1 });
    const r = await server.inject("/metrics");
    expect(r.headers["content-type"]).toMatch(/text\/plain/);
    expect(r.body).toMatch(/scoring_http_requests_total\{method="POST",route="\/score",status="200"\} \d+/);
    expect(r.body).toMatch(/scoring_http_requests_total\{method="POST",route="\/score",status="400"\} \d+/);
    expect(r.body).toMatch(/scoring_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/score"\}/);
    expect(r.body).toMatch(/scoring_batch_rows_bucket/);
    expect(r.body).toMatch(/scoring_queue_rows 0/);
  });
});

describe("Open Inference Protocol (KServe V2)", () => {
  it("describes the model: FP32 input [-1, features], its output", async () => {
    const r = await server.inject("/v2/models/tiny-classifier");
    expect(r.json()).toMatchObject({
      name: "tiny-classifier",
      inputs: [{ datatype: "FP32", shape: [-1, FEATURES.length] }],
      outputs: [{ datatype: "FP32", shape: [-1, LABELS.length] }],
    });
    expect((await server.inject("/v2/models/tiny-classifier/ready")).statusCode).toBe(200);
    expect((await server.inject("/v2/models/other")).statusCode).toBe(404);
    expect((await server.inject("/v2/health/live")).json()).toEqual({ live: true });
  });

  it("infers raw features with the same numbers as /score", async () => {
    const meta = (await server.inject("/v2/models/tiny-classifier")).json();
    const payload = { id: "q1", inputs: [{ name: meta.inputs[0].name, shape: [2, 4], datatype: "FP32", data: [...row(1), ...row(2)] }] };
    const r = await server.inject({ method: "POST", url: "/v2/models/tiny-classifier/infer", payload });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ model_name: "tiny-classifier", id: "q1", outputs: [{ name: meta.outputs[0].name, datatype: "FP32", shape: [2, 3] }] });
    const s = (await score({ records: [record(1), record(2)] })).json().predictions;
    const expected = s.flatMap((p: { probabilities: Record<string, number> }) => LABELS.map((l) => p.probabilities[l]));
    body.outputs[0].data.forEach((v: number, i: number) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
  });

  it("converts integer, FP64, FP16 and BOOL tensors to float32 (flat or nested data), with the same numbers as FP32", async () => {
    const meta = (await server.inject("/v2/models/tiny-classifier")).json();
    const infer = async (datatype: string, data: unknown[], shape = [2, 4]) => {
      const r = await server.inject({ method: "POST", url: "/v2/models/tiny-classifier/infer", payload: { inputs: [{ name: meta.inputs[0].name, shape, datatype, data }] } });
      expect(r.statusCode, `${datatype}: ${r.body}`).toBe(200);
      return r.json().outputs[0].data as number[];
    };
    const ints = [30, 42_000, 0, 2, 61, 60_000, 1, 7];
    const fp32 = await infer("FP32", ints);
    for (const datatype of ["INT32", "INT64", "UINT32", "UINT64", "FP64", "FP16"]) expect(await infer(datatype, ints), datatype).toEqual(fp32);
    expect(await infer("INT64", [ints.slice(0, 4), ints.slice(4)])).toEqual(fp32); // nested as the shape
    const small = [1, 0, 1, 1];
    expect(await infer("UINT8", small, [1, 4])).toEqual(await infer("FP32", small, [1, 4]));
    expect(await infer("BOOL", [true, false, true, true], [1, 4])).toEqual(await infer("FP32", small, [1, 4]));
  });

  it("answers Triton's binary tensor extension with 400 saying to send JSON tensors", async () => {
    const r = await server.inject({ method: "POST", url: "/v2/models/tiny-classifier/infer", headers: { "inference-header-content-length": "10", "content-type": "application/octet-stream" }, payload: Buffer.alloc(26) });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/binary tensor extension is not supported.*binary_data=False/);
  });

  it.each([
    [{ datatype: "FP8" }, /datatype must be one of FP32, FP64, FP16, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, BOOL, not "FP8"/],
    [{ datatype: "INT64" }, /data\[2\] \(feature "score"\) is 0.3, not a whole number as INT64 needs/],
    [{ datatype: "UINT8", data: [1, 2, 256, 4] }, /data\[2\] \(feature "score"\) is 256, outside the range of UINT8/],
    [{ datatype: "INT8", data: [1, -129, 3, 4] }, /data\[1\] \(feature "income"\) is -129, outside the range of INT8/],
    [{ datatype: "INT64", data: [1, 2 ** 63, 3, 4] }, /data\[1\] \(feature "income"\) is 9223372036854776000, outside the range of INT64/],
    [{ datatype: "UINT32", data: [1, -1, 3, 4] }, /data\[1\] \(feature "income"\) is -1, outside the range of UINT32/],
    [{ datatype: "FP16", data: [1, 70000, 3, 4] }, /data\[1\] \(feature "income"\) is 70000, outside the range of FP16/],
    [{ datatype: "FP64", data: [1, 1e300, 3, 4] }, /data\[1\] \(feature "income"\) is 1e\+300, which float32 \(the model's input type\) cannot hold/],
    [{ datatype: "BOOL", data: [true, 1, false, true] }, /data\[1\] \(feature "income"\) must be true or false \(BOOL\), not a number/],
    [{ datatype: "BYTES", shape: [1], data: ["abc"] }, /datatype is BYTES, but model "tiny-classifier" takes numbers \(it has no image step\)/],
    [{ data: [[1, 2], [3, 4]] }, /data has 2 values; shape \[1, 4\] needs 4/],
    [{ shape: [1, 5] }, /shape is \[1, 5\]; .* takes \[batch, 4\]/],
    [{ shape: [2, 4] }, /data has 4 values; shape \[2, 4\] needs 8/],
    [{ name: "x" }, /name must be "/],
    [{ data: [1, 2, "3", 4] }, /data\[2\] \(feature "score"\) must be a finite number/],
  ])("answers 400 { error } for a bad input: %j", async (change, message) => {
    const meta = (await server.inject("/v2/models/tiny-classifier")).json();
    const input = { name: meta.inputs[0].name, shape: [1, 4], datatype: "FP32", data: row(0), ...change };
    const r = await server.inject({ method: "POST", url: "/v2/models/tiny-classifier/infer", payload: { inputs: [input] } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(message);
  });
});

describe("an image model (no feature names)", () => {
  it("scores nested instances in the input's shape, or flat ones, and asks for instances instead of records", async () => {
    const cnn = await saveTinyCnn();
    const s = createScoringServer({ model: cnn.dir });
    await s.scoring.loaded;
    const flat = Array.from({ length: 16 }, (_, i) => (i % 5) / 4);
    const nested = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((x) => [flat[y * 4 + x]]));
    const a = await s.inject({ method: "POST", url: "/score", payload: { instances: [nested, flat] } });
    expect(a.statusCode).toBe(200);
    const [p0, p1] = a.json().predictions;
    expect(p1).toEqual(p0);
    const ref = cnn.reference([flat])[0];
    LABELS.forEach((l, k) => expect(p0.probabilities[l]).toBeCloseTo(ref[k], 5));
    const meta = (await s.inject("/v2/models/tiny-cnn")).json();
    expect(meta.inputs[0].shape).toEqual([-1, 4, 4, 1]);
    const v2 = await s.inject({ method: "POST", url: "/v2/models/tiny-cnn/infer", payload: { inputs: [{ name: meta.inputs[0].name, shape: [1, 4, 4, 1], datatype: "FP32", data: flat }] } });
    expect(v2.json().outputs[0].data[2]).toBeCloseTo(ref[2], 6);
    const rec = await s.inject({ method: "POST", url: "/score", payload: { records: [{ a: 1 }] } });
    expect(rec.statusCode).toBe(400);
    expect(rec.json().error).toMatch(/no feature names .* send \{ "instances": \[...\] \} with shape \[4, 4, 1\]/);
    const ragged = await s.inject({ method: "POST", url: "/score", payload: { instances: [[[[1]], [[1]], [[1]], [[1]]]] } });
    expect(ragged.statusCode).toBe(400);
    expect(ragged.json().error).toMatch(/instances\[0\]\[0\] has 1 entries where the input shape \[4, 4, 1\] needs 4/);
    await s.close();
  });
});

describe("startScoringServer", () => {
  it("loads, listens on a free port and serves over a real socket until closed", async () => {
    const { url, close } = await startScoringServer({ model: tiny.dir });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${url}/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ records: [record(2)] }) });
    expect(r.status).toBe(200);
    const ref = tiny.reference([row(2)])[0];
    expect(((await r.json()) as { predictions: { label: string }[] }).predictions[0].label).toBe(LABELS[ref.indexOf(Math.max(...ref))]);
    await close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("rejects with the load error and leaves nothing listening when the model cannot load", async () => {
    const broken = tempDir("cai-serve-broken-");
    cpSync(tiny.dir, broken, { recursive: true });
    writeFileSync(path.join(broken, "model.onnx"), "not an onnx file");
    recordChecksum(broken, "model.onnx"); // as if saved so: the file is the one its save wrote, and broken
    await expect(startScoringServer({ model: broken })).rejects.toMatchObject({ code: "BAD_MODEL", message: expect.stringMatching(/ONNX Runtime cannot load .*model\.onnx.*Export it again/) });
    const s = createScoringServer({ model: broken });
    await s.scoring.loaded.catch(() => undefined);
    const ready = await s.inject("/readyz");
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "failed", error: expect.stringMatching(/ONNX Runtime cannot load/) });
    await s.close();
  });
});
