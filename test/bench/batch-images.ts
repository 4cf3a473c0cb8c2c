// The batch benchmark's image cases: a folder of 28×28 PNG digits (the digits CNN) and a folder of
// 224×224 RGB JPEGs (a light model: 8×8 average pooling and a dense layer, so that the time is the
// images' reading and decoding, not the model's), each scored by ours (`custom-ai score`), by
// Pillow + onnxruntime (peers/batch_pillow.py) and by the ceiling (onnxruntime-node on images
// already decoded), side by side, images/s over the whole job.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import jpeg from "jpeg-js";
import { encodePng, loadDigits, mulberry32 } from "../../lib/data/index.js";
import { imageInputStep, saveServableModel } from "../../lib/models/index.js";
import { warmPageCache } from "./batch-data.js";
import { runJob, runTogether, type JobRun } from "./batch-job.js";
import { makeDigitsModel } from "./bench-models.js";
import { shown } from "./papermill.js";
import type { PeerVenv } from "./peer-venv.js";
import type { BenchContext } from "./suite.js";

export interface ImageCase {
  name: string;
  kind: "ours" | "peer" | "ceiling";
  input: "png" | "jpeg";
  rows: number;
  processes: number;
  runs: { ms: number; rowsPerS: number; cpuS?: number; peakRss?: number; peakProcess?: number; peakWorker?: number }[];
  skipped?: string;
}

export interface ImageSet {
  input: "png" | "jpeg";
  /** ours, Pillow, ceiling. */
  cases: ImageCase[];
}

const MiB = 2 ** 20;
const PER_PARTITION = 500;

export async function imageCases(
  ctx: BenchContext,
  o: {
    workers: number;
    batch: number;
    pngs: number;
    jpegs: number;
    out: string;
    models: string;
    venv?: PeerVenv;
    venvError?: string;
    measured: (run: JobRun, rows: number) => ImageCase["runs"][number];
    checkRows: (c: ImageCase, run: JobRun, dir: string, data: { rows: number }) => number;
    files: (dir: string, ext: string) => string[];
  },
): Promise<ImageSet[]> {
  const sets: { input: "png" | "jpeg"; count: number; folder: () => Promise<string>; model: () => Promise<string> }[] = [
    { input: "png", count: o.pngs, folder: () => digitImages(ctx, o.pngs), model: async () => (await makeDigitsModel(o.models, 1)).dir },
    { input: "jpeg", count: o.jpegs, folder: () => photoImages(ctx, o.jpegs), model: () => makePhotoModel(o.models) },
  ];
  const result: ImageSet[] = [];
  for (const set of sets.filter((s) => s.count > 0)) {
    const folder = await set.folder();
    const model = await set.model();
    const cases: ImageCase[] = [
      { name: "ours (custom-ai score)", kind: "ours", input: set.input, rows: set.count, processes: o.workers, runs: [] },
      { name: "Pillow + onnxruntime", kind: "peer", input: set.input, rows: set.count, processes: o.workers, runs: [], skipped: o.venv ? undefined : o.venvError },
      { name: "ceiling (onnxruntime-node, decoded)", kind: "ceiling", input: set.input, rows: set.count, processes: o.workers, runs: [] },
    ];
    const common = ["--model", model, "--input", folder, "--workers", String(o.workers), "--batch-size", String(o.batch), "--images-per-partition", String(PER_PARTITION)];
    const files = o.files(folder, set.input === "png" ? ".png" : ".jpg");
    for (let rep = 0; rep < ctx.reps; rep++) {
      warmPageCache(folder);
      for (const c of cases.filter((c) => !c.skipped)) {
        const dir = path.join(o.out, `${c.kind}-${set.input}`);
        rmSync(dir, { recursive: true, force: true });
        if (c.kind === "ceiling") {
          // Partition by partition as the scorer does (images of partition i go to process i mod N).
          const chunks = Array.from({ length: Math.ceil(files.length / PER_PARTITION) }, (_, i) => files.slice(i * PER_PARTITION, (i + 1) * PER_PARTITION));
          const mine = (rank: number) => chunks.filter((_, i) => i % o.workers === rank).flat();
          c.runs.push(await ceilingImages(ctx, model, o.batch, o.workers, mine));
        } else {
          const argv =
            c.kind === "ours"
              ? [process.execPath, path.join(ctx.root, "bin", "custom-ai.mjs"), "score", ...common, "--output", dir, "--json"]
              : [o.venv!.python, path.join(ctx.root, "test", "bench", "peers", "batch_pillow.py"), ...common, "--output", dir];
          const run = await runJob(argv, { cwd: ctx.root });
          c.runs.push(o.measured(run, o.checkRows(c, run, dir, { rows: set.count })));
        }
        const r = c.runs[c.runs.length - 1];
        ctx.log(`rep ${rep + 1}/${ctx.reps} ${c.name} ${set.input}: ${Math.round(r.rowsPerS).toLocaleString("en-US")} images/s${r.cpuS !== undefined ? `, ${r.cpuS.toFixed(2)} CPU s` : ""}${r.peakRss ? `, peak RSS ${(r.peakRss / MiB).toFixed(0)} MiB` : ""}`);
      }
    }
    result.push({ input: set.input, cases });
  }
  return result;
}

