// The ceiling for a scoring server: onnxruntime-node in this process, on the same model.onnx
// and rows, with no HTTP, JSON or batching around it. One row per session.run is the inference
// cost a one-record request cannot avoid; batch 32 is what the micro-batcher could reach.
import { readFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";

export interface Ceiling {
  batch: number;
  rowsPerS: number;
  /** Median time of one run, ms. */
  runMs: number;
}

export async function ortCeiling(modelDir: string, rows: Float32Array, rowShape: number[], batch: number, seconds: number, intraOpThreads?: number): Promise<Ceiling> {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all" };
  if (intraOpThreads !== undefined) options.intraOpNumThreads = intraOpThreads;
  const session = await ort.InferenceSession.create(readFileSync(path.join(modelDir, "model.onnx")), options);
  const input = session.inputNames[0];
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const count = rows.length / rowSize;
  const feed = (i: number) => {
    // A fresh input per run, as a request brings its own; rows taken in turn.
    const data = new Float32Array(batch * rowSize);
    for (let b = 0; b < batch; b++) data.set(rows.subarray(((i * batch + b) % count) * rowSize, ((i * batch + b) % count + 1) * rowSize), b * rowSize);
    return { [input]: new ort.Tensor("float32", data, [batch, ...rowShape]) };
  };
  const runOnce = async (i: number) => {
    const out = await session.run(feed(i));
    for (const t of Object.values(out)) t.dispose();
  };
  for (let i = 0; i < 200; i++) await runOnce(i); // warm-up
  const times: number[] = [];
  const t0 = performance.now();
  let i = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const s = performance.now();
    await runOnce(i++);
    times.push(performance.now() - s);
  }
  const elapsed = (performance.now() - t0) / 1000;
  await session.release();
  times.sort((a, b) => a - b);
  return { batch, rowsPerS: (i * batch) / elapsed, runMs: times[times.length >> 1] };
}
