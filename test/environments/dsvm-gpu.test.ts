// environments/dsvm/setup-tfjs-gpu.mjs without a GPU: the decision "which backend training will
// use and why" from injected facts, the parts that find those facts (on fake folders), the install
// flow with a stand-in for pip, and setup-tslab.mjs putting the libraries on the kernel's
// LD_LIBRARY_PATH.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/temp.js";
// @ts-expect-error -- plain ESM script without type declarations
import * as setup from "../../environments/dsvm/setup-tfjs-gpu.mjs";

const REPO = path.resolve(import.meta.dirname, "../..");
const SCRIPT = path.join(REPO, "environments/dsvm/setup-tfjs-gpu.mjs");
const CUDA11_LIBS: string[] = setup.CUDA11_LIBS;

interface Decision {
  backend: string;
  device: "gpu" | "cpu";
  ok: boolean;
  summary: string;
  why: string[];
  fix?: string;
}
const decide = (facts: object, verified?: object): Decision => setup.decide(facts, verified);

const DIR = "/opt/custom-ai-on-azure/.cache/tfjs-gpu";
const LIB_DIRS = ["cuda_runtime", "cublas", "cufft", "curand", "cusolver", "cusparse", "cudnn"].map((d) => `${DIR}/nvidia/${d}/lib`);
const libDirOf = (soname: string) => LIB_DIRS.find((d) => d.includes(soname.replace(/^lib/, "").replace(/(Lt)?\.so.*$/, "").replace("cudart", "cuda_runtime")))!;
const allLibs = Object.fromEntries(CUDA11_LIBS.map((n) => [n, `${libDirOf(n)}/${n}`]));
const pkg = { spec: "tfjs-node-gpu-optional", name: "@tensorflow/tfjs-node-gpu", version: "4.22.0", dir: "/x/node_modules/tfjs-node-gpu-optional", libtensorflow: "/x/node_modules/tfjs-node-gpu-optional/deps/lib/libtensorflow.so.2.9.1", binding: true };
/** A DSVM where everything is in place (the libraries from the script's folder). */
const ready = {
  dir: DIR,
  package: pkg,
  cpuPackage: undefined,
  driver: "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
  gpus: ["GPU 0: Tesla T4 (UUID: GPU-1234)"],
  libs: allLibs,
  inShell: allLibs,
  installedDirs: LIB_DIRS,
  vulkan: false,
};

