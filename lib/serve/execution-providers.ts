// Which ONNX Runtime execution provider scores: cpu (always there), cuda (onnxruntime-node's CUDA
// provider, whose libraries do not ship in the npm package: environments/gpu/install-onnxruntime-cuda.mjs
// copies them from the onnxruntime-gpu wheel on PyPI) or webgpu (built into onnxruntime-node on
// Linux x64; needs a Vulkan driver). `auto` takes cuda when it loads, else cpu, and says why.
//
// onnxruntime-node reports a provider that cannot load only as "Failed to load shared library",
// so the reason is found here: the provider files, then the libraries they need (dlopen's error
// names the missing one), then the GPU itself.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { findPackage } from "../core/index.js"; // core/index also opts out of ORT telemetry before any session
import { ServeError } from "./errors.js";

export const EXECUTION_PROVIDER_CHOICES = ["cpu", "cuda", "webgpu", "auto"] as const;
export type ExecutionProviderChoice = (typeof EXECUTION_PROVIDER_CHOICES)[number];
export type ExecutionProviderName = Exclude<ExecutionProviderChoice, "auto">;

/** The provider a model scores on, as decided before its session is created. */
export interface ResolvedExecutionProvider {
  requested: ExecutionProviderChoice;
  /** The provider that scores. */
  name: ExecutionProviderName;
  /** `executionProviders` for InferenceSession.create: the provider, then cpu for the nodes it lacks. */
  executionProviders: string[];
  /** With `auto` on cpu: why cuda was not taken. */
  fallbackReason?: string;
}

// `reason` on both members: tslab compiles lib/ without strictNullChecks, where `ok` does not narrow.
export type ProbeResult = { ok: true; reason?: undefined } | { ok: false; reason: string };
export type ProviderProbe = (name: "cuda" | "webgpu") => Promise<ProbeResult>;

/** The installer's command, as a user runs it from the project root. */
export const CUDA_INSTALLER = "node environments/gpu/install-onnxruntime-cuda.mjs";
export const CUDA_PROVIDER_FILES = ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"] as const;
/** What the installer writes beside the provider files. */
export const CUDA_MANIFEST_FILE = "onnxruntime-cuda.json";

/** onnxruntime-cuda.json: where the provider came from and what it needs. */
export interface CudaProviderManifest {
  onnxruntime: string;
  wheel: string;
  /** CUDA and cuDNN major versions the wheel was built for ("13", "9"). */
  cuda?: string;
  cudnn?: string;
  /** The provider's NEEDED libraries. */
  needs?: string[];
  /** Folders with the CUDA libraries (--with-cuda-libs), for LD_LIBRARY_PATH. */
  libraryPath?: string[];
}

export interface CudaProviderInstall {
  /** onnxruntime-node's binding folder for this platform, where ONNX Runtime looks for providers. */
  bindingDir?: string;
  /** Provider files not in bindingDir. */
  missing: string[];
  manifest?: CudaProviderManifest;
}

// A Relu over float[2] (opset 13), encoded with onnx-proto: enough to start a provider and run on it.
const PROBE_MODEL = Buffer.from("CAgSD2N1c3RvbS1haS1wcm9iZTo3CgwKAXgSAXkiBFJlbHUSBXByb2JlWg8KAXgSCgoICAESBAoCCAJiDwoBeRIKCggIARIECgIIAkIECgAQDQ==", "base64");

/** Parses a --execution-provider value; throws ServeError BAD_OPTION. */
export function parseExecutionProvider(value: string, where = "--execution-provider"): ExecutionProviderChoice {
  const v = value.trim().toLowerCase();
  if ((EXECUTION_PROVIDER_CHOICES as readonly string[]).includes(v)) return v as ExecutionProviderChoice;
  throw new ServeError("BAD_OPTION", `${where} takes ${EXECUTION_PROVIDER_CHOICES.join(", ")}, not ${JSON.stringify(value)}.`);
}

/** The folder onnxruntime-node loads its binding from (bin/napi-v*\/<platform>/<arch>), or undefined. */
export function ortBindingDir(): string | undefined {
  // findPackage, not import.meta: tslab compiles lib/ to CommonJS.
  const root = findPackage("onnxruntime-node")?.dir;
  if (!root) return undefined;
  const bin = path.join(root, "bin");
  const napi = existsSync(bin) ? readdirSync(bin).filter((d) => /^napi-v\d+$/.test(d)).sort().reverse() : [];
  for (const d of napi) {
    const dir = path.join(bin, d, process.platform, process.arch);
    if (existsSync(path.join(dir, "onnxruntime_binding.node"))) return dir;
  }
  return undefined;
}

