// Parameter averaging: a rank's weights as one flat array, their exchange format in the store, and
// the sample-weighted mean every rank computes alike.
import * as tf from "@tensorflow/tfjs";
import { DistributedTrainingError } from "./errors.js";

/** One rank's contribution to an epoch: its weights and how much data they saw. */
export interface RankWeights {
  rank: number;
  epoch: number;
  /** Samples trained on this epoch: the weight of this rank in the average. */
  samples: number;
  /** Mean training loss of this rank this epoch. */
  loss: number;
  shapes: number[][];
  /** All weights, concatenated in model.getWeights() order. */
  values: Float32Array;
}

const MAGIC = "CAIW1";

/** The weights of a model as one flat array and their shapes. */
export function readWeights(model: tf.LayersModel): { shapes: number[][]; values: Float32Array } {
  // getWeights returns the variables themselves: read them, never dispose them.
  const tensors = model.getWeights();
  const shapes = tensors.map((t) => t.shape.slice());
  const total = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  const values = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    const data = t.dataSync() as Float32Array;
    values.set(data, offset);
    offset += data.length;
  }
  return { shapes, values };
}

/** Sets a model's weights from a flat array laid out as readWeights gives it. */
export function writeWeights(model: tf.LayersModel, values: Float32Array): void {
  const current = model.getWeights();
  let offset = 0;
  const tensors = current.map((t) => {
    const size = t.size;
    const slice = values.subarray(offset, offset + size);
    offset += size;
    return tf.tensor(slice, t.shape, "float32");
  });
  if (offset !== values.length) {
    tensors.forEach((t) => t.dispose());
    throw new DistributedTrainingError("WORKER_FAILED", `Averaged weights hold ${values.length} values but the model has ${offset}: the ranks built different models.`);
  }
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}

/** A rank's weights as bytes: magic, header length, JSON header, padding, float32 values. */
export function encodeRankWeights(w: RankWeights): Uint8Array {
  const header = Buffer.from(JSON.stringify({ rank: w.rank, epoch: w.epoch, samples: w.samples, loss: w.loss, shapes: w.shapes, count: w.values.length }));
  const start = align4(MAGIC.length + 4 + header.length);
  const out = new Uint8Array(start + w.values.byteLength);
  out.set(Buffer.from(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  out.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), start);
  return out;
}

export function decodeRankWeights(bytes: Uint8Array, where: string): RankWeights {
  const fail = (why: string) => new DistributedTrainingError("WORKER_FAILED", `The weights at ${where} are unreadable (${why}): the rank that wrote them may run another toolkit version.`);
  if (bytes.length < MAGIC.length + 4 || Buffer.from(bytes.subarray(0, MAGIC.length)).toString() !== MAGIC) throw fail("bad magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  let header: Omit<RankWeights, "values"> & { count: number };
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength)).toString("utf8"));
  } catch {
    throw fail("bad header");
  }
  const start = align4(MAGIC.length + 4 + headerLength);
  if (bytes.length - start !== header.count * 4) throw fail(`expected ${header.count} values`);
  // Copy: the bytes may not be 4-byte aligned in their buffer.
  const values = new Float32Array(header.count);
  new Uint8Array(values.buffer).set(bytes.subarray(start));
  return { rank: header.rank, epoch: header.epoch, samples: header.samples, loss: header.loss, shapes: header.shapes, values };
}

/**
 * The sample-weighted mean of the ranks' weights, summed in rank order in float64, so every rank
 * computes bit-identical averages.
 */
export function averageWeights(parts: RankWeights[]): { values: Float32Array; loss: number; samples: number } {
  const sorted = parts.slice().sort((a, b) => a.rank - b.rank);
  const n = sorted[0].values.length;
  for (const p of sorted) {
    if (p.values.length !== n) {
      throw new DistributedTrainingError("WORKER_FAILED", `Rank ${p.rank} sent ${p.values.length} weights, rank ${sorted[0].rank} ${n}: the ranks built different models (same model config on every worker?).`);
    }
  }
  const total = sorted.reduce((s, p) => s + p.samples, 0);
  const sum = new Float64Array(n);
  let loss = 0;
  for (const p of sorted) {
    const share = total > 0 ? p.samples / total : 1 / sorted.length;
    for (let i = 0; i < n; i++) sum[i] += p.values[i] * share;
    loss += p.loss * share;
  }
  return { values: Float32Array.from(sum), loss, samples: total };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
