#!/usr/bin/env node
// Native TensorFlow on the GPU for training on a Data Science VM: the CUDA 11 runtime that
// @tensorflow/tfjs-node-gpu 4.22 needs, from PyPI, and a check that says which backend training
// will use and why.
//
//   node environments/dsvm/setup-tfjs-gpu.mjs            install the libraries, then check
//   node environments/dsvm/setup-tfjs-gpu.mjs --check    only check (changes nothing)
//   options: --dir DIR (default <repo>/.cache/tfjs-gpu, or $CUSTOM_AI_TFJS_GPU_DIR)
//            --python PY (default python3)  --no-verify (skip loading TensorFlow)  --json
//
// tfjs-node-gpu 4.22 loads libtensorflow 2.9.1 (its install script downloads it into the
// package's deps/), built for CUDA 11.2 and cuDNN 8. TensorFlow opens the CUDA libraries by their
// CUDA 11 names (libcudart.so.11.0, libcudnn.so.8, …) when it starts; a current DSVM image has
// CUDA 12/13 only, and then TensorFlow runs on the CPU, saying so only in its log. NVIDIA's
// nvidia-*-cu11 wheels on PyPI carry those libraries: this script pip-installs them (pinned, no
// dependencies, ~2.5 GB) into DIR, writes DIR/tfjs-gpu.json (the library folders) and DIR/env.sh
// (`source` it in a shell). environments/dsvm/setup-tslab.mjs puts the folders in the kernel's
// LD_LIBRARY_PATH when DIR/tfjs-gpu.json exists: re-run it after this script. The loader reads
// LD_LIBRARY_PATH when a process starts, so a running kernel needs a restart.
//
// The check (also after installing) finds: the tfjs-node-gpu package and its libtensorflow, the
// NVIDIA driver and GPUs, each CUDA 11 library (in LD_LIBRARY_PATH, DIR or the system's loader
// cache), and, unless --no-verify, loads TensorFlow with DIR on LD_LIBRARY_PATH and reads its log
// for the GPU device it created. Exit codes: 0 training will use tfjs-node-gpu on the GPU;
// 3 it will not (the message says which backend instead, why, and what to run); 1 the install
// failed; 2 usage.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SELF = "node environments/dsvm/setup-tfjs-gpu.mjs";
export const MANIFEST = "tfjs-gpu.json";

/** The CUDA 11 runtime from PyPI: CUDA 11.8 (runs what was built for 11.2) and cuDNN 8.9 (runs what was built for 8.1+). */
export const WHEELS = [
  "nvidia-cuda-runtime-cu11==11.8.89",
  "nvidia-cublas-cu11==11.11.3.6",
  "nvidia-cufft-cu11==10.9.0.58",
  "nvidia-curand-cu11==10.3.0.86",
  "nvidia-cusolver-cu11==11.4.1.48",
  "nvidia-cusparse-cu11==11.7.5.86",
  "nvidia-cudnn-cu11==8.9.6.50",
];

/** The libraries TensorFlow 2.9 opens for the GPU (its dso_loader), by the names it opens them with. */
export const CUDA11_LIBS = ["libcudart.so.11.0", "libcublas.so.11", "libcublasLt.so.11", "libcufft.so.10", "libcurand.so.10", "libcusolver.so.11", "libcusparse.so.11", "libcudnn.so.8"];

/** The package names tfjs-node-gpu may be installed under (the project's optionalDependencies alias first). */
const PACKAGE_SPECS = ["tfjs-node-gpu-optional", "@tensorflow/tfjs-node-gpu"];
const CPU_PACKAGE_SPECS = ["tfjs-node-optional", "@tensorflow/tfjs-node"];

export function defaultDir(env = process.env) {
  return env.CUSTOM_AI_TFJS_GPU_DIR ? path.resolve(env.CUSTOM_AI_TFJS_GPU_DIR) : path.join(ROOT, ".cache", "tfjs-gpu");
}

// ---------------------------------------------------------------------------------------------
// What this machine has (each part replaceable in tests through decide()'s facts)

