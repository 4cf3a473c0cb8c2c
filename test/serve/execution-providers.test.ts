// --execution-provider: cpu scores; cuda and webgpu fail with a ServeError that says what is
// missing (on a machine without an NVIDIA GPU, as CI is); auto falls back to cpu and says why.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXECUTION_PROVIDER_FLAG_CHOICES } from "../../lib/cli/execution-provider-option.js";
import { main } from "../../lib/cli/main.js";
import { runBatchScoring } from "../../lib/serve/batch/index.js";
import {
  CUDA_MANIFEST_FILE,
  CUDA_PROVIDER_FILES,
  EXECUTION_PROVIDER_CHOICES,
  findCudaProvider,
  missingLibrary,
  parseExecutionProvider,
  probeCuda,
  resolveExecutionProvider,
  shortCudaError,
  type ProviderProbe,
} from "../../lib/serve/execution-providers.js";
import { loadScoringModel, ServeError } from "../../lib/serve/index.js";
import { writePartitions, writeTinyModel } from "./batch-helpers.js";
import { row, saveTinyModel } from "./server-helpers.js";
import { tempDir } from "../support/temp.js";

// Where an NVIDIA GPU is visible the cuda path may work: the failure cases below then do not apply.
const hasNvidiaGpu = existsSync("/dev/nvidiactl");

