import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "../../lib/core/index.js";
import {
  ModelError,
  standardScalerStep,
  hashData,
  loadModel,
  saveModel,
  toolkitInfo,
  type ModelMetadataInput,
} from "../../lib/models/index.js";

const FEATURES = ["age", "income", "tenure", "visits"];
const ROWS = [
  [30, 5000, 2, 10],
  [45, 7200, 8, 3],
  [22, 1800, 1, 25],
  [60, 9100, 20, 1],
];

function buildModel(): tf.LayersModel {
  const model = tf.sequential({ name: "churn" });
  model.add(tf.layers.dense({ inputShape: [4], units: 6, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  model.compile({ optimizer: "adam", loss: "binaryCrossentropy", metrics: ["accuracy"] });
  return model;
}

// Column means and (population) standard deviations of ROWS.
function scalerOf(rows: number[][]): { mean: number[]; std: number[] } {
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = rows[0].map((_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / rows.length));
  return { mean, std };
}

function scaled(rows: number[][]): number[][] {
  const { mean, std } = scalerOf(rows);
  return rows.map((r) => r.map((v, j) => (v - mean[j]) / std[j]));
}

function metadataInput(): ModelMetadataInput {
  const scaler = standardScalerStep(scalerOf(ROWS), FEATURES);
  return {
    name: "churn-mlp",
    task: "binary-classification",
    features: FEATURES,
    labels: ["stays", "leaves"],
    metrics: { accuracy: 0.75, loss: 0.5 },
    backend: "cpu",
    trainingDataHash: hashData(ROWS, [0, 1, 0, 1]),
    preprocessing: [scaler],
    extra: { epochs: 3 },
  };
}

function predict(model: tf.LayersModel): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor2d(scaled(ROWS))) as tf.Tensor).dataSync()));
}

async function modelError(promise: Promise<unknown>): Promise<ModelError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return error as ModelError;
  }
  throw new Error("expected a ModelError");
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "models-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("saveModel / loadModel on local folders", () => {
  it("round-trips a model through a path and a file:// URL with identical predictions, leaking no tensors", async () => {
    const model = buildModel();
    // Train a little so the weights are not just the seeded initial ones.
    const xs = tf.tensor2d(scaled(ROWS));
    const ys = tf.tensor2d([[0], [1], [0], [1]]);
    await model.fit(xs, ys, { epochs: 3, verbose: 0 });
    xs.dispose();
    ys.dispose();
    const before = predict(model);
    const baseline = tf.memory().numTensors;

    for (const target of [path.join(tmp, "plain"), pathToFileURL(path.join(tmp, "url")).href]) {
      const saved = await saveModel(model, target, metadataInput());
      expect(saved.files).toEqual(["weights.bin", "model.json", "metadata.json"]);
      const loaded = await loadModel(target);
      expect(predict(loaded.model)).toEqual(before);
      loaded.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it("writes tfjs's own layers format beside the metadata", async () => {
    const model = buildModel();
    const dir = path.join(tmp, "format");
    await saveModel(model, dir, metadataInput());
    const json = JSON.parse(readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0].paths).toEqual(["weights.bin"]);
    expect(json.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual([[4, 6], [6], [6, 1], [1]]);
    expect(readFileSync(path.join(dir, "weights.bin")).byteLength).toBe((24 + 6 + 6 + 1) * 4);
    model.dispose();
  });

  it("round-trips the metadata, filling in shapes, versions, time and checksum", async () => {
    const model = buildModel();
    const dir = path.join(tmp, "meta");
    const start = Date.now();
    const saved = await saveModel(model, dir, metadataInput());
    const { model: loaded, metadata } = await loadModel(dir, { expect: { features: FEATURES, labels: ["stays", "leaves"] } });
    expect(metadata).toEqual(saved.metadata);
    expect(metadata).toMatchObject({
      schemaVersion: 1,
      name: "churn-mlp",
      task: "binary-classification",
      labels: ["stays", "leaves"],
      metrics: { accuracy: 0.75, loss: 0.5 },
      backend: "cpu",
      trainingDataHash: hashData(ROWS, [0, 1, 0, 1]),
      extra: { epochs: 3 },
      toolkit: { name: "custom-ai-on-azure", version: JSON.parse(readFileSync("package.json", "utf8")).version },
      tfjsVersion: tf.version.tfjs,
      weights: { files: ["weights.bin"], bytes: 148 },
    });
    expect(metadata.inputs).toEqual([{ name: model.inputNames[0], shape: [null, 4], dtype: "float32", features: FEATURES }]);
    expect(metadata.outputs[0].shape).toEqual([null, 1]);
    expect(metadata.preprocessing[0]).toMatchObject({ kind: "standard-scaler", features: FEATURES });
    expect((metadata.preprocessing[0] as { mean: number[] }).mean[0]).toBeCloseTo(39.25, 10);
    expect(Date.parse(metadata.createdAt)).toBeGreaterThanOrEqual(start - 1000);
    expect(metadata.weights.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    loaded.dispose();
    model.dispose();
  });

  it("refuses feature names that do not fit the input", async () => {
    const model = buildModel();
    const error = await modelError(saveModel(model, path.join(tmp, "bad"), { features: ["a", "b"] }));
    expect(error.code).toBe("METADATA_MISMATCH");
    expect(error.message).toMatch(/2 feature names given for an input of 4/);
    model.dispose();
  });
});

describe("loadModel errors", () => {
  async function savedCopy(name: string): Promise<string> {
    const model = buildModel();
    const dir = path.join(tmp, name);
    await saveModel(model, dir, metadataInput());
    model.dispose();
    return dir;
  }

  it("names a missing weights file", async () => {
    const dir = await savedCopy("noweights");
    unlinkSync(path.join(dir, "weights.bin"));
    const error = await modelError(loadModel(dir));
    expect(error.code).toBe("MODEL_INCOMPLETE");
    expect(error.message).toContain(`${pathToFileURL(dir).href}/weights.bin is missing`);
  });

  it("detects truncated and altered weights", async () => {
    const dir = await savedCopy("corrupt");
    const file = path.join(dir, "weights.bin");
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, 100));
    let error = await modelError(loadModel(dir));
    expect(error.code).toBe("CORRUPT_WEIGHTS");
    expect(error.message).toMatch(/100 bytes but model\.json describes 148/);

    const flipped = Buffer.from(bytes);
    flipped[7] ^= 0xff;
    writeFileSync(file, flipped);
    error = await modelError(loadModel(dir));
    expect(error.code).toBe("CORRUPT_WEIGHTS");
    expect(error.message).toMatch(/do not match the checksum/);
  });

  it("requires valid, readable metadata", async () => {
    const dir = await savedCopy("nometa");
    const metaFile = path.join(dir, "metadata.json");
    const meta = JSON.parse(readFileSync(metaFile, "utf8"));

    writeFileSync(metaFile, JSON.stringify({ ...meta, schemaVersion: 99 }));
    let error = await modelError(loadModel(dir));
    expect(error.code).toBe("UNSUPPORTED_METADATA");
    expect(error.message).toMatch(/newer toolkit.*Update the toolkit/);

    writeFileSync(metaFile, JSON.stringify({ ...meta, inputs: [] }));
    error = await modelError(loadModel(dir));
    expect(error.code).toBe("BAD_METADATA");
    expect(error.message).toMatch(/inputs must be a non-empty list/);

    writeFileSync(metaFile, JSON.stringify({ ...meta, inputs: [{ ...meta.inputs[0], shape: [null, 5], features: undefined }] }));
    error = await modelError(loadModel(dir));
    expect(error.code).toBe("BAD_METADATA"); // the scaler's 4 columns no longer fit
    expect(error.message).toMatch(/scales 4 features but the input has 5/);

    writeFileSync(metaFile, JSON.stringify({ ...meta, preprocessing: [], inputs: [{ ...meta.inputs[0], shape: [null, 5], features: undefined }] }));
    error = await modelError(loadModel(dir));
    expect(error.code).toBe("METADATA_MISMATCH");
    expect(error.message).toMatch(/inputs\[0\] is \[null, 4\] in the model but \[null, 5\]/);

    unlinkSync(metaFile);
    error = await modelError(loadModel(dir));
    expect(error.code).toBe("BAD_METADATA");
    expect(error.message).toMatch(/No metadata\.json .* saveModel/);
  });

  it("says when the features differ from what the caller feeds", async () => {
    const dir = await savedCopy("features");
    const error = await modelError(loadModel(dir, { expect: { features: ["age", "income", "visits", "tenure"] } }));
    expect(error.code).toBe("METADATA_MISMATCH");
    expect(error.message).toMatch(/same names in another order/);
  });

  it("says when there is no model at all", async () => {
    const error = await modelError(loadModel(path.join(tmp, "nothing-here")));
    expect(error.code).toBe("MODEL_NOT_FOUND");
    expect(error.message).toMatch(/location is empty/);
  });
});

