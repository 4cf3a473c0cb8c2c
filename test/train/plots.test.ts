import { describe, expect, it } from "vitest";
import { confusionMatrixSpec, plotConfusionMatrix, plotTrainingCurves, trainingCurvesSpec } from "../../lib/train/index.js";

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const history = [
  { epoch: 0, loss: 0.9, acc: 0.6, val_loss: 1.0, val_acc: 0.55 },
  { epoch: 1, loss: 0.5, acc: 0.8, val_loss: 0.7, val_acc: 0.7 },
  { epoch: 2, loss: 0.3, acc: 0.9, val_loss: 0.6, val_acc: 0.75 },
];

describe("plotTrainingCurves", { timeout: 30_000 }, () => {
  it("draws loss and accuracy panels with train and validation lines", async () => {
    const svg = await plotTrainingCurves(history);
    expect(svg.startsWith("<svg")).toBe(true);
    const words = texts(svg);
    for (const w of ["loss", "accuracy", "train", "validation", "epoch"]) expect(words).toContain(w);
    // Two panels × two lines.
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(4);
  });

  it("puts one point per epoch and split into the data, epochs counted from 1", () => {
    const spec = trainingCurvesSpec(history) as { data: { values: Array<{ epoch: number; metric: string; split: string; value: number }> } };
    expect(spec.data.values).toHaveLength(12);
    expect(spec.data.values).toContainEqual({ epoch: 3, metric: "accuracy", split: "validation", value: 0.75 });
    const trainOnly = trainingCurvesSpec([{ epoch: 0, loss: 1 }]) as typeof spec;
    expect(trainOnly.data.values).toEqual([{ epoch: 1, metric: "loss", split: "train", value: 1 }]);
  });
});

describe("plotConfusionMatrix", { timeout: 30_000 }, () => {
  it("draws a heatmap cell and a count per pair, with the class names", async () => {
    const svg = await plotConfusionMatrix(
      [
        [38, 4],
        [1, 71],
      ],
      ["malignant", "benign"],
    );
    const words = texts(svg);
    for (const w of ["38", "4", "1", "71", "malignant", "benign", "predicted", "actual"]) expect(words).toContain(w);
    const spec = confusionMatrixSpec([[1, 2], [3, 4]], ["a", "b"]) as { data: { values: unknown[] } };
    expect(spec.data.values).toContainEqual({ actual: "b", predicted: "a", count: 3 });
  });
});
