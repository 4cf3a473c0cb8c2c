// The runner against the real tslab kernel, one purpose-made notebook per behaviour.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeFor, formatSummary, readNotebook, runNotebook, runNotebooks, type CodeCell, type NotebookResult, type RunEvent } from "../../lib/notebook/index.js";
import { builtInSpec } from "../../lib/notebook/kernelspec.js";
import { tempDir } from "../support/temp.js";

const fixture = (name: string) => path.join("test/notebook/fixtures", `${name}.ipynb`);
const tmp = () => tempDir("cai-test-");
const text = (r: NotebookResult, cell: number) =>
  r.cells[cell].outputs.map((o) => (o.output_type === "stream" ? [o.text].flat().join("") : "")).join("");

describe("runNotebook on tslab", () => {
  it("records outputs, injects typed parameters, reads glue and honours tags", async () => {
    const out = path.join(tmp(), "outputs.ipynb");
    const before = readFileSync(fixture("outputs"), "utf8");
    const events: RunEvent[] = [];
    const r = await runNotebook(fixture("outputs"), { outputPath: out, parameters: { epochs: "12", label: "42" }, rawParameters: true, onProgress: (e) => events.push(e) });

    expect(r.ok).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.glue).toEqual({ epochs: 12, label: "42", summary: { squares: [1, 4, 9], ok: true }, after_expected_error: true });
    expect(r.parameters).toEqual({ epochs: 12, label: "42" });

    const nb = readNotebook(out);
    const tags = nb.cells.map((c) => c.metadata.tags?.[0] ?? "");
    expect(tags.slice(1, 3)).toEqual(["parameters", "injected-parameters"]);
    const [params, injected, main, display, empty, expected, skipped, last] = r.cells;
    expect([params.status, injected.status, main.status, display.status, empty.status]).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    // stdout and stderr are separate stream outputs; the last expression's value arrives on stdout.
    expect(text(r, 2)).toContain("epochs=12 label=42 verbose=false lr=0.1");
    expect(text(r, 2)).toContain("24");
    expect(main.outputs.some((o) => o.output_type === "stream" && o.name === "stderr")).toBe(true);
    // A display updated in place keeps one output with the latest value; images are kept.
    const mimes = display.outputs.flatMap((o) => ("data" in o ? Object.keys(o.data) : []));
    expect(mimes).toEqual(["text/plain", "image/svg+xml", "image/png"]);
    const updated = display.outputs[0];
    expect("data" in updated && [updated.data["text/plain"]].flat().join("")).toBe("step 2 (updated in place)");
    expect(expected.status).toBe("expected-error");
    expect(expected.error).toEqual({ ename: "RangeError", evalue: "this cell is expected to fail" });
    expect(skipped.status).toBe("skipped");
    expect((nb.cells[7] as CodeCell).outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["kept from before\n"] }]);
    expect(last.status).toBe("ok");
    // Execution counts increase; timing is recorded per cell.
    const counts = r.cells.filter((c) => c.executionCount !== null).map((c) => c.executionCount!);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(nb.cells[3].metadata.execution["shell.execute_reply"]).toMatch(/^\d{4}-/);
    expect(nb.metadata.custom_ai.status).toBe("passed");
    // Progress events: every executed cell starts and ends, numbered i/n.
    const ends = events.filter((e) => e.type === "cell-end");
    expect(ends.map((e) => (e.type === "cell-end" ? `${e.ordinal}/${e.total}` : ""))).toEqual(["1/7", "2/7", "3/7", "4/7", "5/7", "6/7", "7/7"]);
    // The input notebook is untouched.
    expect(readFileSync(fixture("outputs"), "utf8")).toBe(before);
  });

  it("stops at a failing cell, marks it, and leaves the rest unexecuted", async () => {
    const out = path.join(tmp(), "runtime-error.ipynb");
    const r = await runNotebook(fixture("runtime-error"), { outputPath: out });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("CELL_ERROR");
    expect(r.failedCell?.index).toBe(1);
    expect(r.failedCell?.error).toEqual({ ename: "TypeError", evalue: "dataset is empty" });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "error", "not-run"]);
    const nb = readNotebook(out);
    const failed = nb.cells[1];
    expect(failed.metadata.custom_ai).toMatchObject({ status: "error", error: { ename: "TypeError" } });
    expect(failed.cell_type === "code" && failed.outputs.some((o) => o.output_type === "error" && o.evalue === "dataset is empty")).toBe(true);
    expect(nb.metadata.custom_ai.failed_cell).toMatchObject({ index: 1, ename: "TypeError" });
    // The error shows the user's frames (the cell's evalmachine lines), not tslab's or Node's vm.
    const shown = JSON.stringify(failed.cell_type === "code" && failed.outputs);
    expect(shown).toMatch(/at load \(evalmachine\.<anonymous>:\d+:\d+\)/);
    expect(shown).toContain("TypeError: dataset is empty");
    expect(shown).not.toMatch(/node_modules[\\/]+tslab|node:vm|runInThisContext|\[eval\]/);
  });

  it("reports a type error as a failed cell", async () => {
    const r = await runNotebook(fixture("type-error"));
    expect(r.error?.code).toBe("CELL_ERROR");
    expect(r.failedCell?.index).toBe(1);
    expect(r.failedCell?.error?.ename).toBe("TypeScriptError");
    expect(r.failedCell?.error?.evalue).toMatch(/Type 'string' is not assignable to type 'number'/);
  });

  it("interrupts a cell that runs past --cell-timeout (sync loop and pending promise)", async () => {
    const [sync, pending] = await Promise.all([
      runNotebook(fixture("never-ends"), { cellTimeoutMs: 1500 }),
      runNotebook(fixture("never-ends-async"), { cellTimeoutMs: 1500 }),
    ]);
    for (const r of [sync, pending]) {
      expect(r.error?.code).toBe("TIMEOUT");
      expect(r.failedCell?.status).toBe("timeout");
      expect(r.failedCell?.error?.evalue).toMatch(/did not finish within 1.5 s.*interrupted/);
    }
    expect(sync.cells.map((c) => c.status)).toEqual(["ok", "timeout", "not-run"]);
    expect(sync.failedCell?.durationMs).toBeLessThan(10_000);
  });

  it("kills the kernel when a cell ignores the interrupt", async () => {
    const r = await runNotebook(fixture("blocks-interrupts"), { cellTimeoutMs: 1000, interruptGraceMs: 1000 });
    expect(r.error?.code).toBe("TIMEOUT");
    expect(r.failedCell?.error?.evalue).toMatch(/ignored the interrupt, so the kernel was killed/);
    expect(r.cells.map((c) => c.status)).toEqual(["timeout", "not-run"]);
  });

  it("enforces the notebook time limit across cells", async () => {
    const r = await runNotebook(fixture("slow"), { timeoutMs: 1000, startTimeoutMs: 60_000 });
    // The limit counts the kernel start, so even the first cell may be the one stopped.
    expect(r.error?.code).toBe("TIMEOUT");
    expect(r.failedCell?.error?.ename).toBe("NotebookTimeoutError");
  });

  it("reports a kernel that dies mid-cell with the cell index, without hanging", async () => {
    const r = await runNotebook(fixture("kills-kernel"));
    expect(r.error?.code).toBe("KERNEL_DIED");
    expect(r.failedCell?.index).toBe(1);
    expect(r.failedCell?.error?.evalue).toMatch(/exit code 7/);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "kernel-died", "not-run"]);
  });

  it("reports its user's abort as ABORTED (exit code 130), the running cell as aborted: mid-cell and while the kernel starts", async () => {
    const abort = new AbortController();
    const out = path.join(tmp(), "never-ends.ipynb");
    const r = await runNotebook(fixture("never-ends"), {
      outputPath: out,
      abortSignal: abort.signal,
      onProgress: (e) => {
        if (e.type === "cell-start" && e.index === 1) setTimeout(() => abort.abort(), 300);
      },
    });
    expect(r.error).toEqual({ code: "ABORTED", message: expect.stringMatching(/^Stopped by its user \(Ctrl-C or the AbortSignal\) during cell 1/) });
    expect(r.failedCell?.index).toBe(1);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "aborted", "not-run"]);
    expect(r.failedCell?.error?.ename).toBe("AbortError");
    expect(exitCodeFor(r.error?.code)).toBe(130);
    const nb = readNotebook(out);
    expect(nb.metadata.custom_ai).toMatchObject({ status: "aborted", error: { code: "ABORTED" }, failed_cell: { index: 1, status: "aborted" } });
    expect(nb.cells[1].metadata.custom_ai.status).toBe("aborted");
    expect(formatSummary({ results: [r], exitCode: 130 })).toMatch(/never-ends\.ipynb\s+aborted/);

    // The deprecated `signal` and `onEvent` still work, here while the kernel starts.
    const early = new AbortController();
    const starting = await runNotebook(fixture("slow"), { signal: early.signal, onEvent: (e) => e.type === "kernel-starting" && early.abort() });
    expect(starting.error?.code).toBe("ABORTED");
    expect(starting.error?.message).toMatch(/while kernel "tslab" started/);
    expect(starting.cells.map((c) => c.status)).toEqual(["not-run", "not-run", "not-run"]);
    expect(starting.notebook.metadata.custom_ai.status).toBe("aborted");
  });

  it("names the available kernels when the notebook asks for an unknown one", async () => {
    const r = await runNotebook(fixture("unknown-kernel"));
    expect(r.error?.code).toBe("UNKNOWN_KERNEL");
    expect(r.error?.message).toMatch(/No kernel named "no-such-kernel"\. Available kernels: tslab, custom-ai-tslab, jslab/);
  });

  it("never writes over the input notebook", async () => {
    await expect(runNotebook(fixture("outputs"), { outputPath: fixture("outputs") })).rejects.toThrow(/is the input notebook/);
  });
});

