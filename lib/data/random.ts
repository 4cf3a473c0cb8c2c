// Seeded randomness for reproducible splits, shuffles and training. tfjs draws its unseeded
// randomness (weight initialisers, dropout masks, tf.util.shuffle) from Math.random, so
// `withSeededRandom` is how a whole training run is made repeatable.

/** A random number generator: uniform floats in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny, fast 32-bit PRNG (Tommy Ettinger's), good enough for shuffles and
 * initialisers, not for cryptography. The same seed gives the same sequence on every platform.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seed for an independent stream derived from `seed` and labels (say `deriveSeed(seed, "epoch", 3)`),
 * so that each use of one user seed draws its own sequence and a resumed run can recreate any of them.
 */
export function deriveSeed(seed: number, ...labels: Array<string | number>): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const label of labels) {
    const text = String(label);
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ 0x2f, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** A standard normal sample from `random`, by the Box–Muller transform (two uniform draws). */
export function normal(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Fisher–Yates shuffle of `items` in place with `random`; returns `items`. */
export function shuffleInPlace<T, A extends { length: number; [i: number]: T }>(items: A, random: Random): A {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** The indices 0..n-1 in a random order; a number is taken as a seed for mulberry32. */
export function permutation(n: number, random: Random | number): number[] {
  const rng = typeof random === "number" ? mulberry32(random) : random;
  const order = Array.from({ length: n }, (_, i) => i);
  return shuffleInPlace(order, rng);
}

/**
 * Runs `fn` with Math.random replaced by mulberry32(`seed`), and restores it afterwards (also when
 * `fn` throws or its promise rejects). tfjs's unseeded initialisers and dropout masks then repeat
 * from run to run. While an async `fn` is pending, other code in the process also draws from the
 * seeded stream: fine in a notebook or a training script, but do not overlap two seeded runs.
 */
export function withSeededRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  Math.random = mulberry32(seed);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    Math.random = original;
    throw error;
  }
  if (result && typeof (result as { then?: unknown }).then === "function") {
    return (result as unknown as Promise<unknown>).finally(() => {
      Math.random = original;
    }) as unknown as T;
  }
  Math.random = original;
  return result;
}
