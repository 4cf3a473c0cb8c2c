// A Python venv under .cache/bench/<name>, created and filled from PyPI on the first run and
// reused while its requirements stay the same (as papermill.ts does for its peer). The exact
// versions pip resolved are kept beside the results.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { shown } from "./papermill.js";
import { timed } from "./process.js";

/** The batch peers' venv (pandas, polars, Pillow + ONNX Runtime): one list, so suites sharing it never rebuild it in turn. */
export const BATCH_PEER_REQUIREMENTS = ["pandas==2.3.3", "numpy==2.4.6", "onnxruntime==1.30.0", "pyarrow==22.0.0", "pillow==12.2.0", "polars==2.1.0"];

export interface PeerVenv {
  dir: string;
  bin: string;
  python: string;
  /** `pip freeze` of the packages that matter for the results. */
  versions: Record<string, string>;
}

export async function ensureVenv(root: string, name: string, requirements: string[], log: (l: string) => void): Promise<PeerVenv> {
  const dir = path.join(root, ".cache", "bench", name);
  const bin = path.join(dir, process.platform === "win32" ? "Scripts" : "bin");
  const python = path.join(bin, "python");
  const marker = path.join(dir, ".bench-requirements");
  const wanted = requirements.join("\n");
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, "utf8") === wanted) {
    log(`${name}: reusing the venv in ${shown(root, dir)}`);
  } else {
    log(`${name}: creating a venv in ${shown(root, dir)} and installing ${requirements.join(" ")} from PyPI`);
    rmSync(dir, { recursive: true, force: true });
    const run = async (argv: string[]) => {
      const r = await timed(argv, { cwd: root });
      if (r.code !== 0) throw new Error(`${argv.slice(0, 4).join(" ")} … exited with ${r.code}:\n${r.output.slice(-1500)}`);
    };
    await run([process.env.BENCH_PYTHON ?? "python3", "-m", "venv", dir]);
    await run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...requirements]);
    writeFileSync(marker, wanted);
  }
  const freeze = (await timed([python, "-m", "pip", "freeze", "--disable-pip-version-check"], { cwd: root })).output;
  const versions: Record<string, string> = {};
  for (const line of freeze.split("\n")) {
    const m = /^([A-Za-z0-9_.-]+)==(\S+)/.exec(line.trim());
    if (m) versions[m[1].toLowerCase()] = m[2];
  }
  return { dir, bin, python, versions };
}
