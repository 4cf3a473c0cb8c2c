// The kernelspec's launcher (bin/tslab-kernel.mjs) keeps the kernel's published status `busy` while
// queued cells remain, as JupyterLab's Run All sends them: tslab alone says `idle` after the first.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kernel } from "../../lib/notebook/index.js";

let kernel: Kernel;
beforeAll(async () => {
  const argv = [process.execPath, path.resolve("bin/tslab-kernel.mjs"), "kernel", "--config-path", "{connection_file}"];
  kernel = await Kernel.start({ spec: { name: "custom-ai-tslab", argv, display_name: "TypeScript (custom-ai)", language: "typescript", source: "test" }, cwd: process.cwd() });
}, 60_000);
afterAll(() => kernel?.shutdown());

describe("bin/tslab-kernel.mjs", () => {
  it("publishes busy again after each idle while cells are queued, idle last", { timeout: 60_000 }, async () => {
    // Every status message on iopub, in order, with the request (0..2) it answers.
    const statuses: Array<[number, string]> = [];
    const cells = [0, 1, 2].map((i) => `await new Promise((r) => setTimeout(r, 300)); console.log("cell ${i}");`);
    const runs = cells.map((code, i) =>
      kernel.execute(code, (msg) => {
        if (msg.header.msg_type === "status") statuses.push([i, (msg.content as { execution_state: string }).execution_state]);
      }),
    );
    const outcomes = await Promise.all(runs.map((r) => r.done));
    expect(outcomes.map((o) => [o.reply.content.status, o.idleMissing ?? false])).toEqual([["ok", false], ["ok", false], ["ok", false]]);
    // Each request still gets its own busy … idle, and requests end in order.
    for (const i of [0, 1, 2]) expect(statuses.filter(([r]) => r === i).map(([, s]) => s).at(-1)).toBe("idle");
    const idles = statuses.map(([r, s], at) => ({ r, s, at })).filter((e) => e.s === "idle");
    expect(idles.map((e) => e.r)).toEqual([0, 1, 2]);
    // What a status bar shows — the latest status — is idle only at the very end.
    for (const { at } of idles.slice(0, -1)) expect(statuses[at + 1]?.[1], `status after idle #${at}: ${JSON.stringify(statuses)}`).toBe("busy");
    expect(statuses.at(-1)).toEqual([2, "idle"]);
  });
});
