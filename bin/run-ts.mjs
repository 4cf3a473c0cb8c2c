#!/usr/bin/env node
// Runs a TypeScript entry point of this package:
//   node bin/run-ts.mjs path/to/file.ts [args...]
// The toolkit's worker entrypoints (bin/prebuilt.mjs ENTRIES) run from pre-built JavaScript,
// rebuilt when lib/ changes; any other file (and any file with CUSTOM_AI_TSX=1) through tsx's
// loader, with no build step.
import { pathToFileURL } from "node:url";
import path from "node:path";
import { entryOf, importEntry } from "./prebuilt.mjs";

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error("usage: run-ts <file.ts> [args...]");
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...rest];
const importTs = () => import(pathToFileURL(path.resolve(entry)).href);
const known = entryOf(entry);
if (known) await importEntry(known, importTs);
else {
  const { register } = await import("tsx/esm/api");
  register();
  await importTs();
}
