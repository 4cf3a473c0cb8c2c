// The Spark batch job (environments/spark/score_batch.py) on a real local Spark scores as the Node
// batch scorer (lib/serve/batch) does: same rows, same labels, probabilities within 1e-5, the same
// partitions quarantined with the same reasons; one ONNX Runtime session per Python worker.
// One Spark run for all of it (a JVM and Spark session start cost 10–20 s on two cores), and a
// failing driver.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runBatchScoring } from "../../lib/serve/batch/index.js";
import { scoreBatchWithSpark, SparkError, submitSparkJob, type SparkBatchSummary, type SparkProgress } from "../../lib/spark/index.js";
import { FEATURES, featureRow, LABELS, partitionCsv, readResults, writeTinyModel, type ResultRow } from "../serve/batch-helpers.js";
import { tempDir } from "../support/temp.js";
import { readSparkResults } from "./spark-results.js";

const ROWS = 300;

async function writeInput(dir: string): Promise<void> {
  mkdirSync(path.join(dir, "day2"), { recursive: true });
  mkdirSync(path.join(dir, "_scratch"), { recursive: true });
  writeFileSync(path.join(dir, "part-000.csv"), partitionCsv(0, ROWS));
  writeFileSync(path.join(dir, "day2", "part-001.csv"), partitionCsv(1, ROWS).replace(/\n/g, "\r\n").replace("\r\n", "\r\n\r\n")); // CRLF, a blank line
  // No id column: ids are row numbers; extra columns ignored; numbers in other spellings.
  const noId = ["note,f0,f1,f2,f3", ...Array.from({ length: 40 }, (_, i) => `"a, b",${featureRow(2, i).map((v, c) => (c === 1 ? v.toExponential(3) : ` ${v} `)).join(",")}`)];
  writeFileSync(path.join(dir, "no-id.csv"), noId.join("\n") + "\n");
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const rows = Array.from({ length: ROWS }, (_, i) => featureRow(3, i));
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: "id", data: rows.map((_, i) => `q${i}`), type: "STRING" },
      ...FEATURES.map((f, c) => ({ name: f, data: rows.map((r) => r[c]), type: "DOUBLE" as const })),
    ],
  });
  writeFileSync(path.join(dir, "part-003.parquet"), new Uint8Array(buffer));
  // Corrupt: a cell that is not a number; a line with a missing cell. Each quarantines its file.
  writeFileSync(path.join(dir, "zz-bad-cell.csv"), partitionCsv(4, 20).replace("p4-r7,", "p4-r7,n/a"));
  writeFileSync(path.join(dir, "zz-bad-width.csv"), partitionCsv(5, 20).replace(/\np5-r3.*\n/, "\n").replace(/(\n[^\n]*p5-r9,[^,\n]*),[^,\n]*/, "$1"));
  // Not partitions: hidden, under a _ folder, another extension.
  writeFileSync(path.join(dir, ".hidden.csv"), "x\n1\n");
  writeFileSync(path.join(dir, "_scratch", "x.csv"), "x\n1\n");
  writeFileSync(path.join(dir, "notes.txt"), "not input\n");
}