let root: string;
let modelDir: string;
beforeAll(async () => {
  root = tempDir("cai-ep-");
  modelDir = (await saveTinyModel()).dir;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const failing: ProviderProbe = async () => ({ ok: false, reason: "libcudart.so.13 is missing." });
const passing: ProviderProbe = async () => ({ ok: true });
const never: ProviderProbe = async () => {
  throw new Error("cpu must not probe");
};

describe("choosing the provider", () => {
  it("parses the flag's values and refuses others by name", () => {
    expect(parseExecutionProvider(" CUDA ")).toBe("cuda");
    expect(() => parseExecutionProvider("gpu")).toThrow(/--execution-provider takes cpu, cuda, webgpu, auto, not "gpu"/);
    expect([...EXECUTION_PROVIDER_FLAG_CHOICES]).toEqual([...EXECUTION_PROVIDER_CHOICES]);
  });

  it("takes cpu without probing, and puts cpu behind a GPU provider for the nodes it lacks", async () => {
    expect(await resolveExecutionProvider("cpu", { probe: never })).toEqual({ requested: "cpu", name: "cpu", executionProviders: ["cpu"] });
    expect(await resolveExecutionProvider("cuda", { probe: passing })).toMatchObject({ name: "cuda", executionProviders: ["cuda", "cpu"] });
    expect(await resolveExecutionProvider("auto", { probe: passing })).toMatchObject({ name: "cuda", requested: "auto" });
  });

  it("auto falls back to cpu and says why; an explicit cuda or webgpu throws EXECUTION_PROVIDER", async () => {
    const auto = await resolveExecutionProvider("auto", { probe: failing });
    expect(auto).toMatchObject({ name: "cpu", executionProviders: ["cpu"], fallbackReason: "CUDA is not available: libcudart.so.13 is missing." });
    for (const choice of ["cuda", "webgpu"] as const) {
      const error = await resolveExecutionProvider(choice, { probe: failing }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServeError);
      expect(error).toMatchObject({ code: "EXECUTION_PROVIDER" });
      expect((error as Error).message).toMatch(/libcudart\.so\.13 is missing\. Or score on the CPU: --execution-provider cpu/);
    }
  });
});

describe("finding the CUDA provider files", () => {
  it("names the files a binding folder lacks, and reads the installer's manifest", () => {
    const dir = path.join(root, "binding");
    mkdirSync(dir);
    expect(findCudaProvider(dir)).toEqual({ bindingDir: dir, missing: [...CUDA_PROVIDER_FILES] });
    for (const f of CUDA_PROVIDER_FILES) writeFileSync(path.join(dir, f), "");
    writeFileSync(path.join(dir, CUDA_MANIFEST_FILE), JSON.stringify({ onnxruntime: "1.30.0", wheel: "w.whl", cuda: "13", cudnn: "9" }));
    expect(findCudaProvider(dir)).toMatchObject({ missing: [], manifest: { cuda: "13", cudnn: "9" } });
  });

  it("names the library dlopen cannot find, and nothing for one that loads", () => {
    expect(missingLibrary("libcai-not-there.so.7")).toMatchObject({ library: "libcai-not-there.so.7" });
    expect(missingLibrary("libm.so.6")).toBeUndefined();
  });

  it("shortens ONNX Runtime's CUDA failure to its cause", () => {
    const ort =
      "/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:154 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(...) CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version ; GPU=-1 ; hostname=vm ; file=cuda_execution_provider.cc ; line=352 ; expr=cudaSetDevice(info_.device_id); ";
    expect(shortCudaError(ort)).toBe("CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version (at cudaSetDevice(info_.device_id))");
  });
});

describe.skipIf(hasNvidiaGpu)("on this machine, without an NVIDIA GPU", () => {
  it("the CUDA probe fails with what is missing and what to do", async () => {
    const r = await probeCuda();
    expect(r.ok).toBe(false);
    // Not installed (npm ci alone), installed without CUDA's libraries, or without the driver.
    expect(r.ok ? "" : r.reason).toMatch(/install-onnxruntime-cuda\.mjs|cannot be loaded: .*\.so[.\d]*: cannot open|libcuda\.so\.1 is not on this machine|No NVIDIA GPU device/);
  });

  it("loads a model on cpu after auto, and refuses cuda with EXECUTION_PROVIDER", async () => {
    const m = await loadScoringModel(modelDir, { executionProvider: "auto" });
    try {
      expect(m.executionProvider).toMatchObject({ requested: "auto", name: "cpu", fallbackReason: expect.stringMatching(/^CUDA is not available: /) });
      const { data, width } = await m.run(Float32Array.from(row()), 1);
      expect(width).toBe(3);
      expect(data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      await m.release();
    }
    await expect(loadScoringModel(modelDir, { executionProvider: "cuda" })).rejects.toMatchObject({ code: "EXECUTION_PROVIDER", message: expect.stringMatching(/--execution-provider cpu/) });
  });

  it("`custom-ai serve --execution-provider cuda` exits 1 with the message, no stack trace", async () => {
    const { code, stderr } = await runServe(["--execution-provider", "cuda"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/custom-ai: Cannot score on the CUDA execution provider: .*--execution-provider cpu/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("`custom-ai serve --execution-provider auto` serves on cpu, says why in its log, and /readyz names the provider", async () => {
    const { stdout, stderr, ready } = await runServe(["--execution-provider", "auto"], true);
    expect(stderr).toMatch(/Model ready: http:\/\/\S+\/score \(execution provider: cpu\)/);
    expect(ready).toMatchObject({ status: "ready", executionProvider: "cpu" });
    const warns = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((l) => /CUDA is not available/.test(l.msg ?? ""));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ level: 40, executionProvider: "cpu" });
  });

  it("`custom-ai score --execution-provider cuda` exits 1 with the message; auto scores on cpu and the summary says so", async () => {
    const batchModel = path.join(root, "batch-model");
    const input = path.join(root, "batch-in");
    await writeTinyModel(batchModel);
    writePartitions(input, 1, 20);
    const codes: number[] = [];
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => (errors.push(String(s)), true));
    try {
      codes.push(await main(["score", "--model", batchModel, "--input", input, "--output", path.join(root, "batch-out-cuda"), "--execution-provider", "cuda"]));
    } finally {
      spy.mockRestore();
    }
    expect(codes).toEqual([1]);
    expect(errors.join("")).toMatch(/^custom-ai: Cannot score on the CUDA execution provider: .*--execution-provider cpu/);

    const summary = await runBatchScoring({ model: batchModel, input, output: path.join(root, "batch-out-auto"), workers: 1, executionProvider: "auto", progress: false });
    expect(summary).toMatchObject({ rows: 20, executionProvider: "cpu" });
  });
});

/** Runs `custom-ai serve` on the tiny model; with `untilReady`, reads /readyz, then stops it. */
function runServe(args: string[], untilReady = false): Promise<{ code: number | null; stdout: string; stderr: string; ready?: unknown }> {
  const child = spawn(process.execPath, ["bin/custom-ai.mjs", "serve", "--model", modelDir, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let ready: unknown;
  child.stdout.on("data", (d) => (stdout += d));
  return new Promise((resolve) => {
    child.stderr.on("data", async (d) => {
      stderr += d;
      const m = /Model ready: (http:\/\/[^/\s]+)/.exec(stderr);
      if (untilReady && m && ready === undefined) {
        ready = null;
        ready = await (await fetch(`${m[1]}/readyz`)).json();
        child.kill("SIGTERM");
      }
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr, ready }));
  });
}
