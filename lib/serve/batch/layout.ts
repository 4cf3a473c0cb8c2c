// Where the batch scorer reads and writes, relative to the input and output locations.
import type { BlobStore } from "../../core/index.js";

/** The keys of a job's output location. */
export const BATCH_LAYOUT = {
  /** One CSV per input partition: id, label, p_<label>... */
  results: "results",
  /** One commit marker per finished partition: the only thing readers trust. */
  commits: "_commits",
  /** Copies of corrupt partitions, each with a `<name>.reason.json`. */
  quarantine: "quarantine",
  manifest: "manifest.json",
} as const;

/** The input extensions the scorer reads. */
export const INPUT_EXTENSIONS = [".csv", ".parquet"] as const;

export interface Partition {
  /** Position in the sorted input listing: it decides the worker (index mod workers). */
  index: number;
  /** The input key, relative to the input location. */
  key: string;
  /** A flat name for the outputs: the key with `/` → `__`, without a .csv extension (a.parquet stays a.parquet, beside a.csv). */
  name: string;
  format: "csv" | "parquet";
}

/**
 * The input's partitions, sorted by key so that every worker sees the same numbering. Keys under
 * the output's own folders (when output is inside input) and hidden files are skipped.
 */
export async function listPartitions(input: BlobStore): Promise<Partition[]> {
  const keys = (await input.list()).filter(
    (k) => INPUT_EXTENSIONS.some((ext) => k.toLowerCase().endsWith(ext)) && !k.split("/").some((part) => part.startsWith(".") || part.startsWith("_")),
  );
  return keys.sort().map((key, index) => ({
    index,
    key,
    name: key.replace(/\.csv$/i, "").replace(/\//g, "__"),
    format: key.toLowerCase().endsWith(".parquet") ? ("parquet" as const) : ("csv" as const),
  }));
}

/** The partitions of worker `rank` of `workers`: partition i goes to worker i mod workers. */
export function assignPartitions<T extends { index: number }>(partitions: T[], rank: number, workers: number): T[] {
  return partitions.filter((p) => p.index % workers === rank);
}

export const resultKey = (p: Partition) => `${BATCH_LAYOUT.results}/${p.name}.csv`;
export const commitKey = (p: Partition) => `${BATCH_LAYOUT.commits}/${p.name}.json`;
export const quarantineKey = (p: Partition) => `${BATCH_LAYOUT.quarantine}/${p.key}`;
export const quarantineReasonKey = (p: Partition) => `${BATCH_LAYOUT.quarantine}/${p.key}.reason.json`;

/** What a commit marker holds. Written last: a partition without one is not done, whatever else exists. */
export interface CommitMarker {
  partition: string;
  index: number;
  status: "scored" | "quarantined";
  /** Rows scored (0 when quarantined). */
  rows: number;
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
