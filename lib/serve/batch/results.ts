// Reading a batch job's output back: the committed partitions (their commit markers are the only
// thing a reader trusts), their results files as typed rows, and what was quarantined and why.
import { getJson, openStore, type BlobStore, type OpenStoreOptions } from "../../core/index.js";
import { BatchScoringError } from "./errors.js";
import { BATCH_LAYOUT, quarantineImageReasonKey, type CommitMarker } from "./layout.js";
import { parseCsv } from "./results-csv.js";

/** One scored row (or image) of a results file. */
export interface BatchResultRow {
  /** The input row's `id` (or its line number), or the image's key. */
  id: string;
  /** The label of the highest probability. */
  label: string;
  /** The probability of each label. */
  probabilities: Record<string, number>;
  /** The partition (input key, or images-NNNNN) the row was scored in. */
  partition: string;
}

/** A quarantined partition (a corrupt file) or image, and why. */
export interface BatchQuarantineEntry {
  /** The input key: the partition's file, or the image. */
  key: string;
  /** The partition it belonged to (the key itself for a quarantined file). */
  partition: string;
  kind: "partition" | "image";
  /** What was wrong, with the line and column or the image's problem. */
  reason: string;
  /** The copy in the output's quarantine/ folder, and its .reason.json. */
  copy: string;
  reasonKey: string;
}

export interface BatchResults {
  /** The labels of the results' p_<label> columns (from the first results file). */
  labels: string[];
  /** Every row of every committed results file, in partition order. */
  rows: BatchResultRow[];
  quarantined: BatchQuarantineEntry[];
  /** The commit markers read, in partition order. */
  commits: CommitMarker[];
}

export interface ReadBatchResultsOptions {
  /** For a Blob URL (e.g. Azurite's); default AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** A Microsoft Entra credential for an Azure account (wins over a connection string). */
  credential?: OpenStoreOptions["credential"];
}

/**
 * Reads a batch job's output (a folder or Blob prefix, or an open store): every partition with a
 * commit marker, its results file parsed as CSV (quoted cells, commas and line breaks in ids
 * included) into typed rows, and the quarantined partitions and images with their reasons.
 * Uncommitted partitions (a job stopped half-way) are not read: their results were never moved into
 * place. Throws BatchScoringError BAD_OUTPUT when a committed results file is missing or malformed.
 */
export async function readBatchResults(output: string | BlobStore, options: ReadBatchResultsOptions = {}): Promise<BatchResults> {
  const store = typeof output === "string" ? await openStore(output, storeOptions(options)) : output;
  const markerKeys = (await store.list(`${BATCH_LAYOUT.commits}/`)).filter((k) => k.endsWith(".json"));
  const commits = (await Promise.all(markerKeys.map((k) => getJson<CommitMarker>(store, k)))).filter((m): m is CommitMarker => m !== undefined);
  commits.sort((a, b) => a.index - b.index || a.partition.localeCompare(b.partition));
  const results: BatchResults = { labels: [], rows: [], quarantined: [], commits };
  for (const marker of commits) {
    if (marker.status === "quarantined") {
      results.quarantined.push({ key: marker.partition, partition: marker.partition, kind: "partition", reason: marker.error ?? "", copy: marker.output, reasonKey: `${marker.output}.reason.json` });
      continue;
    }
    for (const q of marker.quarantinedImages ?? []) {
      results.quarantined.push({ key: q.key, partition: marker.partition, kind: "image", reason: q.reason, copy: `${BATCH_LAYOUT.quarantine}/${q.key}`, reasonKey: quarantineImageReasonKey(q.key) });
    }
    const bytes = await store.get(marker.output);
    if (!bytes) throw badOutput(store, marker.output, "is committed but missing");
    const labels = readResultsFile(Buffer.from(bytes).toString("utf8"), marker, results.rows, (message) => badOutput(store, marker.output, message));
    if (results.labels.length === 0) results.labels = labels;
  }
  return results;
}

/** Appends a results file's rows to `into`; returns its labels (the p_<label> columns). */
function readResultsFile(text: string, marker: CommitMarker, into: BatchResultRow[], bad: (message: string) => Error): string[] {
  const [header, ...records] = parseCsv(text);
  if (!header || header[0] !== "id" || header[1] !== "label" || header.slice(2).some((h) => !h.startsWith("p_"))) {
    throw bad(`has no "id,label,p_<label>..." header`);
  }
  const labels = header.slice(2).map((h) => h.slice(2));
  records.forEach((cells, i) => {
    if (cells.length !== header.length) throw bad(`row ${i + 2} has ${cells.length} cells, not ${header.length}`);
    const probabilities: Record<string, number> = {};
    labels.forEach((label, c) => (probabilities[label] = Number(cells[c + 2])));
    into.push({ id: cells[0], label: cells[1], probabilities, partition: marker.partition });
  });
  if (records.length !== marker.rows) throw bad(`has ${records.length} rows but its commit marker says ${marker.rows}`);
  return labels;
}

function badOutput(store: BlobStore, key: string, message: string): BatchScoringError {
  return new BatchScoringError("BAD_OUTPUT", `${store.url}/${key} ${message}.`, {
    hint: "The output was changed after the job committed it: delete that partition's commit marker (_commits/) and run the job again to rescore it.",
  });
}

function storeOptions(options: ReadBatchResultsOptions): OpenStoreOptions {
  return { ...(options.connectionString ? { connectionString: options.connectionString } : {}), ...(options.credential ? { credential: options.credential } : {}) };
}
