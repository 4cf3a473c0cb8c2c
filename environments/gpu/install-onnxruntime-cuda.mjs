#!/usr/bin/env node
// Installs ONNX Runtime's CUDA execution provider for onnxruntime-node.
//
// onnxruntime-node's own install step fetches these libraries from NuGet, which this project's
// machines cannot reach. The same libraries, built from the same release, ship in the
// `onnxruntime-gpu` wheel on PyPI: this script downloads the wheel of onnxruntime-node's exact
// version with pip, copies libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so
// beside onnxruntime-node's binding (where ONNX Runtime looks for providers), writes
// onnxruntime-cuda.json there (what the wheel needs), and checks that a model runs on the GPU.
//
//   node environments/gpu/install-onnxruntime-cuda.mjs [--with-cuda-libs] [--wheel FILE] [--cache DIR] [--no-verify]
//
//   --with-cuda-libs  also pip-install the CUDA runtime libraries the provider needs (cudart,
//                     cuBLAS, cuRAND, cuFFT, NVRTC, cuDNN, pinned below) into the cache, and print
//                     the LD_LIBRARY_PATH to start with. Not needed where CUDA and cuDNN of the
//                     right major version are installed (a GPU DSVM, nvidia/cuda images).
//   --wheel FILE      use this onnxruntime-gpu wheel instead of downloading it (offline machines).
//   --cache DIR       where the wheel and the CUDA libraries go (default .cache/onnxruntime-cuda).
//   --no-verify       skip the GPU check (image builds, which have no GPU).
//
// Exit codes: 0 installed (and a model ran on the GPU, unless --no-verify); 3 installed, but the
// GPU check failed (the message says what is missing: the NVIDIA driver, CUDA libraries, a GPU);
// 1 not installed; 2 usage.
// Needs python3 with pip (for the download). Re-run it after `npm ci`, which replaces node_modules.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PROVIDER_FILES = ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"];
const MANIFEST = "onnxruntime-cuda.json";
// pip tags for the download: the provider libraries do not depend on Python, so one tag set does
// for any local Python.
const WHEEL_TAGS = ["--python-version", "3.12", "--implementation", "cp", "--abi", "cp312", "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_27_x86_64", "--platform", "manylinux_2_17_x86_64"];
// NVIDIA's library wheels are py3-none, some tagged as old as manylinux2010.
const LIB_TAGS = [...WHEEL_TAGS, ...["manylinux2014_x86_64", "manylinux_2_12_x86_64", "manylinux2010_x86_64"].flatMap((p) => ["--platform", p])];
// The CUDA libraries per CUDA major version (onnxruntime-gpu 1.30 is built for CUDA 13): one CUDA
// 13.0 update 2 set, and a recent cuDNN 9 for it (cuDNN runs what was built against an older 9.x).
const CUDA_LIBS = {
  13: ["nvidia-cuda-runtime==13.0.96", "nvidia-cublas==13.1.0.3", "nvidia-curand==10.4.0.35", "nvidia-cufft==12.0.0.61", "nvidia-cuda-nvrtc==13.0.88", "nvidia-cudnn-cu13==9.19.0.56"],
};

function usage(message) {
  if (message) console.error(`install-onnxruntime-cuda: ${message}`);
  console.error("usage: node environments/gpu/install-onnxruntime-cuda.mjs [--with-cuda-libs] [--wheel FILE] [--cache DIR] [--python PY] [--no-verify]");
  process.exit(2);
}

