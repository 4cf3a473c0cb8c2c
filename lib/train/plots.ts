import { vegaLiteToSvg, type SvgOptions, type VegaLiteSpec } from "../data/index.js";
import type { EpochLogs } from "./checkpoint.js";

const METRIC_TITLES: Record<string, string> = { loss: "loss", acc: "accuracy", accuracy: "accuracy" };

/**
 * A Vega-Lite spec of training curves: one panel per metric (loss, accuracy, and any other logged
 * metric with a val_ twin or not), train and validation as two coloured lines over the epochs.
 */
export function trainingCurvesSpec(history: readonly EpochLogs[], options: { metrics?: string[]; width?: number; height?: number } = {}): VegaLiteSpec {
  const keys = new Set<string>();
  for (const h of history) for (const k of Object.keys(h)) if (k !== "epoch") keys.add(k.replace(/^val_/, ""));
  const metrics = options.metrics ?? ["loss", "acc", "accuracy", ...[...keys].filter((k) => k !== "loss" && k !== "acc" && k !== "accuracy").sort()].filter((k) => keys.has(k));
  const values: Array<{ epoch: number; metric: string; split: string; value: number }> = [];
  for (const h of history) {
    for (const m of metrics) {
      const title = METRIC_TITLES[m] ?? m;
      if (Number.isFinite(h[m])) values.push({ epoch: h.epoch + 1, metric: title, split: "train", value: h[m] });
      if (Number.isFinite(h[`val_${m}`])) values.push({ epoch: h.epoch + 1, metric: title, split: "validation", value: h[`val_${m}`] });
    }
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values },
    facet: { column: { field: "metric", type: "nominal", title: null, sort: metrics.map((m) => METRIC_TITLES[m] ?? m) } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: options.width ?? 260,
      height: options.height ?? 180,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        color: { field: "split", type: "nominal", title: null, scale: { domain: ["train", "validation"] } },
      },
    },
  };
}

/** Training curves (loss and accuracy, train vs validation) as an SVG string. */
export function plotTrainingCurves(history: readonly EpochLogs[], options: SvgOptions & { metrics?: string[]; width?: number; height?: number } = {}): Promise<string> {
  return vegaLiteToSvg(trainingCurvesSpec(history, options), options);
}

/** A Vega-Lite spec of a confusion matrix heatmap (rows: true class, columns: predicted) with counts. */
export function confusionMatrixSpec(matrix: readonly (readonly number[])[], labels: readonly string[], options: { cellSize?: number; title?: string } = {}): VegaLiteSpec {
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ actual: labels[t] ?? String(t), predicted: labels[p] ?? String(p), count })));
  const max = Math.max(1, ...values.map((v) => v.count));
  const size = options.cellSize ?? (labels.length > 4 ? 32 : 64);
  const order = labels.slice();
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(options.title ? { title: options.title } : {}),
    data: { values },
    width: size * labels.length,
    height: size * labels.length,
    encoding: {
      x: { field: "predicted", type: "ordinal", sort: order, title: "predicted", axis: { labelAngle: 0 } },
      y: { field: "actual", type: "ordinal", sort: order, title: "actual" },
    },
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { scheme: "blues", domain: [0, max] }, title: "count" } } },
      {
        mark: { type: "text", fontSize: labels.length > 6 ? 10 : 13 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: `datum.count > ${max / 2}`, value: "white" }, value: "black" },
        },
      },
    ],
  };
}

/** A confusion matrix heatmap with counts as an SVG string. */
export function plotConfusionMatrix(matrix: readonly (readonly number[])[], labels: readonly string[], options: SvgOptions & { cellSize?: number; title?: string } = {}): Promise<string> {
  return vegaLiteToSvg(confusionMatrixSpec(matrix, labels, options), options);
}
