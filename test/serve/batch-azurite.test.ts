import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { getJson, openStore, startAzurite, type Azurite } from "../../lib/core/index.js";
import { runBatchScoring, type BatchManifest } from "../../lib/serve/batch/index.js";
import { parseResults, partitionCsv, referenceScores, writeParquetPartition, writeTinyModel } from "./batch-helpers.js";

let azurite: Azurite;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "batch-blob-"));
  azurite = await startAzurite({ inMemory: true });
});
afterAll(async () => {
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("scores a Blob prefix of CSV files into a Blob prefix, with the model on Blob storage too", async () => {
  const cs = { connectionString: azurite.connectionString };
  await writeTinyModel(path.join(dir, "model"));
  const modelStore = await openStore(azurite.containerUrl("models", "tiny"), cs);
  for (const file of readdirSync(path.join(dir, "model"))) await modelStore.put(file, readFileSync(path.join(dir, "model", file)));
  const input = await openStore(azurite.containerUrl("data", "batch/in"), cs);
  for (let p = 0; p < 3; p++) await input.put(`day-${p}.csv`, partitionCsv(p, 100));
  await input.put("day-3.csv", "f2,id,f0,f3,f1\n1,x,2,3\n"); // a short row

  const run = () =>
    runBatchScoring({ model: modelStore.url, input: input.url, output: azurite.containerUrl("scores", "run-1"), workers: 2, connectionString: azurite.connectionString, progress: false });
  const summary = await run();
  expect(summary).toMatchObject({ partitions: 4, rows: 300, rowsThisRun: 300, quarantined: 1 });

  const output = await openStore(azurite.containerUrl("scores", "run-1"), cs);
  const keys = await output.list();
  expect(keys).toEqual([
    "_commits/day-0.json",
    "_commits/day-1.json",
    "_commits/day-2.json",
    "_commits/day-3.json",
    "manifest.json",
    "quarantine/day-3.csv",
    "quarantine/day-3.csv.reason.json",
    "results/day-0.csv",
    "results/day-1.csv",
    "results/day-2.csv",
  ]);
  const reference = await referenceScores(path.join(dir, "model"), [0, 1, 2], 100);
  const ids = new Set<string>();
  for (let p = 0; p < 3; p++) {
    const rows = parseResults(Buffer.from((await output.get(`results/day-${p}.csv`))!).toString("utf8"));
    expect(rows).toHaveLength(100);
    for (const row of rows) {
      ids.add(row.id);
      row.probs.forEach((v, c) => expect(Math.abs(v - reference.get(row.id)![c])).toBeLessThan(1e-6));
    }
  }
  expect(ids.size).toBe(300);
  const manifest = (await getJson<BatchManifest>(output, "manifest.json"))!;
  expect(manifest.partitions[3]).toMatchObject({ status: "quarantined", error: "day-3.csv: line 2 has 4 columns, the header 5" });

  const again = await run();
  expect(again).toMatchObject({ rows: 300, rowsThisRun: 0, skipped: 4, quarantined: 1 });
});

it("finishes a Blob job killed mid-partition with every row exactly once", async () => {
  const cs = { connectionString: azurite.connectionString };
  const input = await openStore(azurite.containerUrl("data", "kill/in"), cs);
  for (let p = 0; p < 2; p++) await input.put(`part-${p}.csv`, partitionCsv(p, 200));
  const output = azurite.containerUrl("scores", "kill-run");
  const options = { model: path.join(dir, "model"), input: input.url, output, workers: 1, batchSize: 50, connectionString: azurite.connectionString, progress: false };
  const killed: number[] = [];
  await expect(
    runBatchScoring({
      ...options,
      env: { CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS: "300" }, // part-0 committed, part-1 half scored
      onLine: (line) => {
        const pid = Number(/^paused pid=(\d+)/.exec(line)?.[1]);
        if (pid) killed.push(pid), process.kill(pid, "SIGKILL");
      },
    }),
  ).rejects.toMatchObject({ code: "WORKER_FAILED" });
  expect(killed).toHaveLength(1);
  const store = await openStore(output, cs);
  expect((await store.list()).filter((k) => !k.startsWith("manifest"))).toEqual(["_commits/part-0.json", "results/part-0.csv"]);
  const marker = await getJson(store, "_commits/part-0.json");

  const lines: string[] = [];
  const summary = await runBatchScoring({ ...options, onLine: (l) => lines.push(l) });
  expect(summary).toMatchObject({ rows: 400, rowsThisRun: 200, skipped: 1 });
  expect(lines.some((l) => l.startsWith("skip part-0.csv"))).toBe(true);
  expect(await getJson(store, "_commits/part-0.json")).toEqual(marker);
  const ids: string[] = [];
  for (const key of ["results/part-0.csv", "results/part-1.csv"]) ids.push(...parseResults(Buffer.from((await store.get(key))!).toString("utf8")).map((r) => r.id));
  expect(ids).toHaveLength(400);
  expect(new Set(ids).size).toBe(400);
});

it("streams a large CSV partition and reads a Parquet one in ranges, both from Blob storage", async () => {
  const cs = { connectionString: azurite.connectionString };
  const input = await openStore(azurite.containerUrl("data", "large/in"), cs);
  const rows = 200_000;
  const csv = partitionCsv(7, rows);
  await input.put("big.csv", csv);
  await writeParquetPartition(path.join(dir, "mid.parquet"), 8, 30_000, 4_000);
  await input.put("mid.parquet", readFileSync(path.join(dir, "mid.parquet")));
  const output = azurite.containerUrl("scores", "large-run");
  const summary = await runBatchScoring({ model: path.join(dir, "model"), input: input.url, output, workers: 2, connectionString: azurite.connectionString, progress: false });
  expect(summary).toMatchObject({ partitions: 2, rows: rows + 30_000, quarantined: 0 });
  const store = await openStore(output, cs);
  const big = parseResults(Buffer.from((await store.get("results/big.csv"))!).toString("utf8"));
  expect(big.map((r) => r.id)).toEqual(Array.from({ length: rows }, (_, i) => `p7-r${i}`));
  const mid = parseResults(Buffer.from((await store.get("results/mid.parquet.csv"))!).toString("utf8"));
  expect(mid.map((r) => r.id)).toEqual(Array.from({ length: 30_000 }, (_, i) => `p8-r${i}`));
  // Spot checks against in-process ONNX Runtime, the first and last rows of each included.
  const reference = new Map([...(await referenceScores(path.join(dir, "model"), [7], rows)), ...(await referenceScores(path.join(dir, "model"), [8], 30_000))]);
  for (const row of [...big.filter((_, i) => i % 997 === 0 || i === rows - 1), ...mid.filter((_, i) => i % 101 === 0 || i === 29_999)]) {
    row.probs.forEach((v, c) => expect(Math.abs(v - reference.get(row.id)![c])).toBeLessThan(1e-6));
  }
});
