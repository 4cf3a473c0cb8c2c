// A tiny tabular classifier saved as the server expects it: model.onnx + metadata.json (+ tfjs files).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { saveServableModel, standardScalerStep } from "../../lib/models/index.js";
import { fileChecksum } from "../../lib/models/saved/files.js";
import { tempDir } from "../support/temp.js";

export const FEATURES = ["age", "income", "score", "tenure"];
export const LABELS = ["low", "mid", "high"];
export const SCALER = { mean: [40, 50_000, 0.5, 3], std: [12, 20_000, 0.2, 0] };

export interface TinyModel {
  dir: string;
  /** Reference probabilities from tfjs for raw rows (scaled here exactly as the server should). */
  reference(rows: number[][]): number[][];
}

export async function saveTinyModel(name = "tiny-classifier"): Promise<TinyModel> {
  await tf.setBackend("cpu");
  const dir = tempDir("cai-serve-");
  const model = tf.sequential({ name: "tiny" });
  model.add(tf.layers.dense({ units: 8, activation: "relu", inputShape: [FEATURES.length], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.dense({ units: LABELS.length, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  await saveServableModel(model, dir, { name, task: "multiclass-classification", features: FEATURES, labels: LABELS, preprocessing: [standardScalerStep(SCALER, FEATURES)] });
  return {
    dir,
    reference(rows) {
      const scaled = rows.map((r) => r.map((v, i) => (v - SCALER.mean[i]) / (SCALER.std[i] === 0 ? 1 : SCALER.std[i])));
      return tf.tidy(() => (model.predict(tf.tensor2d(scaled)) as tf.Tensor).arraySync() as number[][]);
    },
  };
}

export const record = (i = 0) => ({ age: 30 + i, income: 42_000 + 1000 * i, score: 0.3 + i / 100, tenure: 2 });
export const row = (i = 0) => FEATURES.map((f) => (record(i) as Record<string, number>)[f]);

/** A tiny CNN on 4×4×1 "images", without feature names (scored with nested or flat instances). */
export async function saveTinyCnn(): Promise<TinyModel> {
  await tf.setBackend("cpu");
  const dir = tempDir("cai-serve-cnn-");
  const model = tf.sequential({ name: "tiny_cnn" });
  model.add(tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  await saveServableModel(model, dir, { name: "tiny-cnn", task: "multiclass-classification", labels: LABELS });
  return {
    dir,
    reference: (rows) => tf.tidy(() => (model.predict(tf.tensor4d(rows.flat(), [rows.length, 4, 4, 1])) as tf.Tensor).arraySync() as number[][]),
  };
}

/** Rewrites a saved model's metadata.json, as `edit` changes it (to fake another save). */
export function editMetadata(dir: string, edit: (metadata: { files?: Record<string, { bytes: number; sha256: string }> }) => void): void {
  const file = path.join(dir, "metadata.json");
  const metadata = JSON.parse(readFileSync(file, "utf8"));
  edit(metadata);
  writeFileSync(file, JSON.stringify(metadata, null, 2));
}

/** Records `file`'s present size and sha256 in metadata.json, as if the save had written it so. */
export function recordChecksum(dir: string, file: string): void {
  const bytes = readFileSync(path.join(dir, file));
  editMetadata(dir, (m) => {
    m.files = { ...m.files, [file]: fileChecksum(bytes) };
  });
}
