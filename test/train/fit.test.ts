import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { trainTestSplit } from "../../lib/data/index.js";
import { buildTabularModel, evaluateClassifier, fitModel, TrainError, type FitProgress, type TrainingProgress } from "../../lib/train/index.js";
import { tabular } from "./fixtures/tabular.js";
import { tempDir } from "../support/temp.js";

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));
const tmp = () => tempDir("cai-fit-");

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("fitModel", { timeout: 60_000 }, () => {
  const { x, y } = tabular(160);

  it("is reproducible on cpu: the same seeds give the same split and the same final weights", async () => {
    const run = async (seed: number) => {
      const split = trainTestSplit(x.length, { seed, stratify: y });
      const model = buildTabularModel({ inputDim: 30, seed });
      const result = await fitModel(model, split.train.map((i) => x[i]), split.train.map((i) => y[i]), { epochs: 3, batchSize: 16, seed, progress: false });
      const weights = weightsOf(model);
      model.dispose();
      return { split, weights, history: result.history, seed: result.seed };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b.split).toEqual(a.split);
    expect(b.history).toEqual(a.history);
    expect(b.weights).toEqual(a.weights); // bit for bit
    expect(a.seed).toBe(11);
    expect(c.weights).not.toEqual(a.weights);
  });

  it("learns, logs loss/acc and val_loss/val_acc per epoch, and reports throughput", async () => {
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    const r = await fitModel(model, x, y, { epochs: 4, batchSize: 16, seed: 1, validationSplit: 0.25, progress: false });
    expect(r.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(Object.keys(r.history[0])).toEqual(["epoch", "loss", "acc", "val_loss", "val_acc"]);
    expect(r.history[3].loss).toBeLessThan(r.history[0].loss);
    expect(r.samplesPerSecond).toBeGreaterThan(0);
    expect(r.backend).toBe("cpu");
    expect(r.stoppedEarly).toBe(false);
    expect(r.epochsRun).toBe(4);
    model.dispose();
  });

  it("stops early when the monitored value stops improving", async () => {
    // A learning rate of 0: the loss never improves after the first epoch.
    const model = buildTabularModel({ inputDim: 30, seed: 1, learningRate: 0, dropout: 0 });
    const r = await fitModel(model, x, y, { epochs: 20, batchSize: 32, seed: 1, earlyStopping: { monitor: "loss", patience: 2 }, progress: false });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history).toHaveLength(3);
    expect(r.bestEpoch).toBe(0);
    model.dispose();
  });

  it("restores the best epoch's weights", async () => {
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    let best: number[][] = [];
    const r = await fitModel(model, x, y, {
      epochs: 10,
      batchSize: 16,
      seed: 1,
      validationSplit: 0.25,
      earlyStopping: { patience: 1, restoreBest: true },
      progress: false,
      onEpochEnd: (logs) => {
        if (logs.epoch !== 0) return;
        // Remember epoch 0's weights, then wreck them: epoch 1 validates far worse and training stops.
        best = weightsOf(model);
        model.setWeights(model.getWeights().map((w) => tf.tidy(() => w.mul(0).add(5))));
      },
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.bestEpoch).toBe(0);
    expect(r.history[1].val_loss).toBeGreaterThan(r.history[0].val_loss);
    expect(weightsOf(model)).toEqual(best);
    model.dispose();
  });

  it("drives a progress reporter", async () => {
    const events: string[] = [];
    const progress: TrainingProgress = {
      start: (i) => events.push(`start ${i.epochs} ${i.batchesPerEpoch}`),
      batch: (b) => events.push(`batch ${b.epoch}.${b.batch}`),
      epoch: (logs) => events.push(`epoch ${logs.epoch}`),
      end: () => events.push("end"),
    };
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    await fitModel(model, x.slice(0, 64), y.slice(0, 64), { epochs: 2, batchSize: 32, seed: 1, progress });
    expect(events).toEqual(["start 2 2", "batch 0.0", "batch 0.1", "epoch 0", "batch 1.0", "batch 1.1", "epoch 1", "end"]);
    model.dispose();
  });

  it("trains stepsPerEpoch batches per epoch, with hooks before and after each that may change the weights", async () => {
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    const events: string[] = [];
    let zeroed: number[][] = [];
    const steps = { epochs: 2, batchSize: 16, stepsPerEpoch: 3, seed: 1, progress: false as const };
    const r = await fitModel(model, x, y, {
      ...steps,
      onEpochBegin: (epoch) => {
        events.push(`begin ${epoch}`);
        if (epoch === 1) expect(weightsOf(model)).toEqual(zeroed);
      },
      onEpochEnd: (logs, stats) => {
        events.push(`end ${logs.epoch}: ${stats.samples} samples`);
        // As the distributed worker replaces them with the ranks' average: the next epoch starts from these.
        const zeros = model.getWeights().map((w) => tf.zerosLike(w));
        model.setWeights(zeros);
        tf.dispose(zeros);
        zeroed = weightsOf(model);
      },
    });
    expect(events).toEqual(["begin 0", "end 0: 48 samples", "begin 1", "end 1: 48 samples"]);
    expect(r.epochsRun).toBe(2);
    await expect(fitModel(model, x, y, { ...steps, stepsPerEpoch: 0 })).rejects.toThrow(/stepsPerEpoch must be a positive integer/);
    model.dispose();
  });

  it("leaks no tensors: training twice and predicting returns to the baseline", async () => {
    const baseline = tf.memory().numTensors;
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    const xt = tf.tensor2d(x);
    const yt = tf.tensor1d(y);
    const dir = tmp();
    const opts = { epochs: 3, batchSize: 32, seed: 1, validationData: [xt, yt] as [tf.Tensor, tf.Tensor], earlyStopping: true, checkpointDir: dir, progress: false as const };
    await fitModel(model, xt, yt, opts);
    const afterFirst = tf.memory().numTensors;
    await fitModel(model, x, y, { ...opts, validationData: undefined, validationSplit: 0.2 });
    await fitModel(model, x, y, { ...opts, epochs: 5, resume: true });
    expect(tf.memory().numTensors).toBe(afterFirst);
    const predicted = tf.tidy(() => model.predict(xt) as tf.Tensor);
    await predicted.data();
    predicted.dispose();
    await evaluateClassifier(model, xt, y);
    expect(tf.memory().numTensors).toBe(afterFirst);
    tf.dispose([xt, yt]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it("refuses options it cannot honour, saying what to do", async () => {
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    await expect(fitModel(model, x, y.slice(1), { progress: false })).rejects.toThrow(/x has 160 samples and y has 159/);
    await expect(fitModel(model, x, y, { epochs: 0, progress: false })).rejects.toThrow(TrainError);
    await expect(fitModel(model, x, y, { resume: true, progress: false })).rejects.toThrow(/needs a checkpointDir/);
    await expect(fitModel(model, x, y, { epochs: 1, earlyStopping: { monitor: "val_loss" }, progress: false })).rejects.toThrow(/val_loss.*Pass validationData/);
    await expect(fitModel(model, x, y, { epochs: 1, earlyStopping: { monitor: "auc" }, progress: false })).rejects.toThrow(/watches "auc", which training does not log/);
    const raw = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [30] })] });
    await expect(fitModel(raw, x, y, { progress: false })).rejects.toMatchObject({ code: "NOT_COMPILED" });
    raw.dispose();
    model.dispose();
  });

  it("stops on an AbortSignal and can resume from the last checkpoint", async () => {
    const dir = tmp();
    const controller = new AbortController();
    const seen: FitProgress[] = [];
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    const error = await fitModel(model, x, y, {
      epochs: 5,
      seed: 1,
      checkpointDir: dir,
      progress: false,
      abortSignal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.epoch === 1) controller.abort();
      },
    }).catch((e: unknown) => e);
    // onProgress: one event per epoch trained, with that epoch's logs.
    expect(seen.map((p) => [p.epoch, p.epochs])).toEqual([[0, 5], [1, 5]]);
    for (const p of seen) {
      expect(p.logs.epoch).toBe(p.epoch);
      expect(p.logs.loss).toBeGreaterThan(0);
      expect(p.samplesPerSecond).toBeGreaterThan(0);
    }
    expect(error).toBeInstanceOf(TrainError);
    expect((error as TrainError).code).toBe("ABORTED");
    expect((error as TrainError).message).toContain("resume: true");
    const r = await fitModel(model, x, y, { epochs: 5, checkpointDir: dir, resume: true, progress: false });
    expect(r.resumedFromEpoch).toBe(2);
    expect(r.epochsRun).toBe(3);
    expect(r.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3, 4]);
    model.dispose();
  });
});
