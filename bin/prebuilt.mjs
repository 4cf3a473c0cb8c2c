// Pre-built JavaScript for the toolkit's entrypoints, so that their processes start without tsx's
// loader (~100 ms to register it, ~100 ms more to compile the TypeScript module graph on the fly).
// Plain Node and esbuild (tsx's own dependency): no tsx here.
//
// An entry (ENTRIES) is bundled into .cache/js/<name>/<version>/ (ESM, node_modules left
// external, lazy import()s kept lazy as chunks, linked source maps so stack traces name the .ts
// files). .cache/js/<name>/current.json records the version and a stamp of what it was built from:
// the project's folder, every bundled lib/ file (path, size, mtime, SHA-1), the files that shape the build (package.json,
// package-lock.json, tsconfig.json, this file) and the lazily imported files that were missing
// (an image without lib/train). An entry is fresh when every stamped file is unchanged (same
// size and mtime, else the same SHA-1) and every missing one is still missing; else it is rebuilt
// (into a temporary folder, renamed into place: racing workers each build and agree). When it can
// be neither used nor built (read-only tree without a fresh build, no esbuild, a build error),
// prebuiltEntry() answers null and the caller runs the .ts through tsx, as before.
//
//   node bin/prebuilt.mjs [entry.ts ...]   builds the given entries (default: all) now, e.g. in an
//                                          image build; exit 1 when one cannot be built.
// Env: CUSTOM_AI_TSX=1 always answers null (tsx, for debugging); CUSTOM_AI_PREBUILT_TRACE=1 says
// on stderr which way each start went.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Bump when the build options change in a way the stamped files do not show. */
const BUILDER_VERSION = 1;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, ".cache", "js");
const SHAPING = ["package.json", "package-lock.json", "tsconfig.json", "bin/prebuilt.mjs"];
/** Replaced versions and abandoned temporary folders are removed once this old (a running process may still load their chunks). */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;
/** The file a finished build leaves in its version folder. */
const COMPLETE = "complete";

/** The entrypoints that have a pre-built form (repository path → folder name under .cache/js). */
export const ENTRIES = {
  "lib/cli/main.ts": "cli",
  "lib/serve/batch/worker-main.ts": "batch-worker",
  "lib/train/distributed/worker-main.ts": "train-worker",
};

const trace = (message) => {
  if (process.env.CUSTOM_AI_PREBUILT_TRACE === "1") process.stderr.write(`prebuilt: ${message}\n`);
};

/** The repository path of `file` (absolute, or relative to the working directory) when it is one of ENTRIES. */
export function entryOf(file) {
  const known = (abs) => {
    const rel = path.relative(ROOT, abs).split(path.sep).join("/");
    return Object.hasOwn(ENTRIES, rel) ? rel : undefined;
  };
  try {
    return known(path.resolve(file)) ?? known(realpathSync(file));
  } catch {
    return undefined;
  }
}

/**
 * Whether this start must run the .ts through tsx: CUSTOM_AI_TSX=1, or a training worker whose
 * config names a dataset module (a user's .ts file that imports lib/ itself: under tsx it shares
 * the worker's dataset registry; a bundle would carry its own copy).
 */
function tsxRequired(entry, env) {
  if (env.CUSTOM_AI_TSX === "1") return "CUSTOM_AI_TSX=1";
  if (entry !== "lib/train/distributed/worker-main.ts") return undefined;
  try {
    // As lib/train/distributed's workerConfigFromEnv reads it: the file, then the inline JSON over it.
    const fileName = env.CUSTOM_AI_TRAIN_CONFIG_FILE?.trim();
    const file = fileName ? JSON.parse(readFileSync(fileName, "utf8").trim() || "{}") : {};
    const inline = env.CUSTOM_AI_TRAIN_CONFIG?.trim() ? JSON.parse(env.CUSTOM_AI_TRAIN_CONFIG) : {};
    return { ...file, ...inline }?.dataset?.module ? "the training config names a dataset module" : undefined;
  } catch {
    return "the training config is unreadable (tsx reports it as before)";
  }
}

const sha1 = (file) => createHash("sha1").update(readFileSync(file)).digest("hex");

/**
 * The stamp of a file now: [path, size, mtimeMs, sha1], or [path, -1] when it does not exist. A file
 * modified since `since` (the build's start) may differ from what was bundled: its stamp never matches.
 */
function stampOf(rel, since) {
  const file = path.join(ROOT, rel);
  if (!existsSync(file)) return [rel, -1];
  const s = statSync(file);
  if (s.mtimeMs >= since) return [rel, s.size, -1, "modified during the build"];
  return [rel, s.size, s.mtimeMs, sha1(file)];
}

/**
 * Whether the stamped files are as recorded. Size and mtime first (a stat each); a file whose
 * mtime alone moved (a copy, a checkout, an image layer) is compared by SHA-1. `touched` collects those.
 */
