// _job.json: how an image job partitions its input, written by the first run (or the first
// worker of a Kubernetes Indexed Job) and checked by every later one. Image partitions are chunks of the
// sorted image keys, so a resume that chunked differently, or saw other images, would score some
// images twice and others never: it is refused instead.
import { createHash } from "node:crypto";
import { getJson, putJson, type BlobStore } from "../../core/index.js";
import { BatchScoringError } from "./errors.js";
import { BATCH_LAYOUT, DEFAULT_IMAGES_PER_PARTITION, imagePartitions, listInputKeys, tabularPartitions, type Partition } from "./layout.js";

export interface BatchJobFile {
  /** What the model reads: CSV / Parquet rows, or image files. */
  kind: "tabular" | "image";
  /** The model's name (metadata.json). */
  model: string;
  /** Image jobs: the chunk size, the number of images and a hash of their sorted keys. */
  imagesPerPartition?: number;
  images?: number;
  imagesSha256?: string;
}

export interface PlannedJob {
  job: BatchJobFile;
  partitions: Partition[];
  /** Input files of the other kind, not scored (images for a tabular model, CSV / Parquet for an image model). */
  ignored: number;
}

/**
 * The job's partitions for a model of `kind`; for an image model writes _job.json on the first
 * run; refuses (BAD_OPTION) a resume with another model kind, chunk size or image listing. Without
 * `imagesPerPartition`, a resume takes the recorded one.
 */
export async function planBatchJob(input: BlobStore, output: BlobStore, model: { kind: "tabular" | "image"; name: string }, imagesPerPartition?: number): Promise<PlannedJob> {
  const keys = await listInputKeys(input);
  const before = await getJson<BatchJobFile>(output, BATCH_LAYOUT.job);
  const where = `${output.url}/${BATCH_LAYOUT.job}`;
  const fresh = (hint: string) => `${hint}, or score into a new output folder (or delete ${output.url} to start over).`;
  if (before && before.kind !== model.kind) {
    throw new BatchScoringError("BAD_OPTION", `${where} records ${before.kind === "image" ? "an image" : "a tabular"} job (model ${before.model}); model ${model.name} is ${model.kind === "image" ? "an image" : "a tabular"} model. ${fresh("Resume it with the same model")}`);
  }
  if (model.kind === "tabular") {
    // Not written for tabular jobs: their partitions are their files, whatever the run.
    return { job: { kind: "tabular", model: model.name }, partitions: tabularPartitions(keys.tabular), ignored: keys.images.length };
  }
  const per = imagesPerPartition ?? before?.imagesPerPartition ?? DEFAULT_IMAGES_PER_PARTITION;
  if (!Number.isInteger(per) || per < 1) throw new BatchScoringError("BAD_OPTION", `imagesPerPartition must be a whole number ≥ 1, not ${per}.`);
  const job: BatchJobFile = { kind: "image", model: model.name, imagesPerPartition: per, images: keys.images.length, imagesSha256: hashKeys(keys.images) };
  if (before) {
    if (before.imagesPerPartition !== per) {
      throw new BatchScoringError(
        "BAD_OPTION",
        `This job's output (${where}) was partitioned with ${before.imagesPerPartition} images per partition; this run asks for ${per}. ${fresh(`Resume with --images-per-partition ${before.imagesPerPartition} (imagesPerPartition: ${before.imagesPerPartition}), or without it`)}`,
      );
    }
    if (before.imagesSha256 !== job.imagesSha256) {
      throw new BatchScoringError(
        "BAD_OPTION",
        `The input's images changed since this job started (${before.images} images then, ${job.images} now, or the same count with other names): its partitions would no longer line up with the committed ones. Put the images back as they were to resume, or score into a new output folder (or delete ${output.url} to start over).`,
      );
    }
  } else {
    await putJson(output, BATCH_LAYOUT.job, job); // concurrent first workers write the same content
  }
  return { job, partitions: imagePartitions(keys.images, per), ignored: keys.tabular.length };
}

/** The partitions a job recorded in _job.json (for a manifest rebuilt after the job), or undefined. */
export async function recordedPartitions(input: BlobStore, output: BlobStore): Promise<Partition[] | undefined> {
  const job = await getJson<BatchJobFile>(output, BATCH_LAYOUT.job);
  if (!job) return undefined;
  const keys = await listInputKeys(input);
  return job.kind === "image" ? imagePartitions(keys.images, job.imagesPerPartition ?? DEFAULT_IMAGES_PER_PARTITION) : tabularPartitions(keys.tabular);
}

function hashKeys(keys: string[]): string {
  const hash = createHash("sha256");
  for (const key of keys) hash.update(key).update("\n");
  return hash.digest("hex");
}
