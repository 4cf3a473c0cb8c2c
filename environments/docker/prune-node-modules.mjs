#!/usr/bin/env node
// Removes from node_modules/ every top-level package an image does not need: the image's
// packages (images.mjs) and everything they depend on, per package-lock.json, stay.
// Runs inside an image build, after `npm ci --omit=dev --ignore-scripts`, from the project root:
//   node environments/docker/prune-node-modules.mjs <image> [--dry-run]
// Plain Node, no dependencies (it runs before anything else is there).
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGES } from "./images.mjs";

/**
 * The package-lock locations ("node_modules/a", "node_modules/a/node_modules/b") that `roots`
 * need: the roots as the project root resolves them, and every dependency (regular, optional,
 * peer) of a kept package, resolved the way Node does (nearest node_modules first).
 * Throws when a root is not in the lockfile.
 * @param {{ packages: Record<string, { dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>, peerDependencies?: Record<string, string> }> }} lock
 * @param {readonly string[]} roots
 * @returns {Set<string>}
 */
export function locationsNeeded(lock, roots) {
  const pkgs = lock.packages;
  const resolve = (from, name) => {
    let base = from;
    for (;;) {
      const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (pkgs[candidate]) return candidate;
      if (!base) return undefined;
      const cut = base.lastIndexOf("node_modules/");
      base = cut <= 0 ? "" : base.slice(0, cut - 1);
    }
  };
  const kept = new Set();
  const queue = roots.map((name) => {
    const at = resolve("", name);
    if (!at) throw new Error(`${name} is not in package-lock.json: fix the image's package list in environments/docker/images.mjs`);
    return at;
  });
  while (queue.length) {
    const at = queue.pop();
    if (kept.has(at)) continue;
    kept.add(at);
    const p = pkgs[at];
    for (const name of Object.keys({ ...p.dependencies, ...p.optionalDependencies, ...p.peerDependencies })) {
      const dep = resolve(at, name);
      // Absent: an optional or peer dependency npm did not install (another platform's binary).
      if (dep && !kept.has(dep)) queue.push(dep);
    }
  }
  return kept;
}

/**
 * Top-level package names ("fastify", "@azure/arm-compute") in the lockfile that `roots` do not
 * need, sorted. Their nested node_modules go with them.
 * @param {Parameters<typeof locationsNeeded>[0]} lock
 * @param {readonly string[]} roots
 */
export function topLevelToRemove(lock, roots) {
  const kept = locationsNeeded(lock, roots);
  return Object.keys(lock.packages)
    .filter((at) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(at) && !kept.has(at))
    .map((at) => at.slice("node_modules/".length))
    .sort();
}

// Native packages that ship every platform's binaries: only this platform's stay
// (onnxruntime-node's macOS and Windows builds alone are ~220 MB). Folders are <os>/<arch>, or
// <os>-<arch> where `flat`.
const PER_PLATFORM = [
  { pattern: "onnxruntime-node/bin/napi-v*" },
  { pattern: "zeromq/build" },
  { pattern: "webgpu/dist", flat: true },
];

/** Folders of other platforms' binaries under `root` (node_modules) for `os`/`arch`. */
export function otherPlatformDirs(root, os = process.platform, arch = process.arch) {
  const dirs = (dir) => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const found = [];
  for (const { pattern, flat } of PER_PLATFORM) {
    const [pkgDir, last] = [path.dirname(pattern), path.basename(pattern)];
    const parent = path.join(root, pkgDir);
    if (!existsSync(parent)) continue;
    const bases = last.endsWith("*") ? dirs(parent).filter((n) => n.startsWith(last.slice(0, -1))).map((n) => path.join(parent, n)) : [path.join(parent, last)];
    for (const base of bases.filter((b) => existsSync(b))) {
      if (flat) {
        for (const d of dirs(base)) if (d !== `${os}-${arch}`) found.push(path.join(base, d));
        continue;
      }
      for (const o of dirs(base)) {
        if (o !== os) found.push(path.join(base, o));
        else for (const a of dirs(path.join(base, o))) if (a !== arch) found.push(path.join(base, o, a));
      }
    }
  }
  return found.sort();
}

function main(argv) {
  const [image, ...rest] = argv;
  const spec = IMAGES[image];
  if (!spec || rest.some((a) => a !== "--dry-run")) {
    console.error(`usage: node environments/docker/prune-node-modules.mjs <${Object.keys(IMAGES).join("|")}> [--dry-run]`);
    return 2;
  }
  const dryRun = rest.includes("--dry-run");
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
  const remove = topLevelToRemove(lock, spec.packages);
  let removed = 0;
  for (const name of remove) {
    const dir = path.join("node_modules", name);
    if (!existsSync(dir)) continue; // a dev or another platform's package npm ci did not install
    removed++;
    if (dryRun) console.log(`would remove ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const platforms = otherPlatformDirs("node_modules");
  for (const dir of platforms) {
    if (dryRun) console.log(`would remove ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  // Scope folders left empty (node_modules/@azure when none of its packages stays).
  if (!dryRun) {
    for (const scope of readdirSync("node_modules").filter((n) => n.startsWith("@"))) {
      const dir = path.join("node_modules", scope);
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    }
  }
  console.log(`prune-node-modules: ${image} keeps ${spec.packages.length} packages and their dependencies; ${dryRun ? "would remove" : "removed"} ${removed} others and ${platforms.length} folders of other platforms' binaries`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
