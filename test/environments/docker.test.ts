// The container images (environments/docker/), checked without a Docker engine: hadolint (the
// real linter, from the project's Python environment) finds nothing; each Dockerfile's
// entrypoint, working directory, user, base images and COPY sources are what the toolkit needs;
// what the entrypoint loads (dependency-cruiser) is in the image; and the scoring server runs
// from a folder laid out as the scoring image (its files, its pruned node_modules) and nothing else.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { afterAll, describe, expect, it } from "vitest";
import { CONTAINER_WORKDIR, ENTRYPOINTS } from "../../lib/jobs/index.js";
import { projectPython } from "../support/python.js";
import { tempDir } from "../support/temp.js";
import { writePartitions, writeTinyModel } from "../serve/batch-helpers.js";
import { record, saveTinyModel } from "../serve/server-helpers.js";
import { argDefaults, execForm, last, parseCopy, parseDockerfile, type Dockerfile } from "./dockerfile.js";
// @ts-expect-error -- plain ESM script without type declarations
import { IMAGES, IMAGE_NAMESPACE } from "../../environments/docker/images.mjs";
// @ts-expect-error -- plain ESM script without type declarations
import { otherPlatformDirs, topLevelToRemove, locationsNeeded } from "../../environments/docker/prune-node-modules.mjs";

interface ImageSpec {
  dockerfile: string;
  entrypoint: keyof typeof ENTRYPOINTS;
  packages: string[];
  byName?: string[];
}
const root = path.resolve(import.meta.dirname, "../..");
const dockerDir = path.join(root, "environments/docker");
const images = IMAGES as Record<string, ImageSpec>;
const names = Object.keys(images);
const read = (image: string): Dockerfile => parseDockerfile(readFileSync(path.join(dockerDir, images[image].dockerfile), "utf8"));
const hadolint = () => path.join(path.dirname(projectPython()), process.platform === "win32" ? "hadolint.exe" : "hadolint");
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));

