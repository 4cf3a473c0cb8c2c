// saveServableModel (tfjs files, model.onnx, metadata.json with checksums, metadata.json last) and
// the typed reader (readModelMetadata, readModelFile): the one way a model folder is written and read.
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import "../../lib/core/ort-telemetry.js";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, startAzurite, type Azurite, type BlobStore } from "../../lib/core/index.js";
import {
  exportOnnx,
  loadModel,
  MODEL_FILES,
  ModelError,
  OnnxExportError,
  readModelFile,
  readModelMetadata,
  saveServableModel,
  standardScalerStep,
  type ModelMetadataInput,
} from "../../lib/models/index.js";
import { tempDir } from "../support/temp.js";

const FEATURES = ["age", "income", "tenure", "visits"];

function buildModel(): tf.LayersModel {
  const model = tf.sequential({ name: "churn" });
  model.add(tf.layers.dense({ inputShape: [4], units: 6, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

const metadataInput = (): ModelMetadataInput => ({
  name: "churn-mlp",
  task: "binary-classification",
  features: FEATURES,
  labels: ["stays", "leaves"],
  preprocessing: [standardScalerStep({ mean: [40, 5000, 5, 10], std: [10, 2000, 4, 8] }, FEATURES)],
});

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function modelError(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

/**
 * The store at `dir`, recording each write and delete in `log`, and before each one what a reader
 * would get there now: "complete" (readModelMetadata succeeds) or the error code it throws.
 */
async function recordingStore(dir: string, log: string[]): Promise<BlobStore> {
  const store = await openStore(dir);
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop !== "put" && prop !== "delete" && prop !== "putStream") return value.bind(target);
      return async (key: string, ...rest: unknown[]) => {
        const seen = await readModelMetadata(dir).then(
          () => "complete",
          (e: ModelError) => e.code,
        );
        log.push(`${String(prop)} ${key} (reader: ${seen})`);
        return value.call(target, key, ...rest);
      };
    },
  });
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("saveServableModel", () => {
  it("writes the tfjs files, model.onnx, then metadata.json last, with each file's size and sha256", async () => {
    const dir = tempDir("cai-servable-");
    const model = buildModel();
    const saved = await saveServableModel(model, dir, metadataInput(), { onnx: { inputNames: ["features"], outputNames: ["probabilities"] } });
    expect(saved.files).toEqual([MODEL_FILES.weights, MODEL_FILES.topology, MODEL_FILES.onnx, MODEL_FILES.metadata]);
    expect(Object.keys(saved.metadata.files!)).toEqual([MODEL_FILES.weights, MODEL_FILES.topology, MODEL_FILES.onnx]);
    for (const file of [MODEL_FILES.weights, MODEL_FILES.topology, MODEL_FILES.onnx]) {
      const bytes = readFileSync(path.join(dir, file));
      expect(saved.metadata.files![file]).toEqual({ bytes: bytes.byteLength, sha256: sha256(bytes) });
    }
    // The ONNX file is exportOnnx's (the same bytes for the same options), and scores like tfjs.
    const onnx = readFileSync(path.join(dir, MODEL_FILES.onnx));
    expect(onnx.equals(exportOnnx(model, { inputNames: ["features"], outputNames: ["probabilities"] }))).toBe(true);
    const session = await ort.InferenceSession.create(onnx);
    expect([session.inputNames, session.outputNames]).toEqual([["features"], ["probabilities"]]);
    const x = [0.1, -0.5, 1.2, 0.3];
    const out = (await session.run({ features: new ort.Tensor("float32", Float32Array.from(x), [1, 4]) })).probabilities.data as Float32Array;
    const ref = tf.tidy(() => Array.from((model.predict(tf.tensor2d([x])) as tf.Tensor).dataSync()));
    Array.from(out).forEach((p, i) => expect(p).toBeCloseTo(ref[i], 5));
    await session.release();
    // The reader gives back what was written; loadModel still loads the tfjs files.
    expect(await readModelMetadata(dir)).toEqual(saved.metadata);
    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual(saved.metadata);
    loaded.model.dispose();
    model.dispose();
  });

  it("never shows a reader half a model: an older metadata.json goes first, the new one comes last", async () => {
    const dir = tempDir("cai-servable-order-");
    const model = buildModel();
    const first: string[] = [];
    await saveServableModel(model, await recordingStore(dir, first), metadataInput());
    expect(first).toEqual([
      "put weights.bin (reader: MODEL_NOT_FOUND)",
      "put model.json (reader: BAD_METADATA)",
      "put model.onnx (reader: BAD_METADATA)",
      "put metadata.json (reader: BAD_METADATA)",
    ]);
    const again: string[] = [];
    await saveServableModel(model, await recordingStore(dir, again), { ...metadataInput(), name: "churn-mlp-2" });
    expect(again).toEqual([
      "delete metadata.json (reader: complete)",
      "put weights.bin (reader: BAD_METADATA)",
      "put model.json (reader: BAD_METADATA)",
      "put model.onnx (reader: BAD_METADATA)",
      "put metadata.json (reader: BAD_METADATA)",
    ]);
    expect((await readModelMetadata(dir)).name).toBe("churn-mlp-2");
    model.dispose();
  });

  it("leaves an older model untouched when the ONNX export fails", async () => {
    const dir = tempDir("cai-servable-noexport-");
    const good = buildModel();
    const before = await saveServableModel(good, dir, metadataInput());
    good.dispose();
    const unsupported = tf.sequential({ layers: [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    const log: string[] = [];
    await expect(saveServableModel(unsupported, await recordingStore(dir, log), { labels: ["a", "b"] })).rejects.toBeInstanceOf(OnnxExportError);
    expect(log).toEqual([]);
    expect(await readModelMetadata(dir)).toEqual(before.metadata);
    unsupported.dispose();
  });
});

describe("readModelMetadata", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir("cai-servable-read-");
    const model = buildModel();
    await saveServableModel(model, dir, metadataInput());
    model.dispose();
  });

  it("rejects a folder without metadata.json: a save interrupted or under way", async () => {
    const half = tempDir("cai-servable-half-");
    for (const file of [MODEL_FILES.weights, MODEL_FILES.topology, MODEL_FILES.onnx]) writeFileSync(path.join(half, file), readFileSync(path.join(dir, file)));
    const error = await modelError(readModelMetadata(half));
    expect(error.code).toBe("BAD_METADATA");
    expect(error.message).toMatch(/^No metadata\.json at file:\/\/.* \(found model\.json, model\.onnx, weights\.bin\): .*its save was interrupted or is still under way \(metadata\.json is written last\)\. Wait for the save to finish, or save the model again\.$/);
  });

  it("says when there is nothing at the location, or the metadata is not JSON", async () => {
    let error = await modelError(readModelMetadata(path.join(tempDir("cai-servable-empty-"), "nothing")));
    expect(error.code).toBe("MODEL_NOT_FOUND");
    expect(error.message).toMatch(/location is empty.*saveServableModel/);
    const broken = tempDir("cai-servable-notjson-");
    writeFileSync(path.join(broken, MODEL_FILES.metadata), "{ not json");
    error = await modelError(readModelMetadata(broken));
    expect(error.code).toBe("BAD_METADATA");
    expect(error.message).toMatch(/metadata\.json is not valid JSON/);
  });

  it("rejects a checksum entry that is not one", async () => {
    const odd = tempDir("cai-servable-odd-");
    const metadata = JSON.parse(readFileSync(path.join(dir, MODEL_FILES.metadata), "utf8"));
    writeFileSync(path.join(odd, MODEL_FILES.metadata), JSON.stringify({ ...metadata, files: { "model.onnx": { bytes: 3, sha256: "md5:abc" } } }));
    const error = await modelError(readModelMetadata(odd));
    expect(error.code).toBe("BAD_METADATA");
    expect(error.message).toMatch(/files\["model\.onnx"\] needs bytes .* and sha256/);
  });
});

describe("readModelFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir("cai-servable-file-");
    const model = buildModel();
    await saveServableModel(model, dir, metadataInput());
    model.dispose();
  });

  it("returns a file that matches its checksum, and undefined for a missing one", async () => {
    const metadata = await readModelMetadata(dir);
    expect(Buffer.from((await readModelFile(dir, MODEL_FILES.onnx, metadata))!)).toEqual(readFileSync(path.join(dir, MODEL_FILES.onnx)));
    expect(await readModelFile(dir, "absent.bin", metadata)).toBeUndefined();
  });

  it("refuses a corrupted or truncated model.onnx with CHECKSUM_MISMATCH naming the file and what to do", async () => {
    const metadata = await readModelMetadata(dir);
    const file = path.join(dir, MODEL_FILES.onnx);
    const bytes = readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[20] ^= 0xff;
    writeFileSync(file, flipped);
    let error = await modelError(readModelFile(dir, MODEL_FILES.onnx, metadata));
    expect(error.code).toBe("CHECKSUM_MISMATCH");
    expect(error.message).toMatch(/^file:\/\/\S+\/model\.onnx does not match the save that wrote metadata\.json \(its sha256 is [0-9a-f]{12}…, metadata\.json records [0-9a-f]{12}…\): .*Copy the whole model folder again, or save the model again with saveServableModel/);
    writeFileSync(file, bytes.subarray(0, 100));
    error = await modelError(readModelFile(dir, MODEL_FILES.onnx, metadata));
    expect(error.message).toMatch(/model\.onnx does not match .* \(it is 100 bytes, metadata\.json records \d+\)/);
    writeFileSync(file, bytes);
  });

  it("reads a model saved before checksums were recorded unchecked", async () => {
    const { files: _files, ...older } = await readModelMetadata(dir);
    writeFileSync(path.join(dir, MODEL_FILES.onnx), "anything");
    expect(Buffer.from((await readModelFile(dir, MODEL_FILES.onnx, older))!).toString()).toBe("anything");
  });

  it("lets loadModel refuse a model.json changed since the save", async () => {
    const copy = tempDir("cai-servable-topology-");
    const model = buildModel();
    await saveServableModel(model, copy, metadataInput());
    model.dispose();
    const topology = path.join(copy, MODEL_FILES.topology);
    writeFileSync(topology, JSON.stringify(JSON.parse(readFileSync(topology, "utf8")), null, 1));
    const error = await modelError(loadModel(copy));
    expect(error.code).toBe("CHECKSUM_MISMATCH");
    expect(error.message).toMatch(/\/model\.json does not match the save/);
    unlinkSync(path.join(copy, MODEL_FILES.metadata));
    expect((await modelError(loadModel(copy))).message).toMatch(/No metadata\.json .* saveModel/);
  });
});

describe("saveServableModel on Azurite", () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("saves to a Blob URL and reads back checked, as from a folder", async () => {
    const model = buildModel();
    const url = azurite.containerUrl("models", "churn/v2");
    const storage = { connectionString: azurite.connectionString };
    const saved = await saveServableModel(model, url, metadataInput(), { ...storage, onnx: { inputNames: ["features"] } });
    model.dispose();
    expect(saved.url).toBe(url);
    const metadata = await readModelMetadata(url, storage);
    expect(metadata).toEqual(saved.metadata);
    const onnx = await readModelFile(url, MODEL_FILES.onnx, metadata, storage);
    expect(onnx!.byteLength).toBe(metadata.files![MODEL_FILES.onnx].bytes);
    const store = await openStore(url, storage);
    await store.put(MODEL_FILES.onnx, onnx!.subarray(0, 10));
    expect((await modelError(readModelFile(store, MODEL_FILES.onnx, metadata))).message).toContain(`${url}/model.onnx does not match`);
    expect((await modelError(readModelMetadata(azurite.containerUrl("models", "absent"), storage))).code).toBe("MODEL_NOT_FOUND");
  });
});
