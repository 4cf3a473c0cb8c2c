// The project this code runs in: its name and version (recorded with saved models), and its root
// (where bin/ is: worker and server entrypoints are started from there).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface ToolkitInfo {
  name: string;
  version: string;
  /** Folder of the package.json read ("" when none was found). */
  root: string;
}

const TOOLKIT_NAME = "custom-ai-on-azure";
let cached: ToolkitInfo | undefined;

/**
 * The name and version of the project this code runs in, from its package.json: the toolkit's own
 * (custom-ai-on-azure), else the nearest package.json (a project lib/ was copied into). Looks up
 * from the working directory and from the running script, as lib/core's findPackage does, since
 * tslab's CommonJS output has no import.meta.
 */
export function toolkitInfo(): ToolkitInfo {
  if (cached) return { ...cached };
  const starts = [process.cwd()];
  if (process.argv[1]) starts.push(path.dirname(path.resolve(process.argv[1])));
  let nearest: ToolkitInfo | undefined;
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const file = path.join(dir, "package.json");
      if (existsSync(file)) {
        try {
          const json = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
          const info = { name: json.name ?? path.basename(dir), version: json.version ?? "0.0.0", root: dir };
          if (info.name === TOOLKIT_NAME) {
            cached = info;
            return { ...info };
          }
          nearest ??= info;
        } catch {
          // unreadable package.json: keep walking up
        }
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  cached = nearest ?? { name: TOOLKIT_NAME, version: "unknown", root: "" };
  return { ...cached };
}
