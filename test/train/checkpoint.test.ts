import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildTabularModel, fitModel, readCheckpoint, restoreCheckpoint, saveCheckpoint, TrainError } from "../../lib/train/index.js";
import { tabular } from "./fixtures/tabular.js";
import { tempDir } from "../support/temp.js";

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));
const tmp = () => tempDir("cai-ckpt-");
const { x, y } = tabular(160);
const options = { batchSize: 16, seed: 1, validationSplit: 0.25, progress: false as const };

beforeAll(async () => {
  await tf.setBackend("cpu");
});

async function optimizerState(model: tf.LayersModel): Promise<number[][]> {
  const weights = await model.optimizer.getWeights();
  const values = weights.map((w) => Array.from(w.tensor.dataSync()));
  tf.dispose(weights.filter((w) => w.name === "iter").map((w) => w.tensor));
  return values;
}

describe("checkpoints", { timeout: 60_000 }, () => {
  it("save weights and optimizer state, and restore them into a fresh model", async () => {
    const dir = tmp();
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    await fitModel(model, x, y, { ...options, epochs: 2 });
    const manifest = await saveCheckpoint(dir, model, { epoch: 1, history: [{ epoch: 0, loss: 1 }, { epoch: 1, loss: 0.5 }], seed: 1 });
    expect(manifest.optimizer).toBe("Adam");
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "epoch-0001.bin"]);
    // Adam: the step count plus two moments per weight.
    expect(manifest.tensors.filter((t) => t.group === "optimizer")).toHaveLength(1 + 2 * model.weights.length);

    const fresh = buildTabularModel({ inputDim: 30, seed: 99 });
    expect(weightsOf(fresh)).not.toEqual(weightsOf(model));
    const before = tf.memory().numTensors;
    const restored = await restoreCheckpoint(dir, fresh);
    expect(restored?.manifest.history).toHaveLength(2);
    expect(weightsOf(fresh)).toEqual(weightsOf(model));
    expect(await optimizerState(fresh)).toEqual(await optimizerState(model));
    // New: Adam's two moments per weight. Nothing else stays behind.
    expect(tf.memory().numTensors - before).toBe(2 * model.weights.length);
    model.dispose();
    fresh.dispose();
  });

  it("resume after an interruption gives the same weights as an uninterrupted run", async () => {
    const straight = buildTabularModel({ inputDim: 30, seed: 1 });
    const full = await fitModel(straight, x, y, { ...options, epochs: 4 });

    const dir = tmp();
    const first = buildTabularModel({ inputDim: 30, seed: 1 });
    await fitModel(first, x, y, { ...options, epochs: 2, checkpointDir: dir });
    first.dispose();
    // A new process would build the same model afresh, with other initial weights even.
    const second = buildTabularModel({ inputDim: 30, seed: 5 });
    const resumed = await fitModel(second, x, y, { ...options, seed: undefined, epochs: 4, checkpointDir: dir, resume: true });
    expect(resumed.resumedFromEpoch).toBe(2);
    expect(resumed.epochsRun).toBe(2);
    expect(resumed.seed).toBe(1); // taken from the checkpoint
    expect(resumed.history).toEqual(full.history);
    expect(weightsOf(second)).toEqual(weightsOf(straight));

    // Resuming a run that has done all its epochs trains nothing and hands back its weights.
    const third = buildTabularModel({ inputDim: 30, seed: 7 });
    const again = await fitModel(third, x, y, { ...options, epochs: 4, checkpointDir: dir, resume: true });
    expect(again.epochsRun).toBe(0);
    expect(again.history).toEqual(full.history);
    expect(weightsOf(third)).toEqual(weightsOf(straight));
    for (const m of [straight, second, third]) m.dispose();
  });

  it("a killed training process resumes where its last checkpoint left off", async () => {
    const dir = tmp();
    const child = spawn(process.execPath, ["bin/run-ts.mjs", "test/train/fixtures/train-worker.ts", dir], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
    // Kill it (SIGKILL: no clean-up) as soon as it has checkpointed two epochs.
    const deadline = Date.now() + 45_000;
    let manifest: Awaited<ReturnType<typeof readCheckpoint>>;
    for (;;) {
      manifest = await readCheckpoint(dir).catch(() => undefined);
      if (manifest && manifest.epoch >= 1) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the worker did not checkpoint: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const killedAt = (await readCheckpoint(dir))!.epoch;
    expect(killedAt).toBeGreaterThanOrEqual(1);
    expect(killedAt).toBeLessThan(49);

    const resumedModel = buildTabularModel({ inputDim: 30, seed: 1 });
    const epochs = killedAt + 3;
    const resumed = await fitModel(resumedModel, x, y, { ...options, epochs, checkpointDir: dir, resume: true });
    expect(resumed.resumedFromEpoch).toBe(killedAt + 1);
    const straight = buildTabularModel({ inputDim: 30, seed: 1 });
    const full = await fitModel(straight, x, y, { ...options, epochs });
    expect(resumed.history).toEqual(full.history);
    expect(weightsOf(resumedModel)).toEqual(weightsOf(straight));
    resumedModel.dispose();
    straight.dispose();
  });

  it("a run that stopped early stays stopped when resumed", async () => {
    const dir = tmp();
    const model = buildTabularModel({ inputDim: 30, seed: 1, learningRate: 0, dropout: 0 });
    const early = { monitor: "loss", patience: 1 };
    const first = await fitModel(model, x, y, { ...options, epochs: 10, earlyStopping: early, checkpointDir: dir });
    expect(first.stoppedEarly).toBe(true);
    const again = await fitModel(model, x, y, { ...options, epochs: 20, earlyStopping: early, checkpointDir: dir, resume: true });
    expect(again).toMatchObject({ stoppedEarly: true, epochsRun: 0, resumedFromEpoch: first.history.length });
    model.dispose();
  });

  it("ignore leftovers of an interrupted write, and clean them up on the next save", async () => {
    const dir = tmp();
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    await fitModel(model, x, y, { ...options, epochs: 1, checkpointDir: dir });
    // What a kill during the next save could leave: a half-written tensor file and a temp manifest.
    writeFileSync(path.join(dir, "epoch-0001.bin"), Buffer.alloc(10));
    writeFileSync(path.join(dir, "checkpoint.json.tmp-1-2"), "{ half");
    const restored = await restoreCheckpoint(dir, model);
    expect(restored?.manifest.epoch).toBe(0);
    await saveCheckpoint(dir, model, { epoch: 2, history: [] });
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "epoch-0002.bin"]);
    model.dispose();
  });

  it("refuse another model's checkpoint and a damaged one, saying what to do", async () => {
    const dir = tmp();
    const model = buildTabularModel({ inputDim: 30, seed: 1 });
    await saveCheckpoint(dir, model, { epoch: 0, history: [] });
    const other = buildTabularModel({ inputDim: 30, hidden: [8], seed: 1 });
    const mismatch = await restoreCheckpoint(dir, other).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(TrainError);
    expect((mismatch as TrainError).code).toBe("CHECKPOINT_MISMATCH");
    expect((mismatch as TrainError).message).toMatch(/another model: use another checkpointDir or delete/);
    const manifest = JSON.parse(readFileSync(path.join(dir, "checkpoint.json"), "utf8"));
    writeFileSync(path.join(dir, manifest.file), Buffer.alloc(8));
    await expect(restoreCheckpoint(dir, model)).rejects.toThrow(/bytes, the manifest says/);
    writeFileSync(path.join(dir, "checkpoint.json"), "not json");
    await expect(readCheckpoint(dir)).rejects.toThrow(/not valid JSON/);
    expect(await readCheckpoint(tmp())).toBeUndefined();
    expect(existsSync(path.join(dir, "checkpoint.json"))).toBe(true);
    model.dispose();
    other.dispose();
  });
});
