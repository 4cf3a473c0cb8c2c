// Suite "notebook-runner": our headless runner against papermill on the same notebooks and the same
// tslab kernel command. Wall time per notebook (kernel start included), ratio ours/papermill, and a
// failure check on notebooks whose tslab cells fail. Goal: ours ≤ 0.5 × papermill on the suite.
//   BENCH_NOTEBOOKS=a.ipynb,b.ipynb   time these instead of the tutorials (a quick run)
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { median, min, ratio, secs, sum, table } from "./format.js";
import { tools, type Run, type Tool, type ToolContext } from "./notebook-tools.js";
import { setupPapermill } from "./papermill.js";
import { timed } from "./process.js";
import type { BenchContext, BenchSuite, SuiteReport } from "./suite.js";

const GOAL = 0.5;
const FIXTURES = "test/notebook/fixtures";
/** Failing notebooks, and the text that names their error (not found in their source). */
const FAILING = [
  { nb: `${FIXTURES}/runtime-error.ipynb`, error: "TypeError: dataset is empty" },
  { nb: `${FIXTURES}/type-error.ipynb`, error: "is not assignable to type 'number'" },
];
const ORDER: Tool[] = ["ours", "papermill", "inProcess"];
const LABEL: Record<Tool, string> = { ours: "ours", papermill: "papermill", inProcess: "in-process" };

/** The line of a tool's output that says why it failed (ours: "✗ …"; papermill: the exception). */
function reason(output: string): string {
  const lines = output.trim().split("\n");
  const why = lines.filter((l) => /^✗|Error\b|error:/.test(l)).pop();
  return (why ?? lines.slice(-3).join(" | ")).slice(0, 400);
}

/** The notebooks timed: BENCH_NOTEBOOKS (comma list of paths) for a quick run, else the tutorials and two fixtures. */
function suiteNotebooks(root: string): string[] {
  const chosen = process.env.BENCH_NOTEBOOKS?.split(",").map((s) => s.trim()).filter(Boolean);
  if (chosen?.length) return chosen;
  const own = readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
  return [...own.map((f) => `notebooks/${f}`), `${FIXTURES}/outputs.ipynb`, `${FIXTURES}/slow.ipynb`];
}

interface Stat {
  runsMs: number[];
  medianMs: number;
  minMs: number;
  /** Medians of the recorded parts: kernel start, and the notebook's own duration. */
  kernelMs?: number;
  notebookMs?: number;
}

function stat(runs: Run[]): Stat {
  const parts = (pick: (r: Run) => number | undefined) => {
    const xs = runs.map(pick).filter((x): x is number => typeof x === "number");
    return xs.length ? median(xs) : undefined;
  };
  const ms = runs.map((r) => r.ms);
  return { runsMs: ms, medianMs: median(ms), minMs: min(ms), kernelMs: parts((r) => r.kernelMs), notebookMs: parts((r) => r.notebookMs) };
}

