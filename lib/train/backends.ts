import { existsSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { findPackage, importPackage } from "../core/index.js";
import { BackendError } from "./errors.js";

/** The rungs of the ladder, best first. */
export type BackendName = "tfjs-node-gpu" | "tfjs-node" | "webgpu" | "wasm" | "cpu";

export const BACKEND_LADDER: readonly BackendName[] = ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"];

/** What tfjs calls each rung's backend (`tf.setBackend(name)`): both native bindings register "tensorflow". */
export const TF_BACKEND: Readonly<Record<BackendName, string>> = {
  "tfjs-node-gpu": "tensorflow",
  "tfjs-node": "tensorflow",
  webgpu: "webgpu",
  wasm: "wasm",
  cpu: "cpu",
};

export interface BackendProbe {
  name: BackendName;
  /** The name to give `tf.setBackend`. */
  tfBackend: string;
  /** True when the backend initialised and computed a small `tf.add` correctly in this process. */
  available: boolean;
  /** Why not, in a few words; for an available rung, what it ran on. */
  reason: string;
  /** The npm package that provides it (the one loaded, else the first looked for). */
  package: string;
  /** Time this probe took, in milliseconds. */
  ms: number;
}

export interface ProbeOptions {
  /** Probe again instead of returning this process's cached result. */
  refresh?: boolean;
  /** Longest wait for one rung to load and initialise (GPU adapters, wasm compilation). Default 15 s. */
  timeoutMs?: number;
}

const NATIVE = {
  "tfjs-node-gpu": ["@tensorflow/tfjs-node-gpu", "tfjs-node-gpu-optional"],
  "tfjs-node": ["@tensorflow/tfjs-node", "tfjs-node-optional"],
} as const;

const NO_LIBTENSORFLOW = "needs libtensorflow, downloaded at install time: no internet";

let cached: Promise<BackendProbe[]> | undefined;
// Dawn's GPU instance: kept alive for the process so that devices made from it stay valid.
let dawnGpu: unknown;

/**
 * Tries each rung of the ladder (tfjs-node-gpu → tfjs-node → webgpu → wasm → cpu) for real: load
 * its package, register it, `tf.setBackend` it and run a tiny op. Never throws; an unavailable rung
 * carries a short reason. Cached per process (the packages stay loaded anyway).
 *
 * Leaves the tfjs backend that was active before the probe; if none was, the first available one.
 */
export function probeBackends(options: ProbeOptions = {}): Promise<BackendProbe[]> {
  if (!cached || options.refresh) cached = runProbes(options.timeoutMs ?? 15_000);
  return cached.then((probes) => probes.map((p) => ({ ...p })));
}

/**
 * Picks the backend to train on and makes it tfjs's active backend: `override` (a rung name, or
 * "tensorflow" for whichever native binding loaded) when given, else the first available rung.
 * Throws BackendError (BAD_BACKEND, BACKEND_UNAVAILABLE) for an override it cannot honour.
 */
export async function selectBackend(override: string | undefined = process.env.CUSTOM_AI_BACKEND): Promise<BackendProbe> {
  const probes = await probeBackends();
  const wanted = override?.trim().toLowerCase();
  let chosen: BackendProbe | undefined;
  if (!wanted) {
    chosen = probes.find((p) => p.available);
  } else {
    const candidates = wanted === "tensorflow" ? probes.filter((p) => p.tfBackend === "tensorflow") : probes.filter((p) => p.name === wanted);
    if (candidates.length === 0) {
      throw new BackendError(
        "BAD_BACKEND",
        `CUSTOM_AI_BACKEND="${override}" is not a backend. Use one of ${BACKEND_LADDER.join(", ")} (or tensorflow), or unset it to use the best available.`,
      );
    }
    chosen = candidates.find((p) => p.available);
    if (!chosen) {
      const best = probes.find((p) => p.available);
      throw new BackendError(
        "BACKEND_UNAVAILABLE",
        `Backend ${override} is not available here: ${candidates.map((p) => `${p.name}: ${p.reason}`).join("; ")}. ` +
          `Unset CUSTOM_AI_BACKEND to use the best available${best ? ` (${best.name})` : ""}.`,
      );
    }
  }
  // cpu is part of @tensorflow/tfjs, so something is always available; guard anyway.
  if (!chosen) throw new BackendError("BACKEND_UNAVAILABLE", "No tfjs backend initialised, not even cpu: reinstall @tensorflow/tfjs.");
  if (!(await tf.setBackend(chosen.tfBackend))) {
    throw new BackendError("BACKEND_UNAVAILABLE", `tf.setBackend("${chosen.tfBackend}") failed after a successful probe; run probeBackends({ refresh: true }).`);
  }
  await tf.ready();
  return { ...chosen };
}

type Outcome = Omit<BackendProbe, "name" | "tfBackend" | "ms">;

async function runProbes(timeoutMs: number): Promise<BackendProbe[]> {
  const before: string | null | undefined = tf.engine().backendName;
  const probes: BackendProbe[] = [];
  for (const name of BACKEND_LADDER) {
    const start = Date.now();
    let result: Outcome;
    try {
      result = await withTimeout(probeOne(name, probes, timeoutMs), timeoutMs, `timed out after ${timeoutMs} ms`);
    } catch (error) {
      result = { available: false, reason: messageOf(error), package: packageOf(name) };
    }
    probes.push({ name, tfBackend: TF_BACKEND[name], ...result, ms: Date.now() - start });
  }
  const restore = before ?? probes.find((p) => p.available)?.tfBackend;
  if (restore && tf.engine().backendName !== restore) {
    await quietly(() => tf.setBackend(restore)).catch(() => false);
  }
  return probes;
}

async function probeOne(name: BackendName, done: BackendProbe[], timeoutMs: number): Promise<Outcome> {
  switch (name) {
    case "tfjs-node-gpu":
    case "tfjs-node":
      return probeNative(name, done, timeoutMs);
    case "webgpu":
      return probeWebGpu(timeoutMs);
    case "wasm":
      return probeWasm(timeoutMs);
    case "cpu": {
      const ran = await runTinyOp("cpu", timeoutMs);
      return { available: ran.ok, reason: ran.ok ? "pure JavaScript, always available (slowest)" : ran.reason, package: "@tensorflow/tfjs" };
    }
  }
}

function packageOf(name: BackendName): string {
  if (name === "tfjs-node-gpu" || name === "tfjs-node") return NATIVE[name][0];
  return { webgpu: "@tensorflow/tfjs-backend-webgpu", wasm: "@tensorflow/tfjs-backend-wasm", cpu: "@tensorflow/tfjs" }[name];
}

async function probeNative(name: "tfjs-node-gpu" | "tfjs-node", done: BackendProbe[], timeoutMs: number): Promise<Outcome> {
  const canonical = NATIVE[name][0];
  const loadedBefore = done.find((p) => p.tfBackend === "tensorflow" && p.available);
  if (loadedBefore) {
    const installed = NATIVE[name].some((spec) => findPackage(spec)?.name === canonical);
    return {
      available: false,
      reason: `${installed ? "installed but not loaded" : "not installed"}: ${loadedBefore.name} already provides the "tensorflow" backend (one native binding per process)`,
      package: canonical,
    };
  }
  const notes: string[] = [];
  for (const spec of NATIVE[name]) {
    const info = findPackage(spec);
    if (info && info.name !== canonical) {
      // e.g. danfojs-node's override installs @tensorflow/tfjs under the name @tensorflow/tfjs-node
      notes.push(`${spec} is an alias of ${info.name} ${info.version}, not the native binding`);
      continue;
    }
    try {
      await importPackage(spec);
    } catch (error) {
      if (isModuleNotFound(error, spec)) continue;
      return { available: false, reason: `${spec} failed to load: ${messageOf(error)}`, package: spec };
    }
    if (!tf.findBackendFactory("tensorflow")) {
      return { available: false, reason: `${spec} loaded but registered no "tensorflow" backend`, package: spec };
    }
    const ran = await runTinyOp("tensorflow", timeoutMs);
    return {
      available: ran.ok,
      reason: ran.ok ? `native TensorFlow (${info ? `${info.name} ${info.version}` : spec})` : ran.reason,
      package: spec,
    };
  }
  return {
    available: false,
    reason: `package not installed (${NO_LIBTENSORFLOW})${notes.length ? `; ${notes.join("; ")}` : ""}`,
    package: canonical,
  };
}

interface DawnAdapter {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<DawnAdapter | null>;
}

/**
 * Whether the Vulkan loader Dawn needs on Linux is installed. Checked first so that machines
 * without it (CI, most containers) skip Dawn, which otherwise prints a native warning to stderr.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== "linux") return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? "").split(":"), "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/local/lib"];
  return dirs.some((d) => d && existsSync(path.join(d, "libvulkan.so.1")));
}

async function probeWebGpu(timeoutMs: number): Promise<Outcome> {
  const pkg = "@tensorflow/tfjs-backend-webgpu";
  const g = globalThis as { navigator?: { gpu?: unknown } };
  let gpu = (g.navigator?.gpu ?? dawnGpu) as DawnGpu | undefined;
  if (!gpu && !vulkanLoaderPresent()) {
    return { available: false, reason: "no Vulkan loader (libvulkan.so.1): Dawn needs it and a GPU driver", package: "webgpu" };
  }
  if (!gpu) {
    let dawn: { create(flags: string[]): DawnGpu; globals: object };
    try {
      dawn = (await importPackage("webgpu")) as typeof dawn;
    } catch (error) {
      const reason = isModuleNotFound(error, "webgpu") ? "package `webgpu` (Dawn) not installed" : `webgpu (Dawn) failed to load: ${messageOf(error)}`;
      return { available: false, reason, package: "webgpu" };
    }
    gpu = dawn.create([]);
    dawnGpu = gpu;
    // Dawn's WebGPU classes (GPUBufferUsage, ...) are globals in a browser, and tfjs expects them.
    for (const [key, value] of Object.entries(dawn.globals)) {
      if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    }
  }
  const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: "high-performance" }), timeoutMs, "GPU adapter request timed out");
  if (!adapter) {
    return {
      available: false,
      reason: "no GPU adapter found (Dawn needs a GPU with a Vulkan driver: libvulkan.so.1 and the vendor's ICD)",
      package: pkg,
    };
  }
  // tfjs-backend-webgpu registers itself at import only if navigator.gpu exists by then.
  if (!g.navigator) {
    Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  } else if (!g.navigator.gpu) {
    Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  }
  try {
    await importPackage(pkg);
  } catch (error) {
    return { available: false, reason: `${pkg} failed to load: ${messageOf(error)}`, package: pkg };
  }
  if (!tf.findBackendFactory("webgpu")) {
    return { available: false, reason: `${pkg} was loaded before navigator.gpu existed, so it registered nothing; probe before importing it`, package: pkg };
  }
  const ran = await runTinyOp("webgpu", timeoutMs);
  const info = adapter.info;
  const what = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "GPU adapter";
  return { available: ran.ok, reason: ran.ok ? `WebGPU via Dawn on ${what}` : ran.reason, package: pkg };
}

async function probeWasm(timeoutMs: number): Promise<Outcome> {
  const pkg = "@tensorflow/tfjs-backend-wasm";
  try {
    // Its Node build reads the .wasm files beside it with fs: no setWasmPaths needed.
    await importPackage(pkg);
  } catch (error) {
    const reason = isModuleNotFound(error, pkg) ? "package not installed" : `failed to load: ${messageOf(error)}`;
    return { available: false, reason, package: pkg };
  }
  const ran = await runTinyOp("wasm", timeoutMs);
  if (!ran.ok) return { available: false, reason: ran.reason, package: pkg };
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT").catch(() => false);
  const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT").catch(() => false);
  return { available: true, reason: `WebAssembly, SIMD ${simd ? "on" : "off"}, threads ${threads ? "on" : "off"}`, package: pkg };
}

/** setBackend + a tf.add checked against its known answer, with tfjs's warnings kept out of the output. */
// One shape, not a union: tslab compiles without strictNullChecks, where `ok` would not narrow it.
async function runTinyOp(backend: string, timeoutMs: number): Promise<{ ok: boolean; reason: string }> {
  const warnings: string[] = [];
  try {
    return await quietly(async () => {
      const ok = await withTimeout(tf.setBackend(backend), timeoutMs, `tf.setBackend("${backend}") timed out`);
      if (!ok) return { ok: false, reason: warnings.join(" ").trim() || `tf.setBackend("${backend}") returned false` };
      const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
      const values = await sum.data();
      sum.dispose();
      if (values[0] !== 4 || values[1] !== 6) return { ok: false, reason: `tf.add gave [${Array.from(values).join(", ")}], not [4, 6]` };
      return { ok: true, reason: "" };
    }, warnings);
  } catch (error) {
    return { ok: false, reason: messageOf(error) };
  }
}

/**
 * Runs `fn` with console.warn captured: tfjs reports a failed backend initialisation only as a
 * warning, which becomes the probe's reason instead of noise in a notebook.
 */
async function quietly<T>(fn: () => Promise<T>, sink: string[] = []): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    sink.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" "));
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown })?.code;
  return (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") && messageOf(error).includes(specifier);
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].slice(0, 300);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
