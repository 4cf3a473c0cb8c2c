// The batch scorer on folders of images: one result row per image (id = its key), a corrupt or
// wrong-size image quarantined on its own, exactly once across kill -9 and resume, and a resume
// that would chunk the images differently refused.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scoreCommand, SCORE_QUARANTINED_EXIT } from "../../lib/cli/score.js";
import { openStore, startAzurite } from "../../lib/core/index.js";
import { writeDigitImages } from "../../lib/data/index.js";
import { readBatchResults, runBatchScoring, writeBatchManifest, type BatchManifest } from "../../lib/serve/batch/index.js";
import { saveTinyModel } from "./server-helpers.js";
import { DIGIT_LABELS, libjpegRgba, pixels, png, referenceProbabilities, saveDigitsModel } from "./image-helpers.js";

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "batch-image-test-"));
  modelDir = await saveDigitsModel(path.join(root, "model"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const json = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

interface Row {
  id: string;
  label: string;
  probs: number[];
}

function allResults(out: string): Row[] {
  const dir = path.join(out, "results");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".csv"))
    .flatMap((f) => {
      const [header, ...lines] = readFileSync(path.join(dir, f), "utf8").trim().split("\n");
      expect(header).toBe(["id", "label", ...DIGIT_LABELS.map((l) => `p_${l}`)].join(","));
      return lines.map((line) => {
        const [id, label, ...p] = line.split(",");
        return { id, label, probs: p.map(Number) };
      });
    });
}

/** What the model should see for an image file: grey pixels / 255 (by luminance for colour). */
function modelValues(file: string): Float32Array {
  const bytes = readFileSync(file);
  const rgba = file.endsWith(".jpg") ? libjpegRgba(bytes) : PNG.sync.read(bytes).data;
  return Float32Array.from({ length: 784 }, (_, p) => {
    const [r, g, b] = rgba.subarray(4 * p, 4 * p + 3);
    return (r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) / 255;
  });
}

async function expectScoresMatch(input: string, rows: Row[]) {
  const want = await referenceProbabilities(modelDir, rows.map((r) => modelValues(path.join(input, r.id))), [28, 28, 1]);
  rows.forEach((row, i) => {
    row.probs.forEach((p, k) => expect(Math.abs(p - want[i][k]), `${row.id} p_${k}`).toBeLessThan(1e-5));
    expect(row.label).toBe(String(want[i].indexOf(Math.max(...want[i]))));
  });
}

