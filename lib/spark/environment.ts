// Where Spark comes from locally: pyspark's own runtime in the project's Python environment
// (bin/python-env.mjs makes .cache/python/venv), and Java on the PATH or JAVA_HOME.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { toolkitInfo } from "../core/index.js";
import { SparkError } from "./errors.js";

export interface SparkEnvironment {
  /** The Python with pyspark (drivers and workers run it). */
  python: string;
  /** pyspark's folder: SPARK_HOME. */
  sparkHome: string;
  sparkSubmit: string;
  /** The project root: environments/spark/ and .cache/ are under it. */
  root: string;
}

/** The Spark job files shipped in environments/spark/ (relative to the project root). */
export const SPARK_JOB_FILES = {
  batch: "environments/spark/score_batch.py",
  stream: "environments/spark/score_stream.py",
  common: "environments/spark/custom_ai_scoring.py",
} as const;

/** Variable naming the Python with pyspark, when not the project's venv. */
export const SPARK_PYTHON_ENV = "CUSTOM_AI_SPARK_PYTHON";

const cache = new Map<string, SparkEnvironment>();

/**
 * The local Spark installation: `python` (default $CUSTOM_AI_SPARK_PYTHON, else the project's venv),
 * its pyspark as SPARK_HOME, and Java. Throws SparkError SPARK_UNAVAILABLE saying what to install.
 */
export function localSparkEnvironment(options: { python?: string; root?: string } = {}): SparkEnvironment {
  const root = options.root ?? (toolkitInfo().root || process.cwd());
  const python = options.python ?? process.env[SPARK_PYTHON_ENV] ?? path.join(root, ".cache", "python", "venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  const key = `${root}\0${python}`;
  const known = cache.get(key);
  if (known) return known;
  if (!options.python && !process.env[SPARK_PYTHON_ENV]) ensureProjectPython(root);
  if (!existsSync(python)) {
    throw new SparkError("SPARK_UNAVAILABLE", `No Python at ${python}: run \`node bin/python-env.mjs\` to create the project's Python environment (it installs pyspark), or set ${SPARK_PYTHON_ENV}.`);
  }
  const found = spawnSync(python, ["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new SparkError("SPARK_UNAVAILABLE", `${python} has no pyspark (${(found.stderr || "").trim().split("\n").pop()}): run \`node bin/python-env.mjs\` again.`);
  }
  const sparkHome = found.stdout.trim();
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
  const version = spawnSync(java, ["-version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    throw new SparkError("SPARK_UNAVAILABLE", `Spark needs Java 17 or 21, and ${java} cannot run: install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME.`);
  }
  const env = { python, sparkHome, sparkSubmit: path.join(sparkHome, "bin", "spark-submit"), root };
  cache.set(key, env);
  return env;
}

/**
 * Creates or refreshes the project's Python environment (pyspark and the other pinned tools) with
 * the project's own script, as `npm test` does: a notebook run before any test on a fresh machine
 * (`npm start`) gets it too. A few hundred milliseconds when it is up to date; the first time it
 * downloads from PyPI (a minute or two), printing what it does on stderr.
 */
function ensureProjectPython(root: string): void {
  const script = path.join(root, "bin", "python-env.mjs");
  if (!existsSync(script)) return; // lib/ copied out alone: the checks below say what is missing
  const made = spawnSync(process.execPath, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (made.status !== 0) {
    const why = `${made.stderr ?? ""}${made.error ? made.error.message : ""}`.trim().split("\n").slice(-6).join("\n");
    throw new SparkError("SPARK_UNAVAILABLE", `The project's Python environment (pyspark) could not be created: \`node bin/python-env.mjs\` exited ${made.status}.\n${why}`);
  }
}
