// Runs one code cell on a kernel: execute it, collect its output, stop it at its time limit
// (interrupt, then kill if it ignores that), and read its status from execute_reply (tslab never
// sends an iopub error) or from the kernel's death.
import type { CellResult, CellStatus } from "./cell-result.js";
import { RunnerError } from "./errors.js";
import type { ExecuteOutcome, Kernel } from "./kernel.js";
import { cellTags, sourceText, type CodeCell, type Output } from "./nbformat.js";
import { errorFromStderr, OutputCollector, type DisplayRegistry } from "./outputs.js";

export interface CellLimits {
  /** How long the cell may run (Infinity: no limit). */
  timeoutMs: number;
  /** After an interrupt, how long the cell gets to stop before the kernel is killed; default 5000. */
  interruptGraceMs?: number;
  /** After execute_reply, how long to wait for the kernel's idle while no more output arrives; default 3000. */
  outputGraceMs?: number;
}

/** The user's stop, as the cell records it: not a kernel that died, nor an error of the cell. */
const ABORTED: Outcome = {
  status: "aborted",
  error: { ename: "AbortError", evalue: "Stopped by its user (Ctrl-C or the AbortSignal) while this cell ran; the kernel was stopped." },
};

type CellError = { ename: string; evalue: string };
type Outcome = { status: CellStatus; error?: CellError };
type ReplyContent = { status: string; execution_count?: number; ename?: string; evalue?: string };

