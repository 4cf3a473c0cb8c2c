import { describe, expect, it } from "vitest";
import { deriveSeed, mulberry32, normal, permutation, shuffleInPlace, withSeededRandom } from "../../lib/data/index.js";

describe("mulberry32", () => {
  it("matches an independent implementation of the algorithm", () => {
    // Reference values from a separate Python port of mulberry32.
    const zero = mulberry32(0);
    expect([zero(), zero(), zero()]).toEqual([0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
    const fortyTwo = mulberry32(42);
    expect([fortyTwo(), fortyTwo(), fortyTwo()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it("draws uniform floats in [0, 1)", () => {
    const r = mulberry32(7);
    const bins = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = r();
      if (!(v >= 0 && v < 1)) outside++;
      else bins[Math.floor(v * 10)]++;
    }
    expect(outside).toBe(0);
    for (const b of bins) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });
});

describe("normal", () => {
  it("draws standard normal samples, the same for the same seed", () => {
    const r = mulberry32(3);
    const xs = Array.from({ length: 20_000 }, () => normal(r));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const a = mulberry32(4);
    const b = mulberry32(4);
    expect([normal(a), normal(a)]).toEqual([normal(b), normal(b)]);
  });
});

describe("deriveSeed", () => {
  it("gives stable, distinct streams per label", () => {
    expect(deriveSeed(1, "epoch", 3)).toBe(deriveSeed(1, "epoch", 3));
    const seeds = new Set([deriveSeed(1, "epoch", 0), deriveSeed(1, "epoch", 1), deriveSeed(2, "epoch", 0), deriveSeed(1, "random", 0)]);
    expect(seeds.size).toBe(4);
    expect(Number.isInteger(deriveSeed(5, "x"))).toBe(true);
  });
});

describe("shuffles", () => {
  it("permutation holds every index once, the same for the same seed", () => {
    const p = permutation(100, 3);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, 3)).toEqual(p);
    expect(permutation(100, 4)).not.toEqual(p);
  });

  it("shuffleInPlace shuffles typed arrays too", () => {
    const a = Int32Array.from({ length: 50 }, (_, i) => i);
    shuffleInPlace(a, mulberry32(9));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe("withSeededRandom", () => {
  it("seeds Math.random inside and restores it after, also on errors and for promises", async () => {
    const original = Math.random;
    const a = withSeededRandom(5, () => [Math.random(), Math.random()]);
    const b = withSeededRandom(5, () => [Math.random(), Math.random()]);
    expect(a).toEqual(b);
    expect(Math.random).toBe(original);
    expect(() => withSeededRandom(5, () => {
      throw new Error("boom");
    })).toThrow("boom");
    expect(Math.random).toBe(original);
    const value = await withSeededRandom(5, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return Math.random();
    });
    const r = mulberry32(5);
    expect(value).toBe(r());
    expect(Math.random).toBe(original);
    await expect(withSeededRandom(5, async () => Promise.reject(new Error("late")))).rejects.toThrow("late");
    expect(Math.random).toBe(original);
  });
});
