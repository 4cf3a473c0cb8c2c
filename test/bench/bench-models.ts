// The two tutorial models as the scoring servers load them (model.onnx + metadata.json), made
// without training: throughput does not depend on the weights, only on the graph. Every server in
// the serving benchmark scores the same model.onnx, and the request bodies are built from real
// rows of the tutorial data sets. Saved as lib/train's tutorial-models saves the trained ones.
import { mkdirSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { encodePng, fitStandardScaler, loadBreastCancer, loadDigits } from "../../lib/data/index.js";
import { imageInputStep, saveServableModel, standardScalerStep } from "../../lib/models/index.js";
import { buildDigitsCnn, buildTabularModel } from "../../lib/train/index.js";

export interface BenchModel {
  /** Folder with model.onnx and metadata.json. */
  dir: string;
  /** metadata.json's name: the V2 model name. */
  name: string;
  /** Values per row (30 features; 28×28×1 pixels). */
  rowSize: number;
  /** Raw rows (unscaled), flat row-major, `rows` of them. */
  rows: Float32Array;
  count: number;
}

export interface TabularBench extends BenchModel {
  features: string[];
  /** The same rows as records, for /score. */
  records: Record<string, number>[];
}

export interface DigitsBench extends BenchModel {
  /** The same images as 28×28 8-bit grayscale PNG files. */
  pngs: Buffer[];
}

export async function makeTabularModel(outDir: string): Promise<TabularBench> {
  await tf.setBackend("cpu");
  const d = loadBreastCancer();
  const scaler = fitStandardScaler(d.features);
  const name = "breast-cancer-mlp";
  const dir = path.join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const model = buildTabularModel({ inputDim: d.featureNames.length, classes: d.labelNames.length, seed: 1 });
  await saveServableModel(model, dir, {
    name,
    task: "binary-classification",
    features: d.featureNames,
    labels: d.labelNames,
    preprocessing: [standardScalerStep(scaler.toJSON(), d.featureNames)],
  }, { onnx: { inputNames: ["features"], outputNames: ["probabilities"] } });
  model.dispose();
  const records = d.features.map((r) => Object.fromEntries(d.featureNames.map((f, i) => [f, r[i]])));
  return { dir, name, rowSize: d.featureNames.length, rows: Float32Array.from(d.features.flat()), count: d.features.length, features: d.featureNames, records };
}

export async function makeDigitsModel(outDir: string, count = 256): Promise<DigitsBench> {
  await tf.setBackend("cpu");
  const name = "digits-cnn";
  const dir = path.join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const model = buildDigitsCnn({ seed: 1 });
  // As the tutorial saves it (lib/train tutorial-models): the image step lets /score take PNGs.
  await saveServableModel(model, dir, {
    name,
    task: "multiclass-classification",
    labels: Array.from({ length: 10 }, (_, i) => String(i)),
    preprocessing: [imageInputStep({ width: 28, height: 28, channels: 1, scale: 1 / 255 })],
  }, { onnx: { inputNames: ["image"], outputNames: ["probabilities"] } });
  model.dispose();
  const digits = await loadDigits({ count, seed: 7 });
  const pngs: Buffer[] = [];
  for (let i = 0; i < count; i++) pngs.push(Buffer.from(encodePng({ width: 28, height: 28, channels: 1, pixels: digits.images.subarray(i * 784, (i + 1) * 784) })));
  return { dir, name, rowSize: 784, rows: digits.images, count, pngs };
}
