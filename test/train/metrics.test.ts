import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { classificationReport, confusionMatrix, evaluateClassifier, rocAuc, TrainError } from "../../lib/train/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("rocAuc", () => {
  it("matches a hand-computed case with ties", () => {
    // Positives score 0.9, 0.7, 0.7; negatives 0.8, 0.3, 0.7. Of the 9 (positive, negative) pairs the
    // positive wins 0.9>0.8, 0.9>0.3, 0.9>0.7, 0.7>0.3 twice, and ties 0.7=0.7 twice (½ each): 6/9.
    expect(rocAuc([1, 0, 1, 1, 0, 0], [0.9, 0.8, 0.7, 0.7, 0.3, 0.7])).toBeCloseTo(6 / 9, 12);
  });

  it("is 1 for a perfect ranking, 0 for a reversed one, ½ for constant scores, NaN without both classes", () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });
});

describe("classificationReport", () => {
  it("computes accuracy, per-class precision/recall/F1 and macro averages by hand", () => {
    const r = classificationReport([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ["a", "b", "c"]);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    expect(r.perClass.map((c) => c.precision)).toEqual([0.5, 2 / 3, 1]);
    expect(r.perClass.map((c) => c.recall)).toEqual([0.5, 1, 0.5]);
    expect(r.perClass[1].f1).toBeCloseTo(0.8, 12);
    expect(r.perClass[2].f1).toBeCloseTo(2 / 3, 12);
    expect(r.macro.f1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
    expect(r.perClass.map((c) => c.support)).toEqual([2, 2, 2]);
  });

  it("scores a class that is never predicted 0, not NaN", () => {
    const r = classificationReport([0, 1], [0, 0], ["x", "y"]);
    expect(r.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it("rejects class ids outside the labels", () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 2)).toThrow(TrainError);
  });
});

describe("evaluateClassifier", () => {
  it("takes probabilities and adds the AUC of class 1 for a binary problem", async () => {
    const probs = [
      [0.1, 0.9],
      [0.8, 0.2],
      [0.3, 0.7],
      [0.6, 0.4],
    ];
    const r = await evaluateClassifier(probs, [1, 0, 0, 1], { labels: ["neg", "pos"] });
    expect(r.labels).toEqual(["neg", "pos"]);
    expect(r.accuracy).toBe(0.5);
    // Positives score 0.9 and 0.4, negatives 0.2 and 0.7: 3 of 4 pairs won.
    expect(r.auc).toBeCloseTo(0.75, 12);
    const single = await evaluateClassifier([[0.9], [0.2], [0.7], [0.4]], [1, 0, 0, 1]);
    expect(single.auc).toBeCloseTo(0.75, 12);
    expect(single.accuracy).toBe(0.5);
    // Mean cross-entropy: −ln of each sample's probability of its true class.
    const ce = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.3) + Math.log(0.4)) / 4;
    expect(r.loss).toBeCloseTo(ce, 12);
    expect(single.loss).toBeCloseTo(ce, 12);
    expect((await evaluateClassifier([[0, 1]], [0])).loss).toBeCloseTo(-Math.log(1e-7), 6); // clipped, not Infinity
  });

  it("predicts with a model, leaving no tensors behind", async () => {
    // A fixed softmax layer: class 1 when x0 > x1.
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], activation: "softmax", weights: [tf.tensor2d([[-5, 5], [5, -5]]), tf.zeros([2])] })] });
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, 0], [0, 1], [2, 1], [0, 3], [1, 1.5]]);
    const r = await evaluateClassifier(model, x, [1, 0, 1, 0, 1]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(r.confusion).toEqual([
      [2, 0],
      [1, 2],
    ]);
    expect(r.auc).toBe(1);
    const fromRows = await evaluateClassifier(model, [[1, 0], [0, 1]], tf.tensor1d([1, 0]));
    expect(fromRows.accuracy).toBe(1);
    model.dispose();
  });

  it("says when predictions and labels disagree in length", async () => {
    await expect(evaluateClassifier([[0.1, 0.9]], [0, 1])).rejects.toThrow(/1 predictions for 2 labels/);
  });
});