/**
 * A tfjs native package: where, which version, and whether its install script left libtensorflow
 * and the addon. Only the real package counts (danfojs-node's override installs @tensorflow/tfjs
 * under the name @tensorflow/tfjs-node).
 */
export function findNativePackage(specs, root = ROOT) {
  const canonical = specs[specs.length - 1];
  for (const spec of specs) {
    // The project's own node_modules only: a resolver would also walk up into folders above it.
    const link = path.join(root, "node_modules", spec);
    if (!existsSync(path.join(link, "package.json"))) continue;
    const dir = realpathSync(link);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    if (pkg.name !== canonical) continue;
    const libDir = path.join(dir, "deps", "lib");
    const libtensorflow = existsSync(libDir) ? readdirSync(libDir).find((f) => /^libtensorflow\.so(\.\d+)*$/.test(f)) : undefined;
    const napi = existsSync(path.join(dir, "lib")) ? readdirSync(path.join(dir, "lib")).filter((d) => existsSync(path.join(dir, "lib", d, "tfjs_binding.node"))) : [];
    return { spec, name: pkg.name, version: pkg.version, dir, libtensorflow: libtensorflow ? path.join(libDir, libtensorflow) : undefined, binding: napi.length > 0 };
  }
  return undefined;
}

/** soname → path, from the system loader's cache (`ldconfig -p`). */
export function ldconfigLibraries() {
  for (const ldconfig of ["ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"]) {
    const r = spawnSync(ldconfig, ["-p"], { encoding: "utf8" });
    if (r.status === 0) return parseLdconfig(r.stdout);
  }
  return {};
}

/** Parses `ldconfig -p`: "	libcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8". x86-64 entries only. */
export function parseLdconfig(text) {
  const found = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (m && /x86-64/.test(m[2]) && !found[m[1]]) found[m[1]] = m[3];
  }
  return found;
}

/** Where each library is: the first of `dirs` that has it, else the system's cache. */
export function locate(names, dirs, system) {
  const where = {};
  for (const name of names) {
    const dir = dirs.find((d) => d && existsSync(path.join(d, name)));
    where[name] = dir ? path.join(dir, name) : system[name];
  }
  return where;
}

/** The GPUs `nvidia-smi -L` lists ("GPU 0: NVIDIA H100 …"), [] without one; undefined without nvidia-smi. */
export function listGpus() {
  const r = spawnSync("nvidia-smi", ["-L"], { encoding: "utf8", timeout: 20_000 });
  if (r.error) return undefined;
  return r.stdout.split("\n").map((l) => l.trim()).filter((l) => /^GPU \d+:/.test(l));
}

/** The library folders of a pip --target install of NVIDIA's wheels (DIR/nvidia/<lib>/lib). */
export function wheelLibraryDirs(dir) {
  const nvidia = path.join(dir, "nvidia");
  if (!existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .map((d) => path.join(nvidia, d, "lib"))
    .filter((d) => existsSync(d) && readdirSync(d).some((f) => /\.so(\.\d+)*$/.test(f)))
    .sort();
}

export function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, MANIFEST), "utf8"));
  } catch {
    return undefined;
  }
}

/** Everything decide() needs, from this machine. */
export function gatherFacts(dir, env = process.env) {
  const manifest = readManifest(dir);
  const envDirs = (env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean);
  const installedDirs = manifest?.libraryPath ?? [];
  const system = ldconfigLibraries();
  return {
    dir,
    package: findNativePackage(PACKAGE_SPECS),
    cpuPackage: findNativePackage(CPU_PACKAGE_SPECS),
    driver: locate(["libcuda.so.1"], envDirs, system)["libcuda.so.1"],
    gpus: listGpus(),
    // As the kernel will see them (its LD_LIBRARY_PATH has DIR's folders), and as this shell does.
    libs: locate(CUDA11_LIBS, [...envDirs, ...installedDirs], system),
    inShell: locate(CUDA11_LIBS, envDirs, system),
    installedDirs,
    vulkan: Boolean(locate(["libvulkan.so.1"], envDirs, system)["libvulkan.so.1"]),
  };
}