describe("decide: which backend training will use, and why", () => {
  it("tfjs-node-gpu on the GPU when libtensorflow, the driver, a GPU and every CUDA 11 library are there", () => {
    const d = decide(ready);
    expect(d).toMatchObject({ backend: "tfjs-node-gpu", device: "gpu", ok: true });
    expect(d.summary).toBe(`tfjs-node-gpu: libtensorflow found (@tensorflow/tfjs-node-gpu 4.22.0: ${pkg.libtensorflow}), CUDA 11 runtime from ${DIR}, GPU 0 visible`);
    expect(d.fix).toBeUndefined();
    const confirmed = decide(ready, { gpu: "/job:localhost/replica:0/task:0/device:GPU:0 (Tesla T4)", missing: [] });
    expect(confirmed.summary).toMatch(/; TensorFlow created \/job:localhost\/replica:0\/task:0\/device:GPU:0 \(Tesla T4\)$/);
  });

  it("names the system's folder when the libraries come from there, and tells a shell without them what to source", () => {
    const system = Object.fromEntries(CUDA11_LIBS.map((n) => [n, `/usr/local/cuda-11.8/lib64/${n}`]));
    expect(decide({ ...ready, libs: system, inShell: system, installedDirs: [] }).summary).toMatch(/CUDA 11 runtime from \/usr\/local\/cuda-11.8\/lib64, GPU 0/);
    const d = decide({ ...ready, inShell: {} });
    expect(d.ok).toBe(true);
    expect(d.why.join("\n")).toContain(`source ${DIR}/env.sh`);
  });

  it("runs on the CPU, naming what is missing and the command, when cuDNN 8 is missing", () => {
    const libs = { ...allLibs, "libcudnn.so.8": undefined };
    const d = decide({ ...ready, libs, installedDirs: [] });
    expect(d).toMatchObject({ backend: "tfjs-node-gpu", device: "cpu", ok: false });
    expect(d.summary).toMatch(/^tfjs-node-gpu, but on the CPU: TensorFlow 2.9 cannot load libcudnn.so.8 \(/);
    expect(d.fix).toBe(`node environments/dsvm/setup-tfjs-gpu.mjs (installs them from PyPI into ${DIR})`);
    // Installed before, but a library went missing: reinstall.
    expect(decide({ ...ready, libs }).fix).toMatch(/incomplete: it reinstalls them/);
  });

  it("runs on the CPU without the NVIDIA driver or without a GPU", () => {
    expect(decide({ ...ready, driver: undefined }).summary).toMatch(/on the CPU: the NVIDIA driver's libcuda.so.1 is not on this machine/);
    expect(decide({ ...ready, gpus: [] }).summary).toMatch(/on the CPU: nvidia-smi lists no GPU/);
    // No nvidia-smi: not proof of no GPU; the driver library decides.
    expect(decide({ ...ready, gpus: undefined }).ok).toBe(true);
  });

  it("runs on the CPU when TensorFlow, loaded for real, created no GPU device", () => {
    const d = decide(ready, { gpu: undefined, missing: ["libcusolver.so.11"] });
    expect(d).toMatchObject({ device: "cpu", ok: false });
    expect(d.summary).toMatch(/created no GPU device: it could not load libcusolver.so.11/);
  });

  it("falls back down the ladder when tfjs-node-gpu is missing or its install script did not finish", () => {
    const none = decide({ ...ready, package: undefined });
    expect(none).toMatchObject({ backend: "wasm", device: "cpu", ok: false });
    expect(none.summary).toMatch(/^falls back to wasm on the CPU because @tensorflow\/tfjs-node-gpu is not installed/);
    expect(none.fix).toMatch(/npm ci --foreground-scripts/);
    expect(none.why).toContain("webgpu: no Vulkan loader (libvulkan.so.1)");
    const webgpu = decide({ ...ready, package: undefined, vulkan: true });
    expect(webgpu).toMatchObject({ backend: "webgpu", device: "gpu", ok: false });
    expect(webgpu.summary).toMatch(/^falls back to webgpu on the GPU because/);
    const half = decide({ ...ready, package: { ...pkg, libtensorflow: undefined } });
    expect(half.summary).toMatch(/install script did not finish: no libtensorflow in deps\/lib/);
    expect(half.fix).toMatch(/npm rebuild tfjs-node-gpu-optional --foreground-scripts/);
    const cpuNative = { spec: "tfjs-node-optional", name: "@tensorflow/tfjs-node", version: "4.22.0", dir: "/y", libtensorflow: "/y/deps/lib/libtensorflow.so.2", binding: true };
    expect(decide({ ...ready, package: undefined, cpuPackage: cpuNative, vulkan: true })).toMatchObject({ backend: "tfjs-node", device: "cpu" });
  });
});

describe("finding the facts", () => {
  it("reads TensorFlow's log: the GPU device it created, the libraries it could not open", () => {
    const ok = setup.parseTensorFlowLog(
      "2026-12-04 I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 14626 MB memory:  -> device: 0, name: Tesla T4, pci bus id: 0001:00:00.0, compute capability: 7.5\nok\n",
    );
    expect(ok).toEqual({ gpu: "/job:localhost/replica:0/task:0/device:GPU:0 (Tesla T4)", missing: [] });
    const failed = setup.parseTensorFlowLog(
      "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory\n" +
        "W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: again\n" +
        "W tensorflow/core/common_runtime/gpu/gpu_device.cc:1850] Cannot dlopen some GPU libraries. Skipping registering GPU devices...\n",
    );
    expect(failed).toEqual({ gpu: undefined, missing: ["libcudnn.so.8"] });
  });

  it("reads the loader cache (x86-64 entries only)", () => {
    const text = "3 libs found in cache `/etc/ld.so.cache'\n\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8\n\tlibcudnn.so.8 (libc6) => /usr/lib32/libcudnn.so.8\n\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n";
    expect(setup.parseLdconfig(text)).toEqual({ "libcudnn.so.8": "/usr/lib/x86_64-linux-gnu/libcudnn.so.8", "libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.1" });
  });

  it("finds libraries in folders before the system's cache, and the wheels' library folders", () => {
    const dir = tempDir("cai-tfjs-gpu-");
    for (const [sub, file] of [["cudnn", "libcudnn.so.8"], ["cuda_runtime", "libcudart.so.11.0"]]) {
      fs.mkdirSync(path.join(dir, "nvidia", sub, "lib"), { recursive: true });
      fs.writeFileSync(path.join(dir, "nvidia", sub, "lib", file), "");
    }
    fs.mkdirSync(path.join(dir, "nvidia", "empty", "lib"), { recursive: true });
    const dirs: string[] = setup.wheelLibraryDirs(dir);
    expect(dirs).toEqual([path.join(dir, "nvidia/cuda_runtime/lib"), path.join(dir, "nvidia/cudnn/lib")]);
    const where = setup.locate(["libcudnn.so.8", "libcufft.so.10", "libcusparse.so.11"], dirs, { "libcudnn.so.8": "/usr/lib/libcudnn.so.8", "libcufft.so.10": "/usr/lib/libcufft.so.10" });
    expect(where).toEqual({ "libcudnn.so.8": path.join(dir, "nvidia/cudnn/lib/libcudnn.so.8"), "libcufft.so.10": "/usr/lib/libcufft.so.10", "libcusparse.so.11": undefined });
  });

  it("finds tfjs-node-gpu under the project's alias, with or without what its install script leaves, and not danfojs's stand-in", () => {
    const root = tempDir("cai-tfjs-pkg-");
    fs.writeFileSync(path.join(root, "package.json"), "{}");
    const write = (name: string, pkgName: string, files: string[]) => {
      const dir = path.join(root, "node_modules", name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: pkgName, version: "4.22.0" }));
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), "");
      }
      return dir;
    };
    const dir = write("tfjs-node-gpu-optional", "@tensorflow/tfjs-node-gpu", ["deps/lib/libtensorflow.so.2.9.1", "lib/napi-v8/tfjs_binding.node"]);
    expect(setup.findNativePackage(["tfjs-node-gpu-optional", "@tensorflow/tfjs-node-gpu"], root)).toEqual({
      spec: "tfjs-node-gpu-optional", name: "@tensorflow/tfjs-node-gpu", version: "4.22.0", dir: fs.realpathSync(dir), libtensorflow: path.join(fs.realpathSync(dir), "deps/lib/libtensorflow.so.2.9.1"), binding: true,
    });
    write("@tensorflow/tfjs-node", "@tensorflow/tfjs", ["dist/index.js"]);
    expect(setup.findNativePackage(["tfjs-node-optional", "@tensorflow/tfjs-node"], root)).toBeUndefined();
    write("tfjs-node-optional", "@tensorflow/tfjs-node", []);
    expect(setup.findNativePackage(["tfjs-node-optional", "@tensorflow/tfjs-node"], root)).toMatchObject({ libtensorflow: undefined, binding: false });
  });
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd: REPO, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("setup-tfjs-gpu.mjs", () => {
  it("installs the pinned wheels with pip into its folder, writes the manifest and env.sh, then checks", async () => {
    const dir = tempDir("cai-tfjs-install-");
    // A stand-in for `python -m pip install --target DIR …`: records its arguments and lays out
    // the library folders NVIDIA's wheels have.
    const fakePython = path.join(dir, "fake-python.mjs");
    fs.writeFileSync(
      fakePython,
      `#!${process.execPath}\nimport fs from "node:fs"; import path from "node:path";\nconst args = process.argv.slice(2);\nconst target = args[args.indexOf("--target") + 1];\nfs.writeFileSync(path.join(target, "..", "pip-args.json"), JSON.stringify(args));\n` +
        `const libs = ${JSON.stringify(Object.fromEntries(CUDA11_LIBS.map((n) => [n, n.replace(/^lib/, "").replace(/(Lt)?\.so.*$/, "")])))};\nfor (const [file, sub] of Object.entries(libs)) { const d = path.join(target, "nvidia", sub, "lib"); fs.mkdirSync(d, { recursive: true }); fs.writeFileSync(path.join(d, file), ""); }\n`,
    );
    fs.chmodSync(fakePython, 0o755);
    const libs = path.join(dir, "libs");
    const first = await run(SCRIPT, ["--dir", libs, "--python", fakePython, "--no-verify"], { LD_LIBRARY_PATH: "" });
    const args = JSON.parse(fs.readFileSync(path.join(dir, "pip-args.json"), "utf8"));
    expect(args.slice(0, 3)).toEqual(["-m", "pip", "install"]);
    expect(args).toEqual(expect.arrayContaining(["--no-deps", "--only-binary=:all:", "--target", libs, ...setup.WHEELS]));
    expect(setup.WHEELS.every((w: string) => /^nvidia-[a-z-]+-cu11==[\d.]+$/.test(w))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(libs, "tfjs-gpu.json"), "utf8"));
    expect(manifest.libraryPath).toEqual(setup.wheelLibraryDirs(libs));
    expect(manifest.libraryPath).toHaveLength(7);
    expect(fs.readFileSync(path.join(libs, "env.sh"), "utf8")).toContain(`export LD_LIBRARY_PATH="${manifest.libraryPath.join(":")}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"`);
    expect(first.stdout).toMatch(/next: re-run environments\/dsvm\/setup-tslab.mjs/);
    // The check that follows: this machine has no tfjs-node-gpu (its install script needs the internet).
    expect(first.stdout).toMatch(/^training backend: /m);
    expect(first.code).toBe(3);
    // Again: the pinned set is there, pip does not run.
    fs.rmSync(path.join(dir, "pip-args.json"));
    const again = await run(SCRIPT, ["--dir", libs, "--python", fakePython, "--no-verify", "--json"], {});
    expect(again.stdout).toMatch(/CUDA 11 libraries already in/);
    expect(fs.existsSync(path.join(dir, "pip-args.json"))).toBe(false);
    const json = JSON.parse(again.stdout.slice(again.stdout.indexOf("{")));
    expect(json.facts.installedDirs).toEqual(manifest.libraryPath);
    for (const n of CUDA11_LIBS) expect(json.facts.libs[n]).toMatch(new RegExp(`^${libs}/nvidia/`));
  });

  it("says what to do when pip is missing, and rejects bad usage", async () => {
    const dir = tempDir("cai-tfjs-nopip-");
    const r = await run(SCRIPT, ["--dir", dir, "--python", path.join(dir, "no-such-python")], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot run .*no-such-python -m pip .*pass --python/);
    expect((await run(SCRIPT, ["--dir"], {})).code).toBe(2);
  });
});

