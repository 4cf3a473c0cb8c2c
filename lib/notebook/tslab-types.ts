// tslab builds its TypeScript program before the kernel answers kernel_info, with compiler options
// it hard-codes (converter.js): no `types`, so TypeScript loads every package under each
// node_modules/@types as global declarations — 53 here (d3-*, chai, validator…), ~30% of the text it
// parses at start, none of which a cell sees unless it names one of their globals. A notebook imports
// what it uses, and an import still finds its package's types (node_modules/@types/<name> too): only
// the automatic inclusion is limited, to the global types `CUSTOM_AI_TSLAB_TYPES` names
// (comma-separated, default "node"; "*" restores TypeScript's default of all). The project's
// tsconfig.json has the same `types: ["node"]`, so lib/ compiles the same in a notebook as under tsc.
//
// TypeScript exports its functions as read-only getters, so the option cannot be patched in; but
// tslab's compiler host inherits from ts.sys (Object.create), and the automatic list is read with
// getDirectories(<type root>): the hook filters that listing. bin/tslab-kernel.mjs does the same.

/** The environment variable that names the global @types packages a tslab kernel loads. */
export const TSLAB_TYPES_ENV = "CUSTOM_AI_TSLAB_TYPES";

/**
 * JavaScript for a `node -e` boot script (it uses `require`), run before `tslabMain` loads: it hooks
 * the TypeScript of that tslab and of the tslab the working directory resolves (tslab's main() hands
 * over to the latter). A failure is reported on stderr and the kernel starts with all @types.
 */
export function globalTypesHookSource(tslabMain: string): string {
  return `try {
  const { createRequire } = require("node:module");
  const types = (process.env.${TSLAB_TYPES_ENV} ?? "node").split(",").map((t) => t.trim()).filter(Boolean);
  if (!types.includes("*")) {
    const mains = [${JSON.stringify(tslabMain)}];
    try { mains.push(createRequire(require("node:path").join(process.cwd(), "noop.js")).resolve("tslab/dist/main.js")); } catch {}
    for (const tsPath of new Set(mains.map((m) => createRequire(m).resolve("@tslab/typescript-for-tslab")))) {
      const sys = require(tsPath).sys, list = sys.getDirectories;
      sys.getDirectories = function (dir) {
        const found = list.call(this, dir);
        return /[\\\\/]node_modules[\\\\/]@types[\\\\/]?$/.test(dir) ? found.filter((d) => types.includes(d)) : found;
      };
    }
  }
} catch (e) { console.error("custom-ai: could not limit tslab's global @types; the kernel starts slower:", e.message); }`;
}