// ---------------------------------------------------------------------------------------------
// The decision

/**
 * Which backend training will use (lib/train's ladder: tfjs-node-gpu → tfjs-node → webgpu → wasm)
 * and on what, from `facts` (gatherFacts) and, when TensorFlow was loaded for real, `verified`
 * (verifyTensorFlow). Pure: tests inject the facts.
 * @returns {{ backend: string, device: "gpu" | "cpu", ok: boolean, summary: string, why: string[], fix?: string }}
 */
export function decide(facts, verified) {
  const why = [];
  const pkg = facts.package;
  // The next rungs of the ladder, as lib/train/backends.ts tries them.
  const fallback = () => {
    const cpu = facts.cpuPackage;
    if (cpu?.libtensorflow && cpu.binding) return { backend: "tfjs-node", device: "cpu", note: `tfjs-node (native TensorFlow on the CPU) is installed: ${cpu.name} ${cpu.version}` };
    why.push(`tfjs-node (native, CPU): ${cpu ? "installed without libtensorflow" : "not installed"}`);
    if (facts.vulkan && facts.gpus?.length) return { backend: "webgpu", device: "gpu", note: `WebGPU (Dawn on Vulkan) on ${facts.gpus[0]}, ~25x slower than native TensorFlow on the GPU` };
    why.push(`webgpu: ${!facts.vulkan ? "no Vulkan loader (libvulkan.so.1)" : "no GPU listed by nvidia-smi"}`);
    return { backend: "wasm", device: "cpu", note: "wasm: TensorFlow.js on WebAssembly (no Conv2D gradients: lib/train adds its own)" };
  };
  if (!pkg || !pkg.libtensorflow || !pkg.binding) {
    const { note, ...next } = fallback();
    why.push(note);
    const reason = !pkg
      ? "@tensorflow/tfjs-node-gpu is not installed (npm installs it as an optional dependency, and drops it when its install script, which downloads libtensorflow 2.9.1 from storage.googleapis.com, fails)"
      : `${pkg.name} ${pkg.version} is installed but its install script did not finish: ${!pkg.libtensorflow ? "no libtensorflow in deps/lib" : "no tfjs_binding.node in lib/napi-v*"}`;
    return {
      ...next,
      ok: false,
      summary: `falls back to ${next.backend}${next.device === "gpu" ? " on the GPU" : " on the CPU"} because ${reason}`,
      why,
      fix: pkg
        ? `on the DSVM (it has the internet): npm rebuild ${pkg.spec} --foreground-scripts, then ${SELF}`
        : `on the DSVM (it has the internet): npm ci --foreground-scripts (installs it and downloads libtensorflow), then ${SELF}`,
    };
  }
  const lib = `libtensorflow found (${pkg.name} ${pkg.version}: ${pkg.libtensorflow})`;
  const onCpu = (reason, fix) => ({
    backend: "tfjs-node-gpu",
    device: "cpu",
    ok: false,
    summary: `tfjs-node-gpu, but on the CPU: ${reason}`,
    why: [lib, ...why, reason],
    ...(fix ? { fix } : {}),
  });
  if (!facts.driver) return onCpu("the NVIDIA driver's libcuda.so.1 is not on this machine (no NVIDIA driver: is this a GPU VM size?)", "use a GPU VM size (NC, ND, NV series) with the NVIDIA driver; on a DSVM image it is installed");
  if (facts.gpus !== undefined && facts.gpus.length === 0) return onCpu("nvidia-smi lists no GPU", "check `nvidia-smi`: the driver sees no GPU (a VM size without one, or a driver that failed to load)");
  const missing = CUDA11_LIBS.filter((n) => !facts.libs[n]);
  if (missing.length) {
    const installedHere = facts.installedDirs.length > 0;
    return onCpu(
      `TensorFlow 2.9 cannot load ${missing.join(", ")} (it needs the CUDA 11 runtime and cuDNN 8, this machine has ${facts.driver ? "the driver but not those" : "neither"})`,
      installedHere ? `${SELF} (the libraries in ${facts.dir} are incomplete: it reinstalls them)` : `${SELF} (installs them from PyPI into ${facts.dir})`,
    );
  }
  const fromDirs = [...new Set(CUDA11_LIBS.map((n) => path.dirname(facts.libs[n])))];
  const from = fromDirs.every((d) => facts.installedDirs.includes(d)) ? facts.dir : fromDirs.length === 1 ? fromDirs[0] : `${fromDirs.length} folders (${fromDirs.slice(0, 2).join(", ")}, …)`;
  const gpu = facts.gpus?.[0]?.replace(/\s*\(UUID:.*\)$/, "") ?? "a GPU (nvidia-smi not found)";
  why.push(lib, `CUDA 11 runtime and cuDNN 8 from ${from}`, `${gpu} visible`);
  const shellMissing = CUDA11_LIBS.filter((n) => !facts.inShell[n]);
  if (shellMissing.length) why.push(`this shell's LD_LIBRARY_PATH lacks them (the kernel gets them from its kernelspec after setup-tslab.mjs; in a shell: source ${path.join(facts.dir, "env.sh")})`);
  if (verified && !verified.gpu) {
    return onCpu(
      `TensorFlow loaded but created no GPU device${verified.missing.length ? `: it could not load ${verified.missing.join(", ")}` : ""}${verified.error ? ` (${verified.error})` : ""}`,
      verified.missing.length ? `${SELF} (reinstalls the libraries), then check again` : "read the TensorFlow log above (TF_CPP_MIN_LOG_LEVEL=0) for why",
    );
  }
  return {
    backend: "tfjs-node-gpu",
    device: "gpu",
    ok: true,
    summary: `tfjs-node-gpu: ${lib}, CUDA 11 runtime from ${from}, ${gpu.replace(/^GPU (\d+):.*/, "GPU $1")} visible${verified ? `; TensorFlow created ${verified.gpu}` : ""}`,
    why,
  };
}

