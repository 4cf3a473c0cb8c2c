import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStore, getJson, putJson } from "../../../lib/core/index.js";
import { loadModel } from "../../../lib/models/index.js";
import {
  DistributedTrainingError,
  HeartbeatWriter,
  averageWeights,
  decodeRankWeights,
  encodeRankWeights,
  resolveWorkerConfig,
  runLayout,
  runWorker,
  shardIndices,
  sweepConfigs,
  syntheticBinary,
  waitForEpoch,
  workerConfigFromEnv,
  workerEnv,
  type RunResult,
} from "../../../lib/train/distributed/index.js";

async function failure(promise: Promise<unknown>): Promise<DistributedTrainingError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DistributedTrainingError);
    return error as DistributedTrainingError;
  }
  throw new Error("expected a DistributedTrainingError");
}

function syncFailure(fn: () => unknown): DistributedTrainingError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DistributedTrainingError);
    return error as DistributedTrainingError;
  }
  throw new Error("expected a DistributedTrainingError");
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "dist-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("sweepConfigs", () => {
  it("enumerates the grid in a fixed order, last key fastest", () => {
    expect(sweepConfigs({ learningRate: [0.01, 0.1], hidden: [[8], [16, 8]] })).toEqual([
      { learningRate: 0.01, hidden: [8] },
      { learningRate: 0.01, hidden: [16, 8] },
      { learningRate: 0.1, hidden: [8] },
      { learningRate: 0.1, hidden: [16, 8] },
    ]);
  });

  it("refuses keys that are not hyperparameters and empty lists", () => {
    expect(syncFailure(() => sweepConfigs({ lr: [1] })).message).toMatch(/"lr" is not a hyperparameter; use epochs, batchSize, learningRate/);
    expect(syncFailure(() => sweepConfigs({ epochs: [] })).message).toMatch(/non-empty list/);
  });
});

describe("worker configuration", () => {
  const base = { CUSTOM_AI_RUN_ID: "r1", CUSTOM_AI_STORE_URL: "/tmp/x", WORLD_SIZE: "3", JOB_COMPLETION_INDEX: "2" };

  it("reads rank and world size as a Kubernetes Indexed Job sets them, the rest from JSON", () => {
    const env = { ...workerEnv({ runId: "r1", storeUrl: "/tmp/x", worldSize: 3, config: { hyper: { epochs: 4 }, seed: 7 } }), JOB_COMPLETION_INDEX: "2" };
    const config = workerConfigFromEnv(env);
    expect(config).toMatchObject({ mode: "data-parallel", runId: "r1", rank: 2, worldSize: 3, storeUrl: "/tmp/x", seed: 7 });
    expect(config.hyper).toEqual({ epochs: 4, batchSize: 32, learningRate: 0.01, optimizer: "adam" });
    expect(config.dataset.name).toBe("synthetic-binary");
  });

  it("names the variable that is missing or wrong", () => {
    expect(syncFailure(() => workerConfigFromEnv({ ...base, JOB_COMPLETION_INDEX: "" })).message).toMatch(/set JOB_COMPLETION_INDEX/);
    expect(syncFailure(() => workerConfigFromEnv({ ...base, JOB_COMPLETION_INDEX: "3" })).message).toMatch(/rank 3 is outside 0\.\.2/);
    expect(syncFailure(() => workerConfigFromEnv({ ...base, CUSTOM_AI_STORE_URL: "" })).message).toMatch(/CUSTOM_AI_STORE_URL/);
    expect(syncFailure(() => workerConfigFromEnv({ ...base, CUSTOM_AI_TRAIN_CONFIG: "{oops" })).message).toMatch(/CUSTOM_AI_TRAIN_CONFIG is not a JSON object/);
    expect(syncFailure(() => workerConfigFromEnv({ ...base, CUSTOM_AI_TRAIN_CONFIG: '{"hyper":{"optimizer":"rmsprop"}}' })).message).toMatch(/optimizer must be "adam" or "sgd"/);
    expect(syncFailure(() => workerConfigFromEnv({ ...base, CUSTOM_AI_TRAIN_CONFIG: '{"dataset":{"testFraction":0}}' })).message).toMatch(/testFraction must be between 0 and 1/);
    expect(syncFailure(() => workerConfigFromEnv({ ...base, CUSTOM_AI_TRAIN_CONFIG: '{"dataset":{"validationFraction":1}}' })).message).toMatch(/validationFraction must be at least 0 and below 1/);
    const sweep = syncFailure(() => resolveWorkerConfig({ runId: "s", storeUrl: "/x", rank: 0, worldSize: 2, grid: { epochs: [1, 2, 3] } }));
    expect(sweep.code).toBe("BAD_CONFIG");
    expect(sweep.message).toMatch(/grid has 3 configurations, so WORLD_SIZE .* must be 3/);
  });
});