describe("runBatchScoring on a folder of images", () => {
  it("scores every image once in chunks of imagesPerPartition; quarantines a corrupt and a wrong-size image alone", async () => {
    const input = path.join(root, "in-a");
    const out = path.join(root, "out-a");
    const { keys } = await writeDigitImages(path.join(input, "digits"), { count: 45, seed: 3 });
    expect(keys[0]).toBe("00000.png");
    mkdirSync(path.join(input, "odd"), { recursive: true });
    const good = readFileSync(path.join(input, "digits", "00007.png"));
    writeFileSync(path.join(input, "odd", "cut.png"), good.subarray(0, good.length - 30));
    writeFileSync(path.join(input, "odd", "wide.png"), png(32, 30, 1, pixels(32, 30, 1, 1)));
    const rgba = new Uint8Array(784 * 4);
    pixels(28, 28, 3, 2).forEach((v, i) => (rgba[Math.floor(i / 3) * 4 + (i % 3)] = v));
    writeFileSync(path.join(input, "odd", "colour.jpg"), jpeg.encode({ width: 28, height: 28, data: rgba }, 90).data);
    writeFileSync(path.join(input, "notes.csv"), "a,b\n1,2\n"); // not read by an image model

    const summary = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, batchSize: 4, imagesPerPartition: 10, progress: false });
    // 48 image keys (45 + 3 odd), sorted: 5 partitions of 10, 10, 10, 10, 8.
    expect(summary).toMatchObject({ kind: "image", partitions: 5, rows: 46, rowsThisRun: 46, quarantined: 0, quarantinedImages: 2, ignoredFiles: 1, skipped: 0 });
    const rows = allResults(out);
    expect(rows.map((r) => r.id).sort()).toEqual([...keys.map((k) => `digits/${k}`), "odd/colour.jpg"].sort());
    await expectScoresMatch(input, rows);

    const manifest = json<BatchManifest>(path.join(out, "manifest.json"));
    expect(manifest.totals).toEqual({ partitions: 5, scored: 5, quarantined: 0, pending: 0, rows: 46, quarantinedImages: 2 });
    expect(manifest.partitions.map((p) => [p.key, p.images?.count])).toEqual([
      ["images-00000", 10],
      ["images-00001", 10],
      ["images-00002", 10],
      ["images-00003", 10],
      ["images-00004", 8],
    ]);
    const last = manifest.partitions[4];
    expect(last).toMatchObject({ images: { first: "digits/00040.png", last: "odd/wide.png" }, rows: 6 });
    expect(last.quarantinedImages).toEqual([
      { key: "odd/cut.png", reason: expect.stringMatching(/^odd\/cut\.png is a truncated or corrupt PNG \(/) },
      { key: "odd/wide.png", reason: 'odd/wide.png is 32×30; model "digits-cnn" takes 28×28 (resize it first: the scorer does not resize)' },
    ]);
    expect(readFileSync(path.join(out, "quarantine", "odd", "cut.png")).equals(good.subarray(0, good.length - 30))).toBe(true);
    expect(json<{ problem: string; partition: string }>(path.join(out, "quarantine", "odd", "wide.png.reason.json"))).toMatchObject({ problem: "wrong-size", partition: "images-00004" });
    expect(json(path.join(out, "_job.json"))).toMatchObject({ kind: "image", model: "digits-cnn", imagesPerPartition: 10, images: 48 });

    // A resume with another chunk size is refused; without one it takes the recorded size.
    await expect(runBatchScoring({ model: modelDir, input, output: out, imagesPerPartition: 20, progress: false })).rejects.toMatchObject({
      code: "BAD_OPTION",
      message: expect.stringMatching(/was partitioned with 10 images per partition; this run asks for 20\. Resume with --images-per-partition 10/),
    });
    const again = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, progress: false });
    expect(again).toMatchObject({ rows: 46, rowsThisRun: 0, skipped: 5, quarantinedImages: 2 });
    // Changed input: refused rather than misaligned.
    copyFileSync(path.join(input, "digits", "00001.png"), path.join(input, "digits", "00001b.png"));
    await expect(runBatchScoring({ model: modelDir, input, output: out, progress: false })).rejects.toMatchObject({ code: "BAD_OPTION", message: expect.stringMatching(/input's images changed since this job started \(48 images then, 49 now/) });
    rmSync(path.join(input, "digits", "00001b.png"));
    // The manifest can be rebuilt from _job.json and the markers (what follows a Kubernetes Job).
    rmSync(path.join(out, "manifest.json"));
    expect((await writeBatchManifest({ input, output: out })).totals).toEqual(manifest.totals);
  });

  it("after kill -9 mid-partition, a restart scores every image exactly once and skips committed partitions", async () => {
    const input = path.join(root, "in-b");
    const out = path.join(root, "out-b");
    await writeDigitImages(input, { count: 40, seed: 4 });
    const killed: number[] = [];
    // Each worker commits its first partition (10 images), then pauses 5 images into its second.
    const first = runBatchScoring({
      model: modelDir,
      input,
      output: out,
      workers: 2,
      batchSize: 5,
      imagesPerPartition: 10,
      progress: false,
      env: { CUSTOM_AI_BATCH_PAUSE_AFTER_ROWS: "15" },
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
    expect(json<BatchManifest>(path.join(out, "manifest.json")).partitions.map((p) => p.status)).toEqual(["scored", "scored", "pending", "pending"]);
    expect(readdirSync(path.join(out, "results")).filter((f) => f.endsWith(".csv")).sort()).toEqual(["images-00000.csv", "images-00001.csv"]);
    expect(readdirSync(path.join(out, "results")).filter((f) => f.includes(".tmp-")).length).toBe(2);

    // Resumed without imagesPerPartition: the recorded 10 applies.
    const summary = await runBatchScoring({ model: modelDir, input, output: out, workers: 2, progress: false });
    expect(summary).toMatchObject({ partitions: 4, rows: 40, rowsThisRun: 20, skipped: 2, quarantinedImages: 0 });
    const rows = allResults(out);
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.id)).size).toBe(40);
    expect(readdirSync(path.join(out, "results")).filter((f) => f.includes(".tmp-"))).toEqual([]);
    await expectScoresMatch(input, rows.slice(0, 8));
  });
});

