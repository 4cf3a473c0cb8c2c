// The kernelspec's launcher (bin/tslab-kernel.mjs, what JupyterLab starts) loads only the global
// @types a notebook needs (node), and sets up tslab's file watchers after the kernel is ready
// rather than before: an edit to a module the notebook imports still reaches the next cell.
import { symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kernel } from "../../lib/notebook/index.js";
import { runCell } from "../notebook/tslab-cell.js";
import { tempDir } from "../support/temp.js";

let kernel: Kernel;
let project: string;
beforeAll(async () => {
  // A project of its own (the launcher moves to the folder holding package.json), so that editing
  // its module touches nothing of the repository.
  project = tempDir("cai-tslab-start-");
  writeFileSync(path.join(project, "package.json"), "{}");
  symlinkSync(path.resolve("node_modules"), path.join(project, "node_modules"), "dir");
  writeFileSync(path.join(project, "mod.ts"), "export const v: number = 1;\n");
  const argv = [process.execPath, path.resolve("bin/tslab-kernel.mjs"), "kernel", "--config-path", "{connection_file}"];
  kernel = await Kernel.start({ spec: { name: "custom-ai-tslab", argv, display_name: "TypeScript (custom-ai)", language: "typescript", source: "test" }, cwd: project });
}, 60_000);
afterAll(() => kernel?.shutdown());

describe("bin/tslab-kernel.mjs start", () => {
  it("type-checks Node's globals, and loads no unrelated @types package", { timeout: 30_000 }, async () => {
    expect(await runCell(kernel, `const b: Buffer = Buffer.from("hi"); console.log(b.toString());`)).toEqual({ status: "ok", text: "hi\n" });
    const chai = await runCell(kernel, `type A = Chai.Assertion;`);
    expect(chai.status).toBe("error");
    expect(chai.text).toMatch(/Cannot find namespace 'Chai'/);
  });

  it("still watches imported modules once started: an edit reaches the next cell", { timeout: 30_000 }, async () => {
    expect(await runCell(kernel, `import { v } from "./mod"; console.log(v);`)).toEqual({ status: "ok", text: "1\n" });
    // The watchers start a second after the kernel is ready; wait past that, then edit.
    await new Promise((r) => setTimeout(r, 2500));
    writeFileSync(path.join(project, "mod.ts"), "export const v: string = 'two';\n");
    let seen = "";
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && seen !== "two\n"; ) {
      await new Promise((r) => setTimeout(r, 300));
      seen = (await runCell(kernel, `import { v as w } from "./mod"; const s: string = w; console.log(s);`)).text;
    }
    expect(seen).toBe("two\n");
  });
});