function changedInput(inputs, touched) {
  for (const input of inputs) {
    const [rel, size, mtimeMs, hash] = input;
    let s;
    try {
      s = statSync(path.join(ROOT, rel));
    } catch {
      if (size === -1) continue;
      return rel;
    }
    if (size === -1 || s.size !== size) return rel;
    if (s.mtimeMs === mtimeMs) continue;
    if (sha1(path.join(ROOT, rel)) !== hash) return rel;
    touched.push([rel, size, s.mtimeMs, hash]);
  }
  return undefined;
}

function writeAtomic(file, text) {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function readCurrent(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, "current.json"), "utf8"));
  } catch {
    return undefined;
  }
}

/** The current build of `name` when it is fresh: the URL of its entry module; else undefined, and why in the trace. */
function freshBuild(name) {
  const dir = path.join(OUT, name);
  const current = readCurrent(dir);
  if (!current) {
    trace(`no build of ${name} yet`);
    return undefined;
  }
  // A moved project: the bundle holds its absolute paths (import.meta.url).
  if (current.builder !== BUILDER_VERSION || current.root !== ROOT) {
    trace(`${name} was built by another builder or in another folder`);
    return undefined;
  }
  const touched = [];
  const changed = changedInput(current.inputs, touched);
  if (changed) {
    trace(`${name} is stale: ${changed} changed`);
    return undefined;
  }
  const main = path.join(dir, current.version, "main.js");
  if (!existsSync(path.join(dir, current.version, COMPLETE))) return undefined;
  if (touched.length) {
    // Same content, new mtimes: record them so the next start is back to a stat per file.
    const byPath = new Map(touched.map((t) => [t[0], t]));
    try {
      writeAtomic(path.join(dir, "current.json"), JSON.stringify({ ...current, inputs: current.inputs.map((i) => byPath.get(i[0]) ?? i) }));
    } catch {
      // read-only: the SHA-1s are compared again next time
    }
  }
  return pathToFileURL(main).href;
}

/** esbuild: the project's, else the one tsx depends on. */
async function loadEsbuild() {
  try {
    return await import("esbuild");
  } catch {
    const fromTsx = createRequire(createRequire(path.join(ROOT, "noop.js")).resolve("tsx/package.json")).resolve("esbuild");
    return import(pathToFileURL(fromTsx).href);
  }
}

/** A lazily imported relative file that is not there (an image without lib/train) stays a lazy import of its path. */
function missingLazyImports(missing) {
  return {
    name: "missing-lazy-imports",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\//, namespace: "file" }, (args) => {
        if (args.kind !== "dynamic-import") return undefined;
        const abs = path.resolve(args.resolveDir, args.path);
        const base = abs.replace(/\.[cm]?js$/, "");
        const candidates = [abs, ...[".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"].map((e) => base + e), path.join(abs, "index.ts"), path.join(abs, "index.js")];
        if (candidates.some((c) => existsSync(c))) return undefined;
        // Each file that would resolve it, so that any of them appearing makes the build stale.
        for (const c of candidates) missing.add(path.relative(ROOT, c).split(path.sep).join("/"));
        return { path: pathToFileURL(abs).href, external: true };
      });
    },
  };
}

/**
 * Reads the project's TypeScript for esbuild, and stamps each file with the bytes bundled (its
 * stat taken before the read: an edit after it shows as a newer mtime and another SHA-1, so the
 * build is stale, never wrongly fresh). And lib/ as tsx and tslab run it: `import.meta.url` (and
 * .dirname, .filename) and `__dirname` name the .ts file's own path, not the chunk it is bundled
 * into (lib/ finds its shipped files, prices.json and the datasets, through them). `require` stays
 * undefined, as in any ES module (see `define`).
 */
function sourcesOf(stamps) {
  return {
    name: "sources-of-the-project",
    setup(build) {
      build.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const { mtimeMs } = statSync(args.path);
        const bytes = readFileSync(args.path);
        const rel = path.relative(ROOT, args.path).split(path.sep).join("/");
        stamps.set(rel, [rel, bytes.length, mtimeMs, createHash("sha1").update(bytes).digest("hex")]);
        let contents = bytes.toString("utf8");
        if (contents.includes("import.meta")) {
          contents = contents
            .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
            .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(path.dirname(args.path)))
            .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
        }
        if (contents.includes("__dirname")) contents = contents.replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path)));
        return { contents, loader: path.extname(args.path).endsWith("x") ? "tsx" : "ts" };
      });
    },
  };
}

