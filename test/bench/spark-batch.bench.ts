// The Spark batch job (environments/spark/score_batch.py on local[N]) against the toolkit's own
// batch scorer (`custom-ai score --workers N`) and the pandas + onnxruntime peer, on the same CSV
// partitions and model, in one run: rows/s over the whole job, Spark's start-up (JVM, session,
// listing, model) and scoring stage apart, peak RSS of each job's process tree. The numbers the
// compute-platform guide uses to say when Spark pays off.
//   BENCH_SPARK_ROWS (1000000)  BENCH_SPARK_CORES (CPUs)  BENCH_SPARK_10M (0; 1 adds 10x the rows, one run)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { localSparkEnvironment, localSubmitArgs, SPARK_JOB_FILES, SPARK_LINE_PREFIX } from "../../lib/spark/index.js";
import { batchDataset, type BatchDataset } from "./batch-data.js";
import { runJob, type JobRun } from "./batch-job.js";
import { makeTabularModel } from "./bench-models.js";
import { envInt, median, table } from "./format.js";
import { BATCH_PEER_REQUIREMENTS, ensureVenv } from "./peer-venv.js";
import type { BenchSuite } from "./suite.js";

const MiB = 2 ** 20;

interface Run {
  ms: number;
  rowsPerS: number;
  peakRss: number;
  cpuS?: number;
  startupS?: number;
  scoreS?: number;
}
interface Case {
  name: string;
  rows: number;
  runs: Run[];
  skipped?: string;
}

/** The last JSON object in a job's output: a `prefix` line, or (without one) a bare object, pretty-printed or not. */
function lastJson(output: string, prefix = ""): Record<string, unknown> | undefined {
  const lines = output.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (prefix ? !line.startsWith(prefix) : !line.startsWith("{")) continue;
    for (let end = prefix ? i + 1 : lines.length; end > i; end--) {
      try {
        return JSON.parse(lines.slice(i, end).join("\n").slice(prefix.length)) as Record<string, unknown>;
      } catch {
        // not a whole object yet: try fewer lines
      }
    }
  }
  return undefined;
}

