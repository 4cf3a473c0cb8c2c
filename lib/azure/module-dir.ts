// Files shipped beside lib/azure (prices.json) and in the repository (the DSVM cloud-init). lib/
// runs as ESM (tsx, vitest) and as CommonJS compiled by tslab, so neither import.meta nor
// __dirname works everywhere (lib/data/dataset-files.ts does the same).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toolkitInfo } from "../core/index.js";

/** A file shipped in lib/azure: beside this module, else under the toolkit's root or the working directory. */
export function azureFile(name: string): string {
  const candidates: string[] = [];
  if (typeof __dirname === "string") candidates.push(__dirname);
  const frame = new Error().stack?.split("\n").find((line) => /module-dir\.[cm]?[jt]s/.test(line));
  const file = frame?.match(/(file:\/\/|\/|[A-Za-z]:\\)[^\s()]*?module-dir\.[cm]?[jt]s/)?.[0];
  if (file) candidates.push(path.dirname(file.startsWith("file:") ? fileURLToPath(file) : file));
  const root = toolkitInfo().root;
  if (root) candidates.push(path.join(root, "lib", "azure"));
  candidates.push(path.join(process.cwd(), "lib", "azure"));
  return candidates.map((d) => path.join(d, name)).find((f) => existsSync(f)) ?? path.join(candidates[0]!, name);
}

/** The repository's root when lib/azure sits in it (../.. of this folder), else undefined. */
export function repoFile(relative: string): string | undefined {
  const here = path.dirname(azureFile("prices.json"));
  const file = path.resolve(here, "../..", relative);
  return existsSync(file) ? file : undefined;
}
