import { getJson, openStore, putJson, type BlobStore } from "../../core/index.js";
import { recordedPartitions } from "./job.js";
import { BATCH_LAYOUT, commitKey, listPartitions, type CommitMarker, type Partition } from "./layout.js";

export interface ManifestPartition {
  key: string;
  index: number;
  /** pending: no commit marker (not scored yet, or its worker died before committing). */
  status: "scored" | "quarantined" | "pending";
  rows: number;
  output?: string;
  error?: string;
  worker?: number;
  committedAt?: string;
  durationMs?: number;
  /** Image partitions: how many images they hold, the first and last key. */
  images?: { count: number; first: string; last: string };
  /** Image partitions: the images quarantined one by one (quarantine/<key> + <key>.reason.json). */
  quarantinedImages?: { key: string; reason: string }[];
}

/** manifest.json: what the job's output holds, built from the commit markers only. */
export interface BatchManifest {
  input: string;
  output: string;
  createdAt: string;
  complete: boolean;
  /** quarantinedImages: only for image jobs. */
  totals: { partitions: number; scored: number; quarantined: number; pending: number; rows: number; quarantinedImages?: number };
  partitions: ManifestPartition[];
}

/** Reads every partition's commit marker and writes manifest.json into the output. */
export async function writeManifest(input: BlobStore, output: BlobStore, partitions: Partition[]): Promise<BatchManifest> {
  const entries = await Promise.all(
    partitions.map(async (p): Promise<ManifestPartition> => {
      const m = await getJson<CommitMarker>(output, commitKey(p));
      const images = p.images?.length ? { images: { count: p.images.length, first: p.images[0], last: p.images[p.images.length - 1] } } : {};
      if (!m) return { key: p.key, index: p.index, status: "pending", rows: 0, ...images };
      const entry: ManifestPartition = { key: p.key, index: p.index, status: m.status, rows: m.rows, output: m.output, error: m.error, worker: m.worker, committedAt: m.committedAt, durationMs: m.durationMs, ...images };
      if (m.quarantinedImages?.length) entry.quarantinedImages = m.quarantinedImages;
      return entry;
    }),
  );
  const count = (s: ManifestPartition["status"]) => entries.filter((e) => e.status === s).length;
  const manifest: BatchManifest = {
    input: input.url,
    output: output.url,
    createdAt: new Date().toISOString(),
    complete: count("pending") === 0,
    totals: {
      partitions: entries.length,
      scored: count("scored"),
      quarantined: count("quarantined"),
      pending: count("pending"),
      rows: entries.reduce((s, e) => s + e.rows, 0),
      ...(partitions.some((p) => p.format === "images") ? { quarantinedImages: entries.reduce((s, e) => s + (e.quarantinedImages?.length ?? 0), 0) } : {}),
    },
    partitions: entries,
  };
  await putJson(output, BATCH_LAYOUT.manifest, manifest);
  return manifest;
}

/**
 * Rewrites manifest.json of a job from its input listing and commit markers: what runs after a
 * Kubernetes Indexed Job's pods (whose workers write no manifest) to report the job.
 */
export async function writeBatchManifest(options: { input: string; output: string; connectionString?: string }): Promise<BatchManifest> {
  const storeOptions = options.connectionString ? { connectionString: options.connectionString } : {};
  const [input, output] = await Promise.all([openStore(options.input, storeOptions), openStore(options.output, storeOptions)]);
  // _job.json says how the job partitioned its input (image chunks); older outputs have none.
  return writeManifest(input, output, (await recordedPartitions(input, output)) ?? (await listPartitions(input)));
}