describe("kernelspecs", () => {
  function specDir(name: string, spec: object): string {
    const root = tmp();
    mkdirSync(path.join(root, "kernels", name), { recursive: true });
    writeFileSync(path.join(root, "kernels", name, "kernel.json"), JSON.stringify(spec));
    return root;
  }

  it("launches a kernel from its kernelspec over TCP", async () => {
    const tslab = builtInSpec("tslab")!;
    const root = specDir("ts-from-spec", { argv: tslab.argv, display_name: "TS (spec)", language: "typescript" });
    const r = await runNotebook(fixture("outputs"), { kernelName: "ts-from-spec", launch: "kernelspec", ...withJupyterPath(root) });
    expect(r.kernel.source).toContain(path.join("ts-from-spec", "kernel.json"));
    expect(r.ok).toBe(true);
    expect(r.glue.epochs).toBe(3);
  });

  it("reports a kernel that exits at start-up, and one that never answers", async () => {
    const exits = specDir("exits", { argv: [process.execPath, "-e", "console.error('no GPU driver'); process.exit(4)"], display_name: "exits" });
    const r = await runNotebook(fixture("slow"), { kernelName: "exits", launch: "kernelspec", ...withJupyterPath(exits) });
    expect(r.error?.code).toBe("KERNEL_START");
    expect(r.error?.message).toMatch(/exit code 4/);
    expect(r.error?.message).toContain("no GPU driver");

    const silent = specDir("silent", { argv: [process.execPath, "-e", "setTimeout(() => {}, 600000)"], display_name: "silent" });
    const t0 = Date.now();
    const s = await runNotebook(fixture("slow"), { kernelName: "silent", launch: "kernelspec", startTimeoutMs: 1500, ...withJupyterPath(silent) });
    expect(s.error?.code).toBe("KERNEL_START");
    expect(s.error?.message).toMatch(/no answer within/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe("runNotebooks", () => {
  it("runs notebooks in parallel, each with its own kernel, and reports each one", async () => {
    const outDir = tmp();
    const starts: Record<string, number> = {};
    const ends: Record<string, number> = {};
    const run = await runNotebooks([fixture("slow"), fixture("runtime-error"), fixture("not-json")], {
      outDir,
      parallel: 2,
      onProgress: (e) => {
        if (e.type === "kernel-ready") starts[e.notebook] = Date.now();
        if (e.type === "cell-end") ends[e.notebook] = Date.now();
      },
    });
    expect(run.results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(run.results[2].error?.code).toBe("BAD_NOTEBOOK");
    expect(run.exitCode).toBe(2);
    // Both kernels were up at the same time.
    expect(starts["runtime-error"]).toBeLessThan(ends["slow"]);
    expect(existsSync(path.join(outDir, "slow.ipynb"))).toBe(true);
    expect(existsSync(path.join(outDir, "runtime-error.ipynb"))).toBe(true);
  });

  it("starts the next notebook's kernel while the current one runs, and that notebook runs on it", async () => {
    // A kernelspec that logs when each notebook's kernel process is launched, then execs tslab.
    const root = tmp();
    const log = path.join(root, "launches.log");
    mkdirSync(path.join(root, "kernels", "logged-tslab"), { recursive: true });
    const argv = ["/bin/sh", "-c", `echo "$CUSTOM_AI_NOTEBOOK $(date +%s%3N)" >> '${log}'; exec "$0" "$@"`, ...builtInSpec("tslab")!.argv];
    writeFileSync(path.join(root, "kernels", "logged-tslab", "kernel.json"), JSON.stringify({ argv, display_name: "logged", language: "typescript" }));
    const ended: Record<string, number> = {};
    const run = await runNotebooks([fixture("slow"), fixture("outputs")], {
      kernelName: "logged-tslab",
      launch: "kernelspec",
      ...withJupyterPath(root),
      onProgress: (e) => {
        if (e.type === "cell-end" && e.ordinal === e.total) ended[e.notebook] = Date.now();
      },
    });
    expect(run.results.map((r) => r.ok)).toEqual([true, true]);
    expect("glue" in run.results[1] && run.results[1].glue.epochs).toBe(3);
    const launched = Object.fromEntries(readFileSync(log, "utf8").trim().split("\n").map((l) => [path.basename(l.split(" ")[0], ".ipynb"), Number(l.split(" ")[1])]));
    // One launch per notebook; the second while the first was still running its cells.
    expect(Object.keys(launched).sort()).toEqual(["outputs", "slow"]);
    expect(launched.outputs).toBeLessThan(ended.slow);
  });

  it("starts no notebook once aborted: those not started are ABORTED, and the run exits 130", async () => {
    const abort = new AbortController();
    abort.abort();
    const run = await runNotebooks([fixture("slow"), fixture("outputs")], { abortSignal: abort.signal, onProgress: (e) => expect(e.type).not.toBe("kernel-starting") });
    expect(run.results.map((r) => r.error?.code)).toEqual(["ABORTED", "ABORTED"]);
    expect(run.exitCode).toBe(130);
  });

  it("refuses an --out folder it cannot create, before running anything", async () => {
    const file = path.join(tmp(), "a-file");
    writeFileSync(file, "");
    await expect(runNotebooks([fixture("slow")], { outDir: path.join(file, "out") })).rejects.toMatchObject({ code: "BAD_OPTION", message: expect.stringMatching(/cannot be created/) });
  });
});

function withJupyterPath(root: string): { env: NodeJS.ProcessEnv } {
  // The kernelspec search reads process.env; point JUPYTER_PATH at the test's folder.
  process.env.JUPYTER_PATH = root;
  return { env: {} };
}
