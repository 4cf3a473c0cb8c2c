// papermill, the peer of our runner: a Python venv under .cache/bench/venv (created and filled
// from PyPI on the first run, reused after), and a JUPYTER_PATH whose custom-ai-tslab kernelspec
// has exactly the argv our runner launches, so both start the identical kernel command.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { builtInSpec } from "../../lib/notebook/index.js";
import { timed } from "./process.js";

export interface Papermill {
  bin: string;
  version: string;
  /** JUPYTER_PATH holding the kernelspec. */
  jupyterPath: string;
  kernelName: string;
  kernelArgv: string[];
}

/** The pip requirement; BENCH_PAPERMILL overrides it (pinned so the failure check stays comparable). */
const REQUIREMENT = process.env.BENCH_PAPERMILL ?? "papermill==2.7.0";

/** A path as printed: relative when it lies in the repository. */
export const shown = (root: string, p: string): string => (p.startsWith(root + path.sep) ? path.relative(root, p) : p);

async function must(argv: string[], cwd: string, log: (l: string) => void): Promise<string> {
  log(`  $ ${argv.map((a) => shown(cwd, a)).join(" ")}`);
  const r = await timed(argv, { cwd, echo: true });
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited with ${r.code}:\n${r.output.slice(-2000)}`);
  return r.output;
}

export async function setupPapermill(root: string, kernelDir: string, log: (l: string) => void): Promise<Papermill> {
  const venv = path.join(root, ".cache", "bench", "venv");
  const binDir = path.join(venv, process.platform === "win32" ? "Scripts" : "bin");
  const bin = path.join(binDir, "papermill");
  const marker = path.join(venv, ".bench-requirement");
  const installed = existsSync(bin) && existsSync(marker) && readFileSync(marker, "utf8") === REQUIREMENT;
  if (installed) {
    log(`papermill: reusing the venv in ${shown(root, venv)} (${REQUIREMENT})`);
  } else {
    log(`papermill: creating a venv in ${shown(root, venv)} and installing ${REQUIREMENT} from PyPI`);
    if (!existsSync(path.join(binDir, "python"))) await must([process.env.BENCH_PYTHON ?? "python3", "-m", "venv", venv], root, log);
    await must([path.join(binDir, "python"), "-m", "pip", "install", "--quiet", REQUIREMENT], root, log);
    writeFileSync(marker, REQUIREMENT);
  }
  const version = (await timed([bin, "--version"], { cwd: root })).output.trim().split(/\s+/)[0];

  const spec = builtInSpec("custom-ai-tslab");
  if (!spec) throw new Error("tslab is not installed in this project (npm install).");
  const specDir = path.join(kernelDir, "kernels", "custom-ai-tslab");
  mkdirSync(specDir, { recursive: true });
  const kernelJson = { argv: spec.argv, display_name: spec.display_name, language: spec.language, interrupt_mode: spec.interrupt_mode };
  writeFileSync(path.join(specDir, "kernel.json"), JSON.stringify(kernelJson, null, 2));
  log(`papermill ${version}: kernelspec custom-ai-tslab → ${spec.argv.map((a) => shown(root, a)).join(" ")}`);
  return { bin, version, jupyterPath: kernelDir, kernelName: "custom-ai-tslab", kernelArgv: spec.argv };
}