/** Which CUDA provider files onnxruntime-node's binding folder has, and the installer's manifest. */
export function findCudaProvider(bindingDir = ortBindingDir()): CudaProviderInstall {
  if (!bindingDir) return { missing: [...CUDA_PROVIDER_FILES] };
  const missing = CUDA_PROVIDER_FILES.filter((f) => !existsSync(path.join(bindingDir, f)));
  let manifest: CudaProviderManifest | undefined;
  try {
    manifest = JSON.parse(readFileSync(path.join(bindingDir, CUDA_MANIFEST_FILE), "utf8")) as CudaProviderManifest;
  } catch {
    // placed by hand, or not at all
  }
  return { bindingDir, missing, ...(manifest ? { manifest } : {}) };
}

/**
 * The library dlopen cannot find when loading `file` (its own or a dependency's name), or
 * undefined when it loads. Node's dlopen loads any shared library; one that is not an addon then
 * fails "did not self-register", which means it loaded.
 */
export function missingLibrary(file: string): { library: string; error: string } | undefined {
  try {
    process.dlopen({ exports: {} }, file, os.constants.dlopen.RTLD_LAZY);
  } catch (e) {
    const error = (e as Error).message;
    const m = /([^\s:/]+\.so[.\d]*): cannot open shared object file/.exec(error);
    if (m) return { library: m[1], error };
  }
  return undefined;
}

function cudaLibsAdvice(install: CudaProviderInstall): string {
  const m = install.manifest;
  const versions = m?.cuda ? `CUDA ${m.cuda} and cuDNN ${m.cudnn ?? "9"}` : "the CUDA runtime and cuDNN that the onnxruntime-gpu wheel of the same version was built for";
  const inPath = (process.env.LD_LIBRARY_PATH ?? "").split(":");
  const dirs = m?.libraryPath?.filter((d) => !inPath.includes(d)) ?? [];
  if (dirs.length) return `The installer fetched them: start with LD_LIBRARY_PATH=${m!.libraryPath!.join(":")}${process.env.LD_LIBRARY_PATH ? ":$LD_LIBRARY_PATH" : ""}.`;
  return `Install ${versions} (on a DSVM or the CUDA container images they are there; add their lib folders to LD_LIBRARY_PATH), or fetch them from PyPI with \`${CUDA_INSTALLER} --with-cuda-libs\` and start with the LD_LIBRARY_PATH it prints.`;
}

/** Why the CUDA provider does not run here, once ONNX Runtime has refused it with `ortMessage`. */
function explainCudaFailure(install: CudaProviderInstall, ortMessage: string): string {
  const dir = install.bindingDir!;
  const gone = missingLibrary(path.join(dir, CUDA_PROVIDER_FILES[1])) ?? missingLibrary(path.join(dir, CUDA_PROVIDER_FILES[0]));
  if (gone?.library === "libcuda.so.1") {
    return "the provider files are in place, but the NVIDIA driver's library libcuda.so.1 is not on this machine: it has no NVIDIA GPU driver. Run on a machine with an NVIDIA GPU and its driver (in a container: with the GPU exposed, e.g. docker run --gpus all, or the NVIDIA device plugin on AKS).";
  }
  if (gone) return `the CUDA provider is installed, but a library it needs cannot be loaded: ${gone.error}. ${cudaLibsAdvice(install)}`;
  const gpu = existsSync("/dev/nvidiactl") ? "" : " No NVIDIA GPU device is visible (/dev/nvidiactl is missing).";
  return `ONNX Runtime could not start its CUDA provider: ${shortCudaError(ortMessage)}.${gpu}`;
}

/** "CUDA failure 35: CUDA driver version is insufficient … (cudaSetDevice(...))" out of ONNX Runtime's long message. */
export function shortCudaError(message: string): string {
  const failure = /CUDA failure \d+: [^;]*?(?=\s*;|$)/.exec(message);
  if (!failure) return message.trim().replace(/\.+$/, "").slice(0, 400);
  const expr = /expr=([^;]*?);?\s*$/.exec(message.trim());
  return `${failure[0]}${expr ? ` (at ${expr[1].trim()})` : ""}`;
}

/** cuDNN is loaded by name when a convolution first runs, not with the provider: checked here. */
function cudnnProblem(install: CudaProviderInstall): string | undefined {
  const major = install.manifest?.cudnn ?? "9";
  if (!missingLibrary(`libcudnn.so.${major}`) || !missingLibrary("libcudnn.so")) return undefined;
  return `the CUDA provider starts, but cuDNN ${major} (libcudnn.so.${major}), which convolutions need, cannot be loaded. ${cudaLibsAdvice(install)}`;
}

