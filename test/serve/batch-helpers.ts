// Shared by the batch-scoring tests: a tiny ONNX model folder, CSV partitions, reading results.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import "../../lib/core/ort-telemetry.js";
import * as ort from "onnxruntime-node";
import { expect } from "vitest";
import { saveServableModel, standardScalerStep } from "../../lib/models/index.js";
import { buildTabularModel } from "../../lib/train/index.js";

export const FEATURES = ["f0", "f1", "f2", "f3"];
export const LABELS = ["low", "mid", "high"];
export const MEAN = [1, -1, 0.5, 0];
export const STD = [2, 0.5, 1, 3];

/** model.onnx + metadata.json (with a standard scaler) in `dir`. */
export async function writeTinyModel(dir: string): Promise<void> {
  await tf.setBackend("cpu");
  const model = buildTabularModel({ inputDim: FEATURES.length, hidden: [8], classes: LABELS.length, seed: 3 });
  try {
    await saveServableModel(model, dir, { features: FEATURES, labels: LABELS, task: "multiclass-classification", preprocessing: [standardScalerStep({ mean: MEAN, std: STD }, FEATURES)] });
  } finally {
    model.dispose();
  }
}

/** Deterministic feature values. */
export function featureRow(part: number, i: number): number[] {
  return FEATURES.map((_, c) => Math.round(Math.sin(part * 7919 + i * 31 + c * 13) * 5000) / 1000);
}

/** CSV text of one partition: id, f0..f3 (columns shuffled to prove lookup by name). */
export function partitionCsv(part: number, rows: number): string {
  const lines = ["f2,id,f0,f3,f1"];
  for (let i = 0; i < rows; i++) {
    const [f0, f1, f2, f3] = featureRow(part, i);
    lines.push(`${f2},p${part}-r${i},${f0},${f3},${f1}`);
  }
  return lines.join("\n") + "\n";
}

export function writePartitions(dir: string, parts: number, rows: number): void {
  mkdirSync(dir, { recursive: true });
  for (let p = 0; p < parts; p++) writeFileSync(path.join(dir, `part-${String(p).padStart(3, "0")}.csv`), partitionCsv(p, rows));
}

export interface ResultRow {
  id: string;
  label: string;
  probs: number[];
}

export function parseResults(text: string): ResultRow[] {
  const [header, ...lines] = text.trim().split("\n");
  expect(header).toBe(["id", "label", ...LABELS.map((l) => `p_${l}`)].join(","));
  return lines.map((line) => {
    const [id, label, ...p] = line.split(",");
    return { id, label, probs: p.map(Number) };
  });
}

export function readResults(file: string): ResultRow[] {
  return parseResults(readFileSync(file, "utf8"));
}

/** In-process reference scoring of the given partitions with ONNX Runtime: id → probabilities. */
export async function referenceScores(modelDir: string, parts: number[], rows: number): Promise<Map<string, number[]>> {
  const session = await ort.InferenceSession.create(readFileSync(path.join(modelDir, "model.onnx")));
  const scores = new Map<string, number[]>();
  try {
    for (const part of parts) {
      const x = new Float32Array(rows * FEATURES.length);
      for (let i = 0; i < rows; i++) featureRow(part, i).forEach((v, c) => (x[i * FEATURES.length + c] = (Math.fround(v) - MEAN[c]) / STD[c]));
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", x, [rows, FEATURES.length]) });
      const probs = out[session.outputNames[0]].data as Float32Array;
      for (let i = 0; i < rows; i++) scores.set(`p${part}-r${i}`, Array.from(probs.subarray(i * LABELS.length, (i + 1) * LABELS.length)));
    }
  } finally {
    await session.release();
  }
  return scores;
}

/** One partition as Parquet (FLOAT features, STRING id), in row groups of `rowGroupSize`. */
export async function writeParquetPartition(file: string, part: number, rows: number, rowGroupSize: number): Promise<void> {
  const { parquetWriteFile } = await import("hyparquet-writer");
  const values = Array.from({ length: rows }, (_, i) => featureRow(part, i));
  parquetWriteFile({
    filename: file,
    rowGroupSize,
    columnData: [
      { name: "id", data: values.map((_, i) => `p${part}-r${i}`), type: "STRING" },
      ...FEATURES.map((name, c) => ({ name, data: Float32Array.from(values.map((v) => v[c])), type: "FLOAT" as const })),
    ],
  });
}
