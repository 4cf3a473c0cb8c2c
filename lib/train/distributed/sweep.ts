import { copyPrefix, getJson, joinKeyUrl, openStore, putJson, type BlobStore, type OpenStoreOptions } from "../../core/index.js";
import { checkGrid, type HyperParams, type ModelSpec, type SweepGrid } from "./config.js";
import { DistributedTrainingError } from "./errors.js";
import { runLayout } from "./layout.js";

/**
 * Every configuration of a grid, in a fixed order (the last key varies fastest): index i of an
 * Indexed Job trains sweepConfigs(grid)[i].
 * sweepConfigs({ learningRate: [0.01, 0.1], hidden: [[8], [16]] }) →
 * [{ learningRate: 0.01, hidden: [8] }, { learningRate: 0.01, hidden: [16] }, { learningRate: 0.1, hidden: [8] }, ...]
 */
export function sweepConfigs(grid: SweepGrid): Record<string, unknown>[] {
  checkGrid(grid);
  let configs: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return configs;
}

/** What one sweep trial writes to runs/<id>/trials/trial-<i>/result.json. */
export interface TrialResult {
  runId: string;
  index: number;
  /** Number of trials in the sweep (the grid's size). */
  trials: number;
  /** The grid point this trial trained. */
  config: Record<string, unknown>;
  hyper: HyperParams;
  model: ModelSpec;
  /** Accuracy on the validation split: what trials are compared on. */
  valAccuracy: number;
  /** Accuracy and loss on the held-out test split (reported, not used to choose). */
  accuracy: number;
  testLoss: number;
  /** Mean training loss per epoch. */
  losses: number[];
  backend: string;
  seconds: number;
  modelUrl: string;
  finishedAt: string;
}

export interface SweepSummary {
  runId: string;
  /** Trials found, by index. */
  trials: TrialResult[];
  /** Indices of the grid with no result (a failed or unfinished trial). */
  missing: number[];
  best: TrialResult;
  /** The metric compared (higher is better). */
  metric: "valAccuracy" | "accuracy";
  /** Where the best model was copied (runs/<id>/best/model), when keepBest. */
  bestModelUrl?: string;
}

export interface CollectSweepOptions extends OpenStoreOptions {
  /** Compare on this (default valAccuracy; ties go to the lower index). */
  metric?: "valAccuracy" | "accuracy";
  /** Copy the best trial's model to runs/<id>/best/model (default true) and write runs/<id>/sweep.json. */
  keepBest?: boolean;
  /** Fail with SWEEP_INCOMPLETE unless every trial has a result (default false: report them in `missing`). */
  requireAll?: boolean;
}

/**
 * Gathers a sweep's trial results, picks the best (highest validation accuracy), copies its model
 * to runs/<id>/best/model and writes runs/<id>/sweep.json. Throws SWEEP_INCOMPLETE when no trial
 * finished (or, with requireAll, when any is missing).
 */
export async function collectSweep(storeOrUrl: BlobStore | string, runId: string, options: CollectSweepOptions = {}): Promise<SweepSummary> {
  const store = typeof storeOrUrl === "string" ? await openStore(storeOrUrl, options) : storeOrUrl;
  const layout = runLayout(runId);
  const metric = options.metric ?? "valAccuracy";
  const keys = (await store.list(layout.trials)).filter((k) => /\/trial-\d+\/result\.json$/.test(k));
  const trials: TrialResult[] = [];
  for (const key of keys) {
    const result = await getJson<TrialResult>(store, key);
    if (result) trials.push(result);
  }
  trials.sort((a, b) => a.index - b.index);
  if (trials.length === 0) {
    throw new DistributedTrainingError(
      "SWEEP_INCOMPLETE",
      `No trial of sweep ${runId} finished: nothing under ${joinKeyUrl(store, layout.trials)}. Check the workers' logs (did the Job run with this run id and store?).`,
    );
  }
  const total = Math.max(...trials.map((t) => t.trials));
  const found = new Set(trials.map((t) => t.index));
  const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !found.has(i));
  if (missing.length && options.requireAll) {
    throw new DistributedTrainingError("SWEEP_INCOMPLETE", `Sweep ${runId}: trial${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${total} wrote no result. Check those workers' logs, then rerun them.`);
  }
  const best = trials.reduce((a, b) => (b[metric] > a[metric] ? b : a));
  const summary: SweepSummary = { runId, trials, missing, best, metric };
  if (options.keepBest !== false) {
    await copyPrefix(store, layout.trialModel(best.index), store, layout.bestModel);
    summary.bestModelUrl = joinKeyUrl(store, layout.bestModel);
    await putJson(store, layout.sweep, summary);
  }
  return summary;
}
