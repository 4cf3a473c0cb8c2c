// The import rules of lib/ (DESIGN.md, "Layout"), checked with dependency-cruiser:
// - no import cycles anywhere in lib/;
// - core/ and notebook/ import no other lib folder;
// - serve/ (serve/batch included) never imports train/, and loads no TensorFlow.js at run time,
//   directly or through anything it imports (static imports, import("…"), require("…") and
//   importPackage("…") all count; `import type` does not);
// - models/ imports neither train/ nor serve/;
// - a lib folder is used from another one only through an index.ts.
// The rules live in dependency-cruiser.cjs (what the compiler sees, `import type` included) and
// dependency-cruiser.runtime.cjs (what loads at run time); this file runs both over lib/, and over
// fixtures/lib, a tiny tree that breaks each rule once, to show the rules bite.
import { readFileSync } from "node:fs";
import path from "node:path";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const CONFIGS = ["test/architecture/dependency-cruiser.cjs", "test/architecture/dependency-cruiser.runtime.cjs"];

/**
 * Violations in lib/ today, as `from → to (rule)`. Nothing else may be added here: fix the import
 * instead. Delete an entry when its fix lands — the test fails on an entry that no longer occurs.
 */
const KNOWN_TODAY: readonly string[] = [
  // Past another folder's index.ts. (serve/ reads models/ through models/saved/index.ts, its
  // tfjs-free surface.) For the core/ ones no reason shows (core/index.ts loads no heavy package).
  "lib/cli/serve.ts → lib/core/config.ts (lib-folder-only-through-index)", // to be removed by issue 9 §2
];

interface Finding {
  /** `from → to (rule)`: what KNOWN_TODAY lists. */
  key: string;
  /** `from:line → to (rule: how)`, for people. */
  text: string;
}

/** A module inside node_modules by its package name; anything else unchanged. */
function displayName(modulePath: string): string {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(modulePath)?.[1] ?? modulePath;
}

/** The 1-based line of `from` that imports `to` (the first hop of the violation), or undefined. */
function importLine(baseDir: string, result: ICruiseResult, from: string, to: string): number | undefined {
  const specifier = result.modules.find((m) => m.source === from)?.dependencies.find((d) => d.resolved === to)?.module;
  if (specifier === undefined) return undefined;
  const lines = readFileSync(path.join(baseDir, from), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(`"${specifier}"`) || line.includes(`'${specifier}'`));
  return index < 0 ? undefined : index + 1;
}

function describeViolation(baseDir: string, result: ICruiseResult, v: IViolation): Finding {
  const key = `${v.from} → ${displayName(v.to)} (${v.rule.name})`;
  const hops = (v.cycle ?? v.via ?? []).map((hop) => hop.name);
  const line = importLine(baseDir, result, v.from, hops[0] ?? v.to);
  let how = "";
  if (v.cycle) how = `: ${[v.from, ...hops].map(displayName).join(" → ")}`;
  else if (hops.length > 1) how = `, via ${hops.slice(0, -1).map(displayName).join(" → ")}`;
  return { key, text: `${v.from}${line ? `:${line}` : ""} → ${displayName(v.to)} (${v.rule.name}${how})` };
}

/** Every violation of both rule files in `<baseDir>/lib`, sorted. */
async function findViolations(baseDir: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const config of CONFIGS) {
    const options = await extractDepcruiseOptions(path.join(root, config));
    const tsConfig = options.tsConfig?.fileName ? extractTSConfig(path.join(root, options.tsConfig.fileName)) : undefined;
    const { output } = await cruise(["lib"], { ...options, baseDir, outputType: "json" }, {}, { tsConfig });
    const result = (typeof output === "string" ? JSON.parse(output) : output) as ICruiseResult;
    expect(result.summary.totalCruised, `${config}: cruised nothing under ${baseDir}/lib`).toBeGreaterThan(0);
    for (const v of result.summary.violations) findings.push(describeViolation(baseDir, result, v));
  }
  return findings.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

describe("import rules (dependency-cruiser)", () => {
  it("lib/ breaks none, apart from the violations known today", async () => {
    const findings = await findViolations(root);
    const found = new Set(findings.map((f) => f.key));
    const known = new Set(KNOWN_TODAY);
    const broken = findings.filter((f) => !known.has(f.key));
    const fixed = KNOWN_TODAY.filter((key) => !found.has(key));
    const report = [
      ...(broken.length > 0 ? [`Import rules broken (from → to (rule)); see test/architecture/dependency-cruiser*.cjs:`, ...broken.map((f) => `  ${f.text}`)] : []),
      ...(fixed.length > 0 ? [`No longer found (fixed?), so delete from KNOWN_TODAY in test/architecture/import-rules.test.ts:`, ...fixed.map((key) => `  ${key}`)] : []),
    ];
    if (report.length > 0) expect.fail(report.join("\n"));
  });

  it("catches each rule on a fixture tree that breaks it", async () => {
    const findings = await findViolations(path.join(import.meta.dirname, "fixtures"));
    expect(findings.map((f) => f.text)).toEqual([
      "lib/core/a.ts:1 → lib/core/b.ts (no-cycles: lib/core/a.ts → lib/core/b.ts → lib/core/a.ts)",
      "lib/core/uses-data.ts:1 → lib/data/index.ts (core-imports-no-lib-folder)",
      "lib/data/deep.ts:1 → lib/core/a.ts (lib-folder-only-through-index)",
      "lib/jobs/index.ts:2 → lib/serve/index.ts (jobs-imports-core-only)",
      "lib/k8s/index.ts:2 → lib/train/index.ts (k8s-imports-no-train-serve-or-data)",
      // `import type` counts for the folder rules (a folder copied out alone must still compile)…
      "lib/models/index.ts:1 → lib/serve/index.ts (models-imports-no-train-or-serve)",
      "lib/notebook/index.ts:1 → lib/core/index.ts (notebook-imports-no-lib-folder)",
      // …but not for what loads at run time: serve/types-only.ts imports a tfjs type and is not here.
      "lib/serve/dynamic.ts:1 → @tensorflow/tfjs (serve-loads-no-tfjs)",
      "lib/serve/index.ts:1 → @tensorflow/tfjs (serve-loads-no-tfjs, via lib/train/index.ts)",
      "lib/serve/index.ts:1 → lib/train/index.ts (serve-imports-no-train)",
      "lib/serve/lazy.ts:3 → danfojs-node (serve-loads-no-tfjs)",
    ]);
  });
});
