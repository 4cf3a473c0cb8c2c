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
  server = createScoringServer({ modelDir: dir, maxQueue: 8 });
  await server.scoring.loaded;
});
afterAll(() => server?.close());

type Doc = { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, object> }; security: unknown[] };

async function documentOf(s: ScoringServer, headers: Record<string, string> = {}): Promise<Doc> {
  const r = await s.inject({ method: "GET", url: "/openapi.json", headers });
  expect(r.statusCode).toBe(200);
  return r.json() as Doc;
}

function validator(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: "doc", components: doc.components });
  return ajv.compile({ $ref: "doc#/components/schemas/ScoreRequest" });
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

  it("needs the API key when the server has one, and says so in the document", async () => {
    const s = createScoringServer({ modelDir: dir, apiKey: "k" });
    await s.scoring.loaded;
    expect((await s.inject("/openapi.json")).statusCode).toBe(401);
    const doc = await documentOf(s, { "x-api-key": "k" });
    expect(doc.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    await s.close();
  });

  it("describes an image model's image bodies, and its images agree with the server", async () => {
    const s = createScoringServer({ modelDir: await saveDigitsModel(), maxQueue: 4 });
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