function parseArgs(argv) {
  const o = { withCudaLibs: false, verify: true, cache: path.join(ROOT, ".cache/onnxruntime-cuda"), python: process.env.PYTHON || "python3" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--with-cuda-libs") o.withCudaLibs = true;
    else if (a === "--no-verify") o.verify = false;
    else if (a === "--wheel") o.wheel = path.resolve(value());
    else if (a === "--cache") o.cache = path.resolve(value());
    else if (a === "--python") o.python = value();
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument ${a}`);
  }
  return o;
}

const say = (line) => console.log(`install-onnxruntime-cuda: ${line}`);
function fail(message, code = 1) {
  console.error(`install-onnxruntime-cuda: ${message}`);
  process.exit(code);
}

/** onnxruntime-node's folder, version and binding folder (bin/napi-v*\/linux/x64). */
function findOrtNode() {
  let root;
  try {
    root = path.dirname(createRequire(path.join(ROOT, "package.json")).resolve("onnxruntime-node/package.json"));
  } catch {
    fail(`onnxruntime-node is not installed under ${ROOT}: run npm ci first.`);
  }
  const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const bin = path.join(root, "bin");
  for (const d of readdirSync(bin).filter((n) => /^napi-v\d+$/.test(n)).sort().reverse()) {
    const dir = path.join(bin, d, "linux", "x64");
    if (existsSync(path.join(dir, "onnxruntime_binding.node"))) return { root, version, bindingDir: dir };
  }
  fail(`no Linux x64 binding in ${bin}: is this onnxruntime-node ${version} complete?`);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
  if (r.error) fail(`${what}: cannot run ${cmd} (${r.error.message}). Install Python 3 with pip, or pass --python.`);
  if (r.status !== 0) fail(`${what} failed:\n${(r.stderr || "").trim().split("\n").slice(-8).join("\n")}`);
  return r;
}

/** Reads Python's zip archive listing and entries through python3 (Node has no zip reader). */
function py(python, code, ...args) {
  return execFileSync(python, ["-c", code, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

function downloadWheel(o, version) {
  const dir = path.join(o.cache, version);
  mkdirSync(dir, { recursive: true });
  const have = readdirSync(dir).find((f) => f.startsWith(`onnxruntime_gpu-${version}-`) && f.endsWith(".whl"));
  if (have) {
    say(`using ${path.join(dir, have)} (downloaded before)`);
    return path.join(dir, have);
  }
  say(`downloading onnxruntime-gpu==${version} from PyPI (about 250 MB)…`);
  const r = spawnSync(o.python, ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", ...WHEEL_TAGS, "-d", dir, `onnxruntime-gpu==${version}`], { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
  if (r.error) fail(`cannot run ${o.python} -m pip (${r.error.message}): install Python 3 with pip, or download the wheel elsewhere and pass --wheel.`);
  if (r.status !== 0) {
    const tail = (r.stderr || "").trim().split("\n").slice(-4).join("\n");
    fail(
      `pip could not download onnxruntime-gpu==${version}:\n${tail}\n` +
        `The provider must come from the same ONNX Runtime version as onnxruntime-node (${version}); \`${o.python} -m pip index versions onnxruntime-gpu\` lists the versions on PyPI.`,
    );
  }
  const got = readdirSync(dir).find((f) => f.startsWith(`onnxruntime_gpu-${version}-`) && f.endsWith(".whl"));
  if (!got) fail(`pip reported success but left no onnxruntime_gpu-${version}-*.whl in ${dir}.`);
  return path.join(dir, got);
}

/** The wheel's file list and its METADATA (for the CUDA and cuDNN versions it was built for). */
function readWheel(o, wheel) {
  const out = py(o.python, "import zipfile,sys,json; z=zipfile.ZipFile(sys.argv[1]); names=z.namelist(); m=[n for n in names if n.endswith('.dist-info/METADATA')]; print(json.dumps({'names': names, 'metadata': z.read(m[0]).decode() if m else ''}))", wheel);
  return JSON.parse(out);
}

function extract(o, wheel, members, dest) {
  py(o.python, "import zipfile,sys,shutil,os\nz=zipfile.ZipFile(sys.argv[1]); d=sys.argv[2]\nfor n in sys.argv[3:]:\n  with z.open(n) as s, open(os.path.join(d, os.path.basename(n)), 'wb') as t: shutil.copyfileobj(s, t, 1<<20)", wheel, dest, ...members);
}

