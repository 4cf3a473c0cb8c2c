import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "./errors.js";

/**
 * The folder of this file. lib/ runs as ESM (tsx, vitest) and as CommonJS compiled by tslab, so
 * neither `import.meta.url` nor `__dirname` works everywhere: use `__dirname` where it exists
 * (tslab, vitest), else the path of this module in a stack frame (tsx, plain ESM).
 */
function moduleDir(): string | undefined {
  if (typeof __dirname === "string" && existsSync(path.join(__dirname, "datasets"))) return __dirname;
  const frame = new Error().stack?.split("\n").find((line) => /dataset-files\.[cm]?[jt]s/.test(line));
  const file = frame?.match(/(file:\/\/|\/|[A-Za-z]:\\)[^\s()]*?dataset-files\.[cm]?[jt]s/)?.[0];
  if (!file) return undefined;
  return path.dirname(file.startsWith("file:") ? fileURLToPath(file) : file);
}

/** The shipped datasets folder (lib/data/datasets), found beside this module or under the working directory. */
export function datasetsDir(): string {
  const candidates = [moduleDir(), path.join(process.cwd(), "lib", "data")].filter((d): d is string => Boolean(d));
  for (const dir of candidates) {
    const datasets = path.join(dir, "datasets");
    if (existsSync(datasets)) return datasets;
  }
  throw new DataError(
    "DATA_LOAD",
    `The shipped datasets folder lib/data/datasets was not found (looked in ${candidates.join(", ")}). ` +
      "Copy lib/data together with its datasets/ folder.",
  );
}

/** Reads a shipped dataset file as text. */
export function readDatasetFile(name: string): string {
  const file = path.join(datasetsDir(), name);
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new DataError("DATA_LOAD", `Could not read the shipped dataset ${file}: ${(error as Error).message}. Restore it from git.`, { cause: error });
  }
}
