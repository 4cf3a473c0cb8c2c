// Training throughput (samples/s) of the two tutorial models on each tfjs backend this machine
// has, in one run, as ratios: against the cpu backend, and — for the CNN — the toolkit's Conv2D
// filter gradient against tfjs's stock cpu kernel (wasm has none, so only ours can train there).
import * as tf from "@tensorflow/tfjs";
import { fitStandardScaler, loadBreastCancer, loadDigits } from "../../lib/data/index.js";
import { buildDigitsCnn, buildTabularModel, fitModel, probeBackends, registerConvGradients, selectBackend, unregisterConvGradients } from "../../lib/train/index.js";
import { median, table } from "./format.js";
import type { BenchSuite } from "./suite.js";

interface Case {
  model: "tabular MLP" | "digits CNN";
  backend: string;
  kernel: "stock" | "toolkit" | "-";
  samples: number;
  samplesPerSecond: number[];
}

async function measure(kind: Case["model"], backend: string, kernel: Case["kernel"], samples: number, reps: number): Promise<Case> {
  await selectBackend(backend as Parameters<typeof selectBackend>[0]);
  if (kernel === "toolkit") registerConvGradients();
  else unregisterConvGradients();
  const rates: number[] = [];
  let x: tf.Tensor;
  let y: number[];
  if (kind === "tabular MLP") {
    const d = loadBreastCancer();
    const rows = fitStandardScaler(d.features).transform(d.features);
    x = tf.tensor2d(rows.slice(0, samples));
    y = d.labels.slice(0, samples);
  } else {
    const d = await loadDigits({ count: samples, seed: 1 });
    x = tf.tensor4d(d.images, d.shape);
    y = Array.from(d.labels);
  }
  for (let r = 0; r <= reps; r++) {
    const model = kind === "tabular MLP" ? buildTabularModel({ inputDim: 30, seed: r }) : buildDigitsCnn({ seed: r });
    // The first run warms up (kernel compilation, wasm start-up) and is not counted.
    const fit = await fitModel(model, x, y, { epochs: kind === "tabular MLP" ? 5 : 1, batchSize: kind === "tabular MLP" ? 32 : 64, seed: r, progress: false, ensureTrainable: false });
    if (r > 0) rates.push(fit.samplesPerSecond);
    model.dispose();
  }
  x.dispose();
  return { model: kind, backend, kernel, samples, samplesPerSecond: rates };
}

export const trainingSuite: BenchSuite = {
  name: "training",
  title: "Training throughput of the tutorial models per tfjs backend",
  goal: "report samples/s per backend as ratios to cpu (GPU figures need a GPU machine)",
  async run(ctx) {
    const available = (await probeBackends()).filter((p) => p.available).map((p) => p.name);
    ctx.log(`backends available: ${available.join(", ")}`);
    const cases: Case[] = [];
    for (const backend of available) {
      ctx.log(`tabular MLP on ${backend}…`);
      cases.push(await measure("tabular MLP", backend, "-", 569, ctx.reps));
    }
    // tfjs's stock cpu Conv2DBackpropFilter is slow: a small sample keeps this case short.
    ctx.log("digits CNN on cpu, stock kernels…");
    cases.push(await measure("digits CNN", "cpu", "stock", 128, Math.min(ctx.reps, 2)));
    for (const backend of available.filter((b) => b === "cpu" || b === "wasm")) {
      ctx.log(`digits CNN on ${backend}, toolkit kernel…`);
      cases.push(await measure("digits CNN", backend, "toolkit", 1000, ctx.reps));
    }
    for (const backend of available.filter((b) => b !== "cpu" && b !== "wasm")) {
      ctx.log(`digits CNN on ${backend}…`);
      cases.push(await measure("digits CNN", backend, "-", 1000, ctx.reps));
    }
    unregisterConvGradients();
    const base = (model: string) => median(cases.find((c) => c.model === model && c.backend === "cpu" && c.kernel !== "toolkit")!.samplesPerSecond);
    const rows = cases.map((c) => {
      const rate = median(c.samplesPerSecond);
      return [c.model, c.backend, c.kernel, String(c.samples), rate.toFixed(0), (rate / base(c.model)).toFixed(1) + "x"];
    });
    const rate = (model: string, backend: string, kernel: string) => median(cases.find((c) => c.model === model && c.backend === backend && c.kernel === kernel)?.samplesPerSecond ?? [NaN]);
    const wasmCnn = rate("digits CNN", "wasm", "toolkit");
    const stockCnn = rate("digits CNN", "cpu", "stock");
    return {
      table: table(["model", "backend", "conv grad", "samples", "samples/s (median)", "vs cpu"], rows),
      verdict: {
        pass: Number.isFinite(wasmCnn),
        text: `digits CNN: wasm with the toolkit's gradient ${wasmCnn.toFixed(0)} samples/s = ${(wasmCnn / stockCnn).toFixed(0)}x tfjs's stock cpu (${stockCnn.toFixed(0)}/s)`,
      },
      data: { cases },
    };
  },
};
