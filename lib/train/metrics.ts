import * as tf from "@tensorflow/tfjs";
import { TrainError } from "./train-error.js";

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Samples of this class in y. */
  support: number;
}

export interface ClassifierReport {
  samples: number;
  accuracy: number;
  labels: string[];
  perClass: ClassMetrics[];
  /** Unweighted means over the classes. */
  macro: { precision: number; recall: number; f1: number };
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  /** Binary problems with scores: area under the ROC curve of the positive class. */
  auc?: number;
  /**
   * With scores (evaluateClassifier): their mean cross-entropy against y, probabilities clipped to
   * [1e-7, 1 − 1e-7] as Keras clips them: the test loss of a model trained with (binary or sparse
   * categorical) crossentropy.
   */
  loss?: number;
}

export interface EvaluateOptions {
  /** Class names, index = class id. Default "0", "1", …. */
  labels?: string[];
  /** Binary: the class whose score the AUC ranks. Default 1. */
  positiveClass?: number;
  /** Batch size for model.predict. Default 256. */
  batchSize?: number;
}

/** Per-sample class scores (rows of probabilities), or a 2-D tensor of them. */
export type Scores = number[][] | tf.Tensor;

/**
 * Accuracy, per-class precision/recall/F1, macro averages, the confusion matrix and, for two
 * classes, ROC AUC. Give a model and its inputs (`evaluateClassifier(model, x, y)`), or scores
 * already predicted (`evaluateClassifier(probabilities, y)`). `y` holds class ids.
 */
export async function evaluateClassifier(model: tf.LayersModel, x: tf.Tensor | number[][], y: ArrayLike<number> | tf.Tensor, options?: EvaluateOptions): Promise<ClassifierReport>;
export async function evaluateClassifier(scores: Scores, y: ArrayLike<number> | tf.Tensor, options?: EvaluateOptions): Promise<ClassifierReport>;
export async function evaluateClassifier(
  source: tf.LayersModel | Scores,
  a: tf.Tensor | number[][] | ArrayLike<number>,
  b?: ArrayLike<number> | tf.Tensor | EvaluateOptions,
  c?: EvaluateOptions,
): Promise<ClassifierReport> {
  let scores: number[][];
  let yIn: ArrayLike<number> | tf.Tensor;
  let options: EvaluateOptions;
  if (source instanceof tf.LayersModel) {
    options = c ?? {};
    const xIn = a as tf.Tensor | number[][];
    const x = xIn instanceof tf.Tensor ? xIn : tf.tensor2d(xIn);
    try {
      const predicted = tf.tidy(() => source.predict(x, { batchSize: options.batchSize ?? 256 }) as tf.Tensor);
      scores = await rowsOf(predicted);
      predicted.dispose();
    } finally {
      if (x !== xIn) x.dispose();
    }
    yIn = b as ArrayLike<number> | tf.Tensor;
  } else {
    scores = source instanceof tf.Tensor ? await rowsOf(source) : source;
    yIn = a as ArrayLike<number> | tf.Tensor;
    options = (b as EvaluateOptions) ?? {};
  }
  const y = yIn instanceof tf.Tensor ? Array.from(await yIn.data()) : Array.from(yIn);
  if (y.length !== scores.length) throw new TrainError("BAD_OPTION", `${scores.length} predictions for ${y.length} labels; they must match.`);
  // A single score column is a sigmoid output: P(class 1).
  const binaryColumn = scores.length > 0 && scores[0].length === 1;
  const predicted = scores.map((row) => (binaryColumn ? (row[0] >= 0.5 ? 1 : 0) : argMax(row)));
  const classes = Math.max(binaryColumn ? 2 : scores[0]?.length ?? 0, options.labels?.length ?? 0, ...y.map((v) => v + 1));
  const report = classificationReport(y, predicted, options.labels ?? Array.from({ length: classes }, (_, i) => String(i)));
  report.loss = crossEntropy(scores, y, binaryColumn);
  if (report.labels.length === 2) {
    const positive = options.positiveClass ?? 1;
    const score = scores.map((row) => (binaryColumn ? (positive === 1 ? row[0] : 1 - row[0]) : row[positive]));
    report.auc = rocAuc(y.map((v) => (v === positive ? 1 : 0)), score);
  }
  return report;
}

async function rowsOf(t: tf.Tensor): Promise<number[][]> {
  if (t.rank !== 2) throw new TrainError("BAD_OPTION", `Scores must be a 2-D tensor [samples, classes], got shape [${t.shape}].`);
  return (await t.array()) as number[][];
}

/** Mean −log P(true class); a single score column is P(class 1). NaN for no samples. */
function crossEntropy(scores: readonly (readonly number[])[], y: readonly number[], binaryColumn: boolean): number {
  const eps = 1e-7;
  let sum = 0;
  scores.forEach((row, i) => {
    const p = binaryColumn ? (y[i] === 1 ? row[0] : 1 - row[0]) : row[y[i]];
    sum -= Math.log(Math.min(1 - eps, Math.max(eps, p)));
  });
  return scores.length > 0 ? sum / scores.length : Number.NaN;
}

function argMax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** The report of `evaluateClassifier` from true and predicted class ids. */
export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: string[]): ClassifierReport {
  const k = labels.length;
  const confusion = confusionMatrix(yTrue, yPred, k);
  const n = yTrue.length;
  let correct = 0;
  for (let i = 0; i < k; i++) correct += confusion[i][i];
  const perClass = labels.map((label, i) => {
    const tp = confusion[i][i];
    const support = confusion[i].reduce((a, v) => a + v, 0);
    const predictedI = confusion.reduce((a, row) => a + row[i], 0);
    // sklearn's zero_division=0: a class never predicted (or absent) scores 0, not NaN.
    const precision = predictedI > 0 ? tp / predictedI : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const mean = (key: "precision" | "recall" | "f1") => perClass.reduce((a, c) => a + c[key], 0) / Math.max(1, k);
  return {
    samples: n,
    accuracy: n > 0 ? correct / n : 0,
    labels: labels.slice(),
    perClass,
    macro: { precision: mean("precision"), recall: mean("recall"), f1: mean("f1") },
    confusion,
  };
}

/** confusion[true][predicted] counts over `classes` classes. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[][] {
  if (yTrue.length !== yPred.length) throw new TrainError("BAD_OPTION", `${yTrue.length} true labels and ${yPred.length} predictions; they must match.`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(t >= 0 && t < classes && Number.isInteger(t)) || !(p >= 0 && p < classes && Number.isInteger(p))) {
      throw new TrainError("BAD_OPTION", `Sample ${i} has class ${t} → ${p}, outside 0..${classes - 1}; pass labels naming every class.`);
    }
    m[t][p]++;
  }
  return m;
}

/**
 * ROC AUC by the rank (Mann–Whitney U) formula: the probability that a random positive scores
 * above a random negative, ties counting one half: (R₊ − n₊(n₊+1)/2) / (n₊·n₋), where R₊ is the
 * sum of the positives' ranks (tied scores share their mean rank). NaN when a class is absent.
 */
export function rocAuc(isPositive: ArrayLike<number | boolean>, scores: ArrayLike<number>): number {
  const n = scores.length;
  if (isPositive.length !== n) throw new TrainError("BAD_OPTION", `${isPositive.length} labels and ${n} scores; they must match.`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Array<number>(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const mid = (i + j) / 2 + 1; // 1-based mean rank of the tie group
    for (let t = i; t <= j; t++) ranks[order[t]] = mid;
    i = j + 1;
  }
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (isPositive[i]) {
      nPos++;
      rankSum += ranks[i];
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
