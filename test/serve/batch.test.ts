import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignPartitions, listPartitions, loadBatchModel, runBatchScoring, splitCsvLine, writeBatchManifest, type BatchManifest, type CommitMarker } from "../../lib/serve/batch/index.js";
import { FileStore } from "../../lib/core/index.js";
import { scoreCommand, SCORE_QUARANTINED_EXIT } from "../../lib/cli/score.js";
import { LABELS, partitionCsv, readResults, referenceScores, writeParquetPartition, writePartitions, writeTinyModel, type ResultRow } from "./batch-helpers.js";

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "batch-test-"));
  modelDir = path.join(root, "model");
  await writeTinyModel(modelDir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const json = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

function allResults(out: string): ResultRow[] {
  const dir = path.join(out, "results");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".csv"))
    .flatMap((f) => readResults(path.join(dir, f)));
}

describe("partitions and CSV", () => {
  it("assigns partition i to worker i mod N", () => {
    const parts = Array.from({ length: 7 }, (_, index) => ({ index }));
    expect(assignPartitions(parts, 0, 3).map((p) => p.index)).toEqual([0, 3, 6]);
    expect(assignPartitions(parts, 2, 3).map((p) => p.index)).toEqual([2, 5]);
  });

  it("lists CSV files sorted, skipping hidden and _ folders", async () => {
    const dir = path.join(root, "listing");
    writePartitions(path.join(dir, "b"), 1, 1);
    writePartitions(path.join(dir, "a"), 2, 1);
    writeFileSync(path.join(dir, "notes.txt"), "x");
    writePartitions(path.join(dir, "_commits"), 1, 1);
    const parts = await listPartitions(new FileStore(dir));
    expect(parts.map((p) => [p.index, p.key, p.name])).toEqual([
      [0, "a/part-000.csv", "a__part-000"],
      [1, "a/part-001.csv", "a__part-001"],
      [2, "b/part-000.csv", "b__part-000"],
    ]);
  });

  it("splits quoted cells", () => {
    expect(splitCsvLine('1,"a,b",""""')).toEqual(["1", "a,b", '"']);
    expect(splitCsvLine("1,,2")).toEqual(["1", "", "2"]);
  });
});

