import type { DataFrame } from "danfojs-node";
import { importPackage } from "../core/index.js";
import { readDatasetFile } from "./dataset-files.js";
import { DataError } from "./errors.js";

export interface TabularDataset {
  /** One row of numbers per sample. */
  features: number[][];
  /** Class ids, one per sample: an index into `labelNames`. */
  labels: number[];
  featureNames: string[];
  labelNames: string[];
  /** Where the data comes from. */
  source: string;
  /** Its licence and the attribution it asks for. */
  licence: string;
}

// Column names as scikit-learn's load_breast_cancer gives them (its CSV has none).
const FEATURE_NAMES = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points", "symmetry", "fractal dimension"];
const BREAST_CANCER_FEATURES = [
  ...FEATURE_NAMES.map((f) => `mean ${f}`),
  ...FEATURE_NAMES.map((f) => `${f} error`),
  ...FEATURE_NAMES.map((f) => `worst ${f}`),
];

export const BREAST_CANCER_SOURCE =
  "Breast Cancer Wisconsin (Diagnostic), W. H. Wolberg, W. N. Street, O. L. Mangasarian (1995), UCI Machine Learning Repository " +
  "(https://doi.org/10.24432/C5DW2B), as shipped in scikit-learn 1.9.1 (sklearn/datasets/data/breast_cancer.csv)";
export const BREAST_CANCER_LICENCE = "data: CC BY 4.0 (UCI Machine Learning Repository); file from scikit-learn: BSD-3-Clause";

let cached: TabularDataset | undefined;

/**
 * The Breast Cancer Wisconsin (Diagnostic) set: 569 samples, 30 numeric features, 2 classes
 * (0 = malignant: 212, 1 = benign: 357, scikit-learn's coding). Read from the CSV shipped in
 * lib/data/datasets, so nothing is downloaded. Returns a fresh copy each call.
 */
export function loadBreastCancer(): TabularDataset {
  cached ??= parseSklearnCsv(readDatasetFile("breast_cancer.csv"), "breast_cancer.csv", BREAST_CANCER_FEATURES);
  return {
    ...cached,
    features: cached.features.map((r) => r.slice()),
    labels: cached.labels.slice(),
    featureNames: cached.featureNames.slice(),
    labelNames: cached.labelNames.slice(),
  };
}

/**
 * Parses scikit-learn's bundled dataset CSV format: a first line `n_samples,n_features,name0,name1…`
 * (the class names), then one line per sample with the features and the class id last.
 */
function parseSklearnCsv(text: string, file: string, featureNames: string[]): TabularDataset {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const bad = (why: string) => new DataError("DATA_LOAD", `${file} is not in scikit-learn's dataset CSV format: ${why}. Restore it from git.`);
  const [nText, fText, ...labelNames] = lines[0]?.split(",") ?? [];
  const n = Number(nText);
  const width = Number(fText);
  if (!Number.isInteger(n) || !Number.isInteger(width) || labelNames.length === 0) throw bad("the header is not `samples,features,class names…`");
  if (lines.length - 1 !== n) throw bad(`the header says ${n} samples, the file has ${lines.length - 1}`);
  if (featureNames.length !== width) throw bad(`expected ${featureNames.length} features, the header says ${width}`);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const values = lines[i].split(",").map(Number);
    if (values.length !== width + 1 || values.some((v) => !Number.isFinite(v))) throw bad(`line ${i + 1} does not hold ${width + 1} numbers`);
    const label = values.pop()!;
    if (!Number.isInteger(label) || label < 0 || label >= labelNames.length) throw bad(`line ${i + 1} has class ${label}`);
    features.push(values);
    labels.push(label);
  }
  return { features, labels, featureNames: featureNames.slice(), labelNames, source: BREAST_CANCER_SOURCE, licence: BREAST_CANCER_LICENCE };
}

/**
 * The breast cancer set as a danfojs-node DataFrame: the 30 feature columns plus `target` (class id)
 * and `diagnosis` (class name). danfojs-node is loaded on first use (about 2 s).
 */
export async function breastCancerFrame(): Promise<DataFrame> {
  const data = loadBreastCancer();
  const dfd = (await importPackage("danfojs-node")) as { DataFrame?: new (data: unknown, options: { columns: string[] }) => DataFrame; default?: unknown };
  const DataFrame = dfd.DataFrame ?? (dfd.default as typeof dfd)?.DataFrame;
  if (!DataFrame) throw new DataError("DATA_LOAD", "danfojs-node loaded without a DataFrame export; reinstall it (npm ci).");
  const rows = data.features.map((row, i) => [...row, data.labels[i], data.labelNames[data.labels[i]]]);
  return new DataFrame(rows, { columns: [...data.featureNames, "target", "diagnosis"] });
}
