import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { breastCancerFrame, datasetsDir, DataError, loadBreastCancer, loadDigits } from "../../lib/data/index.js";

describe("loadBreastCancer", () => {
  it("reads the shipped scikit-learn CSV: 569 × 30, 212 malignant, 357 benign", () => {
    const d = loadBreastCancer();
    expect(d.features).toHaveLength(569);
    expect(d.features.every((r) => r.length === 30)).toBe(true);
    expect(d.labelNames).toEqual(["malignant", "benign"]);
    expect(d.labels.filter((l) => l === 0)).toHaveLength(212);
    expect(d.labels.filter((l) => l === 1)).toHaveLength(357);
    expect(d.featureNames[0]).toBe("mean radius");
    expect(d.featureNames[10]).toBe("radius error");
    expect(d.featureNames[29]).toBe("worst fractal dimension");
    // First sample as in sklearn.datasets.load_breast_cancer().data[0].
    expect(d.features[0].slice(0, 4)).toEqual([17.99, 10.38, 122.8, 1001]);
    expect(d.labels[0]).toBe(0);
    expect(d.source).toContain("10.24432/C5DW2B");
    expect(d.licence).toContain("CC BY 4.0");
  });

  it("hands out copies, and ships the file byte for byte as scikit-learn has it", () => {
    const a = loadBreastCancer();
    a.features[0][0] = -1;
    expect(loadBreastCancer().features[0][0]).toBe(17.99);
    const file = readFileSync(path.join(datasetsDir(), "breast_cancer.csv"));
    expect(createHash("sha256").update(file).digest("hex")).toBe("fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed");
    expect(readFileSync(path.join(datasetsDir(), "README.md"), "utf8")).toContain("fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed");
  });

  it("as a danfojs-node DataFrame with target and diagnosis columns", { timeout: 30_000 }, async () => {
    const df = await breastCancerFrame();
    expect(df.shape).toEqual([569, 32]);
    expect(df.columns.slice(-3)).toEqual(["worst fractal dimension", "target", "diagnosis"]);
    const diagnosis = (df as unknown as { column(name: string): { values: string[] } }).column("diagnosis").values;
    expect(diagnosis.filter((v) => v === "malignant")).toHaveLength(212);
  });
});

describe("loadDigits", { timeout: 30_000 }, () => {
  it("samples balanced 28×28×1 images in [0, 1] from the mnist package", async () => {
    const d = await loadDigits({ count: 205, seed: 3 });
    expect(d.shape).toEqual([205, 28, 28, 1]);
    expect(d.images).toBeInstanceOf(Float32Array);
    expect(d.images).toHaveLength(205 * 784);
    expect(d.labels).toBeInstanceOf(Int32Array);
    expect(d.classes).toBe(10);
    const counts = new Array(10).fill(0);
    for (const l of d.labels) counts[l]++;
    expect(counts).toEqual([21, 21, 21, 21, 21, 20, 20, 20, 20, 20]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of d.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // Each image has ink: a digit, not padding.
    for (let i = 0; i < 205; i++) expect(d.images.subarray(i * 784, (i + 1) * 784).reduce((a, v) => a + v, 0)).toBeGreaterThan(10);
    expect(d.licence).toContain("CC BY-SA 3.0");
  });

  it("is deterministic for a seed, different across seeds, and not sorted by digit", async () => {
    const a = await loadDigits({ count: 100, seed: 1 });
    const b = await loadDigits({ count: 100, seed: 1 });
    const c = await loadDigits({ count: 100, seed: 2 });
    expect(a.labels).toEqual(b.labels);
    expect(a.images).toEqual(b.images);
    expect(Array.from(a.labels)).not.toEqual(Array.from(c.labels));
    expect(Array.from(a.labels)).not.toEqual([...a.labels].sort((x, y) => x - y));
  });

  it("says how many it can give", async () => {
    await expect(loadDigits({ count: 9000 })).rejects.toThrow(/1 to 8630 when balanced/);
    await expect(loadDigits({ count: 0 })).rejects.toBeInstanceOf(DataError);
    const all = await loadDigits({ count: 10_000, balanced: false, seed: 1 });
    const counts = new Array(10).fill(0);
    for (const l of all.labels) counts[l]++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });
});
