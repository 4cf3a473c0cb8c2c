// The GPU scoring table from run.sh's results.jsonl, with ratios against PyTorch on the same GPU:
// at the same batch size (input already on the GPU; host uint8 input), and against PyTorch's best
// images/s at any batch size measured. check-uint8.mjs's lines are listed under the table.
//   node summarize.mjs results.jsonl
import { readFileSync } from "node:fs";

const all = readFileSync(process.argv[2], "utf8")
  .split("\n")
  .filter((l) => l.trim().startsWith("{"))
  .map((l) => JSON.parse(l));
const checks = all.filter((r) => r.check);
const rows = all.filter((r) => !r.check);
const peerNames = {
  "ort-cuda": "onnxruntime-gpu (Python), host input",
  "ort-cuda-u8": "onnxruntime-gpu (Python), host input",
  "ort-cuda-bound": "onnxruntime-gpu (Python), I/O bound on the GPU",
  torch: "PyTorch, input on the GPU",
  "torch-host": "PyTorch, host input copied",
  "torch-host-u8": "PyTorch, host input copied",
};
const label = (r) =>
  r.runtime === "onnxruntime-node" ? `onnxruntime-node ${r.ep}${r.ep === "cuda" && r.provider ? ` (provider ${r.provider})` : ""}` : (peerNames[r.peer] ?? r.peer);
const input = (r) => r.input ?? (r.peer?.endsWith("-u8") ? "uint8" : "float32");
// ONNX Runtime's errors start with a C++ signature; the cause is further in.
const shortError = (e) => (/CUDA failure \d+: [^;]*|Failed to [^\n]*|cannot open shared object file[^\n]*|[A-Za-z]+Error: [^\n]*/.exec(e)?.[0] ?? e).replace(/\s+/g, " ").slice(0, 200);
const find = (peer, batch) => rows.find((r) => r.peer === peer && r.batch === batch && r.imagesPerSecond);
const best = (peer) => rows.filter((r) => r.peer === peer && r.imagesPerSecond).sort((p, q) => q.imagesPerSecond - p.imagesPerSecond)[0];
const bestTorch = best("torch");
const ratio = (r, ref) => (r.imagesPerSecond && ref ? (r.imagesPerSecond / ref.imagesPerSecond).toFixed(2) : "");
const input8 = (b) => find("torch-host-u8", b);

console.log(
  `| scorer | input | batch | in flight | images/s | p50 / p99 ms per batch | ÷ PyTorch, GPU input, same batch | ÷ PyTorch, host uint8, same batch | ÷ PyTorch's best${bestTorch ? ` (${bestTorch.imagesPerSecond}, batch ${bestTorch.batch})` : ""} | note |`,
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
for (const r of rows) {
  const note = r.error ? `FAILED: ${shortError(r.error)}` : r.maxAbsDiffVsCpu !== undefined ? `max abs diff vs cpu ${r.maxAbsDiffVsCpu}` : "";
  const lat = r.p50BatchMs !== undefined ? `${r.p50BatchMs} / ${r.p99BatchMs}` : "";
  console.log(
    `| ${label(r)} | ${input(r)} | ${r.batch ?? ""} | ${r.concurrency ?? 1}${r.sessions > 1 ? ` (${r.sessions} sessions)` : ""} | ${r.imagesPerSecond ?? ""} | ${lat} | ${ratio(r, find("torch", r.batch))} | ${ratio(r, input8(r.batch))} | ${ratio(r, bestTorch)} | ${note} |`,
  );
}
const node = rows.filter((r) => r.runtime === "onnxruntime-node" && r.ep === "cuda" && r.imagesPerSecond).sort((p, q) => q.imagesPerSecond - p.imagesPerSecond)[0];
if (node && bestTorch)
  console.log(
    `\nBest onnxruntime-node CUDA: ${node.imagesPerSecond} images/s (${input(node)}, batch ${node.batch}, ${node.concurrency ?? 1} in flight${node.sessions > 1 ? ` over ${node.sessions} sessions` : ""}) = ${ratio(node, bestTorch)}x PyTorch's best with input on the GPU (${bestTorch.imagesPerSecond}, batch ${bestTorch.batch}).`,
  );
for (const c of checks)
  console.log(`\nCheck ${c.check} on ${c.ep} (batch ${c.batch}): ${c.error ? `FAILED: ${shortError(c.error)}` : `max abs diff ${c.maxAbsDiff}, tolerance ${c.tolerance}: ${c.ok ? "ok" : "FAILED"}`}`);
