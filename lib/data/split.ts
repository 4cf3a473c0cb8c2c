import { DataError } from "./errors.js";
import { deriveSeed, mulberry32, shuffleInPlace } from "./random.js";

export interface SplitOptions {
  /** Share of the samples that go to the test set, in (0, 1). Default 0.2. */
  testFraction?: number;
  /** Seed of the shuffle: the same seed gives the same split. Default 0. */
  seed?: number;
  /** Class labels, one per sample: each class keeps its share in both sets. */
  stratify?: ArrayLike<number | string>;
}

export interface Split {
  /** Sample indices of the training set, shuffled. */
  train: number[];
  /** Sample indices of the test set, shuffled. */
  test: number[];
}

/**
 * Splits sample indices 0..n-1 into a shuffled training and test set, reproducibly for a seed.
 * The test set has round(n × testFraction) samples; with `stratify`, each class is split in that
 * proportion too (largest remainders decide the rounding). Pick rows with `takeRows`/`takeSamples`.
 */
export function trainTestSplit(n: number, options: SplitOptions = {}): Split {
  const testFraction = options.testFraction ?? 0.2;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(n) || n < 2) throw new DataError("BAD_OPTION", `trainTestSplit needs at least 2 samples, got n=${n}.`);
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new DataError("BAD_OPTION", `testFraction must be between 0 and 1 (exclusive), got ${testFraction}; 0.2 keeps a fifth for testing.`);
  }
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
  const random = mulberry32(deriveSeed(seed, "trainTestSplit"));
  const train: number[] = [];
  const test: number[] = [];
  if (!options.stratify) {
    const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), random);
    return { train: order.slice(nTest), test: order.slice(0, nTest) };
  }
  const labels = options.stratify;
  if (labels.length !== n) throw new DataError("BAD_OPTION", `stratify has ${labels.length} labels for ${n} samples; give one label per sample.`);
  const byClass = new Map<number | string, number[]>();
  for (let i = 0; i < n; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  // Test quota per class: the floor of its exact share, then the leftover seats by largest remainder.
  const classes = [...byClass.keys()];
  const exact = classes.map((c) => (byClass.get(c)!.length * nTest) / n);
  const quota = exact.map(Math.floor);
  let left = nTest - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classes.map((_, k) => k).sort((a, b) => exact[b] - quota[b] - (exact[a] - quota[a]) || a - b);
  for (const k of byRemainder) {
    if (left === 0) break;
    if (quota[k] < byClass.get(classes[k])!.length) {
      quota[k]++;
      left--;
    }
  }
  classes.forEach((c, k) => {
    const members = shuffleInPlace(byClass.get(c)!.slice(), random);
    test.push(...members.slice(0, quota[k]));
    train.push(...members.slice(quota[k]));
  });
  return { train: shuffleInPlace(train, random), test: shuffleInPlace(test, random) };
}

/** The items at `indices`, in that order. */
export function takeRows<T>(items: ArrayLike<T>, indices: readonly number[]): T[] {
  return indices.map((i) => {
    if (i < 0 || i >= items.length) throw new DataError("BAD_OPTION", `Index ${i} is outside the ${items.length} rows.`);
    return items[i];
  });
}

/**
 * The samples at `indices` of a flat typed array holding `sampleSize` values per sample (an image
 * set as N×H×W×C floats: sampleSize = H×W×C), as a new array of the same type.
 */
export function takeSamples<A extends Float32Array | Int32Array | Uint8Array>(data: A, sampleSize: number, indices: readonly number[]): A {
  const count = data.length / sampleSize;
  if (!Number.isInteger(count)) throw new DataError("BAD_OPTION", `${data.length} values do not divide into samples of ${sampleSize}.`);
  const out = new (data.constructor as new (n: number) => A)(indices.length * sampleSize);
  indices.forEach((i, k) => {
    if (i < 0 || i >= count) throw new DataError("BAD_OPTION", `Index ${i} is outside the ${count} samples.`);
    out.set(data.subarray(i * sampleSize, (i + 1) * sampleSize), k * sampleSize);
  });
  return out;
}
