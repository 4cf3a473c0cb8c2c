// Training checkpoints in a plain folder: `checkpoint.json` (the manifest) and one binary file of
// tensors per checkpoint. Pure tfjs has no file:// IOHandler in Node, and a checkpoint needs the
// optimizer's state too, so this writes its own small format:
//   epoch-0003.bin   the raw little-endian bytes of every tensor, one after another
//   checkpoint.json  which epoch, the history, and for each tensor: group, name, dtype, shape, offset
// Each file is written under a temporary name and renamed into place; the manifest's rename is the
// commit point, and older .bin files are removed only after it. A run killed at any moment leaves
// either the previous checkpoint or the new one, never a torn one.
import { promises as fs } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { TrainError } from "./train-error.js";

export const CHECKPOINT_FORMAT = "custom-ai-checkpoint/1";
export const CHECKPOINT_MANIFEST = "checkpoint.json";

/** One epoch's logs: `epoch` (0-based) and the metrics tfjs reported (loss, acc, val_loss, val_acc, …). */
export interface EpochLogs {
  epoch: number;
  [metric: string]: number;
}

/** Early-stopping bookkeeping carried across a resume. */
export interface EarlyStoppingState {
  monitor: string;
  best: number;
  bestEpoch: number;
  wait: number;
}

/** What a checkpoint records besides tensors. */
export interface CheckpointState {
  /** The last completed epoch (0-based). */
  epoch: number;
  history: EpochLogs[];
  /** Seed of the run, so a resumed run shuffles as the uninterrupted one would. */
  seed?: number;
  /** True once training has finished (all epochs, or stopped early): resuming then trains nothing. */
  finished?: boolean;
  stoppedEarly?: boolean;
  earlyStopping?: EarlyStoppingState;
  backend?: string;
  /** Anything else JSON-serialisable the caller wants back. */
  extra?: Record<string, unknown>;
}

type Group = "model" | "optimizer" | "best";

interface TensorEntry {
  group: Group;
  name: string;
  dtype: "float32" | "int32" | "bool";
  shape: number[];
  offset: number;
  bytes: number;
}

export interface CheckpointManifest extends CheckpointState {
  format: string;
  savedAt: string;
  file: string;
  bytes: number;
  optimizer?: string;
  tensors: TensorEntry[];
}

interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface SaveCheckpointOptions {
  /** Also save the optimizer's state (Adam's moments and step count). Default true. */
  optimizer?: boolean;
  /** Extra weights to keep (early stopping's best weights), in model.getWeights() order. */
  bestWeights?: tf.Tensor[];
}

/**
 * Writes the model's weights, its optimizer's state and `state` to `dir` (created if needed),
 * replacing the checkpoint there atomically. Returns the manifest written.
 */
export async function saveCheckpoint(dir: string, model: tf.LayersModel, state: CheckpointState, options: SaveCheckpointOptions = {}): Promise<CheckpointManifest> {
  const named: Array<NamedTensor & { group: Group }> = [];
  const weights = model.weights;
  model.getWeights().forEach((tensor, i) => named.push({ group: "model", name: weights[i]?.originalName ?? `weight_${i}`, tensor }));
  options.bestWeights?.forEach((tensor, i) => named.push({ group: "best", name: weights[i]?.originalName ?? `weight_${i}`, tensor }));
  const optimizer = options.optimizer === false ? undefined : model.optimizer;
  let owned: tf.Tensor[] = [];
  if (optimizer) {
    const opt = await optimizer.getWeights();
    // getWeights hands out the optimizer's own variables plus a fresh step-count scalar: dispose only the latter.
    owned = opt.map((w) => w.tensor).filter((t) => !isVariable(t));
    for (const w of opt) named.push({ group: "optimizer", name: w.name, tensor: w.tensor });
  }
  try {
    const tensors: TensorEntry[] = [];
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const { group, name, tensor } of named) {
      const dtype = tensor.dtype;
      if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
        throw new TrainError("CHECKPOINT", `Cannot checkpoint ${group} tensor ${name} of dtype ${dtype}: only float32, int32 and bool are supported.`);
      }
      const values = await tensor.data();
      const buf = dtype === "bool" ? Buffer.from(Uint8Array.from(values as Uint8Array)) : Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      tensors.push({ group, name, dtype, shape: tensor.shape.slice(), offset, bytes: buf.byteLength });
      chunks.push(buf);
      offset += buf.byteLength;
    }
    const file = `epoch-${String(state.epoch).padStart(4, "0")}.bin`;
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      savedAt: new Date().toISOString(),
      ...state,
      file,
      bytes: offset,
      optimizer: optimizer ? optimizer.getClassName() : undefined,
      tensors,
    };
    try {
      await fs.mkdir(dir, { recursive: true });
      await writeAtomic(path.join(dir, file), Buffer.concat(chunks, offset));
      await writeAtomic(path.join(dir, CHECKPOINT_MANIFEST), Buffer.from(JSON.stringify(manifest, null, 1)));
      // Only now is the previous checkpoint unreferenced.
      for (const entry of await fs.readdir(dir)) {
        if (entry !== file && (/^epoch-\d+\.bin$/.test(entry) || entry.includes(".tmp-"))) await fs.rm(path.join(dir, entry), { force: true });
      }
    } catch (error) {
      throw new TrainError("CHECKPOINT", `Could not write the checkpoint to ${dir}: ${(error as Error).message}. Check the folder is writable and has space.`, { cause: error });
    }
    return manifest;
  } finally {
    for (const t of owned) t.dispose();
  }
}