/** One execute_request of the cell's code, watched by its time limit. */
interface Attempt {
  done: Promise<ExecuteOutcome>;
  timer?: NodeJS.Timeout;
  /** The limit passed (the cell was interrupted, and killed if it ignored that). */
  timedOut: boolean;
  /** execute_reply came, or the kernel died: the timer must not kill it any more. */
  settled: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends the code, records iopub timing and output; at `limit` interrupts, then kills a kernel that ignores it. */
function execute(kernel: Kernel, code: string, collector: OutputCollector, timing: Record<string, string>, limit: number | undefined, limits: CellLimits, onOutput: (o: Output) => void): Attempt {
  const { done } = kernel.execute(
    code,
    (msg) => {
      const type = msg.header.msg_type;
      if (type === "status") timing[`iopub.status.${msg.content.execution_state}`] = msg.header.date;
      if (type === "execute_input") timing["iopub.execute_input"] = msg.header.date;
      const out = collector.handle(msg);
      if (out) onOutput(out);
    },
    limits.outputGraceMs ?? 3000,
  );
  const attempt: Attempt = { done, timedOut: false, settled: false };
  if (limit !== undefined) {
    attempt.timer = setTimeout(async () => {
      attempt.timedOut = true;
      await kernel.interrupt();
      await Promise.race([done.catch(() => undefined), sleep(limits.interruptGraceMs ?? 5000)]);
      if (kernel.isAlive && !attempt.settled) kernel.kill();
    }, limit);
  }
  return attempt;
}

/** The cell's status from its execute_reply. */
function replyOutcome(cell: CodeCell, content: ReplyContent, idleMissing: boolean | undefined, collector: OutputCollector, timedOut: boolean, limit: number | undefined, graceMs: number): Outcome {
  if (timedOut) {
    const secs = (limit ?? 0) / 1000;
    return { status: "timeout", error: { ename: "CellTimeoutError", evalue: `The cell did not finish within ${secs} s (--cell-timeout) and was interrupted.` } };
  }
  if (content.status === "ok" && idleMissing) {
    // Never passed silently: without the idle, lines may have been dropped on the way.
    return {
      status: "output-incomplete",
      error: {
        ename: "OutputIncompleteError",
        evalue:
          `The kernel never confirmed the end of this cell's output (no iopub idle within ${graceMs / 1000} s of its reply and last output), so some output may be missing. ` +
          "Print less (write large output to a file), or raise --output-grace (outputGraceMs) if the machine is slow.",
      },
    };
  }
  if (content.status === "ok") return { status: "ok" };
  const err = collector.outputs.find((o) => o.output_type === "error") as Extract<Output, { output_type: "error" }> | undefined;
  const parsed = err ?? (content.ename ? { ename: content.ename, evalue: content.evalue ?? "" } : errorFromStderr(collector.stderr, `The kernel reported status "${content.status}".`));
  if (!err && !content.ename && "traceback" in parsed) {
    collector.outputs.push(parsed);
  }
  const error = { ename: parsed.ename, evalue: parsed.evalue };
  return { status: cellTags(cell).includes("raises-exception") ? "expected-error" : "error", error };
}

/** The cell's status when its kernel died under it: killed at its time limit, or died on its own. */
async function deathOutcome(kernel: Kernel, timedOut: boolean, limit: number | undefined): Promise<Outcome> {
  if (timedOut) {
    return { status: "timeout", error: { ename: "CellTimeoutError", evalue: `The cell did not finish within ${(limit ?? 0) / 1000} s (--cell-timeout); it ignored the interrupt, so the kernel was killed.` } };
  }
  const exit = await kernel.exited;
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return { status: "kernel-died", error: { ename: "DeadKernelError", evalue: `The kernel died while running this cell (${how}).` } };
}

/** Records the cell's execution count and timing, adds an error output if the kernel sent none; the result. */
function finishCell(cell: CodeCell, index: number, started: number, timing: Record<string, string>, collector: OutputCollector, { status, error }: Outcome): CellResult {
  cell.metadata.execution = timing;
  const outputs = collector.outputs;
  if (error && status !== "expected-error" && !collector.hasErrorOutput) {
    outputs.push({ output_type: "error", ename: error.ename, evalue: error.evalue, traceback: [`${error.ename}: ${error.evalue}`] });
  }
  cell.execution_count = collector.executionCount;
  return { index, id: cell.id, status, executionCount: collector.executionCount, durationMs: Date.now() - started, outputs, ...(error ? { error } : {}) };
}

/**
 * Runs the cell. With `abortSignal` aborted (the caller stops the kernel on abort), a cell that did
 * not finish is `aborted`: the kernel's death, or the error its interrupt caused, was the user's doing.
 */
export async function runCell(kernel: Kernel, cell: CodeCell, index: number, displays: DisplayRegistry, limits: CellLimits, onOutput: (o: Output) => void, abortSignal?: AbortSignal): Promise<CellResult> {
  const code = sourceText(cell.source);
  const started = Date.now();
  if (code.trim() === "") return { index, id: cell.id, status: "ok", executionCount: null, durationMs: 0, outputs: [] };
  const timing: Record<string, string> = {};
  const limit = Number.isFinite(limits.timeoutMs) ? Math.max(0, limits.timeoutMs) : undefined;
  for (let attempt = 0; ; attempt++) {
    const collector = new OutputCollector(displays);
    const run = execute(kernel, code, collector, timing, limit, limits, onOutput);
    let outcome: Outcome;
    try {
      const { reply, idleMissing } = await run.done;
      run.settled = true;
      timing["shell.execute_reply"] = reply.header.date;
      const content = reply.content as ReplyContent;
      collector.executionCount = content.execution_count ?? collector.executionCount;
      if (content.status === "abort" && attempt < 5 && !run.timedOut) {
        // tslab refuses requests for 200 ms after a failed cell (it resets its queue): ask again.
        clearTimeout(run.timer);
        await sleep(250);
        continue;
      }
      outcome = replyOutcome(cell, content, idleMissing, collector, run.timedOut, limit, limits.outputGraceMs ?? 3000);
    } catch (e) {
      run.settled = true;
      if (!(e instanceof RunnerError) || e.code !== "KERNEL_DIED") throw e;
      outcome = abortSignal?.aborted ? ABORTED : await deathOutcome(kernel, run.timedOut, limit);
    }
    if (abortSignal?.aborted && outcome.status !== "ok" && outcome.status !== "expected-error") outcome = ABORTED;
    clearTimeout(run.timer);
    return finishCell(cell, index, started, timing, collector, outcome);
  }
}