/** The NEEDED entries of an ELF64 little-endian shared library (what `readelf -d` lists). */
export function elfNeeded(file) {
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return [];
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const sections = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 0x18)), size: Number(b.readBigUInt64LE(o + 0x20)), link: b.readUInt32LE(o + 0x28) };
  });
  const dynamic = sections.find((s) => s.type === 6); // SHT_DYNAMIC
  if (!dynamic) return [];
  const strtab = sections[dynamic.link];
  const needed = [];
  for (let o = dynamic.offset; o < dynamic.offset + dynamic.size; o += 16) {
    const tag = b.readBigInt64LE(o);
    if (tag === 0n) break;
    if (tag === 1n) {
      const at = strtab.offset + Number(b.readBigUInt64LE(o + 8));
      needed.push(b.toString("latin1", at, b.indexOf(0, at)));
    }
  }
  return needed;
}

/** CUDA and cuDNN major versions, from the wheel's extras (nvidia-cuda-runtime~=13.0, nvidia-cudnn-cu13~=9.0) or NEEDED. */
function cudaVersions(metadata, needed) {
  const req = metadata.split("\n").filter((l) => l.startsWith("Requires-Dist:"));
  const runtime = req.map((l) => /nvidia-cuda-runtime(?:-cu(\d+))?\s*(?:[~=>]=\s*(\d+))?/.exec(l)).find(Boolean);
  const cudnn = req.map((l) => /nvidia-cudnn-cu\d+\s*(?:[~=>]=\s*(\d+))?/.exec(l)).find(Boolean);
  const fromNeeded = needed.map((n) => /^libcudart\.so\.(\d+)/.exec(n)).find(Boolean);
  return { cuda: runtime?.[1] ?? runtime?.[2] ?? fromNeeded?.[1], cudnn: cudnn?.[1] ?? "9" };
}

/** Folders holding shared libraries under `dir`. */
function libraryDirs(dir) {
  const found = new Set();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.so(\.\d+)*$/.test(e.name)) found.add(d);
    }
  };
  if (existsSync(dir)) walk(dir);
  return [...found].sort();
}

function installCudaLibs(o, cuda) {
  const pins = CUDA_LIBS[cuda];
  if (!pins) fail(`--with-cuda-libs knows CUDA ${Object.keys(CUDA_LIBS).join(" and ")}, not CUDA ${cuda}: install CUDA ${cuda} and cuDNN yourself.`);
  const target = path.join(o.cache, `cuda${cuda}-libs`);
  const stamp = path.join(target, ".pins");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === pins.join("\n")) {
    say(`CUDA ${cuda} libraries already in ${target}`);
  } else {
    say(`installing CUDA ${cuda} libraries from PyPI into ${target} (about 1.5 GB): ${pins.join(" ")}`);
    rmSync(target, { recursive: true, force: true });
    run(o.python, ["-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:", "--no-compile", ...LIB_TAGS, "--target", target, ...pins], "pip install of the CUDA libraries");
    writeFileSync(stamp, pins.join("\n"));
  }
  // The provider loads cuDNN and cuFFT by name when it needs them; the wheels ship only the
  // versioned files, so unversioned links sit beside them in links/.
  const links = path.join(target, "links");
  mkdirSync(links, { recursive: true });
  for (const dir of libraryDirs(path.join(target, "nvidia"))) {
    for (const f of readdirSync(dir)) {
      const m = /^(lib(?:cudnn|cufft|nvrtc|cublas|cublasLt|cudart|curand)\.so)\.\d+$/.exec(f);
      if (m && !existsSync(path.join(dir, m[1])) && !existsSync(path.join(links, m[1]))) symlinkSync(path.join(dir, f), path.join(links, m[1]));
    }
  }
  return [...libraryDirs(path.join(target, "nvidia")), links];
}