describe("on Blob storage (Azurite)", () => {
  it("scores a Blob prefix of images into a Blob prefix, quarantining a bad image there", async () => {
    const azurite = await startAzurite({ inMemory: true });
    try {
      const storage = { connectionString: azurite.connectionString };
      const inputUrl = azurite.containerUrl("images", "batch/in");
      // `storage` is writeDigitImages' deprecated alias of connectionString (2-6 taught it first): it still works.
      const { keys } = await writeDigitImages(inputUrl, { count: 12, seed: 5, storage, prefix: "day-1/" });
      const input = await openStore(inputUrl, storage);
      await input.put("day-1/zz.png", png(28, 27, 1, pixels(28, 27, 1, 3)));
      const outputUrl = azurite.containerUrl("scores", "images-1");
      const summary = await runBatchScoring({ model: modelDir, input: inputUrl, output: outputUrl, workers: 2, imagesPerPartition: 5, connectionString: azurite.connectionString, progress: false });
      expect(summary).toMatchObject({ partitions: 3, rows: 12, quarantinedImages: 1 });
      const output = await openStore(outputUrl, storage);
      expect((await output.list()).filter((k) => !k.startsWith("_commits/"))).toEqual([
        "_job.json",
        "manifest.json",
        "quarantine/day-1/zz.png",
        "quarantine/day-1/zz.png.reason.json",
        "results/images-00000.csv",
        "results/images-00001.csv",
        "results/images-00002.csv",
      ]);
      const text = Buffer.from((await output.get("results/images-00002.csv"))!).toString("utf8");
      expect(text.trim().split("\n").slice(1).map((l) => l.split(",")[0])).toEqual(keys.slice(10));
      // readBatchResults over Blob storage: every good image once, typed; the bad one with its reason.
      const results = await readBatchResults(outputUrl, { connectionString: azurite.connectionString });
      expect(results.rows.map((r) => r.id)).toEqual(keys);
      expect(results.labels).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
      expect(results.rows.every((r) => Math.abs(Object.values(r.probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-5)).toBe(true);
      expect(results.quarantined).toEqual([
        { key: "day-1/zz.png", partition: "images-00002", kind: "image", reason: expect.stringContaining("day-1/zz.png"), copy: "quarantine/day-1/zz.png", reasonKey: "quarantine/day-1/zz.png.reason.json" },
      ]);
    } finally {
      await azurite.stop();
    }
  });
});

describe("mixed folders and the model's kind", () => {
  it("a tabular model reads only CSV / Parquet: images alone give NO_INPUT saying what to do", async () => {
    const input = path.join(root, "in-c");
    await writeDigitImages(input, { count: 3 });
    const tiny = await saveTinyModel("tiny-tabular");
    await expect(runBatchScoring({ model: tiny.dir, input, output: path.join(root, "out-c"), progress: false })).rejects.toMatchObject({
      code: "NO_INPUT",
      message: expect.stringMatching(/No \.csv \/ \.parquet files at .* \(there are 3 image file\(s\): score them with an image model\)/),
    });
  });

  it("an image model on CSV files alone gives NO_INPUT; a tabular model on an image job's output, BAD_OPTION", async () => {
    const input = path.join(root, "in-d");
    mkdirSync(input, { recursive: true });
    writeFileSync(path.join(input, "rows.csv"), "a\n1\n");
    await expect(runBatchScoring({ model: modelDir, input, output: path.join(root, "out-d"), progress: false })).rejects.toMatchObject({
      code: "NO_INPUT",
      message: expect.stringMatching(/No \.png \/ \.jpg \/ \.jpeg files at .* for image model digits-cnn \(there are 1 CSV \/ Parquet file\(s\): score them with a tabular model\)/),
    });
    const out = path.join(root, "out-e");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "_job.json"), JSON.stringify({ kind: "image", model: "digits-cnn", imagesPerPartition: 500 }));
    const tiny = await saveTinyModel("tiny-tabular-2");
    await expect(runBatchScoring({ model: tiny.dir, input, output: out, progress: false })).rejects.toMatchObject({
      code: "BAD_OPTION",
      message: expect.stringMatching(/records an image job \(model digits-cnn\); model tiny-tabular-2 is a tabular model\. Resume it with the same model, or score into a new output folder/),
    });
  });
});

describe("custom-ai score on images", () => {
  it("takes --images-per-partition and exits 3 when images were quarantined", async () => {
    const input = path.join(root, "in-f");
    const out = path.join(root, "out-f");
    await writeDigitImages(input, { count: 6 });
    writeFileSync(path.join(input, "zz-broken.png"), "not a png");
    const codes: number[] = [];
    const logged: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (logged.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await scoreCommand((c) => codes.push(c)).parseAsync(["--model", modelDir, "--input", input, "--output", out, "--workers", "1", "--images-per-partition", "4"], { from: "user" });
    } finally {
      process.stdout.write = write;
    }
    expect(codes).toEqual([SCORE_QUARANTINED_EXIT]);
    expect(logged.join("")).toMatch(/^Results: .*out-f\/results .*\n1 image\(s\) quarantined: see .*out-f\/quarantine\n$/);
    expect(json<BatchManifest>(path.join(out, "manifest.json")).totals).toEqual({ partitions: 2, scored: 2, quarantined: 0, pending: 0, rows: 6, quarantinedImages: 1 });
    expect(existsSync(path.join(out, "quarantine", "zz-broken.png.reason.json"))).toBe(true);
  });
});
