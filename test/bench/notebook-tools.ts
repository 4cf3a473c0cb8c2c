// The three ways the notebook suite runs a notebook, each timed and read back into one shape:
// our CLI and papermill as whole processes, and runNotebook() inside this process.
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { runNotebook } from "../../lib/notebook/index.js";
import type { Papermill } from "./papermill.js";
import { timed } from "./process.js";

export type Tool = "ours" | "papermill" | "inProcess";

export interface Run {
  /** Wall time: the whole process for ours and papermill; the runNotebook() call in-process. */
  ms: number;
  /** Exit code (in-process: 0 when the result is ok, else 1). */
  code: number | null;
  /** What the tool printed (in-process: the error it returned). */
  output: string;
  /** Kernel launch until ready, as the tool recorded it (papermill: notebook start to first cell start). */
  kernelMs?: number;
  /** The notebook's own duration as the tool recorded it (kernel start to end). */
  notebookMs?: number;
  /** The executed notebook, parsed. */
  executed?: { metadata?: Record<string, any>; cells?: Array<Record<string, any>> };
}

export interface ToolContext {
  root: string;
  papermill: Papermill;
  /** A fresh folder for this run's outputs. */
  outDir: string;
}

const readJson = (file: string) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

/** `node bin/custom-ai.mjs notebooks run <nb> --out <dir>` */
async function ours(nb: string, ctx: ToolContext): Promise<Run> {
  const r = await timed([process.execPath, "bin/custom-ai.mjs", "notebooks", "run", nb, "--out", ctx.outDir], { cwd: ctx.root });
  const executed = readJson(path.join(ctx.outDir, path.basename(nb)));
  const meta = executed?.metadata?.custom_ai;
  return { ...r, executed, kernelMs: meta?.kernel?.startMs, notebookMs: meta ? meta.duration_s * 1000 : undefined };
}

/** `papermill <nb> <out> --cwd <root> -k custom-ai-tslab`, with the bench's JUPYTER_PATH. */
async function papermill(nb: string, ctx: ToolContext): Promise<Run> {
  const pm = ctx.papermill;
  const out = path.join(ctx.outDir, "out.ipynb");
  mkdirSync(ctx.outDir, { recursive: true });
  const env = { ...process.env, JUPYTER_PATH: pm.jupyterPath };
  const r = await timed([pm.bin, nb, out, "--cwd", ctx.root, "-k", pm.kernelName], { cwd: ctx.root, env });
  const executed = readJson(out);
  const meta = executed?.metadata?.papermill;
  const firstCell = executed?.cells?.find((c: any) => c.cell_type === "code" && c.metadata?.papermill?.start_time);
  const kernelMs = meta?.start_time && firstCell ? Date.parse(firstCell.metadata.papermill.start_time) - Date.parse(meta.start_time) : undefined;
  return { ...r, executed, kernelMs, notebookMs: meta?.duration != null ? meta.duration * 1000 : undefined };
}

/** runNotebook() in this process: no CLI start-up. */
async function inProcess(nb: string, ctx: ToolContext): Promise<Run> {
  const t0 = performance.now();
  const result = await runNotebook(path.join(ctx.root, nb), { outputPath: path.join(ctx.outDir, path.basename(nb)) });
  const ms = performance.now() - t0;
  return {
    ms,
    code: result.ok ? 0 : 1,
    output: result.error ? `[${result.error.code}] ${result.error.message}` : "",
    kernelMs: result.kernel.startMs,
    notebookMs: result.durationMs,
    executed: result.notebook as Run["executed"],
  };
}

export const tools: Record<Tool, (nb: string, ctx: ToolContext) => Promise<Run>> = { ours, papermill, inProcess };
