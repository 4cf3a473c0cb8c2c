// The V2 routes over a real socket with NVIDIA's Python client (tritonclient[http] from PyPI).
// It comes from the project's Python environment (bin/python-env.mjs): missing, the tests fail.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScoringServer, type ScoringServer } from "../../lib/serve/index.js";
import { FEATURES, LABELS, record, row, saveTinyModel } from "./server-helpers.js";
import { digitValues, pixels, png, referenceProbabilities, saveDigitsModel } from "./image-helpers.js";

import { projectPython } from "../support/python.js";

const python = projectPython();

function runClient(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(python, ["test/serve/fixtures/v2_client.py", ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

let server: ScoringServer;
let hostPort: string;
let images: ScoringServer;
let imagesHostPort: string;
let digitsDir: string;

beforeAll(async () => {
  const tiny = await saveTinyModel();
  digitsDir = await saveDigitsModel();
  server = createScoringServer({ model: tiny.dir, apiKey: "k3y" });
  images = createScoringServer({ model: digitsDir });
  await Promise.all([server.scoring.loaded, images.scoring.loaded]);
  hostPort = (await server.listen({ port: 0, host: "127.0.0.1" })).replace(/^http:\/\//, "");
  imagesHostPort = (await images.listen({ port: 0, host: "127.0.0.1" })).replace(/^http:\/\//, "");
});
afterAll(async () => {
  await server?.close();
  await images?.close();
});

async function scoreRecords(records: Record<string, number>[]): Promise<{ probabilities: Record<string, number> }[]> {
  const r = await fetch(`http://${hostPort}/score`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "k3y" }, body: JSON.stringify({ records }) });
  return ((await r.json()) as { predictions: { probabilities: Record<string, number> }[] }).predictions;
}

describe("KServe V2 with tritonclient", () => {
  it("health, metadata and infer; the probabilities match /score within 1e-6", async () => {
    const rows = [row(0), row(7), row(12)];
    const out = JSON.parse(await runClient([hostPort, "tiny-classifier", JSON.stringify(rows), "k3y"]));
    expect(out).toMatchObject({ live: true, ready: true, model_ready: true });
    expect(out.metadata.inputs[0]).toMatchObject({ datatype: "FP32", shape: [-1, 4] });
    const scored = await fetch(`http://${hostPort}/score`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k3y" },
      body: JSON.stringify({ records: [record(0), record(7), record(12)] }),
    }).then((r) => r.json() as Promise<{ predictions: { probabilities: Record<string, number> }[] }>);
    expect(out.output).toHaveLength(3);
    out.output.forEach((probs: number[], i: number) => {
      LABELS.forEach((l, k) => expect(Math.abs(probs[k] - scored.predictions[i].probabilities[l])).toBeLessThan(1e-6));
    });
  });

  it("sends INT64 and FP64 tensors (converted to float32) with the numbers of /score", async () => {
    const ints = [
      [30, 42_000, 1, 2],
      [45, 61_000, 0, 3],
    ];
    const scored = await scoreRecords(ints.map((r) => Object.fromEntries(FEATURES.map((f, i) => [f, r[i]]))));
    for (const datatype of ["INT64", "FP64"]) {
      const out = JSON.parse(await runClient([hostPort, "tiny-classifier", JSON.stringify(ints), "k3y", "--datatype", datatype]));
      out.output.forEach((probs: number[], i: number) => LABELS.forEach((l, k) => expect(Math.abs(probs[k] - scored[i].probabilities[l]), datatype).toBeLessThan(1e-6)));
    }
  });

  it("sends BYTES tensors of base64 PNGs to an image model, matching ONNX Runtime in-process within 1e-5", async () => {
    const greys = [11, 12].map((seed) => pixels(28, 28, 1, seed));
    const b64 = greys.map((g) => png(28, 28, 1, g).toString("base64"));
    const out = JSON.parse(await runClient([imagesHostPort, "digits-cnn", JSON.stringify(b64), "--datatype", "BYTES"]));
    expect(out.metadata.inputs[0]).toMatchObject({ datatype: "BYTES", shape: [-1] });
    const want = await referenceProbabilities(digitsDir, greys.map(digitValues), [28, 28, 1]);
    expect(out.output).toHaveLength(2);
    out.output.forEach((probs: number[], i: number) => probs.forEach((p, k) => expect(Math.abs(p - want[i][k])).toBeLessThan(1e-5)));
    // A bad image is the server's 400, raised by the client with the server's message.
    await expect(runClient([imagesHostPort, "digits-cnn", JSON.stringify([png(30, 28, 1, pixels(30, 28, 1, 1)).toString("base64")]), "--datatype", "BYTES"])).rejects.toThrow(
      /inputs\[0\]\.data\[0\] is 30×28; model "digits-cnn" takes 28×28/,
    );
  });

  it("fails the client without the API key", async () => {
    await expect(runClient([hostPort, "tiny-classifier", JSON.stringify([row(0)])])).rejects.toThrow(/401|API key/);
  });
});
