// Image models on the scoring server: base64 JSON, raw PNG / JPEG bodies and V2 BYTES tensors,
// each matching ONNX Runtime in-process on the same pixels; every refusal a 4xx naming the image.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { saveTinyModel } from "./server-helpers.js";
import { DIGIT_LABELS, digitValues, jpegOf, pixels, png, referenceProbabilities, RGB_LABELS, rgbValues, saveDigitsModel, saveRgbModel } from "./image-helpers.js";

let digitsDir: string;
let digits: ScoringServer;
let rgb: ScoringServer;
let rgbDir: string;

const greys = [1, 2, 3].map((seed) => pixels(28, 28, 1, seed));
const pngs = greys.map((g) => png(28, 28, 1, g));

beforeAll(async () => {
  digitsDir = await saveDigitsModel();
  rgbDir = await saveRgbModel();
  digits = createScoringServer({ model: digitsDir, maxQueue: 8 });
  rgb = createScoringServer({ model: rgbDir });
  await Promise.all([digits.scoring.loaded, rgb.scoring.loaded]);
});
afterAll(async () => {
  await digits?.close();
  await rgb?.close();
});

type Predictions = { label: string; probabilities: Record<string, number> }[];
const probs = (p: Predictions, labels: string[]) => p.map((x) => labels.map((l) => x.probabilities[l]));

function expectClose(actual: number[][], expected: number[][]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => row.forEach((v, k) => expect(Math.abs(v - expected[i][k]), `row ${i} class ${k}`).toBeLessThan(1e-5)));
}

