// Scoring one image partition: its image keys, read a few at a time, decoded and scored in
// batches; a corrupt or wrong-size image is quarantined on its own (quarantine/<key> and
// <key>.reason.json) and the rest of the partition is scored. Same commit protocol as CSV
// partitions (worker.ts): temporary file, atomic move, then the marker (written by the caller).
import { putJson, type BlobStore } from "../../core/index.js";
import { ImageInputError } from "../image/index.js";
import { commitResultFile, openResultFile } from "./commit.js";
import { ResultWriter, resultHeader } from "./csv.js";
import { BatchScoringError } from "./errors.js";
import { quarantineImageKey, quarantineImageReasonKey, resultKey, type CommitMarker, type Partition } from "./layout.js";
import type { BatchModel } from "./model.js";

/** What scoring one partition needs (CSV, Parquet or images). */
export interface PartitionContext {
  input: BlobStore;
  output: BlobStore;
  model: BatchModel;
  /** Rows (images) per ONNX Runtime call. */
  batchSize: number;
  rank: number;
  onRows: (rows: number) => Promise<void>;
}

/** Reads at most this many images at once (Blob downloads overlap; a folder does not mind). */
const READ_AHEAD = 16;

export async function scoreImagePartition(partition: Partition, ctx: PartitionContext): Promise<CommitMarker> {
  const started = Date.now();
  const { input, output, model } = ctx;
  const decode = model.decodeImage;
  if (!decode || !partition.images) throw new BatchScoringError("BAD_MODEL", `Partition ${partition.key} holds images, but model ${model.name} takes no images.`);
  const keys = partition.images;
  const file = await openResultFile(output, partition);
  const write = file.write;
  const writer = new ResultWriter(model.labels);
  const x = new Float32Array(ctx.batchSize * model.rowSize);
  const quarantined: { key: string; reason: string }[] = [];
  let ids: string[] = [];
  let rows = 0;
  const flush = async () => {
    if (ids.length === 0) return;
    const probs = await model.score(x, ids.length);
    await write(Buffer.from(writer.rows(ids, probs, ids.length))); // a copy: the writer reuses its buffer
    rows += ids.length;
    await ctx.onRows(ids.length);
    ids = [];
  };
  try {
    await write(resultHeader(model.labels));
    for (let from = 0; from < keys.length; from += READ_AHEAD) {
      const chunk = keys.slice(from, from + READ_AHEAD);
      const files = await Promise.all(chunk.map((key) => input.get(key)));
      for (let i = 0; i < chunk.length; i++) {
        const key = chunk[i];
        const bytes = files[i];
        if (!bytes) throw new BatchScoringError("NO_INPUT", `${input.url}/${key} disappeared while the job ran: do not change the input while a job scores it.`);
        try {
          decode(bytes, x, ids.length * model.rowSize);
        } catch (error) {
          if (!(error instanceof ImageInputError)) throw error;
          const reason = `${key} ${error.message}`;
          await output.put(quarantineImageKey(key), bytes);
          await putJson(output, quarantineImageReasonKey(key), { image: key, partition: partition.key, problem: error.problem, reason, at: new Date().toISOString() });
          quarantined.push({ key, reason });
          continue;
        }
        ids.push(key);
        if (ids.length === ctx.batchSize) await flush();
      }
    }
    await flush();
    await file.end();
  } catch (error) {
    await file.discard();
    throw error;
  }
  await commitResultFile(output, file.path, partition);
  return {
    partition: partition.key,
    index: partition.index,
    worker: ctx.rank,
    pid: process.pid,
    startedAt: new Date(started).toISOString(),
    status: "scored",
    rows,
    output: resultKey(partition),
    ...(quarantined.length ? { quarantinedImages: quarantined } : {}),
    committedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
  };
}