describe("setup-tslab.mjs with the CUDA 11 libraries installed", () => {
  it("puts their folders on the kernel's LD_LIBRARY_PATH", async () => {
    const dir = tempDir("cai-tfjs-kernel-");
    const libraryPath = [path.join(dir, "nvidia/cudnn/lib"), path.join(dir, "nvidia/cublas/lib")];
    fs.writeFileSync(path.join(dir, "tfjs-gpu.json"), JSON.stringify({ wheels: [], libraryPath }));
    const zx = path.join(REPO, "node_modules/zx/build/cli.js");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    fs.symlinkSync(["/bin/bash", "/usr/bin/bash"].find((p) => fs.existsSync(p))!, path.join(bin, "bash"));
    const args = [path.join(REPO, "environments/dsvm/setup-tslab.mjs"), "--prefix", path.join(dir, "prefix"), "--dry-run"];
    const r = await run(zx, args, { PATH: bin, CUSTOM_AI_TFJS_GPU_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tfjs-node-gpu's CUDA 11 libraries .* go on the kernel's LD_LIBRARY_PATH/);
    const spec = JSON.parse(r.stdout.slice(r.stdout.indexOf("kernel.json:") + "kernel.json:".length, r.stdout.lastIndexOf("}") + 1));
    expect(spec.env).toEqual({ LD_LIBRARY_PATH: libraryPath.join(":") });
    // Without the manifest: no LD_LIBRARY_PATH.
    const without = await run(zx, args, { PATH: bin, CUSTOM_AI_TFJS_GPU_DIR: path.join(dir, "none") });
    expect(without.stdout).not.toMatch(/LD_LIBRARY_PATH/);
  });
});
