// Finding a kernel to launch: Jupyter kernelspecs on disk, or tslab launched directly.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { RunnerError } from "./errors.js";
import { iopubHookSource } from "./tslab-iopub.js";
import { globalTypesHookSource } from "./tslab-types.js";

export interface KernelSpec {
  name: string;
  argv: string[];
  display_name: string;
  language?: string;
  env?: Record<string, string>;
  interrupt_mode?: "signal" | "message";
  /** Where it came from: a kernel.json path, or "built-in". */
  source: string;
  /** Endpoint format when the kernel binds ipc sockets (tslab: `${ip}:${port}`; Jupyter's: `${ip}-${port}`). */
  ipcSeparator?: ":" | "-";
}

/** Folders Jupyter searches for kernelspecs, most specific first (as `jupyter --paths` lists them). */
export function kernelSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  for (const p of (env.JUPYTER_PATH ?? "").split(path.delimiter)) if (p) dirs.push(p);
  if (env.JUPYTER_DATA_DIR) dirs.push(env.JUPYTER_DATA_DIR);
  const home = os.homedir();
  dirs.push(
    process.platform === "darwin"
      ? path.join(home, "Library", "Jupyter")
      : path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), "jupyter"),
  );
  for (const prefix of [env.CONDA_PREFIX, env.VIRTUAL_ENV]) if (prefix) dirs.push(path.join(prefix, "share", "jupyter"));
  dirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return [...new Set(dirs)].map((d) => path.join(d, "kernels"));
}

/** Kernelspecs installed on this machine, by name (the first found wins, as in Jupyter). */
export function findKernelSpecs(env: NodeJS.ProcessEnv = process.env): Map<string, KernelSpec> {
  const specs = new Map<string, KernelSpec>();
  for (const dir of kernelSearchDirs(env)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name, "kernel.json");
      if (specs.has(name.toLowerCase()) || !existsSync(file)) continue;
      try {
        const spec = JSON.parse(readFileSync(file, "utf8"));
        if (Array.isArray(spec.argv) && spec.argv.length > 0) {
          specs.set(name.toLowerCase(), { ...spec, name, source: file });
        }
      } catch {
        // A broken kernelspec is Jupyter's problem to report; skip it here.
      }
    }
  }
  return specs;
}

/**
 * Resolves a package from the project that runs the toolkit. Library code here avoids
 * `import.meta` because notebooks import it through tslab, which compiles it to CommonJS;
 * the CLI passes its own location in CUSTOM_AI_HOME.
 */
export function resolveFromProject(specifier: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bases = [env.CUSTOM_AI_HOME, process.cwd(), process.argv[1] && path.dirname(process.argv[1])];
  for (const base of bases) {
    if (!base) continue;
    try {
      return createRequire(path.join(path.resolve(base), "noop.js")).resolve(specifier);
    } catch {
      // try the next base
    }
  }
  return undefined;
}

/** Kernel names launched directly: custom-ai-tslab is the name the toolkit's kernelspec installs. */
const DIRECT: Record<string, "tslab" | "jslab"> = { tslab: "tslab", "custom-ai-tslab": "tslab", jslab: "jslab" };

/** tslab (TypeScript) and jslab (JavaScript) launched directly from the project's tslab package. */
export function builtInSpec(name: string): KernelSpec | undefined {
  const lower = DIRECT[name.toLowerCase()];
  if (!lower) return undefined;
  const pkg = resolveFromProject("tslab/package.json");
  if (!pkg) return undefined;
  const main = path.join(path.dirname(pkg), "dist", "main.js");
  const typescript = createRequire(pkg).resolve("@tslab/typescript-for-tslab");
  const boot = [
    // Exit with the runner: the runner (Kernel.start) holds this pipe open and says so, so it
    // closes when the runner dies, even by SIGKILL. Other clients (jupyter_client) close stdin.
    "if (process.env.CUSTOM_AI_KERNEL_STDIN === 'parent') { process.stdin.on('end', () => process.exit(0)); process.stdin.resume(); }",
    // A headless run needs no file watching: TypeScript's watchers cost ~1 s at start, and fail
    // the next cell when anything writes under node_modules mid-run ("Unexpected pending rebuildTimer").
    `const ts = require(${JSON.stringify(typescript)}); const off = () => ({ close() {} }); ts.sys.watchFile = off; ts.sys.watchDirectory = off;`,
    // Nothing a cell prints may be dropped on the way out (see tslab-iopub.ts).
    iopubHookSource(main),
    // Only the global @types a notebook needs (node), not all 53 under node_modules/@types.
    globalTypesHookSource(main),
    "process.argv.splice(1, 0, 'tslab');",
    `require(${JSON.stringify(main)}).main();`,
  ].join("\n");
  return {
    name: lower,
    argv: [process.execPath, "-e", boot, "kernel", "--config-path", "{connection_file}", ...(lower === "jslab" ? ["--js"] : [])],
    display_name: lower === "tslab" ? "TypeScript" : "JavaScript",
    language: lower === "tslab" ? "typescript" : "javascript",
    interrupt_mode: "signal",
    source: "built-in",
    ipcSeparator: ":",
  };
}

export type LaunchMode = "auto" | "direct" | "kernelspec";

/**
 * The kernel to run for `name`. "auto" launches tslab/jslab directly from the project (the same
 * version in every environment) and anything else from its kernelspec.
 */
export function resolveKernel(name: string, mode: LaunchMode = "auto", env: NodeJS.ProcessEnv = process.env): KernelSpec {
  if (mode !== "kernelspec") {
    const builtIn = builtInSpec(name);
    if (builtIn) return builtIn;
    if (mode === "direct") {
      throw new RunnerError("UNKNOWN_KERNEL", `Cannot launch "${name}" directly: only tslab and jslab can, and tslab must be installed in this project (npm install).`);
    }
  }
  const specs = findKernelSpecs(env);
  const spec = specs.get(name.toLowerCase());
  if (spec) return spec;
  const known = [...new Set([...(builtInSpec("tslab") ? Object.keys(DIRECT) : []), ...specs.keys()])];
  throw new RunnerError(
    "UNKNOWN_KERNEL",
    `No kernel named "${name}". Available kernels: ${known.length ? known.join(", ") : "none"}. ` +
      `Set the notebook's metadata.kernelspec.name to one of them, pass --kernel NAME, or install the kernel (jupyter kernelspec list shows what Jupyter sees).`,
  );
}
