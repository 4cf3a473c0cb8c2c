// Real processes of the worker entrypoint over a real Azurite: what a Kubernetes Indexed Job does.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "../../../lib/core/index.js";
import { loadModel } from "../../../lib/models/index.js";
import { runDistributedTraining, type WorkerConfigInput } from "../../../lib/train/distributed/index.js";

// Small enough for 2 shared cores; the same data and seed for both runs.
const TRAIN: WorkerConfigInput = {
  dataset: { name: "synthetic-binary", options: { samples: 1200, features: 8 } },
  model: { hidden: [16], activation: "relu" },
  hyper: { epochs: 6, batchSize: 32, learningRate: 0.02, optimizer: "adam" },
  seed: 11,
  barrierTimeoutMs: 60_000,
  pollMs: 100,
};
/** How close 1 and 2 workers must get on the held-out set. */
const TOLERANCE = 0.05;

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe("data-parallel training with local worker processes on Azurite", () => {
  it(`reaches the same accuracy (±${TOLERANCE}) with 2 workers, one of them slow, as with 1`, async () => {
    const storeUrl = azurite.containerUrl("training");
    const lines: string[] = [];
    const common = { storeUrl, connectionString: azurite.connectionString, train: TRAIN, job: { onLine: (l: string, r: number) => lines.push(`[rank ${r}] ${l}`) } };

    const one = await runDistributedTraining({ ...common, workers: 1, runId: "one" });
    // Rank 1 stalls 3 s before its second epoch: rank 0 must wait at that barrier, not fail.
    const two = await runDistributedTraining({ ...common, workers: 2, runId: "two", fault: { rank: 1, kind: "delay", epoch: 1, delayMs: 3_000 } });

    console.log(`1 worker: accuracy ${one.result?.accuracy} in ${one.job.durationMs} ms; 2 workers: accuracy ${two.result?.accuracy} in ${two.job.durationMs} ms, barrier waits ${two.result?.barrierWaitMs.join(",")} ms`);
    expect(one.job.exitCodes).toEqual([0]);
    expect(two.job.exitCodes).toEqual([0, 0]);
    const a = one.result!;
    const b = two.result!;
    expect(a.worldSize).toBe(1);
    expect(b.worldSize).toBe(2);
    expect(b.shardSizes).toEqual([480, 480]);
    expect(b.dataset.hash).toBe(a.dataset.hash);
    expect(a.accuracy).toBeGreaterThan(0.8);
    expect(Math.abs(a.accuracy - b.accuracy)).toBeLessThanOrEqual(TOLERANCE);
    expect(b.losses).toHaveLength(6);
    expect(b.losses[5]).toBeLessThan(b.losses[0]);
    // The stall happened and was waited for.
    expect(b.barrierWaitMs[1]).toBeGreaterThan(1_500);
    expect(lines.some((l) => l.startsWith("[rank 1] rank 1: stalling 3000 ms at epoch 1"))).toBe(true);
    expect(lines.some((l) => /^\[rank 0\] rank 0 epoch 6\/6: .* mean of 2/.test(l))).toBe(true);

    // Rank 0's model is in Blob storage and scores the test accuracy it reported.
    const { model, metadata } = await loadModel(b.modelUrl, { connectionString: azurite.connectionString });
    expect(b.modelUrl).toBe(azurite.containerUrl("training", "runs/two/model"));
    expect(metadata.metrics.accuracy).toBe(b.accuracy);
    expect(metadata.extra).toMatchObject({ runId: "two", worldSize: 2 });
    expect(metadata.inputs[0].shape).toEqual([null, 8]);
    const p = tf.tidy(() => (model.predict(tf.zeros([1, 8])) as tf.Tensor).dataSync()[0]);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    model.dispose();
  });
});