async function run(ctx: BenchContext): Promise<SuiteReport> {
  const { root, reps, log } = ctx;
  const tmp = mkdtempSync(path.join(os.tmpdir(), "custom-ai-bench-"));
  try {
    const papermill = await setupPapermill(root, path.join(tmp, "jupyter"), log);
    let n = 0;
    const toolCtx = (): ToolContext => ({ root, papermill, outDir: path.join(tmp, `run-${++n}`) });
    const notebooks = suiteNotebooks(root);

    const warmups = Number(process.env.BENCH_WARMUP ?? 1);
    for (let i = 0; i < warmups; i++) {
      log(`warm-up (not measured): ${notebooks[0]} with each tool`);
      for (const tool of ORDER) await tools[tool](notebooks[0], toolCtx());
    }

    const failed: string[] = [];
    const runs = new Map(notebooks.map((nb) => [nb, { ours: [], papermill: [], inProcess: [] } as Record<Tool, Run[]>]));
    for (let rep = 0; rep < reps; rep++) {
      for (const nb of notebooks) {
        // Rotate the order each repetition so no tool always goes first (or right after another).
        const order = ORDER.map((_, i) => ORDER[(i + rep) % ORDER.length]);
        const line: string[] = [];
        for (const tool of order) {
          const r = await tools[tool](nb, toolCtx());
          runs.get(nb)![tool].push(r);
          line.push(`${LABEL[tool]} ${secs(r.ms)}s${r.code === 0 ? "" : ` (exit ${r.code})`}`);
          if (r.code !== 0) failed.push(`${LABEL[tool]} on ${nb}: ${reason(r.output)}`);
        }
        log(`rep ${rep + 1}/${reps} ${path.basename(nb)}: ${line.join(", ")}`);
        for (const f of failed.splice(0)) log(`  did not pass: ${f}`);
      }
    }

    const failures = [];
    for (const { nb, error } of FAILING) {
      for (const tool of ["ours", "papermill"] as const) {
        const r = await tools[tool](nb, toolCtx());
        const outputsText = JSON.stringify((r.executed?.cells ?? []).map((c) => c.outputs ?? []));
        failures.push({
          notebook: nb,
          tool,
          exitCode: r.code,
          reported: r.code !== 0,
          errorNamed: r.output.includes(error),
          markedInOutput: tool === "ours" ? r.executed?.metadata?.custom_ai?.status === "failed" : r.executed?.metadata?.papermill?.exception === true,
          stoppedAtFailure: !outputsText.includes("never printed"),
          tail: r.output.trim().split("\n").slice(-3).join("\n"),
        });
      }
    }

    const results = notebooks.map((nb) => {
      const by = runs.get(nb)!;
      // A run that fails stops early: keep only the repetitions where every tool passed (all of
      // them, flagged, when none did), so a failure does not pass for speed.
      const passed = [...Array(reps).keys()].filter((i) => ORDER.every((t) => by[t][i].code === 0));
      const kept = (t: Tool) => (passed.length ? passed.map((i) => by[t][i]) : by[t]);
      const s = { ours: stat(kept("ours")), papermill: stat(kept("papermill")), inProcess: stat(kept("inProcess")) };
      const all = Object.fromEntries(ORDER.map((t) => [t, by[t].map((r) => ({ ms: Math.round(r.ms), code: r.code }))]));
      return { notebook: nb, repsKept: passed.length, ...s, ratio: s.ours.medianMs / s.papermill.medianMs, allRuns: all };
    });
    const total = {
      oursMs: sum(results.map((r) => r.ours.medianMs)),
      papermillMs: sum(results.map((r) => r.papermill.medianMs)),
      inProcessMs: sum(results.map((r) => r.inProcess.medianMs)),
    };
    const suiteRatio = total.oursMs / total.papermillMs;
    // The suite as each tool runs one: ours in one invocation, two notebooks at a time (as
    // `npm start` does); papermill has no multi-notebook mode: its suite is its notebooks in turn.
    const suiteRuns: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const r = await timed([process.execPath, "bin/custom-ai.mjs", "notebooks", "run", ...notebooks, "--out", path.join(tmp, `suite-${rep}`), "--parallel", "2"], { cwd: root });
      log(`suite rep ${rep + 1}/${reps}: ours, one invocation, --parallel 2: ${secs(r.ms)}s (exit ${r.code})`);
      if (r.code === 0) suiteRuns.push(r.ms);
    }
    const suiteParallelMs = suiteRuns.length ? median(suiteRuns) : NaN;
    const parallelRatio = suiteParallelMs / total.papermillMs;
    const oursReports = failures.filter((f) => f.tool === "ours").every((f) => f.reported && f.errorNamed);
    const failedRuns = notebooks.reduce((a, nb) => a + ORDER.reduce((b, t) => b + runs.get(nb)![t].filter((r) => r.code !== 0).length, 0), 0);
    const noneKept = results.filter((r) => r.repsKept === 0).map((r) => path.basename(r.notebook));
    const pass = parallelRatio <= GOAL && oursReports && noneKept.length === 0;
    const verdict = {
      pass,
      text:
        `${pass ? "MET" : "MISSED"}: ours/papermill = ${parallelRatio.toFixed(2)} on the suite as each runs one (ours --parallel 2 in one invocation; goal ≤ ${GOAL.toFixed(2)}), ` +
        `${suiteRatio.toFixed(2)} notebook by notebook (same kernel; its start dominates); ` +
        `ours ${oursReports ? "reports" : "does NOT report"} both tslab failures` +
        (failedRuns ? `; ${failedRuns} timed run(s) did not pass (their repetitions are left out)` : "") +
        (noneKept.length ? `; no clean repetition for ${noneKept.join(", ")} (failed runs counted)` : ""),
    };

    const timing = table(
      ["notebook", "reps", "ours med", "ours min", "papermill med", "papermill min", "ours/pm", "in-process med"],
      [
        ...results.map((r) => [path.basename(r.notebook), r.repsKept ? String(r.repsKept) : `0 (${reps} failing)`, secs(r.ours.medianMs), secs(r.ours.minMs), secs(r.papermill.medianMs), secs(r.papermill.minMs), r.ratio.toFixed(2), secs(r.inProcess.medianMs)]),
        ["suite (sum of medians)", "", secs(total.oursMs), "", secs(total.papermillMs), "", suiteRatio.toFixed(2), secs(total.inProcessMs)],
        ["suite, ours --parallel 2", String(suiteRuns.length), secs(suiteParallelMs), "", secs(total.papermillMs), "", parallelRatio.toFixed(2), ""],
      ],
    );
    // Where the time goes (medians): process start-up = wall − the notebook duration the tool
    // recorded; kernel = launch until ready; cells = the rest (cells, shutdown, writing).
    const parts = (s: Stat) => [secs(s.medianMs - (s.notebookMs ?? NaN)), secs(s.kernelMs), secs((s.notebookMs ?? NaN) - (s.kernelMs ?? NaN))];
    const breakdown = table(
      ["notebook", "ours start-up", "ours kernel", "ours cells", "pm start-up", "pm kernel", "pm cells", "in-proc kernel", "in-proc cells"],
      results.map((r) => [path.basename(r.notebook), ...parts(r.ours), ...parts(r.papermill), ...parts(r.inProcess).slice(1)]),
    );
    const yesNo = (b: boolean) => (b ? "yes" : "no");
    const failureTable = table(
      ["failing notebook", "tool", "exit", "failure reported", "error named", "marked in output", "stopped there"],
      failures.map((f) => [path.basename(f.notebook), f.tool, String(f.exitCode), yesNo(f.reported), yesNo(f.errorNamed), yesNo(f.markedInOutput), yesNo(f.stoppedAtFailure)]),
    );
    const out = [
      `Wall time in seconds, ${reps} repetition(s), kernel start included (ours: node bin/custom-ai.mjs notebooks run; papermill ${papermill.version}; in-process: runNotebook(), no CLI start-up):`,
      timing,
      "",
      "Where the time goes (medians, s): start-up = process wall − notebook duration; kernel = launch → ready; cells = the rest (incl. shutdown, writing):",
      breakdown,
      "",
      "Failure check (a tslab cell fails; tslab sends no iopub error, only stderr and an execute_reply with status error):",
      failureTable,
    ].join("\n");
    return {
      table: out,
      verdict,
      data: { goal: GOAL, reps, warmups, papermill: { version: papermill.version, kernelArgv: papermill.kernelArgv }, results, total: { ...total, ratio: suiteRatio, suiteParallelMs, parallelRatio }, failures },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export const notebookRunnerSuite: BenchSuite = {
  name: "notebook-runner",
  title: "Headless notebook runner vs papermill (same tslab kernel)",
  goal: `ours ≤ ${GOAL} × papermill's wall time on the suite, and tslab failures reported`,
  run,
};
