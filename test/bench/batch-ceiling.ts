// One process of the batch benchmark's ceiling: onnxruntime-node alone on rows already parsed and
// scaled (or images already decoded) in memory — no I/O, no parsing, no results — batch by batch
// as the scorer calls it.
//   node bin/run-ts.mjs test/bench/batch-ceiling.ts csv|images <model dir> <batch size> <file>... | @<list file>
// Prints `ready <rows>` once its rows are in memory, scores them when a line arrives on stdin
// (so that all processes start together), then prints {"rows":…,"ms":…}.
import { createReadStream, readFileSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { loadBatchModel } from "../../lib/serve/batch/model.js";
import { readCsvBatches } from "../../lib/serve/batch/readers.js";

const [mode, modelDir, batchText, ...args] = process.argv.slice(2);
const files = args.length === 1 && args[0].startsWith("@") ? readFileSync(args[0].slice(1), "utf8").split("\n").filter(Boolean) : args;
const batch = Number(batchText);
const metadata = JSON.parse(readFileSync(path.join(modelDir, "metadata.json"), "utf8"));
const rowShape: number[] = metadata.inputs[0].shape.slice(1);
const width = rowShape.reduce((a, b) => a * b, 1);
let x: Float32Array;
if (mode === "images") {
  const model = await loadBatchModel(modelDir);
  x = new Float32Array(files.length * width);
  files.forEach((file, i) => model.decodeImage!(readFileSync(file), x, i * width));
  await model.release();
} else {
  const features: string[] = metadata.inputs[0].features;
  const scaler = metadata.preprocessing.find((p: { kind: string }) => p.kind === "standard-scaler");
  const chunks: Float32Array[] = [];
  for (const file of files) {
    for await (const b of readCsvBatches(createReadStream(file, { highWaterMark: 1 << 20 }), features, 8192)) chunks.push(b.raw.slice(0, b.ids.length * width));
  }
  x = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) x.set(c, at), (at += c.length);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - scaler.mean[i % width]) / (scaler.std[i % width] || 1);
}
const rows = x.length / width;
const session = await ort.InferenceSession.create(readFileSync(path.join(modelDir, "model.onnx")), { intraOpNumThreads: 1, interOpNumThreads: 1 });
const input = session.inputNames[0];
const run = (from: number, m: number) => session.run({ [input]: new ort.Tensor("float32", x.subarray(from * width, (from + m) * width), [m, ...rowShape]) });
for (let i = 0; i < 20; i++) await run(0, Math.min(batch, rows)); // warm-up
console.log(`ready ${rows}`);
await once(process.stdin, "data");
const t0 = performance.now();
for (let from = 0; from < rows; from += batch) await run(from, Math.min(batch, rows - from));
console.log(JSON.stringify({ rows, ms: performance.now() - t0 }));
await session.release();
process.exit(0);