// ---------------------------------------------------------------------------------------------
// Doing it

/** Loads tfjs-node-gpu in a child with `libraryPath` first on LD_LIBRARY_PATH; reads TensorFlow's log. */
export function verifyTensorFlow(pkg, libraryPath, env = process.env) {
  const code = [
    "const tf = require(process.argv[1]);",
    "const a = tf.tensor2d([[1, 2], [3, 4]]);",
    "const v = tf.matMul(a, a).dataSync();",
    "if (v[0] !== 7 || v[3] !== 22) throw new Error('matMul gave ' + Array.from(v));",
    "console.log('ok');",
  ].join("\n");
  const r = spawnSync(process.execPath, ["-e", code, pkg.dir], {
    encoding: "utf8",
    timeout: 300_000,
    env: { ...env, TF_CPP_MIN_LOG_LEVEL: "0", LD_LIBRARY_PATH: [...libraryPath, ...(env.LD_LIBRARY_PATH ? [env.LD_LIBRARY_PATH] : [])].join(":") },
  });
  return parseTensorFlowLog(`${r.stderr ?? ""}\n${r.stdout ?? ""}`, r.status === 0 && /^ok$/m.test(r.stdout ?? "") ? undefined : (r.error?.message ?? `exit ${r.status}`));
}

/** From TensorFlow's log: the GPU device it created, and the libraries it could not open. */
export function parseTensorFlowLog(log, error) {
  // "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 78917 MB memory:  -> device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: …"
  const line = /Created device (\S*GPU:\d+)([^\n]*)/.exec(log);
  const name = line && /name: ([^,]+)/.exec(line[2]);
  const missing = [...new Set([...log.matchAll(/Could not load dynamic library '([^']+)'/g)].map((m) => m[1]))];
  return { gpu: line ? `${line[1]}${name ? ` (${name[1].trim()})` : ""}` : undefined, missing, ...(error ? { error: `${error}: ${log.trim().split("\n").slice(-3).join(" | ")}` } : {}) };
}

function install(o) {
  const stamp = path.join(o.dir, ".wheels");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === WHEELS.join("\n") && wheelLibraryDirs(o.dir).length) {
    say(`CUDA 11 libraries already in ${o.dir}`);
  } else {
    say(`installing the CUDA 11 runtime and cuDNN 8 from PyPI into ${o.dir} (about 2.5 GB): ${WHEELS.join(" ")}`);
    rmSync(path.join(o.dir, "nvidia"), { recursive: true, force: true });
    mkdirSync(o.dir, { recursive: true });
    const r = spawnSync(o.python, ["-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:", "--no-compile", "--upgrade", "--target", o.dir, ...WHEELS], { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
    if (r.error) fail(`cannot run ${o.python} -m pip (${r.error.message}): pass --python with a Python 3 that has pip (on a DSVM: /anaconda/bin/python3 or /opt/conda/bin/python3).`, 1);
    if (r.status !== 0) fail(`pip install failed:\n${(r.stderr || "").trim().split("\n").slice(-8).join("\n")}`, 1);
    writeFileSync(stamp, WHEELS.join("\n"));
  }
  const libraryPath = wheelLibraryDirs(o.dir);
  const absent = CUDA11_LIBS.filter((n) => !libraryPath.some((d) => existsSync(path.join(d, n))));
  if (absent.length) fail(`the wheels in ${o.dir} have no ${absent.join(", ")}: delete ${o.dir} and run this again.`, 1);
  writeFileSync(path.join(o.dir, MANIFEST), JSON.stringify({ wheels: WHEELS, libraryPath }, null, 2) + "\n");
  writeFileSync(path.join(o.dir, "env.sh"), `# source this file for tfjs-node-gpu's CUDA 11 libraries (written by ${SELF})\nexport LD_LIBRARY_PATH="${libraryPath.join(":")}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"\n`);
  say(`wrote ${path.join(o.dir, MANIFEST)} and ${path.join(o.dir, "env.sh")}`);
  say(`next: re-run environments/dsvm/setup-tslab.mjs (with the options you installed the kernel with) so the kernel starts with these folders on LD_LIBRARY_PATH; restart running kernels`);
}

function say(line) {
  console.log(`setup-tfjs-gpu: ${line}`);
}
function fail(message, code) {
  console.error(`setup-tfjs-gpu: ${message}`);
  process.exit(code);
}

export function parseArgs(argv, env = process.env) {
  const o = { check: false, verify: true, json: false, dir: defaultDir(env), python: env.PYTHON || "python3" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--check") o.check = true;
    else if (a === "--no-verify") o.verify = false;
    else if (a === "--json") o.json = true;
    else if (a === "--dir") o.dir = path.resolve(value());
    else if (a === "--python") o.python = value();
    else if (a === "--help" || a === "-h") o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function main(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    console.error(`setup-tfjs-gpu: ${e.message}\nusage: ${SELF} [--check] [--dir DIR] [--python PY] [--no-verify] [--json]`);
    return 2;
  }
  if (o.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1).filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
    return 0;
  }
  if (process.platform !== "linux" || process.arch !== "x64") {
    console.error(`setup-tfjs-gpu: tfjs-node-gpu runs on Linux x64 only; this is ${process.platform}/${process.arch}. Training uses WebGPU or wasm here.`);
    return 3;
  }
  if (!o.check) install(o);
  const facts = gatherFacts(o.dir);
  const canVerify = o.verify && facts.package?.libtensorflow && facts.package.binding && facts.driver && CUDA11_LIBS.every((n) => facts.libs[n]);
  const verified = canVerify ? verifyTensorFlow(facts.package, facts.installedDirs) : undefined;
  const result = decide(facts, verified);
  if (o.json) console.log(JSON.stringify({ ...result, facts, ...(verified ? { verified } : {}) }, null, 2));
  else {
    console.log(`training backend: ${result.summary}`);
    for (const line of result.why) console.log(`  - ${line}`);
    if (result.fix) console.log(`  to fix: ${result.fix}`);
  }
  return result.ok ? 0 : 3;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