describe("hadolint", () => {
  it("finds nothing in any Dockerfile", () => {
    const files = readdirSync(dockerDir).filter((f) => f.endsWith(".Dockerfile"));
    expect(files.sort()).toEqual(names.map((n) => images[n].dockerfile).sort());
    const r = spawnSync(hadolint(), ["--format", "json", ...files], { cwd: dockerDir, encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it("is the real linter: it flags an unpinned base image and a cd in RUN", () => {
    const r = spawnSync(hadolint(), ["--format", "json", "-"], { input: "FROM node:latest\nRUN cd /app && npm ci\n", encoding: "utf8" });
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as { code: string }[]).map((f) => f.code).sort()).toEqual(["DL3003", "DL3007"]);
  });
});

/** Whether `.dockerignore` (the patterns this repo uses: paths, `**\/name`, `*.ext`) excludes `file`. */
function ignoredByDockerignore(file: string): boolean {
  const patterns = readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const parts = file.split("/");
  return patterns.some((p) => {
    if (p.startsWith("!")) throw new Error(".dockerignore: exceptions (!) are not understood by this check");
    if (p.startsWith("**/")) return parts.includes(p.slice(3));
    if (p.startsWith("*.")) return parts[0].endsWith(p.slice(1)) && parts.length === 1;
    return file === p || file.startsWith(`${p}/`);
  });
}

describe.each(names)("%s.Dockerfile", (image) => {
  const spec = images[image];
  const file = read(image);
  const final = file.stages.at(-1)!;
  const aliases = file.stages.map((s) => s.alias).filter(Boolean);

  it("runs the entrypoint the local target runs, in CONTAINER_WORKDIR, as a non-root user", () => {
    expect(execForm(last(final, "ENTRYPOINT"))).toEqual([...ENTRYPOINTS[spec.entrypoint]]);
    expect(last(final, "WORKDIR")?.args).toBe(CONTAINER_WORKDIR);
    const user = last(final, "USER")?.args.split(":")[0];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    // Numeric, so that Kubernetes' runAsNonRoot can verify it.
    expect(user).toMatch(/^[1-9]\d*$/);
    expect(final.instructions.map((i) => i.keyword)).not.toContain("HEALTHCHECK");
  });

  it("ships its entrypoint pre-built (bin/prebuilt.mjs), built after the lib/ files it bundles are copied", () => {
    const entry = spec.entrypoint === "serve" ? "lib/cli/main.ts" : ENTRYPOINTS[spec.entrypoint][2];
    const at = final.instructions.findIndex((i) => i.keyword === "RUN" && i.args === `node bin/prebuilt.mjs ${entry}`);
    expect(at, `RUN node bin/prebuilt.mjs ${entry}`).toBeGreaterThan(-1);
    expect(final.instructions.findLastIndex((i) => i.keyword === "COPY" && /(^|\s)(lib|bin)\//.test(i.args))).toBeLessThan(at);
  });

  it("pins every base image by tag and runs Node 24", () => {
    for (const stage of file.stages) {
      if (aliases.includes(stage.from)) continue; // a stage of this file
      expect(stage.from, `FROM ${stage.from}`).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(stage.from).not.toMatch(/:latest$|\$/);
      if (stage.from.startsWith("node:")) expect(stage.from).toMatch(/^node:24\.\d+\.\d+-/);
    }
    // The image's node: its base image's, or a binary copied from a stage based on node:24.
    const nodeStage = file.stages.find((s) => s.from.startsWith("node:24."))!;
    const copied = final.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i)).find((c) => c.dest === "/usr/local/bin/node");
    if (final.from.startsWith("node:")) expect(final.from).toMatch(/^node:24\./);
    else expect(copied?.from).toBe(nodeStage.alias);
  });

  it("copies only sources that exist in the repository (or a build stage), none of them excluded by .dockerignore", () => {
    for (const stage of file.stages) {
      const values = argDefaults(file, stage);
      for (const ins of stage.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
        expect(ins.keyword, `line ${ins.line}: ADD`).toBe("COPY");
        const copy = parseCopy(ins, values);
        if (copy.from) {
          expect(aliases, `line ${ins.line}: --from=${copy.from}`).toContain(copy.from);
          continue;
        }
        for (const source of copy.sources) {
          expect(source, `line ${ins.line}`).not.toMatch(/\$/);
          expect(existsSync(path.join(root, source)), `line ${ins.line}: ${source}`).toBe(true);
          expect(ignoredByDockerignore(source), `line ${ins.line}: ${source} is in .dockerignore`).toBe(false);
        }
      }
    }
  });

  it("installs production dependencies without install scripts, pruned to this image's packages, and labels the image", () => {
    const runs = file.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === "RUN").map((i) => i.args);
    const npmCi = runs.find((r) => /\bnpm ci\b/.test(r));
    expect(npmCi).toMatch(/--omit=dev/);
    expect(npmCi).toMatch(/--ignore-scripts/);
    expect(npmCi).toContain(`node environments/docker/prune-node-modules.mjs ${image}`);
    const labels = final.instructions.filter((i) => i.keyword === "LABEL").map((i) => i.args).join(" ");
    const values = argDefaults(file, final);
    for (const [key, arg] of [["source", "SOURCE"], ["revision", "REVISION"], ["version", "VERSION"]]) {
      expect(labels).toContain(`org.opencontainers.image.${key}="\${${arg}}"`);
      expect(values[arg], `ARG ${arg} default`).toBeTruthy();
    }
    expect(labels).toContain(`org.opencontainers.image.title="${IMAGE_NAMESPACE}/${image}"`);
  });
});

interface Loaded {
  files: string[];
  packages: string[];
}
interface Graph {
  /** module → [dependency, loaded lazily (import("…"), importPackage("…"))] */
  edges: Map<string, [string, boolean][]>;
}
const graphs = new Map<string, Promise<Graph>>();

/** The runtime import graph from `entries` (dependency-cruiser, the import rules' runtime config); once per list. */
function graphFrom(entries: string[]): Promise<Graph> {
  const key = entries.join(" ");
  if (!graphs.has(key)) graphs.set(key, cruiseRuntime(entries));
  return graphs.get(key)!;
}

async function cruiseRuntime(entries: string[]): Promise<Graph> {
  const options = await extractDepcruiseOptions(path.join(root, "test/architecture/dependency-cruiser.runtime.cjs"));
  const { output } = await cruise(entries, { ...options, ruleSet: { forbidden: [] }, baseDir: root, outputType: "json", doNotFollow: { path: "node_modules" } }, {}, {});
  const result = (typeof output === "string" ? JSON.parse(output) : output) as ICruiseResult;
  const edges = new Map<string, [string, boolean][]>();
  for (const m of result.modules) {
    if (m.coreModule) continue;
    edges.set(m.source, m.dependencies.filter((d) => !d.coreModule).map((d) => [d.resolved, d.dynamic || d.dependencyTypes.includes("exotic-require")]));
  }
  return { edges };
}

/** Modules reachable from `start`: through every import, or only through those loaded at once. */
function closure(graph: Graph, start: string | string[], lazyToo: boolean): Set<string> {
  const seen = new Set<string>();
  const queue = [start].flat();
  while (queue.length) {
    const at = queue.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const [to, lazy] of graph.edges.get(at) ?? []) if (lazyToo || !lazy) queue.push(to);
  }
  return seen;
}