function verify(bindingDir, libraryPath) {
  const env = { ...process.env };
  if (libraryPath.length) env.LD_LIBRARY_PATH = [...libraryPath, ...(process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [])].join(":");
  say("checking that a model runs on the CUDA provider…");
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/run-ts.mjs"), path.join(ROOT, "environments/gpu/check-execution-provider.ts"), "cuda", "--json"], { cwd: ROOT, env, encoding: "utf8" });
  let result;
  try {
    result = JSON.parse(r.stdout.trim().split("\n").pop()).cuda;
  } catch {
    fail(`the check did not run (exit ${r.status}):\n${(r.stderr || r.stdout).trim().split("\n").slice(-10).join("\n")}`, 3);
  }
  if (result.ok) {
    say(`OK: a model ran on the GPU through onnxruntime-node's CUDA provider.${libraryPath.length ? ` Start Node with LD_LIBRARY_PATH=${env.LD_LIBRARY_PATH}` : ""}`);
    return;
  }
  fail(`the provider files are in place in ${bindingDir}, but CUDA does not run here: ${result.reason}`, 3);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.platform !== "linux" || process.arch !== "x64") fail(`onnxruntime-node's CUDA provider is built for Linux x64 only; this is ${process.platform}/${process.arch}.`);
  const ort = findOrtNode();
  say(`onnxruntime-node ${ort.version}, binding in ${ort.bindingDir}`);
  const wheel = o.wheel ?? downloadWheel(o, ort.version);
  if (!existsSync(wheel)) fail(`no wheel at ${wheel}.`);
  const { names, metadata } = readWheel(o, wheel);
  const wheelVersion = /^Version:\s*(\S+)/m.exec(metadata)?.[1];
  if (wheelVersion && wheelVersion !== ort.version) fail(`${path.basename(wheel)} is onnxruntime-gpu ${wheelVersion}; onnxruntime-node is ${ort.version}. Use the wheel of the same version: the provider and the runtime must match.`);
  const members = PROVIDER_FILES.map((f) => names.find((n) => n.endsWith(`/capi/${f}`)));
  const absent = PROVIDER_FILES.filter((_, i) => !members[i]);
  if (absent.length) fail(`${path.basename(wheel)} has no ${absent.join(" or ")} in onnxruntime/capi/: is it the onnxruntime-gpu wheel?`);

  // Extract to a temporary folder beside the binding, then rename into place (never half a file).
  const staging = path.join(ort.bindingDir, ".cuda-staging");
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  extract(o, wheel, members, staging);
  const needed = elfNeeded(path.join(staging, PROVIDER_FILES[0]));
  const { cuda, cudnn } = cudaVersions(metadata, needed);
  for (const f of PROVIDER_FILES) renameSync(path.join(staging, f), path.join(ort.bindingDir, f));
  rmSync(staging, { recursive: true, force: true });
  const size = (f) => {
    const bytes = statSync(path.join(ort.bindingDir, f)).size;
    return bytes > 1e6 ? `${(bytes / 1e6).toFixed(0)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
  };
  say(`copied ${PROVIDER_FILES.map((f) => `${f} (${size(f)})`).join(" and ")} from ${path.basename(wheel)}`);
  say(`the provider needs CUDA ${cuda ?? "?"} and cuDNN ${cudnn}: ${needed.filter((n) => /^lib(cu|nv)/.test(n) && n !== "libcuda.so.1").join(", ")} (linked), libcudnn.so.${cudnn}, libcufft and libnvrtc (loaded when used), and the NVIDIA driver (libcuda.so.1)`);

  const libraryPath = o.withCudaLibs ? installCudaLibs(o, cuda) : [];
  const manifest = { onnxruntime: ort.version, wheel: path.basename(wheel), cuda, cudnn, needs: needed, ...(libraryPath.length ? { libraryPath } : {}) };
  writeFileSync(path.join(ort.bindingDir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  if (libraryPath.length) say(`CUDA libraries: start Node with\n  export LD_LIBRARY_PATH=${libraryPath.join(":")}${process.env.LD_LIBRARY_PATH ? ":$LD_LIBRARY_PATH" : ""}`);
  if (o.verify) verify(ort.bindingDir, libraryPath);
  else say("not checked on a GPU (--no-verify)");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
