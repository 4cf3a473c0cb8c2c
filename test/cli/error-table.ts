// README.md's "Errors and exit codes" tables, generated from lib/core/error-codes.ts:
//   npm run docs:errors      (rewrites the block between the markers in README.md)
// test/cli/errors.test.ts fails when the README's block differs from what this renders.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_CODES, EXIT_CODES, type ErrorCode, type ErrorCodeInfo, type ExitCode } from "../../lib/core/index.js";

export const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../README.md");
export const BEGIN = "<!-- error-codes: generated from lib/core/error-codes.ts by `npm run docs:errors`; test/cli/errors.test.ts checks it -->";
export const END = "<!-- /error-codes -->";

function cell(text: string): string {
  if (text.includes("|") || text.includes("\n")) throw new Error(`A table cell cannot hold "|" or a line break: ${text}`);
  return text;
}

/** The markdown between the markers: the exit codes, then every error code. */
export function renderErrorTables(): string {
  const rows = Object.entries(ERROR_CODES) as Array<[ErrorCode, ErrorCodeInfo]>;
  const exits = Object.keys(EXIT_CODES).map(Number) as ExitCode[];
  const lines = [
    "| Exit code | Meaning | Error codes |",
    "| --- | --- | --- |",
    ...exits.map((exit) => {
      // 1 is where every failure that is not usage, kernel or abort goes: the long list stays below.
      const codes = exit === 1 ? ["every other code"] : rows.filter(([, info]) => info.exit === exit).map(([code]) => `\`${code}\``);
      return `| ${exit} | ${cell(EXIT_CODES[exit])} | ${codes.join(", ") || "—"} |`;
    }),
    "",
    "| Code | Exit | Thrown by | Meaning | What to do |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(([code, info]) => `| \`${code}\` | ${info.exit} | ${info.by.join(", ")} | ${cell(info.meaning)} | ${cell(info.todo)} |`),
  ];
  return lines.join("\n");
}

/** The README's block between the markers, or undefined when the markers are missing. */
export function readmeErrorTables(readme = readFileSync(README, "utf8")): string | undefined {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(begin + BEGIN.length, end).trim();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(README, "utf8");
  if (readmeErrorTables(readme) === undefined) throw new Error(`README.md has no ${BEGIN} … ${END} block to fill.`);
  const begin = readme.indexOf(BEGIN) + BEGIN.length;
  const end = readme.indexOf(END);
  writeFileSync(README, `${readme.slice(0, begin)}\n\n${renderErrorTables()}\n\n${readme.slice(end)}`);
  console.log("README.md: error tables updated from lib/core/error-codes.ts");
}
