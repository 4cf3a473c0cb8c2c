import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface PackageInfo {
  /** The name asked for (an npm alias keeps this name on disk). */
  request: string;
  /** The `name` in its package.json: differs from `request` for an alias. */
  name: string;
  version: string;
  dir: string;
}

/**
 * Finds an installed package the way Node's resolver walks node_modules, without loading it, from
 * the working directory and from the running script. Works the same under tsx (ESM) and inside
 * tslab's CommonJS output, where neither import.meta nor a useful __filename is available.
 * Reads package.json directly, so it also works for packages whose `exports` hide it.
 */
export function findPackage(request: string): PackageInfo | undefined {
  const bases = [path.join(process.cwd(), "noop.js")];
  if (process.argv[1]) bases.push(path.resolve(process.argv[1]));
  for (const base of bases) {
    const lookup = createRequire(base).resolve.paths(request) ?? [];
    for (const dir of lookup) {
      const file = path.join(dir, request, "package.json");
      if (!existsSync(file)) continue;
      try {
        const json = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        return {
          request,
          name: json.name ?? request,
          version: json.version ?? "unknown",
          dir: path.dirname(file),
        };
      } catch {
        continue; // unreadable package.json: keep looking
      }
    }
  }
  return undefined;
}
