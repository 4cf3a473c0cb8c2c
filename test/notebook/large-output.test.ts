// A cell's whole output reaches the executed notebook, however fast it prints, through both ways the
// toolkit starts tslab (directly, and the kernelspec's bin/tslab-kernel.mjs); and a cell whose end
// of output the kernel never confirms (no iopub idle) fails, with a message that says what to do.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readNotebook, runNotebook, type CellResult, type NotebookResult, type RunEvent } from "../../lib/notebook/index.js";
import { tempDir } from "../support/temp.js";

const fixture = (name: string) => path.join("test/notebook/fixtures", `${name}.ipynb`);
const stdout = (c: CellResult) =>
  c.outputs.map((o) => (o.output_type === "stream" && o.name === "stdout" ? [o.text].flat().join("") : "")).join("");

/** The index of the first line that is not `${prefix} ${i} …` in order, or -1 if all `count` are. */
function firstGap(text: string, prefix: string, count: number): number {
  const lines = text.split("\n").filter(Boolean);
  for (let i = 0; i < count; i++) if (!lines[i]?.startsWith(`${prefix} ${i} `)) return i;
  return lines.length === count ? -1 : count;
}

let tmp: string;
beforeAll(() => {
  tmp = tempDir("cai-output-");
  // The installed kernelspec's launcher, and the same launcher with a kernel that loses one idle.
  const launcher = path.resolve("bin/tslab-kernel.mjs");
  const spec = (name: string, preload: string[]) => {
    mkdirSync(path.join(tmp, "kernels", name), { recursive: true });
    const argv = [process.execPath, ...preload, launcher, "kernel", "--config-path", "{connection_file}"];
    writeFileSync(path.join(tmp, "kernels", name, "kernel.json"), JSON.stringify({ argv, display_name: name, language: "typescript" }));
  };
  spec("custom-ai-tslab", []);
  spec("custom-ai-drops-idle", ["--require", path.resolve("test/notebook/fixtures/drop-idle.cjs")]);
});

/** When (performance.now()) the runner saw each cell's first output, and the cell's end. */
function cellClock() {
  const first = new Map<number, number>();
  const end = new Map<number, number>();
  const onProgress = (e: RunEvent) => {
    if (e.type === "output" && !first.has(e.index)) first.set(e.index, performance.now());
    if (e.type === "cell-end") end.set(e.index, performance.now());
  };
  return { onProgress, receivingMs: (index: number) => end.get(index)! - first.get(index)! };
}

/** Runs with JUPYTER_PATH at this file's kernelspecs (the kernelspec search reads process.env). */
async function withSpecs<T>(run: () => Promise<T>): Promise<T> {
  const before = process.env.JUPYTER_PATH;
  process.env.JUPYTER_PATH = tmp;
  try {
    return await run();
  } finally {
    if (before === undefined) delete process.env.JUPYTER_PATH;
    else process.env.JUPYTER_PATH = before;
  }
}

function expectWholeOutput(r: NotebookResult, receivingMs: (index: number) => number, launch: string): void {
  expect(r.error, r.error?.message).toBeUndefined();
  const [, lines, rows, bytes, displays, after] = r.cells;
  expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);

  // (a) 5,000 lines at full speed: every one, in order, the last included.
  expect(firstGap(stdout(lines), "line", 5000)).toBe(-1);
  expect(stdout(lines).trimEnd().split("\n").at(-1)).toMatch(/^line 4999 x{290}$/);
  expect(firstGap(stdout(rows), "row", 20_000)).toBe(-1);
  // (b) 2 MB through process.stdout.write.
  const chunks = stdout(bytes);
  expect(chunks.length).toBeGreaterThanOrEqual(2_000_000);
  expect(firstGap(chunks, "chunk", 2000)).toBe(-1);
  // (c) 1,500 displays, each its own output, in order.
  const shown = displays.outputs.map((o) => ("data" in o ? [o.data["text/html"] ?? o.data["text/plain"]].flat().join("") : ""));
  expect(shown).toHaveLength(1500);
  expect(shown.every((t, i) => t === (i % 2 ? `<b>display ${i}</b>` : `display ${i}`))).toBe(true);
  expect(stdout(after)).toBe("after the floods\n");

  // (d) The runner keeps up: from the cell's first line to its end (the idle), it takes less than
  // 2x the kernel's own time to print the 20,000 lines (before the fix: ~500 lines arrived, then a
  // 3 s wait). Counted from the first line, the ratio leaves out tslab's compile time, which varies
  // by hundreds of ms on a busy machine; the whole cell's time is printed beside it.
  const kernelMs = r.glue.rows_ms as number;
  const ratio = receivingMs(2) / kernelMs;
  console.log(
    `[${launch}] 20,000 lines: printed by the kernel in ${kernelMs.toFixed(0)} ms, received by the runner in ${receivingMs(2).toFixed(0)} ms ` +
      `(ratio ${ratio.toFixed(2)}; whole cell ${rows.durationMs} ms). Whole cells: 5,000 lines ${lines.durationMs} ms, 2 MB ${bytes.durationMs} ms, 1,500 displays ${displays.durationMs} ms`,
  );
  expect(ratio).toBeLessThan(2);
}