async function ceilingImages(ctx: BenchContext, modelDir: string, batch: number, workers: number, mine: (rank: number) => string[]) {
  const entry = path.join(ctx.root, "test", "bench", "batch-ceiling.ts");
  // File lists go through a file: 20,000 paths would not fit a command line.
  const lists = Array.from({ length: workers }, (_, rank) => {
    const file = path.join(ctx.root, "out", "bench", "batch-scoring", `ceiling-images-${rank}.txt`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, mine(rank).join("\n"));
    return file;
  });
  const results = await runTogether(
    lists.map((list) => [process.execPath, path.join(ctx.root, "bin", "run-ts.mjs"), entry, "images", modelDir, String(batch), `@${list}`]),
    ctx.root,
  );
  const total = results.reduce((a, r) => a + r.rows, 0);
  const ms = Math.max(...results.map((r) => r.ms));
  return { ms, rowsPerS: total / (ms / 1000) };
}

/** `count` 28×28 grayscale PNG digits (the mnist package's images, in turn) under .cache/bench/data/. */
async function digitImages(ctx: BenchContext, count: number): Promise<string> {
  const dir = path.join(ctx.root, ".cache", "bench", "data", `digits-png-${count}-v1`);
  if (existsSync(path.join(dir, ".complete"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  ctx.log(`data: writing ${count} PNG digits to ${shown(ctx.root, dir)}`);
  const distinct = Math.min(count, 8000);
  const digits = await loadDigits({ count: distinct, seed: 3 });
  for (let i = 0; i < count; i++) {
    const k = i % distinct;
    writeFileSync(path.join(dir, `digit-${String(i).padStart(6, "0")}.png`), encodePng({ width: 28, height: 28, channels: 1, pixels: digits.images.subarray(k * 784, (k + 1) * 784) }));
  }
  writeFileSync(path.join(dir, ".complete"), "");
  return dir;
}

const PHOTO = 224;

/**
 * `count` 224×224 RGB JPEGs (quality 85, baseline, 4:2:0 as jpeg-js writes them): smooth colour
 * gradients with a few discs and noise, so that they compress like photos, not flat colour.
 */
async function photoImages(ctx: BenchContext, count: number): Promise<string> {
  const dir = path.join(ctx.root, ".cache", "bench", "data", `photos-jpeg-${count}-v1`);
  if (existsSync(path.join(dir, ".complete"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  ctx.log(`data: writing ${count} 224×224 JPEG images to ${shown(ctx.root, dir)}`);
  const rnd = mulberry32(224);
  const distinct = Math.min(count, 500); // encoding is the slow part; the set repeats them
  const encoded: Buffer[] = [];
  const rgba = Buffer.alloc(PHOTO * PHOTO * 4);
  for (let k = 0; k < distinct; k++) {
    const [r0, g0, b0, dr, dg, db] = Array.from({ length: 6 }, () => rnd() * 255);
    const discs = Array.from({ length: 4 }, () => ({ x: rnd() * PHOTO, y: rnd() * PHOTO, r: 10 + rnd() * 50, c: [rnd() * 255, rnd() * 255, rnd() * 255] }));
    for (let y = 0; y < PHOTO; y++) {
      for (let x = 0; x < PHOTO; x++) {
        const t = (x + y) / (2 * PHOTO);
        let c = [r0 + (dr - r0) * t, g0 + (dg - g0) * t, b0 + (db - b0) * t];
        for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) c = d.c;
        const i = (y * PHOTO + x) * 4;
        for (let ch = 0; ch < 3; ch++) rgba[i + ch] = Math.max(0, Math.min(255, Math.round(c[ch] + (rnd() - 0.5) * 24)));
        rgba[i + 3] = 255;
      }
    }
    encoded.push(jpeg.encode({ data: rgba, width: PHOTO, height: PHOTO }, 85).data);
  }
  for (let i = 0; i < count; i++) writeFileSync(path.join(dir, `photo-${String(i).padStart(6, "0")}.jpg`), encoded[i % distinct]);
  writeFileSync(path.join(dir, ".complete"), "");
  return dir;
}

/** A light 224×224×3 model (8×8 average pooling, a dense softmax layer over 10 classes), as the tutorials save models. */
async function makePhotoModel(outDir: string): Promise<string> {
  await tf.setBackend("cpu");
  const name = "photos-pool-dense";
  const dir = path.join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const model = tf.sequential({ name });
  model.add(tf.layers.averagePooling2d({ inputShape: [PHOTO, PHOTO, 3], poolSize: 8, strides: 8 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  await saveServableModel(model, dir, {
    name,
    task: "multiclass-classification",
    labels: Array.from({ length: 10 }, (_, i) => `c${i}`),
    preprocessing: [imageInputStep({ width: PHOTO, height: PHOTO, channels: 3, scale: 1 / 255 })],
  }, { onnx: { inputNames: ["image"], outputNames: ["probabilities"] } });
  model.dispose();
  return dir;
}