/**
 * What an entrypoint loads at run time. A worker: everything its file reaches. `custom-ai <command>`:
 * what the CLI loads at start (bin/custom-ai.mjs, lib/cli/main.ts and their static imports) and
 * everything that command's module reaches (its action imports its heavy parts lazily, as
 * lib/cli/serve.ts does; other commands' actions do not run).
 */
async function loadedBy(entrypoint: readonly string[]): Promise<Loaded> {
  const [, file, arg] = entrypoint;
  const cli = file === "bin/custom-ai.mjs";
  // One graph for every image's entrypoint (one cruise); bin/run-ts.mjs imports its argument by a
  // computed name, so the workers' files are entries of their own.
  const entries = [...new Set(Object.values(images).flatMap((i) => (ENTRYPOINTS[i.entrypoint] as readonly string[]).slice(1).filter((a) => /\.(mjs|ts)$/.test(a))))].sort();
  const graph = await graphFrom(entries);
  // The bin scripts' own imports all run at start (bin/custom-ai.mjs awaits import("lib/cli/main.ts");
  // bin/prebuilt.mjs loads esbuild, or tsx, when the pre-built entrypoint is stale or unusable).
  const direct = (m: string) => (graph.edges.get(m) ?? []).map(([to]) => to);
  const bins = [file, ...direct(file).filter((m) => m.startsWith("bin/"))];
  const modules = closure(graph, bins.flatMap((b) => [b, ...direct(b)]), !cli);
  const next = cli ? `lib/cli/${arg}.ts` : arg;
  expect(graph.edges.has(next), next).toBe(true);
  for (const m of closure(graph, next, true)) modules.add(m);
  const files = new Set<string>();
  const packages = new Set<string>();
  for (const m of modules) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)?.[1];
    if (pkg) packages.add(pkg);
    else files.add(m);
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** Files and folders the final stage copies from the build context, as repository paths. */
function copiedPaths(file: Dockerfile): string[] {
  const final = file.stages.at(-1)!;
  const values = argDefaults(file, final);
  return final.instructions.filter((i) => i.keyword === "COPY").map((i) => parseCopy(i, values)).filter((c) => !c.from).flatMap((c) => c.sources);
}

describe.each(names)("what %s's entrypoint loads", (image) => {
  it("is in the image: its files copied, its packages kept by the prune", async () => {
    const spec = images[image];
    const { files, packages } = await loadedBy(ENTRYPOINTS[spec.entrypoint]);
    expect(files.length).toBeGreaterThan(10);
    const copied = copiedPaths(read(image));
    const outside = files.filter((f) => !copied.some((c) => f === c || f.startsWith(`${c}/`)));
    expect(outside, "loaded but not copied").toEqual([]);
    const removed = new Set<string>(topLevelToRemove(lock, spec.packages));
    expect(packages.filter((p) => removed.has(p)), "loaded but pruned").toEqual([]);
    // And no more: each listed package is loaded (or loaded by a computed name, listed as such).
    expect(spec.packages.filter((p) => !packages.includes(p) && !spec.byName?.includes(p)), "kept but never loaded").toEqual([]);
    if (spec.entrypoint !== "trainWorker") {
      // The scoring images carry no trainer and no TensorFlow.js (DESIGN.md: serve never imports train).
      expect(copied.filter((c) => /^lib\/(train|data)\b/.test(c))).toEqual([]);
      for (const p of ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "danfojs-node", "tfjs-node-gpu-optional", "webgpu"]) expect(removed.has(p), p).toBe(true);
    }
  });
});