export const sparkBatchSuite: BenchSuite = {
  name: "spark-batch",
  title: "Batch scoring with Spark (local[N]) vs the toolkit's batch scorer vs pandas + onnxruntime (rows/s, start-up, peak RSS)",
  goal: "report only: how long Spark takes to start, how fast it scores once started, and the row count at which its start-up stops mattering",
  async run(ctx) {
    const cores = envInt("BENCH_SPARK_CORES", os.availableParallelism());
    const rows = envInt("BENCH_SPARK_ROWS", 1_000_000);
    const partitions = Math.max(8, 4 * cores);
    const out = path.join(ctx.root, "out", "bench", "spark-batch");
    const model = await makeTabularModel(path.join(ctx.root, "out", "bench", "models", "spark-batch"));
    const sizes: BatchDataset[] = [await batchDataset(ctx.root, rows, partitions, false, ctx.log)];
    if (process.env.BENCH_SPARK_10M === "1") sizes.push(await batchDataset(ctx.root, rows * 10, partitions, false, ctx.log));
    const spark = localSparkEnvironment();
    const venv = await ensureVenv(ctx.root, "batch-peers", BATCH_PEER_REQUIREMENTS, ctx.log).catch((e: Error) => e);

    const argv = {
      ours: (input: string, output: string) => [process.execPath, path.join(ctx.root, "bin", "custom-ai.mjs"), "score", "--model", model.dir, "--input", input, "--output", output, "--workers", String(cores), "--json"],
      pandas: (input: string, output: string) =>
        venv instanceof Error ? [] : [venv.python, path.join(ctx.root, "test", "bench", "peers", "batch_pandas.py"), "--model", model.dir, "--input", input, "--output", output, "--workers", String(cores)],
      spark: (input: string, output: string, scratch: string) => [
        spark.sparkSubmit,
        ...localSubmitArgs({
          app: path.join(ctx.root, SPARK_JOB_FILES.batch),
          pyFiles: [path.join(ctx.root, SPARK_JOB_FILES.common)],
          args: ["--model", model.dir, "--input", input, "--output", output],
          cores,
          driverMemory: "2g",
          scratchDir: scratch,
          log4jConfig: path.join(ctx.root, "environments", "spark", "log4j2.properties"),
        }),
      ],
    };
    const groups = sizes.map((data) => ({
      data,
      cases: {
        ours: { name: "ours (custom-ai score)", rows: data.rows, runs: [] } as Case,
        pandas: { name: "pandas + onnxruntime", rows: data.rows, runs: [], ...(venv instanceof Error ? { skipped: venv.message.split("\n")[0] } : {}) } as Case,
        spark: { name: `Spark local[${cores}] (score_batch.py)`, rows: data.rows, runs: [] } as Case,
      },
    }));
    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const g of groups.filter((g) => rep === 0 || g.data.rows === rows)) {
        for (const [kind, c] of Object.entries(g.cases) as [keyof typeof argv, Case][]) {
          if (c.skipped) continue;
          const dir = path.join(out, `${kind}-${g.data.rows}`);
          rmSync(dir, { recursive: true, force: true });
          const scratch = mkdtempSync(path.join(os.tmpdir(), "bench-spark-"));
          let run: JobRun;
          try {
            run = await runJob(kind === "spark" ? argv.spark(g.data.csv, dir, scratch) : argv[kind](g.data.csv, dir), {
              cwd: ctx.root,
              env: { ...process.env, SPARK_HOME: spark.sparkHome, PYSPARK_PYTHON: spark.python, PYSPARK_DRIVER_PYTHON: spark.python, SPARK_LOCAL_IP: "127.0.0.1", TMPDIR: scratch },
            });
          } finally {
            rmSync(scratch, { recursive: true, force: true });
          }
          if (run.code !== 0) throw new Error(`${c.name} exited ${run.code}: ${run.output.slice(-1500)}`);
          const result = kind === "spark" ? lastJson(run.output, SPARK_LINE_PREFIX.result) : lastJson(run.output);
          const scored = Number(result?.rows);
          if (scored !== g.data.rows) throw new Error(`${c.name} scored ${scored} rows, not ${g.data.rows}`);
          c.runs.push({
            ms: run.ms,
            rowsPerS: g.data.rows / (run.ms / 1000),
            peakRss: run.peakRss,
            ...(run.cpuS !== undefined ? { cpuS: run.cpuS } : {}),
            ...(kind === "spark" ? { startupS: Number(result!.startupSeconds), scoreS: Number(result!.scoreSeconds) } : {}),
          });
          ctx.log(`rep ${rep + 1}/${ctx.reps} ${c.name} ${g.data.rows.toLocaleString("en-US")} rows: ${(run.ms / 1000).toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}`);
          if (g.data.rows !== rows) rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    const med = (c: Case, f: (r: Run) => number | undefined) => (c.runs.length && c.runs.every((r) => f(r) !== undefined) ? median(c.runs.map((r) => f(r)!)) : NaN);
    const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
    const body = groups.flatMap((g) =>
      Object.values(g.cases).map((c) => [
        c.name,
        `${g.data.rows / 1e6}M`,
        c.skipped ? "–" : fmt(med(c, (r) => r.ms / 1000)),
        c.skipped ? `skipped: ${c.skipped.slice(0, 40)}` : Math.round(med(c, (r) => r.rowsPerS)).toLocaleString("en-US"),
        fmt(med(c, (r) => r.startupS)),
        fmt(med(c, (r) => r.scoreS)),
        Number.isFinite(med(c, (r) => r.scoreS)) ? Math.round(g.data.rows / med(c, (r) => r.scoreS)).toLocaleString("en-US") : "–",
        fmt(med(c, (r) => r.cpuS)),
        c.skipped ? "–" : fmt(Math.max(...c.runs.map((r) => r.peakRss)) / MiB, 0),
        c.skipped || !g.cases.ours.runs.length ? "–" : `${(med(c, (r) => r.rowsPerS) / med(g.cases.ours, (r) => r.rowsPerS)).toFixed(2)}x`,
      ]),
    );
    const first = groups[0].cases;
    const startup = med(first.spark, (r) => r.startupS);
    const sparkRate = rows / med(first.spark, (r) => r.scoreS);
    const oursRate = med(first.ours, (r) => r.rowsPerS);
    // Spark's whole job beats ours once startup + n / sparkRate < n / oursRate: n > startup / (1/oursRate − 1/sparkRate).
    const breakEven = sparkRate > oursRate ? Math.round(startup / (1 / oursRate - 1 / sparkRate)) : Infinity;
    const verdict = `Spark starts in ${fmt(startup)} s and scores ${Math.round(sparkRate).toLocaleString("en-US")} rows/s once started; ours ${Math.round(oursRate).toLocaleString("en-US")} rows/s start-up included (${(med(first.spark, (r) => r.rowsPerS) / oursRate).toFixed(2)}x for the whole Spark job at ${rows / 1e6}M rows); ${Number.isFinite(breakEven) ? `Spark's job would be faster past ~${breakEven.toLocaleString("en-US")} rows on this machine` : "on this machine Spark's scoring stage is not faster than ours, so its start-up is never repaid"}`;
    return {
      table:
        table(["job", "rows", "wall s", "rows/s", "Spark start-up s", "Spark scoring s", "rows/s scoring", "CPU s", "peak RSS MiB", "vs ours"], body) +
        `\n(${cores} processes / cores each; CSV, ${partitions} partitions; rows/s over the whole job, start-up included; Spark's start-up is submit → scoring stage (JVM, session, listing, model); peak RSS summed over each job's process tree.)`,
      verdict: { pass: true, text: verdict },
      data: { cores, rows, partitions, groups, breakEvenRows: breakEven },
    };
  },
};
