import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import * as tf from "@tensorflow/tfjs";
import "../../lib/core/ort-telemetry.js";
import * as ort from "onnxruntime-node";
import { exportOnnx, onnxModelInfo, type ExportOnnxOptions } from "../../lib/models/onnx/index.js";
import { mulberry32 } from "../../lib/data/random.js";
import { projectPython } from "../support/python.js";

// The same check as `python3 -c "import onnx,sys; m=onnx.load(sys.argv[1]);
// onnx.checker.check_model(m, full_check=True)"`, in one Python process per test file (Python
// and onnx take ~0.5 s to start), one model path per stdin line, one JSON verdict per line.
const CHECKER_SCRIPT = `
import json, sys
import onnx
print("ready", flush=True)
for line in sys.stdin:
    try:
        m = onnx.load(line.strip())
        onnx.checker.check_model(m, full_check=True)
        print(json.dumps({"ok": True}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": type(e).__name__ + ": " + str(e)}), flush=True)
`;

interface Checker {
  child: ChildProcess;
  lines: AsyncIterator<string>;
  dir: string;
  count: number;
}

let shared: Promise<Checker> | undefined;
let queue: Promise<unknown> = Promise.resolve();

function missingOnnx(python: string, stderr: string): Error {
  return new Error(
    `The ONNX checker needs Python's onnx package, which ${python} cannot import. ` +
      `Rebuild the project's Python environment: rm -rf .cache/python && node bin/python-env.mjs\n${stderr.trim()}`,
  );
}

async function startChecker(pythonArgs: string[]): Promise<Checker> {
  const python = projectPython();
  const child = spawn(python, [...pythonArgs, "-u", "-c", CHECKER_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const spawnError = new Promise<never>((_, reject) => child.on("error", () => reject(missingOnnx(python, `${python} not found`))));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const first = await Promise.race([lines.next(), spawnError]);
  if (first.done || first.value !== "ready") {
    await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(undefined)));
    if (/No module named '?onnx'?/.test(stderr)) throw missingOnnx(python, stderr);
    throw new Error(`The ONNX checker did not start:\n${stderr.trim()}`);
  }
  return { child, lines, dir: mkdtempSync(path.join(os.tmpdir(), "onnx-check-")), count: 0 };
}

async function check(checker: Checker, bytes: Uint8Array): Promise<void> {
  const file = path.join(checker.dir, `model-${checker.count++}.onnx`);
  writeFileSync(file, bytes);
  try {
    checker.child.stdin?.write(`${file}\n`);
    const reply = await checker.lines.next();
    if (reply.done) throw new Error("The ONNX checker exited unexpectedly.");
    const verdict = JSON.parse(reply.value) as { ok: boolean; error?: string };
    if (!verdict.ok) throw new Error(`onnx.checker rejected the model:\n${verdict.error}`);
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Runs the reference ONNX checker (Python `onnx`, full_check = with strict shape inference) on the
 * bytes, from the project's Python environment (bin/python-env.mjs). Rejects, never skips, when
 * the package is missing. `pythonArgs` start a separate, one-off Python.
 */
export async function onnxCheck(bytes: Uint8Array, pythonArgs: string[] = []): Promise<void> {
  if (pythonArgs.length > 0) {
    const checker = await startChecker(pythonArgs);
    try {
      return await check(checker, bytes);
    } finally {
      stopChecker(checker);
    }
  }
  shared ??= startChecker([]);
  const run = queue.then(async () => check(await (shared as Promise<Checker>), bytes));
  queue = run.catch(() => undefined);
  return run;
}

function stopChecker(checker: Checker): void {
  checker.child.stdin?.end();
  checker.child.kill();
  rmSync(checker.dir, { recursive: true, force: true });
}

/** Stops the shared checker process (call from afterAll). */
export async function closeOnnxChecker(): Promise<void> {
  const pending = shared;
  shared = undefined;
  const checker = await pending?.catch(() => undefined);
  if (checker !== undefined) stopChecker(checker);
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export const random = mulberry32;

export function randomArray(size: number, seed: number, scale = 1): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: size }, () => (next() * 2 - 1) * scale);
}

/** Replaces every weight of the model with seeded random values (BatchNorm variances kept positive). */
export function randomiseWeights(model: tf.LayersModel, seed: number, scale = 0.5): void {
  let s = seed;
  for (const layer of model.layers) {
    const values = layer.getWeights().map((w, i) => {
      const name = layer.weights[i].originalName;
      const data = randomArray(w.size, s++, scale);
      if (/moving_variance$/.test(name)) for (let j = 0; j < data.length; j++) data[j] = 0.2 + Math.abs(data[j]) * 2;
      if (/moving_mean$/.test(name)) for (let j = 0; j < data.length; j++) data[j] *= 2;
      return tf.tensor(data, w.shape);
    });
    if (values.length > 0) layer.setWeights(values);
    tf.dispose(values);
  }
}

export interface Feed {
  data: Float32Array | Int32Array;
  shape: number[];
}

export interface Comparison {
  bytes: Uint8Array;
  maxDiffs: number[];
  info: ReturnType<typeof onnxModelInfo>;
}

/**
 * Exports the model, scores the feeds with tfjs `predict` and with onnxruntime-node, and returns the
 * largest absolute difference per output.
 */
export async function compareWithTfjs(model: tf.LayersModel, feeds: Feed[], options?: ExportOnnxOptions): Promise<Comparison> {
  const bytes = exportOnnx(model, options);
  const info = onnxModelInfo(bytes);
  const expected = tf.tidy(() => {
    const inputs = feeds.map((f) => tf.tensor(f.data, f.shape, f.data instanceof Int32Array ? "int32" : "float32"));
    const out = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    return (Array.isArray(out) ? out : [out]).map((t) => ({ data: t.dataSync().slice(), shape: t.shape }));
  });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    info.inputs.forEach((input, i) => {
      const { data, shape } = feeds[i];
      ortFeeds[input.name] =
        input.type === "int32" ? new ort.Tensor("int32", Int32Array.from(data), shape) : new ort.Tensor("float32", Float32Array.from(data), shape);
    });
    const results = await session.run(ortFeeds);
    const maxDiffs = info.outputs.map((output, i) => {
      const got = results[output.name];
      const want = expected[i].data;
      if (got.dims.join(",") !== expected[i].shape.join(",")) {
        throw new Error(`output ${output.name} has shape [${got.dims.join(", ")}], tfjs [${expected[i].shape.join(", ")}]`);
      }
      let max = 0;
      for (let j = 0; j < want.length; j++) max = Math.max(max, Math.abs(Number(got.data[j]) - want[j]));
      if (Number.isNaN(max) || want.some((v) => !Number.isFinite(v))) return Number.POSITIVE_INFINITY;
      return max;
    });
    return { bytes, maxDiffs, info };
  } finally {
    await session.release();
  }
}
