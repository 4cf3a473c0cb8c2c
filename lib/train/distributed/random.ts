import { mulberry32 } from "../../data/random.js";

/** A seeded uniform [0, 1) generator (lib/data's mulberry32): the same seed gives the same stream in every process. */
export const seededRandom = mulberry32;

/** A standard normal sample (Box-Muller) from a uniform generator. */
export function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** 0..n-1 in a seeded random order (Fisher-Yates). */
export function permutation(n: number, seed: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A seed for a named sub-stream of a base seed (so splits, shards and epochs do not share one). */
export function subSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const p of parts) h = (Math.imul(h ^ (p >>> 0), 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  return h;
}