describe("prune-node-modules", () => {
  it("keeps the roots and what they need, resolved as Node does, and removes the rest", () => {
    const fake = {
      packages: {
        "": { dependencies: { a: "1", c: "1" } },
        "node_modules/a": { dependencies: { b: "2", d: "1" }, optionalDependencies: { "@x/other-os": "1" } },
        "node_modules/a/node_modules/b": { dependencies: { e: "1" } },
        "node_modules/b": {},
        "node_modules/c": { dependencies: { b: "1" } },
        "node_modules/d": { peerDependencies: { "@s/p": "1" } },
        "node_modules/e": {},
        "node_modules/@s/p": {},
        "node_modules/@s/q": {},
      },
    };
    expect([...locationsNeeded(fake, ["a"])].sort()).toEqual(["node_modules/@s/p", "node_modules/a", "node_modules/a/node_modules/b", "node_modules/d", "node_modules/e"]);
    expect(topLevelToRemove(fake, ["a"])).toEqual(["@s/q", "b", "c"]);
    expect(() => topLevelToRemove(fake, ["zzz"])).toThrow(/zzz is not in package-lock.json/);
  });

  it("finds other platforms' native binaries", () => {
    const nm = tempDir("cai-prune-");
    const tree = ["onnxruntime-node/bin/napi-v6/linux/x64", "onnxruntime-node/bin/napi-v6/linux/arm64", "onnxruntime-node/bin/napi-v6/win32/x64", "zeromq/build/linux/x64", "zeromq/build/darwin/arm64", "webgpu/dist/linux-x64", "webgpu/dist/darwin-universal", "webgpu/dist/linux-arm64"];
    for (const d of tree) mkdirSync(path.join(nm, d), { recursive: true });
    writeFileSync(path.join(nm, "zeromq/build/manifest.json"), "{}");
    const found = (otherPlatformDirs(nm, "linux", "x64") as string[]).map((d) => path.relative(nm, d));
    expect(found).toEqual(["onnxruntime-node/bin/napi-v6/linux/arm64", "onnxruntime-node/bin/napi-v6/win32", "webgpu/dist/darwin-universal", "webgpu/dist/linux-arm64", "zeromq/build/darwin"]);
  });
});

