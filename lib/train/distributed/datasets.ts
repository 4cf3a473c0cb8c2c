import path from "node:path";
import { pathToFileURL } from "node:url";
import { deriveSeed, fitStandardScaler, loadBreastCancer, mulberry32, normal, takeRows, trainTestSplit, type StandardScaler } from "../../data/index.js";
import { hashData } from "../../models/index.js";
import type { WorkerConfig } from "./config.js";
import { DistributedTrainingError } from "./errors.js";

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
    throw new DistributedTrainingError("BAD_CONFIG", `synthetic-binary needs samples ≥ 10, features ≥ 2 and 0 ≤ noise < 0.5 (got ${samples}, ${d}, ${noise}).`);
  }
  const random = mulberry32(deriveSeed(seed, "synthetic-binary"));
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

/** A dataset as a run trains on it: split, and scaled with statistics of its training rows. */
export interface PreparedData extends TabularData {
  train: Rows;
  validation: Rows;
  test: Rows;
  scaler: StandardScaler;
  hash: string;
}

export interface Rows {
  x: number[][];
  y: number[];
}

/**
 * Loads the run's dataset and splits it (seeded by config.seed, so every rank gets the same
 * rows): test, then validation out of the rest (sweeps), then scales all three with a standard
 * scaler fitted on the training rows.
 */
export async function prepareData(config: WorkerConfig): Promise<PreparedData> {
  if (config.dataset.module) {
    // A module that registers more datasets (registerDataset) before this one is looked up.
    await import(pathToFileURL(path.resolve(config.dataset.module)).href);
  }
  const data = await loadDataset(config.dataset.name, { seed: config.seed, ...config.dataset.options });
  const split = trainTestSplit(data.x.length, { testFraction: config.dataset.testFraction ?? 0.2, seed: config.seed });
  let train = split.train;
  let validation: number[] = [];
  const validationFraction = config.dataset.validationFraction ?? (config.mode === "sweep" ? 0.2 : 0);
  if (validationFraction > 0) {
    // The validation rows come out of the training split, as a second split of it.
    const inner = trainTestSplit(train.length, { testFraction: validationFraction, seed: deriveSeed(config.seed, "validation") });
    validation = takeRows(train, inner.test);
    train = takeRows(train, inner.train);
  }
  const rows = (ids: number[]) => ({ x: takeRows(data.x, ids), y: takeRows(data.y, ids) });
  const raw = rows(train);
  // Every rank sees the whole training split here (it is generated or shipped), so every rank
  // fits the same scaler; with data too large for that, fit it once and pass it in the config.
  const scaler = fitStandardScaler(raw.x);
  const scaled = (r: Rows): Rows => ({ x: scaler.transform(r.x), y: r.y });
  return { ...data, hash: hashData(raw.x, raw.y), scaler, train: scaled(raw), validation: scaled(rows(validation)), test: scaled(rows(split.test)) };
}

/** Rank r's rows of a (shuffled) training set: every worldSize-th row, starting at r. */
export function shardIndices(n: number, rank: number, worldSize: number): number[] {
  const ids: number[] = [];
  for (let i = rank; i < n; i += worldSize) ids.push(i);
  return ids;
}
