// Tutorial 2-1 from TypeScript: environments/spark/score_stream.py (Structured Streaming from Kafka
// or a folder, a Parquet file sink with a checkpoint) started locally, and its sink read back the
// way Spark reads it: only the files its _spark_metadata log committed.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importPackage } from "../core/index.js";
import { localSparkEnvironment, SPARK_JOB_FILES } from "./environment.js";
import { sparkKafkaJars } from "./jars.js";
import { startSparkJob, type SparkJob, type SparkProgress } from "./submit.js";

export interface StreamingScoringOptions {
  model: string;
  /** Kafka (a topic on a broker: the local one, or Event Hubs' Kafka endpoint), or a folder of JSON-lines files. */
  source: { kafka: { bootstrap: string; topic: string } } | { files: string };
  /** The Parquet file sink's folder. */
  output: string;
  /** The checkpoint folder: a restart with the same one goes on where the last committed batch ended. */
  checkpoint: string;
  /** Micro-batch trigger. Default 1000 ms. */
  triggerMs?: number;
  /** Records (Kafka) or files per micro-batch; default: all that are there. */
  maxPerBatch?: number;
  /** End the job after this long without new rows (0: run until stopped). Default 0. */
  stopAfterIdleMs?: number;
  cores?: number;
  python?: string;
  /** Called after each micro-batch's commit (and at query start / end). */
  onBatch?: (batch: StreamBatch) => void;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  abortSignal?: AbortSignal;
  log?: (line: string) => void;
}

/** One `@spark-batch` line: a micro-batch committed (event "progress"), or the query's start / end. */
export interface StreamBatch {
  event: "started" | "progress" | "terminated";
  batchId?: number;
  rows?: number;
  /** Spark's phases of the batch: triggerExecution (all of it), addBatch (scoring + writing), walCommit, ... */
  durationMs?: Record<string, number>;
  /** When the listener saw the batch committed (epoch ms). */
  committedAtMs?: number;
  atMs?: number;
}

/** Starts the streaming job (spark-submit in the background); stop it with `stop()` (SIGKILL: `stop("SIGKILL")`). */
export function startStreamingScoring(options: StreamingScoringOptions): SparkJob {
  const env = localSparkEnvironment({ python: options.python });
  const file = (f: string) => path.join(env.root, f);
  const args = ["--model", path.resolve(options.model), "--output", path.resolve(options.output), "--checkpoint", path.resolve(options.checkpoint)];
  let jars: string[] = [];
  if ("kafka" in options.source) {
    args.push("--source", "kafka", "--bootstrap", options.source.kafka.bootstrap, "--topic", options.source.kafka.topic);
    jars = sparkKafkaJars({ root: env.root, log: options.log });
  } else {
    args.push("--source", "files", "--input", path.resolve(options.source.files));
  }
  if (options.triggerMs) args.push("--trigger-ms", String(options.triggerMs));
  if (options.maxPerBatch) args.push("--max-per-batch", String(options.maxPerBatch));
  if (options.stopAfterIdleMs) args.push("--stop-after-idle-ms", String(options.stopAfterIdleMs));
  return startSparkJob({
    name: "custom-ai-stream-scoring",
    app: file(SPARK_JOB_FILES.stream),
    pyFiles: [file(SPARK_JOB_FILES.common)],
    jars,
    args,
    ...(options.cores ? { cores: options.cores } : {}),
    ...(options.python ? { python: options.python } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    onProgress: (p: SparkProgress) => {
      if (p.kind === "micro-batch") options.onBatch?.(p.detail as unknown as StreamBatch);
    },
  });
}

/** The Parquet files each committed micro-batch added: batchId → file paths (from <output>/_spark_metadata/). */
export function committedSinkFiles(output: string): Map<number, string[]> {
  const log = path.join(output, "_spark_metadata");
  const batches = new Map<number, string[]>();
  if (!existsSync(log)) return batches;
  for (const name of readdirSync(log)) {
    const id = Number(name.replace(/\.compact$/, ""));
    if (!Number.isInteger(id)) continue; // .crc, temp files
    const lines = readFileSync(path.join(log, name), "utf8").split("\n").slice(1).filter(Boolean);
    const files = lines
      .map((l) => JSON.parse(l) as { path: string; action: string })
      .filter((e) => e.action === "add")
      .map((e) => (e.path.startsWith("file:") ? fileURLToPath(e.path) : e.path));
    batches.set(id, files);
  }
  return batches;
}

/** A row of the streaming sink. */
export interface SinkRow {
  id: string;
  label: string | null;
  probabilities: Record<string, number>;
  sentAt: number | null;
  scoredAt: number;
  /** Quarantined records: why, and the record as it came. */
  error: string | null;
  value: string | null;
  /** The micro-batch that committed it. */
  batchId: number;
}

/** Every committed row of the sink (files not in the log — a batch killed before its commit — are not read). */
export async function readSinkRows(output: string): Promise<SinkRow[]> {
  const hp = (await importPackage("hyparquet")) as {
    asyncBufferFromFile(file: string): Promise<unknown>;
    parquetReadObjects(options: { file: unknown }): Promise<Record<string, unknown>[]>;
  };
  const rows: SinkRow[] = [];
  for (const [batchId, files] of [...committedSinkFiles(output)].sort((a, b) => a[0] - b[0])) {
    for (const file of files) {
      for (const r of await hp.parquetReadObjects({ file: await hp.asyncBufferFromFile(file) })) {
        const probabilities: Record<string, number> = {};
        for (const [k, v] of Object.entries(r)) if (k.startsWith("p_") && v !== null) probabilities[k.slice(2)] = Number(v);
        const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
        rows.push({
          id: String(r.id),
          label: (r.label as string | null) ?? null,
          probabilities,
          sentAt: num(r.sentAt),
          scoredAt: Number(r.scoredAt),
          error: (r.error as string | null) ?? null,
          value: (r.value as string | null) ?? null,
          batchId,
        });
      }
    }
  }
  return rows;
}
