#!/usr/bin/env node
// Builds the toolkit's container images (images.mjs) from the repository root:
//   node environments/docker/build.mjs [image ...] [--registry <acr>] [--version V] [--model-dir DIR] [--print]
//
//   image            scoring-cpu, scoring-gpu, batch-scorer, train-worker (default: all)
//   --registry ACR   build in Azure Container Registry with `az acr build` (needs the Azure CLI,
//                    logged in): images <acr>.azurecr.io/custom-ai/<image>:<version>, pushed there
//   (no --registry)  `docker build` when a Docker engine answers (`docker info`): local images
//                    custom-ai/<image>:<version>
//   --version V      image tag and OCI version label (default: package.json's version)
//   --model-dir DIR  bake the model in DIR (a folder in the repository) into the scoring and batch
//                    images, at /app/model; without it they read the model named at start
//   --print          print the commands, run nothing
//
// It says which builder it used and the image names. Exit codes: 0 built (or printed), 1 a build
// failed, 2 usage, 3 no builder here (no --registry and no Docker engine): the message says what to do.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGE_NAMESPACE, IMAGES } from "./images.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DOCKER_DIR = "environments/docker";
// onnxruntime-node's CUDA provider and the prebuilt binaries the images keep are Linux x64.
const PLATFORM = "linux/amd64";

export class UsageError extends Error {}

/** The command line, checked. */
export function parseArgs(argv) {
  const o = { images: [], print: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--registry") o.registry = value();
    else if (a === "--version") o.version = value();
    else if (a === "--model-dir") o.modelDir = value();
    else if (a === "--print") o.print = true;
    else if (a === "--help" || a === "-h") o.help = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (!IMAGES[a]) throw new UsageError(`unknown image ${a}: one of ${Object.keys(IMAGES).join(", ")}`);
    else if (!o.images.includes(a)) o.images.push(a);
  }
  if (o.images.length === 0) o.images = Object.keys(IMAGES);
  if (o.version !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(o.version)) throw new UsageError(`--version ${o.version} is not a valid image tag`);
  if (o.registry !== undefined && !/^[a-z0-9]{5,50}(\.azurecr\.io)?$/i.test(o.registry)) throw new UsageError(`--registry ${o.registry}: give the registry's name (5-50 letters and digits) or its login server <name>.azurecr.io`);
  return o;
}

/** The registry's name (what `az acr build --registry` takes) and its login server. */
export function registryOf(registry) {
  const name = registry.toLowerCase().replace(/\.azurecr\.io$/, "");
  return { name, loginServer: `${name}.azurecr.io` };
}

/**
 * Which builder to use. `probes` are what this machine has: `az` (the Azure CLI runs) and
 * `docker` (`docker info` reaches an engine).
 * @returns {{ kind: "acr" | "docker" | "none", why: string }}
 */
export function chooseBuilder({ registry }, probes) {
  if (registry) {
    if (!probes.az) return { kind: "none", why: `--registry ${registry} builds with \`az acr build\`, but the Azure CLI (az) is not installed here: install it (https://aka.ms/azure-cli) and \`az login\`, or leave out --registry to build with a local Docker engine.` };
    return { kind: "acr", why: `--registry ${registry}: building in Azure Container Registry (az acr build)` };
  }
  if (probes.docker) return { kind: "docker", why: "no --registry, and a Docker engine answers `docker info`: building locally (docker build)" };
  return {
    kind: "none",
    why:
      "neither builder is available: no --registry was given (for `az acr build`), and no Docker engine answers `docker info`. " +
      "Either pass --registry <your ACR name> (with the Azure CLI installed and `az login` done; ACR builds in the cloud, no local engine needed), " +
      "or start a Docker engine (Docker Desktop, or `sudo systemctl start docker` and membership of the docker group) and run this again. " +
      "--print shows the commands without running them.",
  };
}

/** The full image reference: <login server>/custom-ai/<image>:<version>, or custom-ai/<image>:<version> locally. */
export function imageRef(image, version, registry) {
  const repo = `${IMAGE_NAMESPACE}/${image}:${version}`;
  return registry ? `${registryOf(registry).loginServer}/${repo}` : repo;
}

/** The build-args of an image: the OCI labels' values and, for images that take one, the model folder. */
function buildArgs(image, meta, modelDir) {
  const args = { VERSION: meta.version, REVISION: meta.revision, ...(meta.source ? { SOURCE: meta.source } : {}) };
  if (modelDir && takesModel(image)) args.MODEL_DIR = modelDir;
  return Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
}

