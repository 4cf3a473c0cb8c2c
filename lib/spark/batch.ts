// Tutorial 2-3 from TypeScript: environments/spark/score_batch.py submitted locally, its summary typed.
import { readdirSync } from "node:fs";
import path from "node:path";
import { importPackage } from "../core/index.js";
import { localSparkEnvironment, SPARK_JOB_FILES } from "./environment.js";
import { SparkError } from "./errors.js";
import { submitSparkJob, type SparkProgress } from "./submit.js";

export interface SparkBatchScoringOptions {
  /** A folder with model.onnx + metadata.json (saveServableModel's). */
  model: string;
  /** A folder of CSV / Parquet files: one partition each, as the Node batch scorer reads them. */
  input: string;
  /** A folder for results/ (partition=<name>/ Parquet or CSV), quarantine/ and summary.json. */
  output: string;
  /** local[N]. Default 2. */
  cores?: number;
  /** Spark partitions to score in. Default: one per input file. */
  partitions?: number;
  resultsFormat?: "parquet" | "csv";
  conf?: Record<string, string>;
  python?: string;
  onProgress?: (progress: SparkProgress) => void;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  abortSignal?: AbortSignal;
}

/** What score_batch.py reports (its `@spark-result` line, also written to <output>/summary.json). */
export interface SparkBatchSummary {
  model: string;
  input: string;
  output: string;
  files: number;
  /** Files scored (not quarantined). */
  scored: number;
  quarantined: { partition: string; reason: string }[];
  rows: number;
  seconds: number;
  /** From submit to the start of scoring: JVM, session, listing, model. */
  startupSeconds: number;
  scoreSeconds: number;
  rowsPerSecond: number;
  /** Python worker pid → ONNX Runtime sessions it created (1 each: one session per worker). */
  sessionsPerWorker: Record<string, number>;
  master: string;
  sparkVersion: string;
  /** Wall time of spark-submit, seen from here. */
  submitSeconds: number;
}

/** Scores a folder with the Spark batch job on local Spark. Throws SparkError (SPARK_UNAVAILABLE, SPARK_JOB_FAILED, ABORTED). */
export async function scoreBatchWithSpark(options: SparkBatchScoringOptions): Promise<SparkBatchSummary> {
  const env = localSparkEnvironment({ python: options.python });
  const file = (f: string) => path.join(env.root, f);
  const args = ["--model", path.resolve(options.model), "--input", path.resolve(options.input), "--output", path.resolve(options.output)];
  if (options.partitions) args.push("--partitions", String(options.partitions));
  if (options.resultsFormat) args.push("--results-format", options.resultsFormat);
  const run = await submitSparkJob({
    name: "custom-ai-batch-scoring",
    app: file(SPARK_JOB_FILES.batch),
    pyFiles: [file(SPARK_JOB_FILES.common)],
    args,
    ...(options.cores ? { cores: options.cores } : {}),
    ...(options.conf ? { conf: options.conf } : {}),
    ...(options.python ? { python: options.python } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  });
  if (!run.result || typeof run.result.rows !== "number") {
    throw new SparkError("SPARK_JOB_FAILED", `The Spark batch job exited 0 but printed no result line. The driver log's last lines:\n${run.logTail.slice(-25).join("\n")}`, { logTail: run.logTail });
  }
  return { ...(run.result as unknown as Omit<SparkBatchSummary, "submitSeconds">), submitSeconds: run.durationMs / 1000 };
}

/** One result row of the Spark batch job. */
export interface SparkBatchRow {
  id: string;
  label: string;
  /** p_<label> by label. */
  probabilities: Record<string, number>;
}

/** The Parquet results of score_batch.py (<output>/results/partition=<name>/*.parquet), by partition name. */
export async function readSparkBatchResults(output: string): Promise<Map<string, SparkBatchRow[]>> {
  const hp = (await importPackage("hyparquet")) as {
    asyncBufferFromFile(file: string): Promise<unknown>;
    parquetReadObjects(options: { file: unknown }): Promise<Record<string, unknown>[]>;
  };
  const dir = path.join(output, "results");
  const out = new Map<string, SparkBatchRow[]>();
  for (const entry of readdirSync(dir).filter((d) => d.startsWith("partition=")).sort()) {
    const rows: SparkBatchRow[] = [];
    for (const file of readdirSync(path.join(dir, entry)).filter((f) => f.endsWith(".parquet")).sort()) {
      for (const r of await hp.parquetReadObjects({ file: await hp.asyncBufferFromFile(path.join(dir, entry, file)) })) {
        const probabilities: Record<string, number> = {};
        for (const [k, v] of Object.entries(r)) if (k.startsWith("p_")) probabilities[k.slice(2)] = Number(v);
        rows.push({ id: String(r.id), label: String(r.label), probabilities });
      }
    }
    out.set(unescapePartition(entry.slice("partition=".length)), rows);
  }
  return out;
}

/** Spark escapes some characters of partition values as %XX in folder names. */
function unescapePartition(value: string): string {
  return value.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
