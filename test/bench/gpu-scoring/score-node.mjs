// Images/s of the benchmark CNN in onnxruntime-node, on one execution provider. Plain JavaScript:
// it runs on a GPU machine with only a Node binary and a pruned node_modules (prepare.sh).
//   node score-node.mjs --model model.onnx [--ep cuda|webgpu|cpu] [--batch 32] [--seconds 8]
//                       [--concurrency 1] [--sessions 1] [--node-modules DIR] [--check] [--input float32|uint8]
// Prints a human line and one `RESULT {json}` line. The input is one host batch (NHWC), copied to
// the device by every run: what a scoring server does with a request's images. --input float32
// (the default) feeds pixels / 255 as float32 to model.onnx; --input uint8 feeds the same pixels
// as bytes to model-uint8.onnx (make-model.ts), 4x fewer bytes to copy. --sessions N opens N
// sessions of the model and spreads the runs in flight over them (each CUDA session has its own
// stream, so one run's host→device copy can overlap another's kernels).
// Session options as lib/serve/model.ts sets them (graphOptimizationLevel "all"; providers
// [ep, "cpu"]). --check also scores the batch on the CPU provider and reports the largest
// difference. Exit 0 when measured, 1 when the provider fails (RESULT carries the error).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function args() {
  const a = { model: undefined, ep: "cuda", batch: 32, seconds: 8, concurrency: 1, nodeModules: process.env.ORT_NODE_MODULES, check: false, warmup: 10, input: "float32", sessions: 1 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === "--model") a.model = v();
    else if (k === "--ep") a.ep = v();
    else if (k === "--batch") a.batch = Number(v());
    else if (k === "--seconds") a.seconds = Number(v());
    else if (k === "--concurrency") a.concurrency = Number(v());
    else if (k === "--warmup") a.warmup = Number(v());
    else if (k === "--node-modules") a.nodeModules = v();
    else if (k === "--check") a.check = true;
    else if (k === "--input") a.input = v();
    else if (k === "--sessions") a.sessions = Number(v());
    else {
      console.error(`score-node: unknown argument ${k}`);
      process.exit(2);
    }
  }
  if (!["float32", "uint8"].includes(a.input) || !(a.batch > 0) || !(a.concurrency > 0) || !(a.seconds > 0) || !(a.sessions > 0) || a.sessions > a.concurrency) {
    console.error(`score-node: --input is float32 or uint8, --batch, --concurrency, --sessions and --seconds are positive, --sessions ≤ --concurrency (got ${JSON.stringify(a)})`);
    process.exit(2);
  }
  if (!a.model) {
    console.error("usage: score-node.mjs --model model.onnx [--ep cuda|webgpu|cpu] [--batch 32] [--seconds 8] [--concurrency 1] [--sessions 1] [--node-modules DIR] [--check] [--input float32|uint8]");
    process.exit(2);
  }
  return a;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const a = args();
  // onnxruntime-node from the bundle's node_modules (or the repo's, when run here).
  const base = a.nodeModules ? path.join(path.resolve(a.nodeModules), "_") : fileURLToPath(import.meta.url);
  const ort = createRequire(base)("onnxruntime-node");
  const modelBytes = readFileSync(a.model);
  const size = 224;
  const shape = [a.batch, size, size, 3];
  const pixels = new Uint8Array(a.batch * size * size * 3);
  let seed = 1;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const x = a.input === "uint8" ? pixels : Float32Array.from(pixels, (p) => p / 255);
  const feeds = { image: new ort.Tensor(a.input, x, shape) };
  const result = { runtime: "onnxruntime-node", ortVersion: ort.env.versions?.node ?? "?", node: process.version, ep: a.ep, input: a.input, batch: a.batch, concurrency: a.concurrency, sessions: a.sessions };

  const sessions = [];
  const t0 = performance.now();
  try {
    const providers = a.ep === "cpu" ? ["cpu"] : [a.ep, "cpu"];
    for (let i = 0; i < a.sessions; i++) sessions.push(await ort.InferenceSession.create(modelBytes, { graphOptimizationLevel: "all", executionProviders: providers }));
    result.sessionMs = Math.round(performance.now() - t0);
    const w0 = performance.now();
    for (const s of sessions) for (let i = 0; i < a.warmup; i++) await s.run(feeds);
    result.warmupMs = Math.round(performance.now() - w0);
  } catch (e) {
    result.error = String(e?.message ?? e).slice(0, 2000);
    console.log(`onnxruntime-node ${a.ep}: FAILED: ${result.error}`);
    console.log(`RESULT ${JSON.stringify(result)}`);
    process.exitCode = 1;
    return;
  }

  const latencies = [];
  let runs = 0;
  const deadline = performance.now() + a.seconds * 1000;
  const start = performance.now();
  // `concurrency` runs in flight: lets ONNX Runtime overlap one run's copies with another's kernels, if it can.
  await Promise.all(
    Array.from({ length: a.concurrency }, async (_, worker) => {
      const session = sessions[worker % sessions.length];
      while (performance.now() < deadline) {
        const s = performance.now();
        const out = await session.run(feeds);
        latencies.push(performance.now() - s);
        runs++;
        for (const t of Object.values(out)) t.dispose?.();
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((p, q) => p - q);
  Object.assign(result, {
    imagesPerSecond: Math.round((runs * a.batch) / elapsed),
    runs,
    seconds: Number(elapsed.toFixed(2)),
    p50BatchMs: Number(percentile(latencies, 50).toFixed(2)),
    p99BatchMs: Number(percentile(latencies, 99).toFixed(2)),
  });

  if (a.check && a.ep !== "cpu") {
    const cpu = await ort.InferenceSession.create(modelBytes, { graphOptimizationLevel: "all", executionProviders: ["cpu"] });
    const [g, c] = await Promise.all([sessions[0].run(feeds), cpu.run(feeds)]);
    const gv = g.probabilities.data;
    const cv = c.probabilities.data;
    let maxDiff = 0;
    for (let i = 0; i < gv.length; i++) maxDiff = Math.max(maxDiff, Math.abs(gv[i] - cv[i]));
    result.maxAbsDiffVsCpu = Number(maxDiff.toExponential(2));
    await cpu.release();
  }
  for (const s of sessions) await s.release();
  console.log(
    `onnxruntime-node ${a.ep} ${a.input} batch ${a.batch} ×${a.concurrency}${a.sessions > 1 ? ` over ${a.sessions} sessions` : ""}: ${result.imagesPerSecond} images/s (p50 ${result.p50BatchMs} ms, p99 ${result.p99BatchMs} ms per batch; session ${result.sessionMs} ms, warm-up ${result.warmupMs} ms)` +
      (result.maxAbsDiffVsCpu !== undefined ? `, max |Δ| vs cpu ${result.maxAbsDiffVsCpu}` : ""),
  );
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