describe("an image's layout: its files and pruned node_modules, and nothing else", () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The image's /app: the files its final stage copies, and node_modules with only the packages the
   * prune keeps (links into this checkout's; --preserve-symlinks makes Node resolve each package's
   * imports from the link, i.e. from this folder, as it would in the image). Outside the checkout,
   * where no node_modules above it would be found (the suite's TMPDIR is inside the checkout).
   */
  function layout(image: string): string {
    const app = mkdtempSync(path.join(process.platform === "win32" ? path.parse(root).root : "/tmp", `cai-image-${image}-`));
    made.push(app);
    for (let dir = path.dirname(app); ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, "node_modules")), `${dir}/node_modules would be found`).toBe(false);
      if (path.dirname(dir) === dir) break;
    }
    for (const source of copiedPaths(read(image)).filter((s) => !s.startsWith("environments/docker/no-model"))) {
      cpSync(path.join(root, source), path.join(app, source), { recursive: true });
    }
    const removed = new Set<string>(topLevelToRemove(lock, images[image].packages));
    for (const at of Object.keys(lock.packages).filter((k) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(k))) {
      if (removed.has(at.slice("node_modules/".length)) || lock.packages[at].dev || !existsSync(path.join(root, at))) continue;
      mkdirSync(path.dirname(path.join(app, at)), { recursive: true });
      symlinkSync(path.join(root, at), path.join(app, at), "dir");
    }
    // The final stage's build step: the entrypoint pre-built into .cache/js (bin/prebuilt.mjs).
    const final = read(image).stages.at(-1)!;
    for (const run of final.instructions.filter((i) => i.keyword === "RUN" && i.args.startsWith("node bin/prebuilt.mjs "))) {
      const r = spawnSync(process.execPath, ["--preserve-symlinks", "--preserve-symlinks-main", ...run.args.split(/\s+/).slice(1)], { cwd: app, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    return app;
  }

  /** Runs an image's entrypoint in its layout: resolves with the exit code and the output. */
  function runEntrypoint(app: string, image: string, args: string[], env: NodeJS.ProcessEnv, until?: (stderr: string) => boolean) {
    const [node, ...rest] = ENTRYPOINTS[images[image].entrypoint];
    expect(node).toBe("node");
    const child = spawn(process.execPath, ["--preserve-symlinks", "--preserve-symlinks-main", ...rest, ...args], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_ENV: "production", CUSTOM_AI_TARGET: "local", CUSTOM_AI_PREBUILT_TRACE: "1", ...env },
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const reached = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (until?.(err)) return resolve();
        if (child.exitCode !== null) return until ? reject(new Error(`exited ${child.exitCode}: ${err}`)) : resolve();
        setTimeout(check, 50);
      };
      check();
    });
    return { child, exited, reached, out: () => out, err: () => err };
  }

  it("scoring-cpu: `custom-ai serve` scores without lib/train or TensorFlow.js", async () => {
    const modelDir = (await saveTinyModel()).dir;
    const app = layout("scoring-cpu");
    expect(existsSync(path.join(app, "lib/train"))).toBe(false);
    expect(existsSync(path.join(app, "node_modules/@tensorflow"))).toBe(false);
    expect(existsSync(path.join(app, "node_modules/fastify"))).toBe(true);
    const p = runEntrypoint(app, "scoring-cpu", ["--model", modelDir, "--port", "0", "--no-auth"], {}, (err) => /Model ready: /.test(err));
    try {
      await p.reached;
      const url = /Model ready: (http:\/\/[^/\s]+)/.exec(p.err())![1];
      const res = await fetch(`${url}/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(record()) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    } finally {
      p.child.kill("SIGTERM");
    }
    expect(await p.exited).toBe(0);
    expect(p.err()).toMatch(/^prebuilt: fresh \.cache\/js\/cli\//m);
  });

  it("batch-scorer: the worker scores its partitions", async () => {
    const work = tempDir("cai-image-batch-");
    await writeTinyModel(path.join(work, "model"));
    writePartitions(path.join(work, "input"), 2, 50);
    const app = layout("batch-scorer");
    expect(existsSync(path.join(app, "lib/cli"))).toBe(false);
    expect(existsSync(path.join(app, "node_modules/fastify"))).toBe(false);
    const env = { WORLD_SIZE: "1", JOB_COMPLETION_INDEX: "0", CUSTOM_AI_BATCH_MODEL: path.join(work, "model"), CUSTOM_AI_BATCH_INPUT: path.join(work, "input"), CUSTOM_AI_BATCH_OUTPUT: path.join(work, "output") };
    const p = runEntrypoint(app, "batch-scorer", [], env);
    expect(await p.exited, p.err()).toBe(0);
    expect(p.out()).toMatch(/done: 2 scored, 0 skipped, 0 quarantined, 100 rows/);
    expect(p.err()).toMatch(/^prebuilt: fresh \.cache\/js\/batch-worker\//m);
  });

  it("train-worker: a job of one trains and saves", async () => {
    const store = tempDir("cai-image-train-");
    const app = layout("train-worker");
    expect(existsSync(path.join(app, "lib/serve"))).toBe(false);
    const config = { dataset: { options: { samples: 200 } }, hyper: { epochs: 1 } };
    const env = { WORLD_SIZE: "1", JOB_COMPLETION_INDEX: "0", CUSTOM_AI_RUN_ID: "image-test", CUSTOM_AI_STORE_URL: pathToFileURL(store).href, CUSTOM_AI_TRAIN_CONFIG: JSON.stringify(config) };
    const p = runEntrypoint(app, "train-worker", [], env);
    expect(await p.exited, p.err()).toBe(0);
    expect(p.err()).toMatch(/^prebuilt: fresh \.cache\/js\/train-worker\//m);
    const files = readdirSync(store, { recursive: true }).map(String);
    expect(files.some((f) => /image-test[\\/]status[\\/]rank-0\.json$/.test(f)), files.join(" ")).toBe(true);
    const status = JSON.parse(readFileSync(path.join(store, files.find((f) => /status[\\/]rank-0\.json$/.test(f))!), "utf8"));
    expect(status.state).toBe("done");
    expect(files.map((f) => f.split(path.sep).join("/"))).toEqual(expect.arrayContaining(["runs/image-test/result.json", "runs/image-test/model/metadata.json", "runs/image-test/model/weights.bin"]));
  });
});
