// Checks that model-uint8.onnx (uint8 pixels, Cast + Div 255 in front) scores the same as
// model.onnx fed the same pixels / 255 as float32: the uint8 variant changes only what travels.
//   node check-uint8.mjs --dir MODEL_DIR [--ep cpu|cuda] [--batch 8] [--node-modules DIR] [--tolerance 1e-5]
// Prints the largest absolute difference of the probabilities and one `RESULT {json}` line;
// exit 0 within the tolerance, 1 beyond it (or when a session fails), 2 on bad arguments.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const a = { dir: undefined, ep: "cpu", batch: 8, nodeModules: process.env.ORT_NODE_MODULES, tolerance: 1e-5 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i];
  const v = () => argv[++i];
  if (k === "--dir") a.dir = v();
  else if (k === "--ep") a.ep = v();
  else if (k === "--batch") a.batch = Number(v());
  else if (k === "--node-modules") a.nodeModules = v();
  else if (k === "--tolerance") a.tolerance = Number(v());
  else {
    console.error(`check-uint8: unknown argument ${k}`);
    process.exit(2);
  }
}
if (!a.dir || !(a.batch > 0) || !(a.tolerance >= 0)) {
  console.error("usage: check-uint8.mjs --dir MODEL_DIR [--ep cpu|cuda] [--batch 8] [--node-modules DIR] [--tolerance 1e-5]");
  process.exit(2);
}
const base = a.nodeModules ? path.join(path.resolve(a.nodeModules), "_") : fileURLToPath(import.meta.url);
const ort = createRequire(base)("onnxruntime-node");
const size = 224;
const shape = [a.batch, size, size, 3];
// Every byte value occurs, and the rest is the same generator as score-node.mjs.
const pixels = new Uint8Array(a.batch * size * size * 3);
let seed = 7;
for (let i = 0; i < pixels.length; i++) pixels[i] = i < 256 ? i : (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
const options = { graphOptimizationLevel: "all", executionProviders: a.ep === "cpu" ? ["cpu"] : [a.ep, "cpu"] };
const result = { check: "uint8-vs-float32", ep: a.ep, batch: a.batch, tolerance: a.tolerance };
try {
  const float = await ort.InferenceSession.create(readFileSync(path.join(a.dir, "model.onnx")), options);
  const uint8 = await ort.InferenceSession.create(readFileSync(path.join(a.dir, "model-uint8.onnx")), options);
  if (uint8.inputNames.join() !== float.inputNames.join() || uint8.outputNames.join() !== float.outputNames.join())
    throw new Error(`the two models' inputs/outputs differ: ${uint8.inputNames}/${uint8.outputNames} vs ${float.inputNames}/${float.outputNames}`);
  const f = await float.run({ image: new ort.Tensor("float32", Float32Array.from(pixels, (p) => p / 255), shape) });
  const u = await uint8.run({ image: new ort.Tensor("uint8", pixels, shape) });
  const fv = f.probabilities.data;
  const uv = u.probabilities.data;
  let maxDiff = 0;
  for (let i = 0; i < fv.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fv[i] - uv[i]));
  let spread = 0; // the check means something only when the outputs depend on the input
  for (let i = 0; i < fv.length; i++) spread = Math.max(spread, Math.abs(fv[i] - fv[i % 10]));
  Object.assign(result, { outputs: fv.length, maxAbsDiff: maxDiff, outputSpread: Number(spread.toExponential(2)), ok: maxDiff <= a.tolerance && spread > 0 });
  await float.release();
  await uint8.release();
} catch (e) {
  Object.assign(result, { ok: false, error: String(e?.message ?? e).slice(0, 2000) });
}
console.log(
  result.error
    ? `check-uint8 ${a.ep}: FAILED: ${result.error}`
    : `check-uint8 ${a.ep} batch ${a.batch}: max |Δ| uint8 vs float32 ${result.maxAbsDiff} (tolerance ${a.tolerance}, outputs differ across images by up to ${result.outputSpread}): ${result.ok ? "OK" : "FAILED"}`,
);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exitCode = result.ok ? 0 : 1;