// The content checks are exact; the time ratio (d) is a measurement on a shared 2-core machine,
// where another test file can take the CPU for a second: each test gets two more tries, so a
// steady 2x slowdown (the bug this guards against was a 3 s wait) fails, and a noisy moment does not.
describe("large and fast output", { retry: 2 }, () => {
  it("arrives whole and in order from a directly launched tslab", async () => {
    const out = path.join(tmp, "floods.ipynb");
    const clock = cellClock();
    const r = await runNotebook(fixture("floods"), { outputPath: out, onProgress: clock.onProgress });
    expectWholeOutput(r, clock.receivingMs, "direct");
    // The executed notebook holds it too.
    const written = readNotebook(out).cells[1];
    expect(written.cell_type === "code" && written.outputs.length).toBe(1);
    expect(written.cell_type === "code" && written.outputs[0].output_type === "stream" && written.outputs[0].text).toHaveLength(5000);
  });

  it("arrives whole and in order from the kernelspec's launcher (bin/tslab-kernel.mjs)", async () => {
    const clock = cellClock();
    const r = await withSpecs(() => runNotebook(fixture("floods"), { kernelName: "custom-ai-tslab", launch: "kernelspec", onProgress: clock.onProgress }));
    expect(r.kernel.source).toBe(path.join(tmp, "kernels", "custom-ai-tslab", "kernel.json"));
    expectWholeOutput(r, clock.receivingMs, "kernelspec");
  });
});

describe("a cell whose idle never arrives", () => {
  it("fails as OUTPUT_INCOMPLETE, marked in the notebook, and the run stops there", async () => {
    const out = path.join(tmp, "drops-idle.ipynb");
    const t0 = Date.now();
    const r = await withSpecs(() => runNotebook(fixture("drops-idle"), { outputPath: out, outputGraceMs: 500 }));
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("OUTPUT_INCOMPLETE");
    expect(r.error?.message).toMatch(/^Cell 1 \(id drops-idle-1\) ran, but its output may be incomplete\. OutputIncompleteError: .*no iopub idle within 0\.5 s.*raise --output-grace/);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "output-incomplete", "not-run"]);
    expect(stdout(r.cells[1])).toBe("printed\n");
    expect(Date.now() - t0).toBeLessThan(60_000);

    const nb = readNotebook(out);
    expect(nb.metadata.custom_ai).toMatchObject({ status: "failed", error: { code: "OUTPUT_INCOMPLETE" }, failed_cell: { index: 1, status: "output-incomplete" } });
    const cell = nb.cells[1];
    expect(cell.metadata.custom_ai).toMatchObject({ status: "output-incomplete", error: { ename: "OutputIncompleteError" } });
    expect(cell.cell_type === "code" && cell.outputs.some((o) => o.output_type === "error" && /output may be missing/.test(o.evalue))).toBe(true);
  });

  it("makes `custom-ai notebooks run` exit 1 and name the cell in its summary", async () => {
    const out = path.join(tmp, "cli");
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        ["bin/custom-ai.mjs", "notebooks", "run", fixture("drops-idle"), "--out", out, "--output-grace", "0.5"],
        { env: { ...process.env, CI: "1", JUPYTER_PATH: tmp } },
        (err, stdout) => resolve({ code: err ? Number(err.code) : 0, stdout }),
      ),
    );
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/drops-idle\.ipynb\s+incomplete\s+[\d.]+s\s+1\/3/);
    expect(r.stdout).toMatch(/\[OUTPUT_INCOMPLETE\] Cell 1 \(id drops-idle-1\) ran, but its output may be incomplete/);
    expect(r.stdout).toContain("0 passed, 1 failed");
  });
});