/** Whether the image's Dockerfile has a MODEL_DIR build argument. */
export function takesModel(image) {
  return /^ARG MODEL_DIR=/m.test(readFileSync(path.join(ROOT, DOCKER_DIR, IMAGES[image].dockerfile), "utf8"));
}

/**
 * The commands that build `images` with `kind`: argv arrays, run from the repository root.
 * @param {"acr" | "docker"} kind
 * @param {{ images: string[], registry?: string, modelDir?: string }} o
 * @param {{ version: string, revision: string, source?: string }} meta
 */
export function buildCommands(kind, o, meta) {
  return o.images.map((image) => {
    const file = `${DOCKER_DIR}/${IMAGES[image].dockerfile}`;
    const args = buildArgs(image, meta, o.modelDir);
    if (kind === "acr") {
      const { name } = registryOf(o.registry);
      return ["az", "acr", "build", "--registry", name, "--image", imageRef(image, meta.version), "--file", file, "--platform", PLATFORM, ...args, "."];
    }
    return ["docker", "build", "--file", file, "--platform", PLATFORM, "--tag", imageRef(image, meta.version, o.registry), ...args, "."];
  });
}

/** A command line as a user would type it (arguments quoted where the shell needs it). */
export function shellLine(argv) {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}

function succeeds(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 30_000 });
  return !r.error && r.status === 0;
}

/** What this machine has, for chooseBuilder. */
export function probeMachine() {
  return { az: succeeds("az", ["version", "--output", "none"]), docker: succeeds("docker", ["info"]) };
}

function projectMeta() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const git = (...args) => {
    const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const remote = git("remote", "get-url", "origin");
  const source = remote?.replace(/^git@([^:]+):/, "https://$1/").replace(/\.git$/, "");
  return { version: pkg.version, revision: git("rev-parse", "HEAD") ?? "unknown", ...(source?.startsWith("https://") ? { source } : {}) };
}

/**
 * Runs the command line. `probe` and `run` are injectable (tests); `log` and `error` print.
 * @returns {number} the exit code
 */
export function main(argv, { probe = probeMachine, run = (c) => spawnSync(c[0], c.slice(1), { cwd: ROOT, stdio: "inherit" }).status ?? 1, log = console.log, error = console.error, meta } = {}) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    error(`build: ${e.message}`);
    error("usage: node environments/docker/build.mjs [image ...] [--registry <acr>] [--version V] [--model-dir DIR] [--print]");
    return 2;
  }
  if (o.help) {
    log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1).filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
    return 0;
  }
  if (o.modelDir) {
    const dir = path.resolve(ROOT, o.modelDir);
    if (path.isAbsolute(o.modelDir) || !dir.startsWith(ROOT + path.sep) || !existsSync(dir) || !statSync(dir).isDirectory()) {
      error(`build: --model-dir ${o.modelDir}: give a folder inside the repository (the build context), relative to its root, e.g. out/models/digits`);
      return 2;
    }
    if (!existsSync(path.join(dir, "model.onnx"))) {
      error(`build: --model-dir ${o.modelDir} has no model.onnx: give the folder that saveModel / the notebooks wrote (model.onnx + metadata.json)`);
      return 2;
    }
  }
  const found = meta ?? projectMeta();
  const info = { ...found, version: o.version ?? found.version };
  const builder = chooseBuilder(o, probe());
  if (builder.kind === "none" && !o.print) {
    error(`build: ${builder.why}`);
    return 3;
  }
  // What it would run: with --registry ACR's build, else Docker's (also when --print finds neither here).
  const kind = builder.kind === "none" ? (o.registry ? "acr" : "docker") : builder.kind;
  const commands = buildCommands(kind, o, info);
  const refs = o.images.map((image) => imageRef(image, info.version, o.registry));
  if (o.print) {
    log(`# builder: ${kind === "acr" ? "az acr build" : "docker build"} (${builder.kind === "none" ? `not available here: ${builder.why}` : builder.why})`);
    for (const c of commands) log(shellLine(c));
    log(`# images: ${refs.join(" ")}`);
    return 0;
  }
  log(`build: ${builder.why}`);
  for (const [i, c] of commands.entries()) {
    log(`build: ${shellLine(c)}`);
    const status = run(c);
    if (status !== 0) {
      error(`build: ${o.images[i]} failed (exit ${status}); built before it: ${refs.slice(0, i).join(" ") || "none"}`);
      return 1;
    }
  }
  log(`build: built with ${kind === "acr" ? "az acr build (pushed to the registry)" : "docker build"}:\n${refs.map((r) => `  ${r}`).join("\n")}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
