// `npm run fuzz [-- --requests N --seed S --concurrency C --slow K]`: the full fuzz run against a
// real `custom-ai serve` process. Prints answers by category and status, the latency of the valid
// requests mixed in, the server's RSS before and after, and every contract violation; exits 1 on
// any violation or if the server died. Writes out/fuzz/report.json.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateCases } from "./cases.js";
import { runFuzz } from "./client.js";
import { fuzzModel, fuzzTarget, type FuzzModel } from "./targets.js";
import { percentile, processRssMb } from "../../../lib/serve/index.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "10000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    concurrency: { type: "string", default: "32" },
    slow: { type: "string", default: "40" },
    model: { type: "string", default: "tabular" },
  },
});
const requests = Number(values.requests);
const seed = Number(values.seed);
const BODY_LIMIT = 64 * 1024;
const MAX_QUEUE = 64;
const REQUEST_TIMEOUT_MS = 2000;

const rssMb = (pid: number) => processRssMb(pid) ?? NaN;

if (values.model !== "tabular" && values.model !== "image") throw new Error(`--model takes tabular or image, not ${values.model}`);
const kind = values.model as FuzzModel;
const model = await fuzzModel(kind);
const child = spawn(
  process.execPath,
  ["bin/custom-ai.mjs", "serve", "--model", model.dir, "--port", "0", "--log-level", "error", "--body-limit", String(BODY_LIMIT), "--max-queue", String(MAX_QUEUE), "--request-timeout-ms", String(REQUEST_TIMEOUT_MS)],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let stderr = "";
child.stderr!.on("data", (d) => (stderr += d));
const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
const url = await new Promise<string>((resolve, reject) => {
  const t = setInterval(() => {
    const m = /Model ready: (http:\/\/[^/\s]+)/.exec(stderr);
    if (m) clearInterval(t), resolve(m[1]);
    if (child.exitCode !== null) clearInterval(t), reject(new Error(`the server exited: ${stderr}`));
  }, 50);
});
const port = Number(new URL(url).port);
const meta = (await (await fetch(`${url}/v2/models/${model.name}`)).json()) as { inputs: { name: string }[] };
const target = fuzzTarget(kind, model.name, meta.inputs[0].name, { bodyLimit: BODY_LIMIT, maxRows: MAX_QUEUE });

const cases = generateCases(target, requests, seed, { slow: Number(values.slow), slowDelayMs: 400 });
console.log(`fuzzing ${url} (${kind} model ${model.name}, pid ${child.pid}) with ${cases.length} requests, seed ${seed}, ${values.concurrency} at a time`);
const rssBefore = rssMb(child.pid!);
const t0 = Date.now();
const report = await runFuzz(port, cases, {
  concurrency: Number(values.concurrency),
  timeoutMs: 30_000,
  onProgress: (n) => n % 1000 === 0 && process.stderr.write(`  ${n}/${cases.length}\n`),
});
const seconds = (Date.now() - t0) / 1000;
const alive = child.exitCode === null && (await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false));
const metrics = alive ? await (await fetch(`${url}/metrics`)).text() : "";
const fiveXx = [...metrics.matchAll(/scoring_http_requests_total\{[^}]*status="5\d\d"[^}]*\} (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
const rssAfter = alive ? rssMb(child.pid!) : NaN;
child.kill("SIGTERM");
const code = await exited;

const statuses = [...new Set(Object.values(report.byCategory).flatMap((c) => Object.keys(c)))].sort();
const rows = Object.entries(report.byCategory).sort(([a], [b]) => a.localeCompare(b));
const w = 16;
console.log(`\n${"category".padEnd(w)}${statuses.map((s) => s.padStart(8)).join("")}`);
for (const [cat, counts] of rows) console.log(`${cat.padEnd(w)}${statuses.map((s) => String(counts[s] ?? "").padStart(8)).join("")}`);
console.log(`\n${cases.length} requests in ${seconds.toFixed(1)} s; valid ones mixed in: ${report.okLatencyMs.length}, p50 ${percentile(report.okLatencyMs, 50).toFixed(1)} ms, p99 ${percentile(report.okLatencyMs, 99).toFixed(1)} ms`);
console.log(`server RSS ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after; 5xx in /metrics: ${fiveXx}; alive after: ${alive}; exit on SIGTERM: ${code}`);
for (const v of report.violations.slice(0, 20)) console.log(`VIOLATION [${v.category}] ${v.problem}\n  ${JSON.stringify(v.request)}`);
if (!alive) console.log(`The server died; its stderr:\n${stderr.slice(-3000)}`);
const ok = report.violations.length === 0 && alive && fiveXx === 0 && code === 0;
console.log(ok ? "PASS: every hostile request got a 4xx (or a closed connection for broken HTTP framing), no stack traces, no 5xx." : `FAIL: ${report.violations.length} violation(s)${alive ? "" : ", the server died"}${fiveXx ? `, ${fiveXx} 5xx` : ""}`);
mkdirSync(path.join("out", "fuzz"), { recursive: true });
writeFileSync(path.join("out", "fuzz", `report-${kind}.json`), JSON.stringify({ model: kind, seed, requests: cases.length, seconds, rssBefore, rssAfter, fiveXx, alive, exitCode: code, ...report, okLatencyMs: undefined }, null, 2) + "\n");
process.exitCode = ok ? 0 : 1;
