// `npm run bench [-- suite...]`: runs the benchmark suites (all, or those named), prints each one's
// table and verdict, and writes its results to out/bench/<suite>.json. A new suite is a module
// exporting a BenchSuite, added to SUITES below.
//   BENCH_REPS=N     measured repetitions per case (default 3)
//   BENCH_STRICT=1   exit 1 when a suite misses its goal (default: report only)
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { batchScoringSuite } from "./batch-scoring.bench.js";
import { notebookRunnerSuite } from "./notebook-runner.bench.js";
import { servingRealtimeSuite } from "./serving-realtime.bench.js";
import { sparkBatchSuite } from "./spark-batch.bench.js";
import { trainingSuite } from "./training.bench.js";
import type { BenchSuite } from "./suite.js";

const SUITES: BenchSuite[] = [notebookRunnerSuite, trainingSuite, servingRealtimeSuite, batchScoringSuite, sparkBatchSuite];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
if (unknown.length) {
  console.error(`Unknown bench suite(s): ${unknown.join(", ")}. Known: ${SUITES.map((s) => s.name).join(", ")}.`);
  process.exit(2);
}
const reps = Number(process.env.BENCH_REPS ?? 3);
if (!Number.isInteger(reps) || reps < 1) {
  console.error("BENCH_REPS must be a whole number ≥ 1.");
  process.exit(2);
}

const machine = { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30) };
// Other work on the machine skews wall times: say so, and keep the load beside the results.
const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const busy = (when: string) => {
  const l = load();
  if (l[0] > machine.cpus * 0.75) console.log(`   note: load average ${l[0]} on ${machine.cpus} CPUs ${when}; other processes are competing, wall times are inflated`);
  return l;
};
const verdicts: string[] = [];
let exitCode = 0;
for (const suite of SUITES.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  console.log(`\n== ${suite.name}: ${suite.title}\n   goal: ${suite.goal}`);
  const started = new Date();
  const loadBefore = busy("before the suite");
  try {
    const report = await suite.run({ root, reps, log: (line) => console.log(`   ${line}`) });
    const loadAfter = busy("after the suite");
    console.log(`\n${report.table}\n\n${report.verdict.text}`);
    const file = path.join(root, "out", "bench", `${suite.name}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ suite: suite.name, title: suite.title, goal: suite.goal, started: started.toISOString(), machine: { ...machine, loadBefore, loadAfter }, verdict: report.verdict, ...(report.data as object) }, null, 2) + "\n");
    console.log(`Results: ${path.relative(root, file)}`);
    verdicts.push(`${suite.name}: ${report.verdict.text}`);
    if (!report.verdict.pass && process.env.BENCH_STRICT === "1") exitCode = 1;
  } catch (e) {
    console.error(`Suite ${suite.name} failed: ${(e as Error).stack ?? e}`);
    verdicts.push(`${suite.name}: ERROR ${(e as Error).message}`);
    exitCode = 1;
  }
}
console.log(`\n== Summary (${machine.cpus} CPUs, Node ${machine.node})\n${verdicts.map((v) => `   ${v}`).join("\n")}`);
process.exitCode = exitCode;