/** Builds `entry` into .cache/js/<name>/<version>/ and points current.json at it. Returns the entry module's URL. */
export async function build(entry) {
  const name = ENTRIES[entry];
  const dir = path.join(OUT, name);
  mkdirSync(dir, { recursive: true });
  const esbuild = await loadEsbuild();
  const tmp = path.join(dir, `tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  const missing = new Set();
  const started = Date.now() - 1;
  // What shapes the build is stamped before it runs; lib/'s files as esbuild reads them (sourcesOf).
  const shaping = SHAPING.map((rel) => stampOf(rel, Infinity));
  const stamps = new Map();
  try {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: path.join(ROOT, entry) },
      outdir: tmp,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      // Error classes and others are matched by constructor name in places.
      keepNames: true,
      // As in an ES module under tsx: `typeof require` is "undefined" (esbuild would otherwise give
      // lib/'s tslab checks its own require shim).
      define: { require: "undefined" },
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      sourcemap: "linked",
      sourcesContent: false,
      metafile: true,
      logLevel: "silent",
      plugins: [missingLazyImports(missing), sourcesOf(stamps)],
    });
    const bundled = Object.keys(result.metafile.inputs).filter((p) => !p.includes("node_modules/") && !p.includes(":") && !SHAPING.includes(p));
    // A bundled file esbuild read itself (not TypeScript) is stamped now; one changed since the build began never matches.
    const inputs = [...bundled.map((rel) => stamps.get(rel) ?? stampOf(rel, started)), ...shaping].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const rel of [...missing].sort()) inputs.push([rel, -1]);
    const version = createHash("sha1").update(JSON.stringify([BUILDER_VERSION, esbuild.version, ROOT, inputs.map((i) => [i[0], i[3] ?? null])])).digest("hex").slice(0, 16);
    // Written last into the temporary folder: a version folder without it is not used (a prune cut short).
    writeFileSync(path.join(tmp, COMPLETE), "");
    try {
      renameSync(tmp, path.join(dir, version));
    } catch (e) {
      // A racing process built the same version first: use it.
      if (!existsSync(path.join(dir, version, COMPLETE))) throw e;
    }
    const previous = readCurrent(dir)?.version;
    writeAtomic(path.join(dir, "current.json"), JSON.stringify({ builder: BUILDER_VERSION, esbuild: esbuild.version, root: ROOT, version, inputs }));
    // The version it replaces is kept KEEP_MS from now: processes running it may still import its lazy chunks.
    if (previous && previous !== version) {
      try {
        utimesSync(path.join(dir, previous), new Date(), new Date());
      } catch {
        // already gone
      }
    }
    prune(dir, version);
    return pathToFileURL(path.join(dir, version, "main.js")).href;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    // esbuild's service process would otherwise live as long as this one (a server, a worker).
    await esbuild.stop?.();
  }
}

/** Removes other versions and temporary folders last touched more than KEEP_MS ago. */
function prune(dir, keep) {
  const now = Date.now();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === keep) continue;
    const at = path.join(dir, e.name);
    try {
      if (now - statSync(at).mtimeMs <= KEEP_MS) continue;
      // Renamed first: a prune cut short never leaves a half-removed version under its name.
      const doomed = e.name.startsWith("tmp-") ? at : path.join(dir, `tmp-pruned-${process.pid}-${randomBytes(4).toString("hex")}`);
      if (doomed !== at) renameSync(at, doomed);
      rmSync(doomed, { recursive: true, force: true });
    } catch {
      // another process pruned it
    }
  }
}

/**
 * The URL of `entry`'s pre-built module (building it when stale), or null when this start should
 * run the .ts through tsx (see the header). Never throws.
 */
export async function prebuiltEntry(entry, env = process.env) {
  const why = tsxRequired(entry, env);
  if (why) {
    trace(`tsx for ${entry}: ${why}`);
    return null;
  }
  const name = ENTRIES[entry];
  try {
    const fresh = freshBuild(name);
    if (fresh) {
      trace(`fresh ${path.relative(ROOT, fileURLToPath(fresh))}`);
      return fresh;
    }
    const built = await build(entry);
    trace(`built ${path.relative(ROOT, fileURLToPath(built))}`);
    return built;
  } catch (e) {
    trace(`tsx for ${entry}: ${String(e?.message ?? e).split("\n")[0]}`);
    return null;
  }
}

/**
 * Runs `entry`'s module: the pre-built one, else tsx's loader and `importTs()` (the .ts). Source
 * maps (stack traces that name the .ts files and lines) are turned on where stack traces are shown:
 * --debug or CUSTOM_AI_DEBUG=1 (they cost each process ~5-40 ms of start-up, as chunks load).
 * Function and class names are kept in the bundle either way.
 */
export async function importEntry(entry, importTs = () => import(pathToFileURL(path.join(ROOT, entry)).href)) {
  const url = await prebuiltEntry(entry);
  if (url) {
    if (process.env.CUSTOM_AI_DEBUG === "1" || process.argv.includes("--debug")) process.setSourceMapsEnabled(true);
    return import(url);
  }
  const { register } = await import("tsx/esm/api");
  register();
  return importTs();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entries = process.argv.length > 2 ? process.argv.slice(2).map((f) => entryOf(f) ?? f) : Object.keys(ENTRIES);
  let failed = 0;
  for (const entry of entries) {
    if (!Object.hasOwn(ENTRIES, entry)) {
      console.error(`prebuilt: ${entry} is not one of ${Object.keys(ENTRIES).join(", ")}`);
      failed++;
      continue;
    }
    try {
      console.log(`prebuilt: ${path.relative(ROOT, fileURLToPath(await build(entry)))}`);
    } catch (e) {
      console.error(`prebuilt: ${entry}: ${e?.message ?? e}`);
      failed++;
    }
  }
  process.exitCode = failed ? 1 : 0;
}