describe("saveModel / loadModel on Azurite", () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("round-trips through a Blob URL with identical predictions and metadata", async () => {
    const model = buildModel();
    const url = azurite.containerUrl("models", "churn/v1");
    const saved = await saveModel(model, url, metadataInput(), { connectionString: azurite.connectionString });
    expect(saved.url).toBe(url);
    const loaded = await loadModel(url, { connectionString: azurite.connectionString });
    expect(predict(loaded.model)).toEqual(predict(model));
    expect(loaded.metadata).toEqual(saved.metadata);
    loaded.model.dispose();
    model.dispose();
  });

  it("names the Blob URL of a missing model", async () => {
    const url = azurite.containerUrl("models", "absent");
    const error = await modelError(loadModel(url, { connectionString: azurite.connectionString }));
    expect(error.code).toBe("MODEL_NOT_FOUND");
    expect(error.message).toContain(url);
  });
});

describe("hashData", () => {
  it("hashes values and shapes, whatever holds them", () => {
    const a = hashData([[1, 2], [3, 4]], [0, 1]);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashData([new Float32Array([1, 2]), new Float32Array([3, 4])], new Int32Array([0, 1]))).toBe(a);
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    expect(hashData(t, [0, 1])).toBe(a);
    t.dispose();
    expect(hashData([[1, 2], [3, 5]], [0, 1])).not.toBe(a);
    expect(hashData([1, 2, 3, 4], [0, 1])).not.toBe(a); // same values, other shape
    expect(hashData([0, 1], [[1, 2], [3, 4]])).not.toBe(a); // other order
  });

  it("refuses ragged arrays", () => {
    expect(() => hashData([[1, 2], [3]])).toThrow(/ragged/);
  });
});

describe("toolkitInfo", () => {
  it("reads the project's package.json", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    expect(toolkitInfo()).toEqual({ name: pkg.name, version: pkg.version, root: process.cwd() });
  });
});
