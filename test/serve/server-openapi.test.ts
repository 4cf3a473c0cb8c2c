// GET /openapi.json: an OpenAPI 3.1 document generated from the model's metadata. Its request
// schema must agree with the server: every body the schema accepts scores (200), every body it
// refuses gets a 400 — checked with a real JSON Schema 2020-12 validator (ajv).
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { FEATURES, LABELS, record, row, saveTinyModel } from "./server-helpers.js";
import { pixels, png, saveDigitsModel } from "./image-helpers.js";

let server: ScoringServer;
let dir: string;

beforeAll(async () => {
  dir = (await saveTinyModel()).dir;
  server = createScoringServer({ model: dir, maxQueue: 8 });
  await server.scoring.loaded;
});
afterAll(() => server?.close());

type Doc = { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, object> }; security: unknown[] };

async function documentOf(s: ScoringServer, headers: Record<string, string> = {}): Promise<Doc> {
  const r = await s.inject({ method: "GET", url: "/openapi.json", headers });
  expect(r.statusCode).toBe(200);
  return r.json() as Doc;
}

function validator(doc: Doc, schema = "ScoreRequest") {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: "doc", components: doc.components });
  return ajv.compile({ $ref: `doc#/components/schemas/${schema}` });
}

describe("GET /openapi.json", () => {
  it("describes this model: its features in order, its labels, its routes", async () => {
    const doc = await documentOf(server);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/score", "/healthz", "/readyz", "/metrics", "/v2/models/tiny-classifier/infer"]));
    const text = JSON.stringify(doc.components.schemas);
    for (const f of [...FEATURES, ...LABELS]) expect(text).toContain(`"${f}"`);
    expect(doc.security).toEqual([]);
  });

  it("accepts exactly the bodies the server scores", async () => {
    const validate = validator(await documentOf(server));
    const good = [record(1), { records: [record(1), record(2)] }, { instances: [row(1)] }, { instances: Array.from({ length: 8 }, (_, i) => row(i)) }];
    const bad = [
      { ...record(), extra: 1 },
      { ...record(), age: "1" },
      { records: [] },
      { records: [record()], instances: [row()] },
      { instances: [[1, 2, 3]] },
      { instances: [[1, 2, 3, null]] },
      { instances: Array.from({ length: 9 }, (_, i) => row(i)) },
      [record()],
      { age: 1 },
    ];
    for (const body of good) {
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
      expect((await server.inject({ method: "POST", url: "/score", payload: body })).statusCode).toBe(200);
    }
    for (const body of bad) {
      expect(validate(body), JSON.stringify(body)).toBe(false);
      const status = (await server.inject({ method: "POST", url: "/score", payload: body as object })).statusCode;
      expect([400, 413], JSON.stringify(body)).toContain(status);
    }
  });

  it("bounds every value to the range the server takes (400 beyond it)", async () => {
    const validate = validator(await documentOf(server));
    expect(validate({ ...record(), income: 1e15 })).toBe(true);
    expect((await server.inject({ method: "POST", url: "/score", payload: { ...record(), income: 1e15 } })).statusCode).toBe(200);
    for (const income of [1e15 + 1, -1e210]) {
      expect(validate({ ...record(), income })).toBe(false);
      expect((await server.inject({ method: "POST", url: "/score", payload: { ...record(), income } })).statusCode).toBe(400);
    }
  });

  it("describes V2 infer as the server takes it: the input's names, each datatype's values, no unknown fields", async () => {
    const validate = validator(await documentOf(server), "V2InferRequest");
    const meta = (await server.inject("/v2/models/tiny-classifier")).json();
    const name = meta.inputs[0].name as string;
    const t = (over: object = {}) => ({ name, shape: [1, 4], datatype: "FP32", data: row(1), ...over });
    const good = [
      { inputs: [t()] },
      { id: "a", inputs: [t({ datatype: "INT64", data: [30, 42_000, 0, 2] })], outputs: [{ name: meta.outputs[0].name }], parameters: { binary_data_output: false } },
      { inputs: [t({ shape: [2, 4], data: [row(1), row(2)], parameters: { note: "nested as the shape" } })] },
      { inputs: [t({ datatype: "BOOL", data: [true, false, true, true] })] },
      { inputs: [t({ datatype: "FP64", data: [1e15, -1e15, 0, 1] })] },
    ];
    const bad = [
      { inputs: [t({ name: "other" })] },
      { inputs: [t()], extra: 1 },
      { inputs: [t({ datatypes: "FP32" })] },
      { inputs: [t({ datatype: "FP8" })] },
      { inputs: [t({ datatype: "toString" })] },
      { inputs: [t({ data: [1e16, 0, 0, 0] })] },
      { inputs: [t({ datatype: "INT8", data: [1, 2, 300, 4] })] },
      { inputs: [t()], parameters: { a: { nested: 1 } } },
      { inputs: [t({ parameters: [] })] },
      { inputs: [t({ shape: [9, 4], data: Array(36).fill(1) })] },
      { inputs: [t()], outputs: [{ name: "nope" }] },
    ];
    const infer = (payload: object) => server.inject({ method: "POST", url: "/v2/models/tiny-classifier/infer", payload });
    for (const body of good) {
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
      expect((await infer(body)).statusCode, JSON.stringify(body)).toBe(200);
    }
    for (const body of bad) {
      expect(validate(body), JSON.stringify(body)).toBe(false);
      expect([400, 413], JSON.stringify(body)).toContain((await infer(body)).statusCode);
    }
  });

  it("needs the API key when the server has one, and says so in the document", async () => {
    const s = createScoringServer({ model: dir, apiKey: "k" });
    await s.scoring.loaded;
    expect((await s.inject("/openapi.json")).statusCode).toBe(401);
    const doc = await documentOf(s, { "x-api-key": "k" });
    expect(doc.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    await s.close();
  });

  it("describes an image model's image bodies, and its images agree with the server", async () => {
    const s = createScoringServer({ model: await saveDigitsModel(), maxQueue: 4 });
    await s.scoring.loaded;
    const doc = await documentOf(s);
    const content = (doc.paths["/score"] as { post: { requestBody: { content: Record<string, unknown> } } }).post.requestBody.content;
    expect(Object.keys(content)).toEqual(["application/json", "image/png", "image/jpeg"]);
    const validate = validator(doc);
    const image = png(28, 28, 1, pixels(28, 28, 1, 1)).toString("base64");
    expect(validate({ images: [image] })).toBe(true);
    expect((await s.inject({ method: "POST", url: "/score", payload: { images: [image] } })).statusCode).toBe(200);
    expect(validate({ images: [] })).toBe(false);
    expect(validate({ images: Array(5).fill(image) })).toBe(false);
    expect((await s.inject({ method: "POST", url: "/score", payload: { images: Array(5).fill(image) } })).statusCode).toBe(413);
    await s.close();
  });
});
