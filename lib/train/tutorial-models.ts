// The two models the training tutorial (1-1) saves, for the scoring tutorials (2-x): used as they
// are when 1-1 has written them, else trained here the same way (shorter for the CNN) so that a
// scoring notebook also runs on its own. Written to a temporary folder and renamed into place, so a
// notebook running beside 1-1 never sees half a model.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { fitStandardScaler, loadBreastCancer, loadDigits, takeRows, takeSamples, trainTestSplit } from "../data/index.js";
import { findImageStep, hashData, imageInputStep, MODEL_FILES, readModelMetadata, saveServableModel, standardScalerStep } from "../models/index.js";
import { selectBackend } from "./backends.js";
import { fitModel } from "./fit.js";
import { evaluateClassifier } from "./metrics.js";
import { buildDigitsCnn, buildTabularModel } from "./models.js";

export type TutorialModelName = "breast-cancer-mlp" | "digits-cnn";

export interface TutorialModel {
  dir: string;
  name: TutorialModelName;
  /** false when the folder already held the model (from 1-1, or an earlier call). */
  trained: boolean;
  /** The metrics in its metadata.json (test accuracy, ...). */
  metrics: Record<string, number>;
}

export interface EnsureTutorialModelOptions {
  seed?: number;
  /** CNN only: digits to sample when it has to be trained here (80% train). Default 2000, as 1-1. */
  digits?: number;
  /** CNN only. Default 6, as 1-1. */
  epochs?: number;
  /** Print what happens. Default console.log. */
  log?: (line: string) => void;
}

/**
 * The model at `dir` when it is complete (model.onnx + valid metadata.json) and current (the CNN
 * records its image input step, which servers need to take image files), else why not.
 */
async function existing(dir: string, name: TutorialModelName): Promise<{ metrics: Record<string, number> } | { missing: string }> {
  const meta = path.join(dir, MODEL_FILES.metadata);
  if (!existsSync(path.join(dir, MODEL_FILES.onnx)) || !existsSync(meta)) return { missing: `${dir} holds no ${name} yet` };
  try {
    const metadata = await readModelMetadata(dir);
    if (name === "digits-cnn" && !findImageStep(metadata.preprocessing)) return { missing: `${dir} holds a ${name} saved without its image input step (by an older toolkit)` };
    return { metrics: metadata.metrics };
  } catch (error) {
    return { missing: `${meta} is not readable (${(error as Error).message})` };
  }
}

export async function ensureTutorialModel(name: TutorialModelName, dir: string, options: EnsureTutorialModelOptions = {}): Promise<TutorialModel> {
  const log = options.log ?? ((line: string) => console.log(line));
  const found = await existing(dir, name);
  if ("metrics" in found) {
    log(`Using ${name} from ${dir} (saved by the training tutorial 1-1).`);
    return { dir, name, trained: false, metrics: found.metrics };
  }
  log(`${found.missing} (notebooks/1-1-single-node-training.ipynb makes it): training it here…`);
  const parent = path.dirname(path.resolve(dir));
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(path.join(parent, `.${path.basename(dir)}-`));
  try {
    await selectBackend();
    if (name === "breast-cancer-mlp") await trainTabular(tmp, options.seed ?? 1, log);
    else await trainDigits(tmp, options, log);
    // An outdated model is replaced; one that appeared meanwhile (1-1 running beside us) is kept.
    if (existsSync(dir) && !("metrics" in (await existing(dir, name)))) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // 1-1 may be half-way through writing it: give it a few seconds to finish.
      for (let i = 0; i < 50 && !("metrics" in (await existing(dir, name))); i++) await new Promise((r) => setTimeout(r, 200));
      if (!("metrics" in (await existing(dir, name)))) throw error;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const saved = await existing(dir, name);
  if (!("metrics" in saved)) throw new Error(`${saved.missing} after training it.`);
  return { dir, name, trained: true, metrics: saved.metrics };
}

async function trainTabular(dir: string, seed: number, log: (l: string) => void): Promise<void> {
  const data = loadBreastCancer();
  const split = trainTestSplit(data.features.length, { testFraction: 0.2, seed: seed, stratify: data.labels });
  const scaler = fitStandardScaler(takeRows(data.features, split.train));
  const xTrain = scaler.transform(takeRows(data.features, split.train));
  const yTrain = takeRows(data.labels, split.train);
  const model = buildTabularModel({ inputDim: data.featureNames.length, classes: 2, seed });
  try {
    const fit = await fitModel(model, xTrain, yTrain, { epochs: 80, batchSize: 32, validationSplit: 0.2, earlyStopping: { patience: 10 }, seed, progress: false });
    const report = await evaluateClassifier(model, scaler.transform(takeRows(data.features, split.test)), takeRows(data.labels, split.test), { labels: data.labelNames });
    log(`breast-cancer-mlp: ${fit.epochsRun} epochs on ${fit.backend}, test accuracy ${report.accuracy.toFixed(3)}`);
    await saveServableModel(model, dir, {
      name: "breast-cancer-mlp",
      task: "binary-classification",
      features: data.featureNames,
      labels: data.labelNames,
      metrics: { accuracy: report.accuracy, auc: report.auc! },
      backend: fit.backend,
      trainingDataHash: hashData(xTrain, yTrain),
      preprocessing: [standardScalerStep(scaler.toJSON(), data.featureNames)],
    }, { onnx: { inputNames: ["features"], outputNames: ["probabilities"] } });
  } finally {
    model.dispose();
  }
}

async function trainDigits(dir: string, options: EnsureTutorialModelOptions, log: (l: string) => void): Promise<void> {
  const seed = options.seed ?? 1;
  const digits = await loadDigits({ count: options.digits ?? 2000, seed });
  const split = trainTestSplit(digits.labels.length, { testFraction: 0.2, seed, stratify: Array.from(digits.labels) });
  const pick = (ids: number[]) => ({ x: tf.tensor4d(takeSamples(digits.images, 28 * 28, ids), [ids.length, 28, 28, 1]), y: Array.from(takeSamples(digits.labels, 1, ids)) });
  const train = pick(split.train);
  const test = pick(split.test);
  const model = buildDigitsCnn({ seed });
  try {
    const fit = await fitModel(model, train.x, train.y, { epochs: options.epochs ?? 6, batchSize: 64, validationSplit: 0.1, seed, progress: false });
    const labels = Array.from({ length: 10 }, (_, i) => String(i));
    const report = await evaluateClassifier(model, test.x, test.y, { labels });
    log(`digits-cnn: ${fit.epochsRun} epochs on ${fit.backend}, test accuracy ${report.accuracy.toFixed(3)}`);
    await saveServableModel(model, dir, {
      name: "digits-cnn",
      task: "multiclass-classification",
      labels,
      metrics: { accuracy: report.accuracy },
      backend: fit.backend,
      trainingDataHash: hashData(train.x, train.y),
      preprocessing: [imageInputStep({ width: 28, height: 28, channels: 1, scale: 1 / 255 })],
    }, { onnx: { inputNames: ["image"], outputNames: ["probabilities"] } });
  } finally {
    model.dispose();
    tf.dispose([train.x, test.x]);
  }
}
