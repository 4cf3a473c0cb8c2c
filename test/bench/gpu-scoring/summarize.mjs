// The GPU scoring table from run.sh's results.jsonl, with ratios against PyTorch on the same GPU.
//   node summarize.mjs results.jsonl
import { readFileSync } from "node:fs";

const rows = readFileSync(process.argv[2], "utf8")
  .split("\n")
  .filter((l) => l.trim().startsWith("{"))
  .map((l) => JSON.parse(l));
const label = (r) =>
  r.runtime === "onnxruntime-node"
    ? `onnxruntime-node ${r.ep}${r.concurrency > 1 ? ` ×${r.concurrency} in flight` : ""}${r.ep === "cuda" && r.provider ? ` (provider ${r.provider})` : ""}`
    : { "ort-cuda": "onnxruntime-gpu (Python), host input", "ort-cuda-bound": "onnxruntime-gpu (Python), I/O bound on the GPU", torch: "PyTorch, input on the GPU", "torch-host": "PyTorch, host input copied" }[r.peer] ?? r.peer;
// ONNX Runtime's errors start with a C++ signature; the cause is further in.
const shortError = (e) => (/CUDA failure \d+: [^;]*|Failed to [^\n]*|cannot open shared object file[^\n]*|[A-Za-z]+Error: [^\n]*/.exec(e)?.[0] ?? e).replace(/\s+/g, " ").slice(0, 200);
const find = (peer) => rows.find((r) => r.peer === peer && r.imagesPerSecond);
const torch = find("torch");
const torchHost = find("torch-host");
const ratio = (r, ref) => (r.imagesPerSecond && ref ? (r.imagesPerSecond / ref.imagesPerSecond).toFixed(2) : "");
console.log(`| scorer (batch ${rows[0]?.batch ?? "?"}) | images/s | p50 / p99 ms per batch | ÷ PyTorch (GPU input) | ÷ PyTorch (host input) | note |`);
console.log("|---|---:|---:|---:|---:|---|");
for (const r of rows) {
  const note = r.error ? `FAILED: ${shortError(r.error)}` : r.maxAbsDiffVsCpu !== undefined ? `max abs diff vs cpu ${r.maxAbsDiffVsCpu}` : "";
  const lat = r.p50BatchMs !== undefined ? `${r.p50BatchMs} / ${r.p99BatchMs}` : "";
  console.log(`| ${label(r)} | ${r.imagesPerSecond ?? ""} | ${lat} | ${ratio(r, torch)} | ${ratio(r, torchHost)} | ${note} |`);
}
