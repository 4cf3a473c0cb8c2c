// Where the batch scorer reads and writes, relative to the input and output locations.
import type { BlobStore } from "../../core/index.js";

/** The keys of a job's output location. */
export const BATCH_LAYOUT = {
  /** One CSV per input partition: id, label, p_<label>... */
  results: "results",
  /** One commit marker per finished partition: the only thing readers trust. */
  commits: "_commits",
  /** Copies of corrupt partitions (or single images), each with a `<name>.reason.json`. */
  quarantine: "quarantine",
  manifest: "manifest.json",
  /** Image jobs: how the job partitions its input (images per partition, listing hash): a resume must agree. */
  job: "_job.json",
} as const;

/** The input extensions the scorer reads for a tabular model. */
export const INPUT_EXTENSIONS = [".csv", ".parquet"] as const;
/** The input extensions the scorer reads for an image model. */
export const IMAGE_INPUT_EXTENSIONS = [".png", ".jpg", ".jpeg"] as const;
/** Images per partition by default: a partition is the unit of commit, resume and parallelism. */
export const DEFAULT_IMAGES_PER_PARTITION = 500;

export interface Partition {
  /** Position in the sorted input listing: it decides the worker (index mod workers). */
  index: number;
  /** The input key, relative to the input location; for images, the partition's name. */
  key: string;
  /**
   * A flat name for the outputs: the key with `/` → `__`, without a .csv extension (a.parquet
   * stays a.parquet, beside a.csv); `images-00000`, `images-00001`, ... for image chunks.
   */
  name: string;
  format: "csv" | "parquet" | "images";
  /** For format "images": the image keys of this partition, sorted. */
  images?: string[];
}

/** The input's keys the scorer could read, by kind (hidden files and `_` folders skipped). */
export async function listInputKeys(input: BlobStore): Promise<{ tabular: string[]; images: string[] }> {
  const keys = (await input.list()).filter((k) => !k.split("/").some((part) => part.startsWith(".") || part.startsWith("_")));
  const has = (k: string, exts: readonly string[]) => exts.some((ext) => k.toLowerCase().endsWith(ext));
  return { tabular: keys.filter((k) => has(k, INPUT_EXTENSIONS)).sort(), images: keys.filter((k) => has(k, IMAGE_INPUT_EXTENSIONS)).sort() };
}

export interface ListPartitionsOptions {
  /** What the model reads: CSV / Parquet files (default), or image files. */
  kind?: "tabular" | "image";
  /** Image keys per partition (kind "image"). Default DEFAULT_IMAGES_PER_PARTITION. */
  imagesPerPartition?: number;
}

/**
 * The input's partitions, sorted by key so that every worker sees the same numbering. Keys under
 * the output's own folders (when output is inside input) and hidden files are skipped. A tabular
 * model's partitions are its CSV / Parquet files; an image model's are its sorted image keys in
 * chunks of `imagesPerPartition`. Files of the other kind are not partitions.
 */
export async function listPartitions(input: BlobStore, options: ListPartitionsOptions = {}): Promise<Partition[]> {
  const keys = await listInputKeys(input);
  return options.kind === "image" ? imagePartitions(keys.images, options.imagesPerPartition ?? DEFAULT_IMAGES_PER_PARTITION) : tabularPartitions(keys.tabular);
}

export function tabularPartitions(keys: string[]): Partition[] {
  return keys.map((key, index) => ({
    index,
    key,
    name: key.replace(/\.csv$/i, "").replace(/\//g, "__"),
    format: key.toLowerCase().endsWith(".parquet") ? ("parquet" as const) : ("csv" as const),
  }));
}

export function imagePartitions(keys: string[], perPartition: number): Partition[] {
  const partitions: Partition[] = [];
  for (let from = 0, index = 0; from < keys.length; from += perPartition, index++) {
    const name = `images-${String(index).padStart(5, "0")}`;
    partitions.push({ index, key: name, name, format: "images", images: keys.slice(from, from + perPartition) });
  }
  return partitions;
}

/** The partitions of worker `rank` of `workers`: partition i goes to worker i mod workers. */
export function assignPartitions<T extends { index: number }>(partitions: T[], rank: number, workers: number): T[] {
  return partitions.filter((p) => p.index % workers === rank);
}

export const resultKey = (p: Partition) => `${BATCH_LAYOUT.results}/${p.name}.csv`;
export const commitKey = (p: Partition) => `${BATCH_LAYOUT.commits}/${p.name}.json`;
export const quarantineKey = (p: Partition) => `${BATCH_LAYOUT.quarantine}/${p.key}`;
export const quarantineReasonKey = (p: Partition) => `${BATCH_LAYOUT.quarantine}/${p.key}.reason.json`;
/** Where one quarantined image (its input key) and its reason go. */
export const quarantineImageKey = (key: string) => `${BATCH_LAYOUT.quarantine}/${key}`;
export const quarantineImageReasonKey = (key: string) => `${BATCH_LAYOUT.quarantine}/${key}.reason.json`;

/** What a commit marker holds. Written last: a partition without one is not done, whatever else exists. */
export interface CommitMarker {
  partition: string;
  index: number;
  status: "scored" | "quarantined";
  /** Rows (or images) scored (0 when quarantined). */
  rows: number;
  /** Image partitions: the images quarantined one by one (the others are in the results). */
  quarantinedImages?: { key: string; reason: string }[];
  /** The result key (scored) or the quarantined copy (quarantined). */
  output: string;
  /** Why it was quarantined. */
  error?: string;
  worker: number;
  /** The worker's process id, to tell attempts apart. */
  pid: number;
  startedAt: string;
  committedAt: string;
  durationMs: number;
}
