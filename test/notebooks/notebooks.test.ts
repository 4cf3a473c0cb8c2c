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
  "2-2-realtime-scoring-ml.ipynb": (g) => {
    // The served model is the trained one: same test accuracy, same numbers as in-process ORT.
    expect(g.served_test_accuracy as number).toBeGreaterThan(0.9);
    expect(Math.abs((g.served_test_accuracy as number) - (g.training_accuracy as number))).toBeLessThanOrEqual(1 / 114);
    expect(g.max_abs_diff_vs_onnxruntime as number).toBeLessThan(1e-5);
    expect(g.v2_matches_score).toBe(true);
    expect(g.bad_request_statuses).toEqual([400, 400, 400, 400, 401]);
    expect(g.requests).toBe(2000);
    expect(g.errors).toBe(0);
    expect(g.requests_per_second as number).toBeGreaterThan(0);
    expect(g.p50_ms as number).toBeGreaterThan(0);
    expect(g.p99_ms as number).toBeGreaterThanOrEqual(g.p50_ms as number);
    // 16 concurrent clients: the micro-batcher merges requests into shared runs.
    expect(g.requests_per_run as number).toBeGreaterThan(1);
    expect(g.exit_code).toBe(0);
    expect(g.request_log_lines as number).toBeGreaterThanOrEqual(2000);
  },
  "2-4-batch-scoring-ml.ipynb": (g) => {
    expect(g.partitions).toBe(9);
    expect(g.first_run_stopped).toBe(true);
    expect(g.committed_after_stop as number).toBeGreaterThanOrEqual(3);
    expect(g.committed_after_stop as number).toBeLessThan(9);
    // The second run skipped what the first committed, and every row is there exactly once.
    expect(g.skipped_on_resume).toBe(g.committed_after_stop);
    expect(g.quarantined).toBe(1);
    expect(g.rows_in_input).toBe(40_000);
    expect(g.rows_scored).toBe(40_000);
    expect(g.duplicates).toBe(0);
    expect(g.missing).toBe(0);
    expect(g.extra).toBe(0);
    expect(g.batch_accuracy as number).toBeGreaterThan(0.9);
    expect(g.rows_per_second as number).toBeGreaterThan(0);
  },
  "2-5-realtime-scoring-dl.ipynb": (g) => {
    // A PNG body, base64 images in JSON and a V2 BYTES tensor are the same image, the same answer.
    expect(g.three_ways_agree).toBe(true);
    // Wrong size, not an image, truncated, not base64: 400; a content type it does not take: 415.
    expect(g.refused_statuses).toEqual([400, 400, 400, 400, 415]);
    expect(g.served_accuracy as number).toBeGreaterThan(0.75);
    // Same pixels (PNG-rounded) as in-process ONNX Runtime.
    expect(g.max_abs_diff_vs_onnxruntime as number).toBeLessThan(1e-5);
    expect(g.requests).toBe(600);
    expect(g.errors).toBe(0);
    expect(g.images_per_second as number).toBeGreaterThan(0);
    expect(g.p99_ms as number).toBeGreaterThanOrEqual(g.p50_ms as number);
    expect(g.exit_code).toBe(0);
  },
  "2-6-batch-scoring-dl.ipynb": (g) => {
    // 2,002 files in partitions of 250; the two bad images quarantined on their own.
    expect(g.partitions).toBe(9);
    expect(g.images_scored).toBe(2000);
    expect(g.images_quarantined).toBe(2);
    expect(g.quarantine_reasons).toBe(2);
    expect(g.duplicates).toBe(0);
    expect(g.missing).toBe(0);
    expect(g.batch_accuracy as number).toBeGreaterThan(0.75);
    expect(g.images_per_second as number).toBeGreaterThan(0);
    // Run again: everything committed, nothing scored twice.
    expect(g.resume_skipped).toBe(9);
    expect(g.resume_scored).toBe(0);
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