/** The manifest of the checkpoint in `dir`, or undefined when there is none. */
export async function readCheckpoint(dir: string): Promise<CheckpointManifest | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, CHECKPOINT_MANIFEST), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TrainError("CHECKPOINT", `Could not read ${path.join(dir, CHECKPOINT_MANIFEST)}: ${(error as Error).message}.`, { cause: error });
  }
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(text) as CheckpointManifest;
  } catch (error) {
    throw new TrainError("CHECKPOINT", `${path.join(dir, CHECKPOINT_MANIFEST)} is not valid JSON; delete the folder to start over.`, { cause: error });
  }
  if (manifest.format !== CHECKPOINT_FORMAT || !Array.isArray(manifest.tensors) || typeof manifest.file !== "string") {
    throw new TrainError("CHECKPOINT", `${dir} holds no ${CHECKPOINT_FORMAT} checkpoint (format: ${String(manifest.format)}); use an empty folder for checkpointDir.`);
  }
  return manifest;
}

export interface RestoredCheckpoint {
  manifest: CheckpointManifest;
  /** Early stopping's best weights, when the checkpoint has them: the caller owns (and disposes) them. */
  bestWeights?: tf.Tensor[];
}

/**
 * Loads the checkpoint in `dir` into `model` (weights, and the optimizer state when both have one).
 * Returns undefined when `dir` has no checkpoint. Throws CHECKPOINT_MISMATCH when the checkpoint
 * was written for a model with other weights.
 */
export async function restoreCheckpoint(dir: string, model: tf.LayersModel): Promise<RestoredCheckpoint | undefined> {
  const manifest = await readCheckpoint(dir);
  if (!manifest) return undefined;
  let data: Buffer;
  try {
    data = await fs.readFile(path.join(dir, manifest.file));
  } catch (error) {
    throw new TrainError("CHECKPOINT", `The checkpoint's tensor file ${path.join(dir, manifest.file)} cannot be read (${(error as Error).message}); delete the folder to start over.`, { cause: error });
  }
  if (data.byteLength !== manifest.bytes) {
    throw new TrainError("CHECKPOINT", `${path.join(dir, manifest.file)} has ${data.byteLength} bytes, the manifest says ${manifest.bytes}; delete the folder to start over.`);
  }
  const group = (g: Group) => manifest.tensors.filter((t) => t.group === g);
  const modelEntries = group("model");
  const current = model.weights;
  const mismatch = modelEntries.length !== current.length || modelEntries.some((e, i) => e.shape.join("x") !== current[i].shape.join("x"));
  if (mismatch) {
    throw new TrainError(
      "CHECKPOINT_MISMATCH",
      `The checkpoint in ${dir} holds ${modelEntries.length} weights (${modelEntries.map((e) => `[${e.shape}]`).join(" ")}); this model has ${current.length} ` +
        `(${current.map((w) => `[${w.shape}]`).join(" ")}). It was written for another model: use another checkpointDir or delete this one.`,
    );
  }
  const optimizer = model.optimizer;
  const optEntries = group("optimizer");
  if (optimizer && optEntries.length > 0 && manifest.optimizer && manifest.optimizer !== optimizer.getClassName()) {
    throw new TrainError("CHECKPOINT_MISMATCH", `The checkpoint in ${dir} holds ${manifest.optimizer} state; this model is compiled with ${optimizer.getClassName()}. Compile it with the same optimizer or delete the checkpoint.`);
  }

  const weights = modelEntries.map((e) => tensorOf(data, e));
  model.setWeights(weights);
  tf.dispose(weights); // the model's variables keep their own reference
  if (optimizer && optEntries.length > 0) {
    const old = await optimizer.getWeights();
    const values = optEntries.map((e) => ({ name: e.name, tensor: tensorOf(data, e) }));
    await optimizer.setWeights(values);
    // setWeights made variables of the new values (sharing their data) and dropped the old state.
    tf.dispose(values.map((v) => v.tensor));
    tf.dispose(old.map((w) => w.tensor));
  }
  const best = group("best");
  return { manifest, bestWeights: best.length > 0 ? best.map((e) => tensorOf(data, e)) : undefined };
}

function tensorOf(data: Buffer, entry: TensorEntry): tf.Tensor {
  const bytes = data.subarray(entry.offset, entry.offset + entry.bytes);
  // Copy into an aligned buffer: typed arrays need their offset to be a multiple of 4.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const values = entry.dtype === "float32" ? new Float32Array(copy.buffer) : entry.dtype === "int32" ? new Int32Array(copy.buffer) : copy;
  return tf.tensor(values, entry.shape, entry.dtype);
}

function isVariable(t: tf.Tensor): boolean {
  return typeof (t as { assign?: unknown }).assign === "function";
}

async function writeAtomic(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const handle = await fs.open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}
