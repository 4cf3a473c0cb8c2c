#!/usr/bin/env node
// Runs one of package.json's scripts on another Node.js major version, e.g. the current LTS:
//   node bin/with-node.mjs 24 start        (npm run start:node24)
// The Node binary comes from the npm registry's `node-<platform>-<arch>` package (the official
// build, published there by the Node.js project), fetched with `npm pack` into .cache/node/ once
// and reused. The script's command runs with that binary first on PATH, so `node`, and every
// kernel, server and worker the toolkit starts with it, is that version.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [major, scriptName] = process.argv.slice(2);

function fail(message, hint) {
  console.error(`custom-ai: ${message}${hint ? `\n  What to do: ${hint}` : ""}`);
  process.exit(1);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: root, ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr || r.stdout || String(r.error ?? "")).trim().slice(-2000)}`);
  return r.stdout.trim();
}

if (!/^\d+$/.test(major ?? "") || !scriptName) fail("usage: node bin/with-node.mjs <major version> <package.json script>", "e.g. node bin/with-node.mjs 24 start");
const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts ?? {};
const command = scripts[scriptName];
if (!command) fail(`package.json has no script "${scriptName}".`, `pick one of: ${Object.keys(scripts).join(", ")}`);

/** Fetches (once) the newest published Node <major> for this platform; returns its bin folder. */
function ensureNode() {
  const pkg = `node-${process.platform}-${process.arch}`;
  const versions = JSON.parse(sh("npm", ["view", `${pkg}@${major}`, "version", "--json"]) || "[]");
  const version = [versions].flat().at(-1);
  if (!version) fail(`the registry has no ${pkg}@${major}.`, "pick another major version.");
  const dir = path.join(root, ".cache", "node", `${pkg}-${version}`);
  const bin = path.join(dir, "bin");
  if (existsSync(path.join(bin, "node"))) return bin;
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    console.error(`custom-ai: fetching Node.js ${version} (${pkg} from the npm registry) into ${path.relative(root, dir)} …`);
    const tgz = sh("npm", ["pack", `${pkg}@${version}`, "--silent", "--pack-destination", staging]).split("\n").at(-1);
    sh("tar", ["xzf", path.join(staging, tgz), "-C", staging, "--strip-components=1", "package/bin", "package/LICENSE"]);
    rmSync(path.join(staging, tgz));
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir); // complete or absent: a killed fetch leaves no half binary behind
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

const bin = ensureNode();
// As npm does for a script: the project's node_modules/.bin on PATH too.
const PATH = [bin, path.join(root, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter);
const env = { ...process.env, PATH };
const actual = sh(path.join(bin, "node"), ["--version"]);
console.error(`custom-ai: running \`npm run ${scriptName}\` (${command}) on Node.js ${actual}`);
const r = spawnSync(command, { cwd: root, env, stdio: "inherit", shell: true });
process.exit(r.status ?? 1);
