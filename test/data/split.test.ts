import { describe, expect, it } from "vitest";
import { DataError, fitStandardScaler, standardScalerFrom, takeRows, takeSamples, trainTestSplit } from "../../lib/data/index.js";

describe("trainTestSplit", () => {
  it("partitions the indices, round(n × testFraction) of them for testing", () => {
    const { train, test } = trainTestSplit(101, { testFraction: 0.25, seed: 1 });
    expect(test).toHaveLength(25);
    expect(train).toHaveLength(76);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: 101 }, (_, i) => i));
  });

  it("is reproducible for a seed and differs between seeds", () => {
    expect(trainTestSplit(50, { seed: 7 })).toEqual(trainTestSplit(50, { seed: 7 }));
    expect(trainTestSplit(50, { seed: 7 }).test).not.toEqual(trainTestSplit(50, { seed: 8 }).test);
  });

  it("keeps each class's share with stratify", () => {
    // 90 of class 0, 10 of class 1: an unstratified 20% split may hold any number of 1s.
    const labels = Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    for (const seed of [1, 2, 3, 4]) {
      const { train, test } = trainTestSplit(100, { testFraction: 0.2, seed, stratify: labels });
      expect(test.filter((i) => labels[i] === 1)).toHaveLength(2);
      expect(test.filter((i) => labels[i] === 0)).toHaveLength(18);
      expect(train.filter((i) => labels[i] === 1)).toHaveLength(8);
    }
    // Rounding by largest remainder still gives round(n × fraction) in total.
    const three = Array.from({ length: 10 }, (_, i) => ["a", "b", "c"][i % 3]);
    expect(trainTestSplit(10, { testFraction: 0.5, stratify: three }).test).toHaveLength(5);
  });

  it("refuses bad arguments with what to do", () => {
    expect(() => trainTestSplit(1)).toThrow(DataError);
    expect(() => trainTestSplit(10, { testFraction: 1 })).toThrow(/between 0 and 1/);
    expect(() => trainTestSplit(10, { stratify: [0, 1] })).toThrow(/one label per sample/);
  });
});

describe("takeRows / takeSamples", () => {
  it("pick rows and flat samples in index order", () => {
    expect(takeRows(["a", "b", "c"], [2, 0])).toEqual(["c", "a"]);
    const images = Float32Array.from([0, 0, 1, 1, 2, 2]);
    const picked = takeSamples(images, 2, [2, 0]);
    expect(picked).toBeInstanceOf(Float32Array);
    expect(Array.from(picked)).toEqual([2, 2, 0, 0]);
    expect(() => takeSamples(images, 4, [0])).toThrow(/do not divide/);
    expect(() => takeRows([1], [3])).toThrow(DataError);
  });
});

describe("fitStandardScaler", () => {
  it("learns mean and population std, and maps a constant column to 0", () => {
    const s = fitStandardScaler([
      [1, 10, 5],
      [3, 10, 5],
      [5, 10, 5],
    ]);
    expect(s.mean).toEqual([3, 10, 5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(s.std.slice(1)).toEqual([1, 1]);
    const t = s.transform([[3, 10, 5], [5, 12, 5]]);
    expect(t[0]).toEqual([0, 0, 0]);
    expect(t[1][0]).toBeCloseTo(2 / Math.sqrt(8 / 3), 12);
    expect(t[1][1]).toBe(2);
  });

  it("round-trips through JSON for scoring elsewhere", () => {
    const s = fitStandardScaler([[1, 2], [3, 6], [8, 1]]);
    const copy = standardScalerFrom(JSON.parse(JSON.stringify(s)));
    expect(copy.transformRow([4, 4])).toEqual(s.transformRow([4, 4]));
    expect(() => copy.transformRow([1])).toThrow(/2 columns/);
    expect(() => standardScalerFrom({ mean: [0], std: [0] })).toThrow(DataError);
  });
});
