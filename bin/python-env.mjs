#!/usr/bin/env node
// The project's Python environment: a virtual environment under .cache/python/venv holding the
// pinned tools of environments/python/requirements.txt (the ONNX checker, tritonclient,
// schemathesis). Created on first need, reused while the requirements file and the Python
// version stay the same (their hash is kept beside the venv, written last).
//   node bin/python-env.mjs          ensure it exists; print the interpreter's path
//   node bin/python-env.mjs --lock   re-resolve requirements.in into requirements.txt
// Plain JavaScript with no dependencies: it must work before anything else is built.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const requirementsDir = path.join(root, "environments", "python");
const cacheDir = path.join(root, ".cache", "python");
const venvDir = path.join(cacheDir, "venv");
const marker = path.join(venvDir, ".requirements-sha256");
const basePython = process.env.CAI_BASE_PYTHON ?? "python3";

export const venvPython = path.join(venvDir, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");

class PythonEnvError extends Error {
  constructor(message, hint) {
    super(hint ? `${message}\n  What to do: ${hint}` : message);
    this.name = "PythonEnvError";
  }
}

function run(argv, what, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", cwd: root, ...opts });
  if (r.error?.code === "ENOENT") {
    throw new PythonEnvError(
      `${argv[0]} was not found: the test suite needs Python 3 (3.9 or newer).`,
      "install it (Debian/Ubuntu: apt-get install python3 python3-venv), or point CAI_BASE_PYTHON at one.",
    );
  }
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().slice(-3000);
    const venvHint = /ensurepip|venv/.test(out) ? "install the venv module (Debian/Ubuntu: apt-get install python3-venv), then run npm test again." : undefined;
    throw new PythonEnvError(`${what} failed (exit ${r.status}):\n${out}`, venvHint ?? "check the output above; the registry (PyPI) must be reachable on the first run.");
  }
  return r.stdout;
}

function wantedHash() {
  // The minor version and the interpreter: a patch update keeps the venv working, so it keeps it.
  const version = run([basePython, "-c", "import sys; print(sys.version_info[:2], sys.executable)"], "asking python3 for its version");
  const requirements = readFileSync(path.join(requirementsDir, "requirements.txt"), "utf8");
  return createHash("sha256").update(version).update(requirements).digest("hex");
}

/** Serialises concurrent creators (a test run and a benchmark): mkdir is atomic. */
function withLock(fn) {
  mkdirSync(cacheDir, { recursive: true });
  const lock = path.join(cacheDir, ".lock");
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const holder = Number(readFileSync(path.join(lock, "pid"), "utf8").trim() || "0");
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new PythonEnvError(`${lock} is held by process ${holder} for over 10 minutes.`, "remove that folder if no install is running.");
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

function isCurrent(hash) {
  return existsSync(venvPython) && existsSync(marker) && readFileSync(marker, "utf8") === hash;
}

/**
 * Ensures the venv exists and matches the pinned requirements; returns its interpreter's path.
 * `log` receives a line when (and only when) something is installed.
 */
export function ensurePythonEnv(log = (line) => console.error(line)) {
  const hash = wantedHash();
  if (isCurrent(hash)) return venvPython;
  return withLock(() => {
    if (isCurrent(hash)) return venvPython; // another process built it while we waited
    const started = Date.now();
    log(`custom-ai: creating the project's Python environment in ${path.relative(root, venvDir)} (pinned tools from PyPI; once, about a minute)…`);
    rmSync(venvDir, { recursive: true, force: true });
    run([basePython, "-m", "venv", venvDir], "python3 -m venv");
    const pip = [venvPython, "-m", "pip", "--disable-pip-version-check", "--no-input"];
    run([...pip, "install", "--quiet", "-r", path.join(requirementsDir, "requirements.txt")], "pip install -r environments/python/requirements.txt");
    writeFileSync(marker, hash);
    log(`custom-ai: Python environment ready in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    return venvPython;
  });
}

/** Resolves requirements.in in a scratch venv and writes the full pin set to requirements.txt. */
function lock() {
  const scratch = path.join(cacheDir, "lock-venv");
  rmSync(scratch, { recursive: true, force: true });
  try {
    run([basePython, "-m", "venv", scratch], "python3 -m venv");
    const py = path.join(scratch, "bin", "python");
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", path.join(requirementsDir, "requirements.in")], "pip install -r requirements.in");
    const frozen = run([py, "-m", "pip", "freeze", "--disable-pip-version-check"], "pip freeze");
    writeFileSync(path.join(requirementsDir, "requirements.txt"), `# Generated by \`node bin/python-env.mjs --lock\` from requirements.in: do not edit by hand.\n${frozen}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes("--lock")) lock();
    console.log(ensurePythonEnv());
  } catch (e) {
    console.error(`custom-ai: ${e.message}`);
    process.exit(1);
  }
}