async function runProbeModel(provider: string): Promise<string | undefined> {
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(PROBE_MODEL, { executionProviders: [provider], graphOptimizationLevel: "disabled" });
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from([-1, 2]), [2]) });
    const y = Array.from(out[session.outputNames[0]].data as Float32Array);
    return y[0] === 0 && y[1] === 2 ? undefined : `the probe model gave [${y.join(", ")}] instead of [0, 2]`;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await session?.release();
  }
}

/** Whether the CUDA provider starts and runs a tiny model here; if not, why and what to do. */
export async function probeCuda(): Promise<ProbeResult> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    return { ok: false, reason: `onnxruntime-node's CUDA provider is built for Linux x64 only; this is ${process.platform}/${process.arch}.` };
  }
  const install = findCudaProvider();
  if (!install.bindingDir) return { ok: false, reason: "onnxruntime-node's binding folder was not found (is onnxruntime-node installed?)." };
  if (install.missing.length) {
    return {
      ok: false,
      reason: `the CUDA provider is not installed: ${install.bindingDir} has no ${install.missing.join(" or ")} (they do not ship in the npm package). Run \`${CUDA_INSTALLER}\`: it copies them from the onnxruntime-gpu wheel of the same version on PyPI.`,
    };
  }
  const failed = await runProbeModel("cuda");
  const reason = failed === undefined ? cudnnProblem(install) : explainCudaFailure(install, failed);
  return reason ? { ok: false, reason } : { ok: true };
}

/** Whether ONNX Runtime's WebGPU provider finds a GPU adapter here. */
export async function probeWebGpu(): Promise<ProbeResult> {
  const failed = await runProbeModel("webgpu");
  if (failed === undefined) return { ok: true };
  if (/backend not found|not supported|unknown/i.test(failed) && !/adapter/i.test(failed)) {
    return { ok: false, reason: `this onnxruntime-node build has no WebGPU provider on ${process.platform}/${process.arch} (${failed.trim()}).` };
  }
  const vulkan = process.platform === "linux" && missingLibrary("libvulkan.so.1") ? " libvulkan.so.1 is not installed (apt: libvulkan1)." : "";
  return {
    ok: false,
    reason: `ONNX Runtime's WebGPU provider found no GPU adapter:${vulkan} It needs the Vulkan loader and a GPU's Vulkan driver (NVIDIA: the driver's ICD file; set VK_DRIVER_FILES if it is not found). ONNX Runtime said: ${(/Failed to [^\n]*/.exec(failed) ?? [failed.trim().split("\n")[0]])[0]}`,
  };
}

const probes = new Map<string, Promise<ProbeResult>>();
/** The real probes, run once per process. */
export const probeProvider: ProviderProbe = (name) => {
  let p = probes.get(name);
  if (!p) probes.set(name, (p = name === "cuda" ? probeCuda() : probeWebGpu()));
  return p;
};

const providersFor = (name: ExecutionProviderName): string[] => (name === "cpu" ? ["cpu"] : [name, "cpu"]);

/**
 * Decides the provider for `choice`: cpu at once; cuda or webgpu after a probe, throwing
 * ServeError EXECUTION_PROVIDER (what is missing, what to do) when it fails; auto → cuda when the
 * probe passes, else cpu with `fallbackReason`.
 */
export async function resolveExecutionProvider(choice: ExecutionProviderChoice = "cpu", options: { probe?: ProviderProbe } = {}): Promise<ResolvedExecutionProvider> {
  const probe = options.probe ?? probeProvider;
  if (choice === "cpu") return { requested: choice, name: "cpu", executionProviders: providersFor("cpu") };
  const target = choice === "auto" ? "cuda" : choice;
  const result = await probe(target);
  if (result.ok) return { requested: choice, name: target, executionProviders: providersFor(target) };
  if (choice === "auto") {
    return { requested: choice, name: "cpu", executionProviders: providersFor("cpu"), fallbackReason: `CUDA is not available: ${result.reason}` };
  }
  throw new ServeError("EXECUTION_PROVIDER", `Cannot score on the ${target === "cuda" ? "CUDA" : "WebGPU"} execution provider: ${result.reason} Or score on the CPU: --execution-provider cpu (or auto, which falls back to it).`);
}

/** One line for logs: "cuda", or "cpu (auto: CUDA is not available: ...)". */
export function describeExecutionProvider(ep: ResolvedExecutionProvider): string {
  return ep.fallbackReason ? `${ep.name} (${ep.requested}: ${ep.fallbackReason})` : ep.name;
}
