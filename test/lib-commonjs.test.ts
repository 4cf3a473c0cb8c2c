// Notebooks import lib/ through tslab, which compiles it to CommonJS: code there must not use
// `import.meta` or top-level await (both are ESM-only, and fail only when a notebook loads the
// file — `Cannot find module` or a syntax error deep in a tutorial). This keeps them out.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** The source without comments and string contents (roughly: enough for these two checks). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
}

describe("lib/ compiles to CommonJS for tslab", () => {
  const files = tsFiles("lib").filter((f) => !f.endsWith("worker-main.ts"));
  it("has files to check", () => expect(files.length).toBeGreaterThan(50));
  it("uses no import.meta", () => {
    expect(files.filter((f) => /\bimport\.meta\b/.test(code(readFileSync(f, "utf8"))))).toEqual([]);
  });
  it("has no top-level await", () => {
    // A statement starting at column 0 with await (or `const x = await` at column 0) is top-level.
    const topLevel = /^(?:await\s|(?:export\s+)?(?:const|let|var)\s+[^=]+=\s*await\s)/m;
    expect(files.filter((f) => topLevel.test(code(readFileSync(f, "utf8"))))).toEqual([]);
  });
});