describe("Spark batch scoring (local Spark)", () => {
  const root = tempDir("cai-spark-batch-");
  const model = path.join(root, "model");
  const input = path.join(root, "input");
  const nodeOut = path.join(root, "node-out");
  const sparkOut = path.join(root, "spark-out");
  let spark: SparkBatchSummary;
  const progress: SparkProgress[] = [];
  let nodeRows = 0;

  beforeAll(async () => {
    await writeTinyModel(model);
    await writeInput(input);
    const node = await runBatchScoring({ model, input, output: nodeOut, workers: 1, progress: false });
    nodeRows = node.rows;
    spark = await scoreBatchWithSpark({ model, input, output: sparkOut, cores: 2, onProgress: (p) => progress.push(p) });
  }, 240_000);

  it("scores every row the Node scorer scores, with the same label and probabilities within 1e-5", async () => {
    const nodeFiles = readdirSync(path.join(nodeOut, "results")).filter((f) => f.endsWith(".csv")).sort();
    expect(nodeFiles).toEqual(["day2__part-001.csv", "no-id.csv", "part-000.csv", "part-003.parquet.csv"]);
    const sparkResults = await readSparkResults(sparkOut, LABELS);
    expect([...sparkResults.keys()].sort()).toEqual(nodeFiles.map((f) => f.replace(/\.csv$/, "")));
    let compared = 0;
    let worst = 0;
    for (const file of nodeFiles) {
      const node = readResults(path.join(nodeOut, "results", file));
      const byId = new Map<string, ResultRow>(sparkResults.get(file.replace(/\.csv$/, ""))!.map((r) => [r.id, r]));
      expect(byId.size).toBe(node.length);
      for (const row of node) {
        const other = byId.get(row.id);
        expect(other, `${file} ${row.id}`).toBeDefined();
        expect(other!.label).toBe(row.label);
        row.probs.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - other!.probs[c]))));
        compared++;
      }
    }
    expect(compared).toBe(nodeRows);
    expect(compared).toBe(3 * ROWS + 40);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(spark.rows).toBe(nodeRows);
  });

  it("quarantines the same files with the same reasons, and copies them", () => {
    const reasons = (out: string) =>
      Object.fromEntries(
        readdirSync(path.join(out, "quarantine"))
          .filter((f) => f.endsWith(".reason.json"))
          .map((f) => [f, (JSON.parse(readFileSync(path.join(out, "quarantine", f), "utf8")) as { reason: string }).reason]),
      );
    const node = reasons(nodeOut);
    expect(Object.keys(node).sort()).toEqual(["zz-bad-cell.csv.reason.json", "zz-bad-width.csv.reason.json"]);
    expect(node["zz-bad-cell.csv.reason.json"]).toMatch(/line 9, column f0: "n\/a[^"]*" is not a number/);
    expect(reasons(sparkOut)).toEqual(node);
    expect(spark.quarantined.map((q) => q.partition)).toEqual(["zz-bad-cell.csv", "zz-bad-width.csv"]);
    for (const f of ["zz-bad-cell.csv", "zz-bad-width.csv"]) {
      expect(readFileSync(path.join(sparkOut, "quarantine", f), "utf8")).toBe(readFileSync(path.join(input, f), "utf8"));
    }
  });

  it("reports rows, rows/s, progress, and one ONNX Runtime session per Python worker", () => {
    expect(spark.files).toBe(6);
    expect(spark.scored).toBe(4);
    expect(spark.rowsPerSecond).toBeGreaterThan(0);
    expect(spark.master).toBe("local[2]");
    const sessions = Object.values(spark.sessionsPerWorker);
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    expect(sessions.length).toBeLessThanOrEqual(2); // local[2]: at most two Python workers, reused across the six tasks
    expect(sessions.every((n) => n === 1)).toBe(true);
    expect(progress.some((p) => p.kind === "stage" && p.total === 6)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(sparkOut, "summary.json"), "utf8")).rows).toBe(spark.rows);
  });

  it("a failing job rejects with SPARK_JOB_FAILED, its exit code and the driver log's tail", async () => {
    const app = path.join(root, "fails.py");
    // No SparkContext: the driver fails before it starts one (a JVM and the Python driver still run).
    writeFileSync(app, "import sys\nprint('scoring nothing', flush=True)\nraise SystemExit('the input folder is empty: nothing to score')\n");
    const error = await submitSparkJob({ app, cores: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SparkError);
    expect((error as SparkError).code).toBe("SPARK_JOB_FAILED");
    expect((error as SparkError).message).toMatch(/exited with code 1/);
    expect((error as SparkError).logTail!.join("\n")).toContain("the input folder is empty: nothing to score");
  }, 120_000);
});
