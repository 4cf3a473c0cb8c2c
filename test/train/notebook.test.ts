// lib/data and lib/train inside a real tslab kernel (which compiles lib/ to CommonJS with its own
// TypeScript): training shows one progress display, updated in place, and the results glue out.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runNotebook } from "../../lib/notebook/index.js";
import { tempDir } from "../support/temp.js";

const cells = [
  `import { loadBreastCancer, trainTestSplit, fitStandardScaler, takeRows } from "./lib/data/index.js";
import { selectBackend, fitModel, buildTabularModel, evaluateClassifier } from "./lib/train/index.js";
import { glue } from "./lib/notebook/index.js";
await selectBackend("wasm");
const d = loadBreastCancer();
const split = trainTestSplit(d.features.length, { seed: 1, stratify: d.labels });
const scaler = fitStandardScaler(takeRows(d.features, split.train));
const model = buildTabularModel({ inputDim: 30, seed: 1 });`,
  `const result = await fitModel(model, scaler.transform(takeRows(d.features, split.train)), takeRows(d.labels, split.train), { epochs: 3, batchSize: 8, seed: 1, validationSplit: 0.2 });`,
  `const report = await evaluateClassifier(model, scaler.transform(takeRows(d.features, split.test)), takeRows(d.labels, split.test));
glue("epochs", result.history.length);
glue("accuracy", report.accuracy);
glue("scaler", scaler.toJSON());`,
];

describe("training in a tslab notebook", { timeout: 120_000 }, () => {
  it("updates one progress display in place and glues the results", async () => {
    const dir = tempDir("cai-train-nb-");
    const file = path.join(dir, "train.ipynb");
    writeFileSync(
      file,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
        cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })),
      }),
    );
    const result = await runNotebook(file, { outputPath: path.join(dir, "out.ipynb"), cwd: process.cwd() });
    expect(result.error, result.error?.message).toBeUndefined();
    const fitCell = result.cells[1];
    const displays = fitCell.outputs.filter((o) => o.output_type === "display_data");
    expect(displays).toHaveLength(1);
    const text = [(displays[0] as { data: Record<string, string | string[]> }).data["text/plain"]].flat().join("");
    expect(text).toMatch(/^training on wasm: 364 samples, 46 batches\/epoch/);
    expect(text).toMatch(/epoch 3\/3 · loss [\d.]+ · acc [\d.]+ · val_loss [\d.]+ · val_acc [\d.]+ · [\d,]+ samples\/s/);
    expect(text).toMatch(/trained 3 epochs in [\d.]+ s on wasm/);
    expect(result.glue.epochs).toBe(3);
    expect(result.glue.accuracy as number).toBeGreaterThan(0.85);
    expect((result.glue.scaler as { mean: number[] }).mean).toHaveLength(30);
  });
});
