#!/usr/bin/env node
// The `custom-ai` command. The CLI is TypeScript: it runs from JavaScript pre-built on first use
// and rebuilt when lib/ changes (bin/prebuilt.mjs), else through tsx's loader (CUSTOM_AI_TSX=1
// forces that).
import { importEntry } from "./prebuilt.mjs";

const { main } = await importEntry("lib/cli/main.ts", () => import("../lib/cli/main.ts"));
process.exitCode = await main(process.argv.slice(2));
