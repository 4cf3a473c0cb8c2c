// Every notebook in notebooks/ is a test: it runs headlessly through the real kernel, and its glued
// values are checked against the expectations below (ranges and tolerances, not "it ran").
// A new notebook joins automatically, and fails until it has expectations here.
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runNotebook, type NotebookResult } from "../../lib/notebook/index.js";

type Expectations = (glue: Record<string, unknown>, result: NotebookResult) => void;

const expectations: Record<string, Expectations> = {
  "00-getting-started.ipynb": (g) => {
    expect(g.node_major).toBeGreaterThanOrEqual(20);
    expect(g.target).toBe("local");
    expect(g.credentials_found).toBe(false);
    expect(["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"]).toContain(g.backend);
    expect(g.backends_available).toBeGreaterThanOrEqual(1);
    expect(g.sample_size).toBe(200);
    // y = 2x + 1 + N(0,1) with x uniform on [0, 10): mean of y near 11, fitted slope near 2.
    expect(g.sample_mean as number).toBeGreaterThan(10);
    expect(g.sample_mean as number).toBeLessThan(12);
    expect(g.fit_slope as number).toBeCloseTo(2, 1);
  },
  "1-1-single-node-training.ipynb": (g) => {
    expect(g.tabular_accuracy as number).toBeGreaterThan(0.9);
    expect(g.tabular_auc as number).toBeGreaterThan(0.95);
    // 1,600 training digits, 6 epochs of a small CNN: well above chance (0.1).
    expect(g.digits_accuracy as number).toBeGreaterThan(0.8);
    expect(g.onnx_max_diff_tabular as number).toBeLessThan(1e-4);
    expect(g.onnx_max_diff_digits as number).toBeLessThan(1e-4);
    // The second session resumed after the first half of the epochs (6 / 2).
    expect(g.resumed_from_epoch).toBe(3);
    expect(["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"]).toContain(g.backend);
    expect(g.cnn_samples_per_second as number).toBeGreaterThan(0);
  },
  "1-2-multi-node-training.ipynb": (g) => {
    expect(g.workers).toBe(2);
    expect(g.accuracy_1 as number).toBeGreaterThan(0.9);
    expect(g.accuracy_n as number).toBeGreaterThan(0.9);
    // Data-parallel training with parameter averaging must match the single worker.
    expect(g.accuracy_gap as number).toBeLessThanOrEqual(0.05);
    expect(g.sweep_trials).toBe(3);
    expect(g.sweep_best_val_accuracy as number).toBeGreaterThan(0.9);
  },
};

const dir = "notebooks";
const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
const outDir = path.join("out", "test-notebooks");

describe("notebooks", () => {
  it("there are notebooks to test", () => expect(notebooks.length).toBeGreaterThan(0));

  for (const file of notebooks) {
    // A tutorial trains models: minutes on a busy 2-core machine. The runner's cell time-out
    // (below) stops a hung cell first, with a message naming it.
    it(file, { timeout: 900_000 }, async () => {
      const check = expectations[file];
      expect(check, `add expectations for ${file}'s glued values in test/notebooks/notebooks.test.ts`).toBeDefined();
      const result = await runNotebook(path.join(dir, file), { outputPath: path.join(outDir, file), cellTimeoutMs: 300_000 });
      expect(result.error, result.error?.message).toBeUndefined();
      check(result.glue, result);
    });
  }
});