describe("runBatchScoring on folders", () => {
  it("scores 6 partitions × 500 rows with 2 workers, each row once, as in-process ONNX Runtime", async () => {
    const input = path.join(root, "in-a");
    const out = path.join(root, "out-a");
    writePartitions(input, 6, 500);
    const lines: string[] = [];
    const summary = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, batchSize: 128, progress: false, onLine: (l, r) => lines.push(`${r} ${l}`) });
    expect(summary).toMatchObject({ partitions: 6, rows: 3000, rowsThisRun: 3000, quarantined: 0, skipped: 0, workers: 2 });
    expect(summary.rowsPerSecond).toBeGreaterThan(0);
    // Worker 0 got partitions 0, 2, 4; worker 1 got 1, 3, 5.
    expect(lines).toContain("0 worker 0/2: 3 partition(s): part-000.csv, part-002.csv, part-004.csv");
    expect(lines).toContain("1 worker 1/2: 3 partition(s): part-001.csv, part-003.csv, part-005.csv");

    const rows = allResults(out);
    expect(rows).toHaveLength(3000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3000);
    const reference = await referenceScores(modelDir, [0, 1, 2, 3, 4, 5], 500);
    for (const row of rows) {
      const want = reference.get(row.id)!;
      expect(want, row.id).toBeDefined();
      row.probs.forEach((p, c) => expect(Math.abs(p - want[c])).toBeLessThan(1e-6));
      expect(row.label).toBe(LABELS[want.indexOf(Math.max(...want))]);
    }
    const manifest = json<BatchManifest>(path.join(out, "manifest.json"));
    expect(manifest.complete).toBe(true);
    expect(manifest.totals).toEqual({ partitions: 6, scored: 6, quarantined: 0, pending: 0, rows: 3000 });
    expect(manifest.partitions.map((p) => p.worker)).toEqual([0, 1, 0, 1, 0, 1]);
    // No temporary files left beside the results.
    expect(readdirSync(path.join(out, "results")).sort()).toEqual([0, 1, 2, 3, 4, 5].map((p) => `part-00${p}.csv`));

    // Run again: everything is committed, nothing is rescored.
    const again = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, progress: false });
    expect(again).toMatchObject({ rows: 3000, rowsThisRun: 0, skipped: 6 });
  });

  it("after kill -9 mid-partition, a restart scores every row exactly once and skips committed partitions", async () => {
    const input = path.join(root, "in-b");
    const out = path.join(root, "out-b");
    writePartitions(input, 4, 300);
    const killed: number[] = [];
    // Each worker scores its first partition (300 rows, committed), then pauses 100 rows into its second.
    const first = runBatchScoring({
      model: modelDir,
      input,
      output: out,
      workers: 2,
      batchSize: 100,
      progress: false,
      env: { CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS: "400" },
      onLine: (line) => {
        const pid = /^paused pid=(\d+)/.exec(line)?.[1];
        if (pid) {
          killed.push(Number(pid));
          process.kill(Number(pid), "SIGKILL");
        }
      },
    });
    await expect(first).rejects.toMatchObject({ code: "WORKER_FAILED", message: expect.stringContaining("2 of 4 partitions are committed") });
    expect(killed).toHaveLength(2);
    const manifest = json<BatchManifest>(path.join(out, "manifest.json"));
    expect(manifest.partitions.map((p) => p.status)).toEqual(["scored", "scored", "pending", "pending"]);
    // Partial results exist only as temporary files, which readers do not see.
    expect(readdirSync(path.join(out, "results")).filter((f) => f.endsWith(".csv")).sort()).toEqual(["part-000.csv", "part-001.csv"]);
    expect(readdirSync(path.join(out, "results")).filter((f) => f.includes(".tmp-")).length).toBe(2);
    const markersBefore = [0, 1].map((p) => json<CommitMarker>(path.join(out, "_commits", `part-00${p}.json`)));

    const lines: string[] = [];
    const summary = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, progress: false, onLine: (l) => lines.push(l) });
    expect(summary).toMatchObject({ partitions: 4, rows: 1200, rowsThisRun: 600, skipped: 2, quarantined: 0 });
    expect(lines.filter((l) => l.startsWith("skip ")).sort()).toEqual([
      `skip part-000.csv: committed at ${markersBefore[0].committedAt} (scored)`,
      `skip part-001.csv: committed at ${markersBefore[1].committedAt} (scored)`,
    ]);
    const markersAfter = [0, 1].map((p) => json<CommitMarker>(path.join(out, "_commits", `part-00${p}.json`)));
    expect(markersAfter).toEqual(markersBefore);
    const rows = allResults(out);
    expect(rows).toHaveLength(1200);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1200);
    expect(readdirSync(path.join(out, "results")).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("quarantines corrupt partitions with the reason and scores the others; the CLI exits 3", async () => {
    const input = path.join(root, "in-c");
    const out = path.join(root, "out-c");
    writePartitions(input, 3, 50);
    const good = partitionCsv(1, 50).split("\n");
    good[20] = good[20] + ",extra"; // line 21: one column too many
    writeFileSync(path.join(input, "part-001.csv"), good.join("\n"));
    writeFileSync(path.join(input, "part-003.csv"), partitionCsv(3, 10).replace(/\n([^,\n]+),p3-r4,/, "\nabc,p3-r4,"));
    writeFileSync(path.join(input, "part-002.csv"), "\uFEFF" + partitionCsv(2, 50).replace(/\n/g, "\r\n")); // Excel's BOM and CRLF: fine
    const codes: number[] = [];
    const logged: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (logged.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await scoreCommand((c) => codes.push(c)).parseAsync(["--model", modelDir, "--input", input, "--output", out, "--workers", "2"], { from: "user" });
    } finally {
      process.stdout.write = write;
    }
    expect(codes).toEqual([SCORE_QUARANTINED_EXIT]);
    expect(logged.join("")).toMatch(/^Results: .*out-c\/results .*\n2 partition\(s\) quarantined: see .*out-c\/quarantine\n$/);
    const manifest = json<BatchManifest>(path.join(out, "manifest.json"));
    expect(manifest.totals).toEqual({ partitions: 4, scored: 2, quarantined: 2, pending: 0, rows: 100 });
    expect(manifest.partitions[1]).toMatchObject({ status: "quarantined", rows: 0, error: "part-001.csv: line 21 has 6 columns, the header 5" });
    expect(manifest.partitions[3]).toMatchObject({ status: "quarantined", error: 'part-003.csv: line 6, column f2: "abc" is not a number' });
    expect(readFileSync(path.join(out, "quarantine", "part-001.csv"), "utf8")).toBe(good.join("\n"));
    expect(json<{ reason: string }>(path.join(out, "quarantine", "part-003.csv.reason.json")).reason).toMatch(/"abc" is not a number/);
    // No results for quarantined partitions (rows before the bad line are dropped with it).
    expect(existsSync(path.join(out, "results", "part-001.csv"))).toBe(false);
    expect(allResults(out)).toHaveLength(100);
    // A manifest can be rebuilt from the markers alone (what follows a Kubernetes Job).
    rmSync(path.join(out, "manifest.json"));
    expect((await writeBatchManifest({ input, output: out })).totals).toEqual(manifest.totals);
  });

  it("reads Parquet partitions row group by row group, beside CSV ones", async () => {
    const input = path.join(root, "in-d");
    const out = path.join(root, "out-d");
    writePartitions(input, 1, 40);
    await writeParquetPartition(path.join(input, "part-001.parquet"), 1, 250, 100);
    writeFileSync(path.join(input, "part-002.parquet"), "not parquet at all");
    const summary = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, batchSize: 64, progress: false });
    expect(summary).toMatchObject({ partitions: 3, rows: 290, quarantined: 1 });
    const rows = readResults(path.join(out, "results", "part-001.parquet.csv"));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 250 }, (_, i) => `p1-r${i}`));
    const reference = await referenceScores(modelDir, [1], 250);
    for (const row of rows) row.probs.forEach((p, c) => expect(Math.abs(p - reference.get(row.id)![c])).toBeLessThan(1e-6));
    const manifest = json<BatchManifest>(path.join(out, "manifest.json"));
    expect(manifest.partitions[2]).toMatchObject({ status: "quarantined", error: expect.stringMatching(/^part-002\.parquet: it is not a readable Parquet file/) });
  });

  it("says what to do when the model folder has no model.onnx", async () => {
    await expect(runBatchScoring({ model: path.join(root, "nowhere"), input: path.join(root, "in-a"), output: path.join(root, "out-x"), progress: false })).rejects.toMatchObject({
      code: "MODEL_NOT_FOUND",
      message: expect.stringContaining("exportOnnx"),
    });
  });

  it("refuses a model.onnx changed since its save, naming the file", async () => {
    const changed = path.join(root, "model-changed");
    cpSync(modelDir, changed, { recursive: true });
    const onnx = path.join(changed, "model.onnx");
    writeFileSync(onnx, readFileSync(onnx).subarray(0, 64));
    await expect(loadBatchModel(changed)).rejects.toMatchObject({
      code: "CHECKSUM_MISMATCH",
      message: expect.stringMatching(/\/model\.onnx does not match the save that wrote metadata\.json \(it is 64 bytes, .*save the model again with saveServableModel/),
    });
  });
});
