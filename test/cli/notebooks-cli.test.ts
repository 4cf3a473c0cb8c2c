// `custom-ai notebooks run` as a user runs it: a real process, its exit codes and its files.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readNotebook } from "../../lib/notebook/index.js";
import { tempDir } from "../support/temp.js";

const fixture = (name: string) => `test/notebook/fixtures/${name}.ipynb`;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/custom-ai.mjs", ...args], { env: { ...process.env, CI: "1" } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("custom-ai notebooks run", () => {
  it("exits 0, prints progress, cell output and a summary with glued values, and writes the notebook", async () => {
    const out = tempDir("cai-cli-");
    const r = await cli(["notebooks", "run", fixture("outputs"), "--out", out, "-p", "epochs=5", "-p", "label=cli", "--log-output"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[outputs\] cell 3\/7 ok/);
    expect(r.stderr).toContain("outputs │ epochs=5 label=cli verbose=false lr=0.1");
    expect(r.stdout).toMatch(/outputs\.ipynb\s+passed\s+[\d.]+s\s+7\/7\s+epochs=5 label="cli"/);
    expect(r.stdout).toContain("1 passed, 0 failed");
    expect(readNotebook(path.join(out, "outputs.ipynb")).metadata.custom_ai.parameters).toEqual({ epochs: 5, label: "cli" });
  });

  it("exits 1 when a cell fails, running the other notebooks in parallel, and reports JSON", async () => {
    const out = tempDir("cai-cli-");
    const r = await cli(["notebooks", "run", fixture("slow"), fixture("runtime-error"), "--out", out, "--parallel", "2", "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.exitCode).toBe(1);
    expect(json.results.map((x: { ok: boolean }) => x.ok)).toEqual([true, false]);
    expect(json.results[1].failedCell).toMatchObject({ index: 1, status: "error", error: { ename: "TypeError" } });
    expect(existsSync(path.join(out, "slow.ipynb")) && existsSync(path.join(out, "runtime-error.ipynb"))).toBe(true);
  });

  it("exits 2 for usage errors and unreadable notebooks, 3 when the kernel cannot start", async () => {
    const out = tempDir("cai-cli-");
    const usage = await cli(["notebooks", "run", fixture("outputs"), "--parallel", "0"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--parallel takes a whole number");
    const param = await cli(["notebooks", "run", fixture("outputs"), "--out", out, "-p", "epochs=many"]);
    expect(param.code).toBe(2);
    expect(param.stdout).toContain("declares epochs as number");
    const bad = await cli(["notebooks", "run", fixture("not-json"), "--out", out]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/not-json\.ipynb is not a valid Jupyter notebook: it is not JSON/);
    const none = await cli(["notebooks", "run", "test/notebook/fixtures/*.none"]);
    expect(none.code).toBe(2);
    const kernel = await cli(["notebooks", "run", fixture("unknown-kernel"), "--out", out]);
    expect(kernel.code).toBe(3);
    expect(kernel.stdout).toContain('No kernel named "no-such-kernel"');
  });
});