describe("sharding and averaging", () => {
  it("strides the rows over the ranks", () => {
    expect(shardIndices(7, 0, 3)).toEqual([0, 3, 6]);
    expect(shardIndices(7, 2, 3)).toEqual([2, 5]);
  });

  it("averages weights by shard size, the same on every rank", () => {
    const a = { rank: 1, epoch: 0, samples: 1, loss: 0.9, shapes: [[2]], values: new Float32Array([4, 8]) };
    const b = { rank: 0, epoch: 0, samples: 3, loss: 0.5, shapes: [[2]], values: new Float32Array([0, 4]) };
    const avg = averageWeights([a, b]);
    expect(Array.from(avg.values)).toEqual([1, 5]);
    expect(avg.loss).toBeCloseTo(0.6, 10);
    expect(avg.samples).toBe(4);
    expect(Array.from(averageWeights([b, a]).values)).toEqual(Array.from(avg.values));
  });

  it("round-trips a rank's weights through bytes", () => {
    const w = { rank: 2, epoch: 5, samples: 100, loss: 0.25, shapes: [[2, 2], [3]], values: Float32Array.from([1, 2, 3, 4, 5, 6, 7.5]) };
    const back = decodeRankWeights(encodeRankWeights(w), "x");
    expect({ ...back, values: Array.from(back.values) }).toEqual({ ...w, values: Array.from(w.values) });
    expect(() => decodeRankWeights(new Uint8Array([1, 2, 3]), "runs/r/epoch-0/rank-1")).toThrow(/runs\/r\/epoch-0\/rank-1 are unreadable/);
  });

  it("generates the same data from the same seed", () => {
    const a = syntheticBinary({ samples: 50, seed: 3 });
    expect(syntheticBinary({ samples: 50, seed: 3 })).toEqual(a);
    expect(syntheticBinary({ samples: 50, seed: 4 }).x).not.toEqual(a.x);
    const positives = syntheticBinary({ samples: 2000 }).y.filter((v) => v === 1).length;
    expect(positives).toBeGreaterThan(600); // not a degenerate one-class set
    expect(positives).toBeLessThan(1400);
  });
});

