import { loadBreastCancer } from "../../data/index.js";
import { DistributedTrainingError } from "./errors.js";
import { normal, permutation, seededRandom, subSeed } from "./random.js";

/** A tabular classification dataset: rows of features and integer class labels. */
export interface TabularData {
  name: string;
  features: string[];
  /** Class names; y holds indices into it. */
  labels: string[];
  x: number[][];
  y: number[];
  /** Where it comes from, in words. */
  source: string;
}

/** Builds a dataset from options (JSON-serialisable, as they travel to workers through the environment). */
export type DatasetLoader = (options: Record<string, unknown>) => TabularData | Promise<TabularData>;

const registry = new Map<string, DatasetLoader>();

/**
 * Adds a named dataset the workers can train on. A worker is a separate process, so register in
 * a module the worker imports (this file, or a module named by `dataset.module` in the config),
 * not only in the notebook.
 */
export function registerDataset(name: string, loader: DatasetLoader): void {
  registry.set(name, loader);
}

export function datasetNames(): string[] {
  return [...registry.keys()].sort();
}

/** Loads a registered dataset. Throws DistributedTrainingError UNKNOWN_DATASET naming the known ones. */
export async function loadDataset(name: string, options: Record<string, unknown> = {}): Promise<TabularData> {
  const loader = registry.get(name);
  if (!loader) {
    throw new DistributedTrainingError(
      "UNKNOWN_DATASET",
      `No dataset "${name}": known are ${datasetNames().join(", ")}. Register one with registerDataset(name, loader) in a module the worker loads (dataset.module in the config).`,
    );
  }
  return loader(options);
}

export interface SyntheticBinaryOptions {
  samples?: number;
  features?: number;
  /** Share of labels flipped at random: caps the reachable accuracy near 1 - noise. */
  noise?: number;
  seed?: number;
}

/**
 * A seeded binary-classification set: Gaussian features, a label from a fixed nonlinear function
 * of them (a linear part plus an interaction and a sine, so an MLP beats a linear model), with a
 * share of labels flipped. Same options → same data in every process.
 */
export function syntheticBinary(options: SyntheticBinaryOptions = {}): TabularData {
  const samples = options.samples ?? 2000;
  const d = options.features ?? 8;
  const noise = options.noise ?? 0.05;
  const seed = options.seed ?? 42;
  if (!(Number.isInteger(samples) && samples >= 10) || !(Number.isInteger(d) && d >= 2) || !(noise >= 0 && noise < 0.5)) {
    throw new DistributedTrainingError("BAD_WORKER_CONFIG", `synthetic-binary needs samples ≥ 10, features ≥ 2 and 0 ≤ noise < 0.5 (got ${samples}, ${d}, ${noise}).`);
  }
  const random = seededRandom(subSeed(seed, 1));
  const w = Array.from({ length: d }, (_, j) => (j < Math.ceil(d / 2) ? normal(random) : 0.2 * normal(random)));
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Features on different scales and offsets, as real data has: the scaler has work to do.
    const z = Array.from({ length: d }, () => normal(random));
    const score = z.reduce((s, v, j) => s + v * w[j], 0) + 1.2 * z[0] * z[1] + Math.sin(2 * z[1]);
    let label = score > 0 ? 1 : 0;
    if (random() < noise) label = 1 - label;
    x.push(z.map((v, j) => v * (1 + j) + 3 * j));
    y.push(label);
  }
  return {
    name: "synthetic-binary",
    features: Array.from({ length: d }, (_, j) => `f${j}`),
    labels: ["negative", "positive"],
    x,
    y,
    source: `generated (seed ${seed}, ${samples} samples, ${d} features, ${Math.round(noise * 100)}% label noise)`,
  };
}

registerDataset("synthetic-binary", (o) => syntheticBinary(o as SyntheticBinaryOptions));

// The toolkit's tabular set (shipped in lib/data): 569 tumours, 30 features, malignant / benign.
registerDataset("breast-cancer", () => {
  const d = loadBreastCancer();
  return { name: "breast-cancer", features: d.featureNames, labels: d.labelNames, x: d.features, y: d.labels, source: `${d.source} (${d.licence})` };
});

export interface DataSplits {
  train: { x: number[][]; y: number[] };
  validation: { x: number[][]; y: number[] };
  test: { x: number[][]; y: number[] };
}

/** A seeded shuffle into train / validation / test (validation may be empty). */
export function splitData(data: TabularData, options: { testFraction: number; validationFraction: number; seed: number }): DataSplits {
  const order = permutation(data.x.length, subSeed(options.seed, 2));
  const nTest = Math.round(order.length * options.testFraction);
  const nVal = Math.round((order.length - nTest) * options.validationFraction);
  const pick = (ids: number[]) => ({ x: ids.map((i) => data.x[i]), y: ids.map((i) => data.y[i]) });
  return {
    test: pick(order.slice(0, nTest)),
    validation: pick(order.slice(nTest, nTest + nVal)),
    train: pick(order.slice(nTest + nVal)),
  };
}

/** Rank r's rows of a (shuffled) training set: every worldSize-th row, starting at r. */
export function shardIndices(n: number, rank: number, worldSize: number): number[] {
  const ids: number[] = [];
  for (let i = rank; i < n; i += worldSize) ids.push(i);
  return ids;
}

/** Column means and standard deviations (a constant column gets std 1). */
export function scalerOf(x: number[][]): { mean: number[]; std: number[] } {
  const d = x[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const sq = new Array<number>(d).fill(0);
  for (const row of x) for (let j = 0; j < d; j++) mean[j] += row[j] / x.length;
  for (const row of x) for (let j = 0; j < d; j++) sq[j] += (row[j] - mean[j]) ** 2 / x.length;
  return { mean, std: sq.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

export function scaleRows(x: number[][], scaler: { mean: number[]; std: number[] }): number[][] {
  return x.map((row) => row.map((v, j) => (v - scaler.mean[j]) / scaler.std[j]));
}
