// A hyperparameter sweep as a local Indexed Job: 3 configurations, 2 processes at a time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, openStore, startAzurite, type Azurite } from "../../../lib/core/index.js";
import { loadModel } from "../../../lib/models/index.js";
import { collectSweep, runLayout, runSweep, type SweepSummary } from "../../../lib/train/distributed/index.js";

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
});
afterAll(async () => {
  await azurite?.stop();
});

describe("hyperparameter sweep", () => {
  it("runs one configuration per index, picks the best on validation accuracy and keeps its model", async () => {
    const storeUrl = azurite.containerUrl("sweeps");
    const lines: string[] = [];
    // A learning rate too small to learn in 3 epochs, and two that can: the sweep must see it.
    const grid = { learningRate: [0.0001, 0.01, 0.05] };
    const run = await runSweep({
      runId: "lr",
      grid,
      parallelism: 2,
      storeUrl,
      connectionString: azurite.connectionString,
      train: { dataset: { name: "synthetic-binary", options: { samples: 800, features: 8 } }, hyper: { epochs: 3, batchSize: 32, learningRate: 0.01, optimizer: "adam" }, seed: 5 },
      job: { onLine: (l, r) => lines.push(`[rank ${r}] ${l}`) },
    });
    expect(run.job.exitCodes).toEqual([0, 0, 0]);
    const summary = run.summary!;
    expect(summary.trials.map((t) => t.config)).toEqual([{ learningRate: 0.0001 }, { learningRate: 0.01 }, { learningRate: 0.05 }]);
    expect(summary.trials.map((t) => t.hyper.learningRate)).toEqual([0.0001, 0.01, 0.05]);
    expect(summary.missing).toEqual([]);
    const best = Math.max(...summary.trials.map((t) => t.valAccuracy));
    expect(summary.best.valAccuracy).toBe(best);
    expect(summary.best.index).not.toBe(0);
    expect(summary.trials[0].valAccuracy).toBeLessThan(best - 0.05);
    expect(lines.some((l) => l.startsWith("[rank 2] trial 2/3: {\"learningRate\":0.05}"))).toBe(true);

    // The best model was copied and loads with its trial's metrics.
    expect(summary.bestModelUrl).toBe(azurite.containerUrl("sweeps", "runs/lr/best/model"));
    const { model, metadata } = await loadModel(summary.bestModelUrl!, { connectionString: azurite.connectionString });
    expect(metadata.metrics.valAccuracy).toBe(summary.best.valAccuracy);
    expect(metadata.extra).toMatchObject({ trial: summary.best.index, config: summary.best.config });
    model.dispose();

    const store = await openStore(storeUrl, { connectionString: azurite.connectionString });
    expect((await getJson<SweepSummary>(store, runLayout("lr").sweep))?.best.index).toBe(summary.best.index);
    // Collecting again gives the same answer (a notebook may re-read a finished sweep).
    expect((await collectSweep(store, "lr", { keepBest: false })).best.index).toBe(summary.best.index);
  });

  it("says when no trial finished", async () => {
    const store = await openStore(azurite.containerUrl("sweeps"), { connectionString: azurite.connectionString });
    await expect(collectSweep(store, "nothing")).rejects.toMatchObject({ code: "SWEEP_INCOMPLETE", message: expect.stringMatching(/No trial of sweep nothing finished/) });
  });
});
