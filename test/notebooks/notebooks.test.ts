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
};

const dir = "notebooks";
const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
const outDir = path.join("out", "test-notebooks");

describe("notebooks", () => {
  it("there are notebooks to test", () => expect(notebooks.length).toBeGreaterThan(0));

  for (const file of notebooks) {
    it(file, async () => {
      const check = expectations[file];
      expect(check, `add expectations for ${file}'s glued values in test/notebooks/notebooks.test.ts`).toBeDefined();
      const result = await runNotebook(path.join(dir, file), { outputPath: path.join(outDir, file), cellTimeoutMs: 600_000 });
      expect(result.error, result.error?.message).toBeUndefined();
      check(result.glue, result);
    });
  }
});
