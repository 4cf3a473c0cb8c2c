// The tutorial models on the shipped datasets: what they reach, as the notebooks will show it.
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { fitStandardScaler, loadBreastCancer, loadDigits, takeRows, takeSamples, trainTestSplit } from "../../lib/data/index.js";
import { buildDigitsCnn, buildTabularModel, evaluateClassifier, fitModel, layerClassNames, registerConvGradients, selectBackend, unregisterConvGradients } from "../../lib/train/index.js";

afterAll(() => unregisterConvGradients());

describe("buildTabularModel / buildDigitsCnn", () => {
  it("have the documented layers, sizes and loss", () => {
    const mlp = buildTabularModel({ inputDim: 30 });
    expect(mlp.layers.map((l) => l.getClassName())).toEqual(["Dense", "Dropout", "Dense", "Dropout", "Dense"]);
    expect(mlp.countParams()).toBe(30 * 32 + 32 + 32 * 16 + 16 + 16 * 2 + 2);
    expect(mlp.outputs[0].shape).toEqual([null, 2]);
    expect(mlp.loss).toBe("sparseCategoricalCrossentropy");
    const cnn = buildDigitsCnn();
    expect(layerClassNames(cnn)).toEqual(["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout"]);
    expect(cnn.layers).toHaveLength(8);
    expect(cnn.countParams()).toBe(14_410);
    expect(cnn.outputs[0].shape).toEqual([null, 10]);
    // For binary problems: one sigmoid output, binary crossentropy; other activations and SGD.
    const binary = buildTabularModel({ inputDim: 8, hidden: [16], activation: "tanh", output: "sigmoid", dropout: 0, optimizer: "sgd", learningRate: 0.1, seed: 3 });
    expect(binary.layers.map((l) => l.getClassName())).toEqual(["Dense", "Dense"]);
    expect(binary.outputs[0].shape).toEqual([null, 1]);
    expect(binary.loss).toBe("binaryCrossentropy");
    expect((binary.layers[0].getConfig() as { activation: string }).activation).toBe("tanh");
    expect(binary.optimizer.getClassName()).toBe("SGD");
    expect(Array.from(binary.getWeights()[0].dataSync())).toEqual(Array.from(buildTabularModel({ inputDim: 8, hidden: [16], output: "sigmoid", seed: 3 }).getWeights()[0].dataSync()));
    expect(() => buildTabularModel({ inputDim: 8, classes: 3, output: "sigmoid" })).toThrow(/two classes/);
    // The same seed builds the same weights.
    const a = buildDigitsCnn({ seed: 4 }).getWeights()[0].dataSync();
    const b = buildDigitsCnn({ seed: 4 }).getWeights()[0].dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe("tutorial accuracy", { timeout: 60_000 }, () => {
  it("the MLP separates the breast cancer test set (accuracy ≥ 0.93, AUC ≥ 0.98)", async () => {
    await selectBackend("wasm");
    const d = loadBreastCancer();
    const split = trainTestSplit(d.features.length, { testFraction: 0.2, seed: 1, stratify: d.labels });
    const scaler = fitStandardScaler(takeRows(d.features, split.train));
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    const r = await fitModel(model, scaler.transform(takeRows(d.features, split.train)), takeRows(d.labels, split.train), { epochs: 30, batchSize: 32, seed: 1, progress: false });
    const report = await evaluateClassifier(model, scaler.transform(takeRows(d.features, split.test)), takeRows(d.labels, split.test), { labels: d.labelNames });
    expect(r.backend).toBe("wasm");
    expect(report.samples).toBe(114);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(report.auc).toBeGreaterThanOrEqual(0.98);
    model.dispose();
  });

  it("the CNN learns digits on wasm with registerConvGradients (accuracy ≥ 0.75 after 3 epochs on 1,200)", async () => {
    registerConvGradients();
    await selectBackend("wasm");
    const d = await loadDigits({ count: 1500, seed: 1 });
    const split = trainTestSplit(1500, { testFraction: 0.2, seed: 1, stratify: d.labels });
    const x = tf.tensor4d(takeSamples(d.images, 784, split.train), [split.train.length, 28, 28, 1]);
    const xTest = tf.tensor4d(takeSamples(d.images, 784, split.test), [split.test.length, 28, 28, 1]);
    const model = buildDigitsCnn({ seed: 1 });
    const r = await fitModel(model, x, takeRows(d.labels, split.train), { epochs: 3, batchSize: 32, seed: 1, progress: false });
    const report = await evaluateClassifier(model, xTest, takeRows(d.labels, split.test));
    expect(r.backend).toBe("wasm");
    expect(r.history[2].loss).toBeLessThan(r.history[0].loss);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(300);
    tf.dispose([x, xTest]);
    model.dispose();
  });
});
