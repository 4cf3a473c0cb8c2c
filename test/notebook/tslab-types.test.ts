// The runner's tslab (and papermill's, the same command) loads only the global @types a notebook
// needs (node), not every package under node_modules/@types, and still type-checks cells: Node's
// globals, a package's types through its import, type errors. CUSTOM_AI_TSLAB_TYPES=* restores all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInSpec, Kernel } from "../../lib/notebook/index.js";
import { runCell } from "./tslab-cell.js";

/** A global of @types/chai (`declare global { namespace Chai }`): it resolves only when all @types load. */
const CHAI_GLOBAL = `type A = Chai.Assertion; console.log("chai global resolved");`;

describe("tslab global @types (direct launch)", () => {
  let kernel: Kernel;
  beforeAll(async () => {
    kernel = await Kernel.start({ spec: builtInSpec("tslab")!, cwd: process.cwd() });
  }, 60_000);
  afterAll(() => kernel?.shutdown());

  it("type-checks Node's globals and a package's own @types through its import", { timeout: 30_000 }, async () => {
    const node = await runCell(kernel, `const b: Buffer = Buffer.from("hi"); const t: NodeJS.Timeout = setTimeout(() => {}, 0); clearTimeout(t); console.log(b.toString());`);
    expect(node).toEqual({ status: "ok", text: "hi\n" });
    // ms ships no types: they come from node_modules/@types/ms when imported. Were they missing, ms
    // would be `any` and the expected error would not come (an unused @ts-expect-error is an error).
    const imported = await runCell(kernel, `import ms from "ms";\nconst n: number = ms("2s");\n// @ts-expect-error ms("2s") is a number\nconst s: string = ms("2s");\nconsole.log(n);`);
    expect(imported).toEqual({ status: "ok", text: "2000\n" });
  });

  it("still reports a type error in a cell", { timeout: 30_000 }, async () => {
    const r = await runCell(kernel, `let n: number = "not a number";`);
    expect(r.status).toBe("error");
    expect(r.text).toMatch(/Type 'string' is not assignable to type 'number'/);
  });

  it("does not load unrelated @types packages as globals", { timeout: 30_000 }, async () => {
    const r = await runCell(kernel, CHAI_GLOBAL);
    expect(r.status).toBe("error");
    expect(r.text).toMatch(/Cannot find namespace 'Chai'/);
  });
});

describe("CUSTOM_AI_TSLAB_TYPES=*", () => {
  it("loads every @types package as before", { timeout: 60_000 }, async () => {
    const kernel = await Kernel.start({ spec: builtInSpec("tslab")!, cwd: process.cwd(), env: { CUSTOM_AI_TSLAB_TYPES: "*" } });
    try {
      expect(await runCell(kernel, CHAI_GLOBAL)).toEqual({ status: "ok", text: "chai global resolved\n" });
    } finally {
      await kernel.shutdown();
    }
  });
});