describe("barrier", () => {
  it("waits for a slow rank", async () => {
    const store = new FileStore(path.join(tmp, "slow"));
    const layout = runLayout("r");
    await store.put(layout.weights(0, 0), "w0");
    setTimeout(() => void store.put(layout.weights(0, 1), "w1"), 600);
    const { waitedMs } = await waitForEpoch(store, "r", 0, 2, { timeoutMs: 10_000, pollMs: 50 });
    expect(waitedMs).toBeGreaterThanOrEqual(500);
  });

  it("times out naming the missing ranks, when each was last seen", async () => {
    const store = new FileStore(path.join(tmp, "dead"));
    const layout = runLayout("r");
    await store.put(layout.weights(1, 0), "w0");
    await putJson(store, layout.heartbeat(1), { rank: 1, phase: "training", epoch: 1, time: Date.now() - 40_000, pid: 123, host: "node-a" });
    const error = await failure(waitForEpoch(store, "r", 1, 3, { timeoutMs: 300, pollMs: 50 }));
    expect(error.code).toBe("BARRIER_TIMEOUT");
    expect(error.epoch).toBe(1);
    expect(error.ranks).toEqual([1, 2]);
    expect(error.message).toMatch(/^Epoch 1: ranks 1, 2 of 3 did not deliver weights within 0\.3 s/);
    expect(error.message).toMatch(/rank 1 last seen 4\d s ago \(epoch 1, training, pid 123 on node-a\)/);
    expect(error.message).toMatch(/rank 2 never started \(no heartbeat\)/);
    expect(error.message).toMatch(/raise barrierTimeoutMs/);
  });

  it("stops at once when a missing rank reported a failure", async () => {
    const store = new FileStore(path.join(tmp, "failed"));
    const layout = runLayout("r");
    await putJson(store, layout.status(1), { rank: 1, state: "failed", code: "STORAGE_AUTH", message: "denied", epoch: 0, time: Date.now() });
    const start = Date.now();
    const error = await failure(waitForEpoch(store, "r", 0, 2, { timeoutMs: 30_000, pollMs: 50 }));
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(error.code).toBe("WORKER_FAILED");
    expect(error.message).toMatch(/rank 1 failed in epoch 0 \(STORAGE_AUTH: denied\)/);
  });

  it("keeps a heartbeat with the latest phase", async () => {
    const store = new FileStore(path.join(tmp, "beat"));
    const beat = new HeartbeatWriter(store, "r", 4, 50);
    await beat.start();
    await beat.set("training", 2);
    await new Promise((r) => setTimeout(r, 150));
    beat.stop();
    const written = await getJson<{ phase: string; epoch: number; time: number }>(store, runLayout("r").heartbeat(4));
    expect(written).toMatchObject({ phase: "training", epoch: 2, rank: 4, pid: process.pid });
    expect(Date.now() - written!.time).toBeLessThan(1_000);
  });
});

describe("runWorker in process (one rank)", () => {
  it("trains, saves a loadable model and result, leaks no tensors, and refuses to redo the run", async () => {
    const storeUrl = path.join(tmp, "inproc");
    const config = resolveWorkerConfig({
      runId: "solo",
      storeUrl,
      rank: 0,
      worldSize: 1,
      dataset: { name: "synthetic-binary", options: { samples: 400 } },
      hyper: { epochs: 3 },
    });
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const outcome = await runWorker(config, { log: (l) => lines.push(l) });
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.mode).toBe("data-parallel");
    const result = outcome.result as RunResult;
    expect(result.losses).toHaveLength(3);
    expect(result.losses[2]).toBeLessThan(result.losses[0]);
    expect(result.accuracy).toBeGreaterThan(0.7);
    expect(result.shardSizes).toEqual([320]);
    expect(lines.some((l) => /rank 0 epoch 3\/3: loss/.test(l))).toBe(true);

    const store = new FileStore(storeUrl);
    expect(await getJson(store, runLayout("solo").result)).toEqual(result);
    expect(await getJson(store, runLayout("solo").status(0))).toMatchObject({ state: "done" });
    const { model, metadata } = await loadModel(result.modelUrl);
    expect(metadata.metrics.accuracy).toBe(result.accuracy);
    expect(metadata.trainingDataHash).toBe(result.dataset.hash);
    expect(metadata.inputs[0].features).toEqual(["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"]);
    expect(metadata.preprocessing[0]).toMatchObject({ kind: "standard-scaler" });
    model.dispose();

    const again = await failure(runWorker(config, { log: () => undefined }));
    expect(again.code).toBe("RUN_EXISTS");
  });

  it("trains only K batches per round with stepsPerEpoch", async () => {
    const config = resolveWorkerConfig({
      runId: "ksteps",
      storeUrl: path.join(tmp, "ksteps"),
      rank: 0,
      worldSize: 1,
      dataset: { name: "synthetic-binary", options: { samples: 400 } },
      hyper: { epochs: 2, batchSize: 16, stepsPerEpoch: 3 },
    });
    const lines: string[] = [];
    await runWorker(config, { log: (l) => lines.push(l) });
    expect(lines.filter((l) => /^rank 0 epoch \d\/2: loss [\d.]+ \(48 samples,/.test(l))).toHaveLength(2);
  });
});
