// readBatchResults reads a job's committed output back (CSV quoting included); onProgress with
// abortSignal stops a job at a chosen point.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readBatchResults, runBatchScoring, type BatchScoringProgress } from "../../lib/serve/batch/index.js";
import { parseCsv } from "../../lib/serve/batch/results-csv.js";
import { tempDir } from "../support/temp.js";
import { FEATURES, LABELS, partitionCsv, referenceScores, writePartitions, writeTinyModel } from "./batch-helpers.js";

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = tempDir("batch-results-");
  modelDir = path.join(root, "model");
  await writeTinyModel(modelDir);
});

describe("parseCsv", () => {
  it("reads quoted commas, quotes and line breaks, CRLF, and empty cells", () => {
    expect(parseCsv('id,label\r\n"a,b",x\n"say ""hi""",\n"two\nlines",y\n')).toEqual([
      ["id", "label"],
      ["a,b", "x"],
      ['say "hi"', ""],
      ["two\nlines", "y"],
    ]);
    expect(parseCsv("")).toEqual([]);
    expect(parseCsv("a,b")).toEqual([["a", "b"]]);
  });
});

describe("readBatchResults", () => {
  it("gives every committed row typed (ids with commas and quotes too), and the quarantined partition with its reason", async () => {
    const input = path.join(root, "in-a");
    const out = path.join(root, "out-a");
    writePartitions(input, 2, 40);
    // Ids a naive split(",") gets wrong: the results file quotes them.
    const odd = partitionCsv(9, 2).split("\n");
    odd[1] = odd[1].replace("p9-r0", '"p9,r0"');
    odd[2] = odd[2].replace("p9-r1", '"p9 ""r1"""');
    writeFileSync(path.join(input, "part-009.csv"), odd.join("\n"));
    writeFileSync(path.join(input, "part-zzz.csv"), `id,${FEATURES.join(",")}\nbad,1,2,n/a,4\n`);
    await runBatchScoring({ model: modelDir, input, output: out, workers: 2, progress: false });

    const results = await readBatchResults(out);
    expect(results.labels).toEqual(LABELS);
    expect(results.rows).toHaveLength(82);
    expect(results.rows.slice(-2).map((r) => [r.id, r.partition])).toEqual([
      ["p9,r0", "part-009.csv"],
      ['p9 "r1"', "part-009.csv"],
    ]);
    const reference = await referenceScores(modelDir, [0, 1], 40);
    for (const r of results.rows.slice(0, 80)) {
      const want = reference.get(r.id)!;
      LABELS.forEach((l, c) => expect(Math.abs(r.probabilities[l] - want[c])).toBeLessThan(1e-6));
      expect(r.label).toBe(LABELS[want.indexOf(Math.max(...want))]);
    }
    expect(results.quarantined).toEqual([
      { key: "part-zzz.csv", partition: "part-zzz.csv", kind: "partition", reason: expect.stringMatching(/^part-zzz\.csv: .*n\/a/), copy: "quarantine/part-zzz.csv", reasonKey: "quarantine/part-zzz.csv.reason.json" },
    ]);
    const reason = JSON.parse(readFileSync(path.join(out, "quarantine/part-zzz.csv.reason.json"), "utf8"));
    expect(results.quarantined[0].reason).toBe(reason.reason);
    expect(results.commits.map((c) => c.status)).toEqual(["scored", "scored", "scored", "quarantined"]);

    // A results file changed after its commit is reported, not read as if it were the job's.
    const file = path.join(out, "results", "part-001.csv");
    writeFileSync(file, readFileSync(file, "utf8").split("\n").slice(0, 10).join("\n") + "\n");
    await expect(readBatchResults(out)).rejects.toMatchObject({ code: "BAD_OUTPUT", message: expect.stringContaining("has 9 rows but its commit marker says 40") });
    rmSync(file);
    await expect(readBatchResults(out)).rejects.toMatchObject({ code: "BAD_OUTPUT", message: expect.stringContaining("is committed but missing") });
  });
});

describe("stopping a job with onProgress and abortSignal", () => {
  it("stops after the first committed partition; only committed partitions are read back; the rerun finishes", async () => {
    const input = path.join(root, "in-b");
    const out = path.join(root, "out-b");
    writePartitions(input, 6, 200);
    const stop = new AbortController();
    const seen: BatchScoringProgress[] = [];
    const first = runBatchScoring({
      model: modelDir,
      input,
      output: out,
      workers: 1,
      batchSize: 50,
      progress: false,
      // The worker pauses 50 rows into its second partition (a test hook): a worker that is quick
      // enough would otherwise finish all six before the abort reaches it.
      env: { CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS: "250" },
      abortSignal: stop.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.done >= 1) stop.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ code: "ABORTED" });
    expect(seen.every((p) => p.total === 6)).toBe(true);
    expect(seen.at(-1)!.rows).toBeGreaterThanOrEqual(200);
    const partial = await readBatchResults(out);
    expect(partial.commits.length).toBeGreaterThanOrEqual(1);
    expect(partial.commits.length).toBeLessThan(6);
    expect(partial.rows).toHaveLength(partial.commits.length * 200);

    const summary = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, progress: false });
    expect(summary.skipped).toBe(partial.commits.length);
    const all = await readBatchResults(out);
    expect(new Set(all.rows.map((r) => r.id)).size).toBe(1200);
  });

  it("still takes the deprecated `signal` (2-4 taught it first)", async () => {
    const input = path.join(root, "in-c");
    mkdirSync(input, { recursive: true });
    writePartitions(input, 2, 10);
    const stop = new AbortController();
    stop.abort();
    await expect(runBatchScoring({ model: modelDir, input, output: path.join(root, "out-c"), progress: false, signal: stop.signal })).rejects.toMatchObject({ code: "ABORTED" });
  });
});
