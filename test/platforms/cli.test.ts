// `custom-ai platforms choose` as a user runs it: a real process and its exit codes.
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/custom-ai.mjs", "platforms", "choose", ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("custom-ai platforms choose", () => {
  it("prints the decision, its reasons and the rejected platforms, and exits 0", async () => {
    const r = await cli(["--task", "scoring", "--mode", "batch", "--model", "dl", "--images-per-second", "9000", "--interruptible"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Platform: AKS GPU spot pool \(aks-gpu-spot\), tutorial path 2-6\n/);
    expect(r.stdout).toContain("9,000 images/s per node is more than a CPU node scored (2,866");
    expect(r.stdout).toMatch(/Rejected:\n(  - .+\n)+/);
    expect(r.stdout).toContain("  - Spark: no Spark platform to pay for or operate");
  });

  it("--json gives the same decision as data", async () => {
    const r = await cli(["--task", "training", "--nodes", "4", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ platform: { id: "aks-cpu" }, path: "1-2" });
    expect(d.rejected.map((x: { platform: { id: string } }) => x.platform.id)).toContain("dsvm-cpu");
  });

  it("exits 2, saying what is wrong, for bad or missing options", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--task", "training", "--nodes", "0"], /--nodes takes a whole number ≥ 1/],
      [["--task", "deploy"], /--task/],
      [["--mode", "batch"], /--task/],
      [["--task", "scoring", "--mode", "batch"], /model is ml \(rows\) or dl \(images\).*\[BAD_OPTION\]/],
      [["--task", "scoring", "--images-per-second", "fast"], /--images-per-second takes a number/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i][0].join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(cases[i][1]);
    });
  });
});
