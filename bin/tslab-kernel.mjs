#!/usr/bin/env node
// Starts a tslab kernel in the notebook's project root, for Jupyter (the custom-ai-tslab kernelspec).
// tslab compiles cells with rootDir = its working directory, so a notebook can only import
// TypeScript under it; Jupyter starts kernels in the notebook's folder (notebooks/), from which
// ./lib would be out of reach. The headless runner does the same (lib/notebook defaultKernelCwd).
//   node bin/tslab-kernel.mjs kernel --config-path <connection file>
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

function projectRoot(start) {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const root = projectRoot(process.cwd());
if (root) process.chdir(root);
// The project's tslab if it has one, else the toolkit's own.
let tslabMain;
for (const base of [process.cwd(), path.dirname(new URL(import.meta.url).pathname)]) {
  try {
    tslabMain = createRequire(path.join(base, "noop.js"))("tslab/dist/main.js");
    break;
  } catch {
    // try the next base
  }
}
if (!tslabMain) {
  console.error("custom-ai: tslab is not installed here; run npm install in the project first.");
  process.exit(1);
}
process.argv = [process.argv[0], "tslab", ...process.argv.slice(2)];
tslabMain.main();