describe("POST /score with images", () => {
  it("scores base64 PNGs (plain and data: URLs) as ONNX Runtime does on their pixels / 255", async () => {
    const images = [pngs[0].toString("base64"), `data:image/png;base64,${pngs[1].toString("base64")}`, pngs[2].toString("base64url")];
    const r = await digits.inject({ method: "POST", url: "/score", payload: { images } });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { model: string; predictions: Predictions };
    expect(body.model).toBe("digits-cnn");
    const want = await referenceProbabilities(digitsDir, greys.map(digitValues), [28, 28, 1]);
    expectClose(probs(body.predictions, DIGIT_LABELS), want);
    body.predictions.forEach((p, i) => expect(p.label).toBe(String(want[i].indexOf(Math.max(...want[i])))));
  });

  it("scores a raw image/png body, and a JPEG body, the format sniffed from the bytes (not the header)", async () => {
    const raw = await digits.inject({ method: "POST", url: "/score", headers: { "content-type": "image/png" }, payload: pngs[1] });
    expect(raw.statusCode).toBe(200);
    const want = await referenceProbabilities(digitsDir, [digitValues(greys[1])], [28, 28, 1]);
    expectClose(probs(raw.json().predictions, DIGIT_LABELS), want);

    const { bytes, rgba } = jpegOf(12, 16, pixels(12, 16, 3, 9));
    const wantRgb = await referenceProbabilities(rgbDir, [rgbValues(rgba)], [16, 12, 3]);
    for (const type of ["image/jpeg", "image/png"]) {
      const r = await rgb.inject({ method: "POST", url: "/score", headers: { "content-type": type }, payload: bytes });
      expect(r.statusCode, type).toBe(200);
      expectClose(probs(r.json().predictions, RGB_LABELS), wantRgb);
    }
  });

  it("still takes instances (pixel values already scaled), with the same answer", async () => {
    const a = await digits.inject({ method: "POST", url: "/score", payload: { instances: [Array.from(digitValues(greys[0]))] } });
    const b = await digits.inject({ method: "POST", url: "/score", payload: { images: [pngs[0].toString("base64")] } });
    expectClose(probs(a.json().predictions, DIGIT_LABELS), probs(b.json().predictions, DIGIT_LABELS));
  });

  it.each([
    [{ images: ["iVBOR%w0KGgo"] }, 400, /^images\[0\] is not base64: "%" at position 5; send the PNG or JPEG file's bytes base64-encoded, or a data: URL\.$/],
    [{ images: [pngs[0].toString("base64"), Buffer.from("GIF89a-----").toString("base64")] }, 400, /^images\[1\] is a GIF image; send a PNG or JPEG\.$/],
    [{ images: [pngs[0].toString("base64"), pngs[1].toString("base64"), png(32, 30, 1, pixels(32, 30, 1, 4)).toString("base64")] }, 400, /^images\[2\] is 32×30; model "digits-cnn" takes 28×28 \(resize it first: the scorer does not resize\)\.$/],
    [{ images: [pngs[0].subarray(0, 300).toString("base64")] }, 400, /^images\[0\] is a truncated or corrupt PNG/],
    [{ images: [7] }, 400, /^images\[0\] must be a string \(base64 PNG or JPEG, or a data: URL\), not a number\.$/],
    [{ images: [] }, 400, /"images" is empty/],
    [{ images: "abc" }, 400, /"images" must be an array/],
    [{ images: Array(9).fill(pngs[0].toString("base64")) }, 413, /"images" has 9 images; this server takes at most 8 per request/],
    [{ records: [{ a: 1 }] }, 400, /send \{ "images": \["<base64 PNG or JPEG>"\] \}, a PNG or JPEG body, or \{ "instances": \[\.\.\.\] \}/],
  ])("answers %#: %s", async (payload, status, message) => {
    const r = await digits.inject({ method: "POST", url: "/score", payload });
    expect(r.statusCode).toBe(status);
    expect(r.json().error).toMatch(message);
  });

  it("answers a raw body that is not a PNG or JPEG with 400, a wrong size with 400, an unsupported type with 415", async () => {
    const gif = await digits.inject({ method: "POST", url: "/score", headers: { "content-type": "image/png" }, payload: Buffer.from("GIF89a-----") });
    expect(gif.statusCode).toBe(400);
    expect(gif.json().error).toBe("The image is a GIF image; send a PNG or JPEG.");
    const wrong = await digits.inject({ method: "POST", url: "/score", headers: { "content-type": "image/png" }, payload: png(28, 29, 1, pixels(28, 29, 1, 1)) });
    expect(wrong.json().error).toMatch(/^The image is 28×29; model "digits-cnn" takes 28×28/);
    const type = await digits.inject({ method: "POST", url: "/score", headers: { "content-type": "image/gif" }, payload: Buffer.from("GIF89a-----") });
    expect(type.statusCode).toBe(415);
    expect(typeof type.json().error).toBe("string");
  });

  it("answers 413 for an image body over the body limit", async () => {
    const s = createScoringServer({ model: digitsDir, bodyLimit: 200 });
    await s.scoring.loaded;
    const r = await s.inject({ method: "POST", url: "/score", headers: { "content-type": "image/png" }, payload: pngs[0] });
    expect(r.statusCode).toBe(413);
    await s.close();
  });

  it("a tabular model refuses images: 400 for { images }, 415 for an image body", async () => {
    const tiny = await saveTinyModel("tiny-for-images");
    const s = createScoringServer({ model: tiny.dir });
    await s.scoring.loaded;
    const json = await s.inject({ method: "POST", url: "/score", payload: { images: [pngs[0].toString("base64")] } });
    expect(json.statusCode).toBe(400);
    expect(json.json().error).toMatch(/^Model "tiny-for-images" does not take images \(its metadata has no image step\)/);
    const raw = await s.inject({ method: "POST", url: "/score", headers: { "content-type": "image/png" }, payload: pngs[0] });
    expect(raw.statusCode).toBe(415);
    expect(raw.json().error).toMatch(/takes JSON, not image uploads/);
    await s.close();
  });
});

describe("KServe V2 with images", () => {
  it("describes a BYTES input [-1] and infers base64 images as /score does", async () => {
    const meta = (await digits.inject("/v2/models/digits-cnn")).json();
    expect(meta.inputs).toEqual([{ name: expect.any(String), datatype: "BYTES", shape: [-1], parameters: { content: "base64 PNG or JPEG file", width: 28, height: 28, channels: 1 } }]);
    const data = pngs.map((b) => b.toString("base64"));
    const r = await digits.inject({ method: "POST", url: "/v2/models/digits-cnn/infer", payload: { inputs: [{ name: meta.inputs[0].name, shape: [3], datatype: "BYTES", data }] } });
    expect(r.statusCode).toBe(200);
    const out = r.json().outputs[0];
    expect(out.shape).toEqual([3, 10]);
    const want = await referenceProbabilities(digitsDir, greys.map(digitValues), [28, 28, 1]);
    expectClose([0, 1, 2].map((i) => out.data.slice(i * 10, i * 10 + 10)), want);
    // [N, 1] and nested data, as some clients send it; FP32 pixel values still work.
    const nested = await digits.inject({ method: "POST", url: "/v2/models/digits-cnn/infer", payload: { inputs: [{ name: meta.inputs[0].name, shape: [1, 1], datatype: "BYTES", data: [[data[0]]] }] } });
    expect(nested.json().outputs[0].data).toEqual(out.data.slice(0, 10));
    const fp32 = await digits.inject({ method: "POST", url: "/v2/models/digits-cnn/infer", payload: { inputs: [{ name: meta.inputs[0].name, shape: [1, 28, 28, 1], datatype: "FP32", data: Array.from(digitValues(greys[0])) }] } });
    expectClose([fp32.json().outputs[0].data], [out.data.slice(0, 10)]);
  });

  it.each([
    [{ data: ["iVBOR%w0KGgo"] }, 400, /^inputs\[0\]\.data\[0\] is not base64/],
    [{ data: [png(30, 28, 1, pixels(30, 28, 1, 2)).toString("base64")] }, 400, /^inputs\[0\]\.data\[0\] is 30×28; model "digits-cnn" takes 28×28/],
    [{ data: [12] }, 400, /^inputs\[0\]\.data\[0\] must be a base64 string of a PNG or JPEG file, not a number/],
    [{ shape: [2] }, 400, /must hold 2 strings \(base64 PNG or JPEG\), as shape \[2\] says, not 1/],
    [{ shape: [1, 28] }, 400, /shape must be \[N\] \(or \[N, 1\]\) for BYTES/],
    [{ shape: [9], data: Array(9).fill("x") }, 413, /9 images; this server takes at most 8/],
  ])("answers a bad BYTES input %#: %s", async (change, status, message) => {
    const meta = (await digits.inject("/v2/models/digits-cnn")).json();
    const input = { name: meta.inputs[0].name, shape: [1], datatype: "BYTES", data: [pngs[0].toString("base64")], ...change };
    const r = await digits.inject({ method: "POST", url: "/v2/models/digits-cnn/infer", payload: { inputs: [input] } });
    expect(r.statusCode).toBe(status);
    expect(r.json().error).toMatch(message);
  });
});

describe("over a real socket", () => {
  it("takes a PNG upload and base64 JSON from fetch, with the same probabilities", async () => {
    const s = createScoringServer({ model: digitsDir });
    await s.scoring.loaded;
    const url = await s.listen({ port: 0, host: "127.0.0.1" });
    try {
      const raw = await fetch(`${url}/score`, { method: "POST", headers: { "content-type": "image/png" }, body: pngs[2] });
      const json = await fetch(`${url}/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ images: [pngs[2].toString("base64")] }) });
      expect([raw.status, json.status]).toEqual([200, 200]);
      const a = ((await raw.json()) as { predictions: Predictions }).predictions;
      const b = ((await json.json()) as { predictions: Predictions }).predictions;
      expect(a).toEqual(b);
      expectClose(probs(a, DIGIT_LABELS), await referenceProbabilities(digitsDir, [digitValues(greys[2])], [28, 28, 1]));
      const bad = await fetch(`${url}/score`, { method: "POST", headers: { "content-type": "image/jpeg" }, body: pngs[2].subarray(0, 100) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^The image is a truncated or corrupt PNG/);
    } finally {
      await s.close();
    }
  });
});
