// bin/prebuilt.mjs: the entrypoints run from pre-built JavaScript, rebuilt when what they were built
// from changes, and through tsx when no build can be used. Each test runs the real bin scripts in a
// copy of the project (bin/, lib/, package files; node_modules linked), so that its .cache/js is
// its own and the checkout's lib/ is never edited.
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/temp.js";

const root = path.resolve(import.meta.dirname, "../..");

function project(): string {
  const dir = tempDir("cai-prebuilt-");
  for (const f of ["package.json", "package-lock.json", "tsconfig.json"]) copyFileSync(path.join(root, f), path.join(dir, f));
  mkdirSync(path.join(dir, "bin"));
  for (const f of ["custom-ai.mjs", "run-ts.mjs", "prebuilt.mjs"]) copyFileSync(path.join(root, "bin", f), path.join(dir, "bin", f));
  cpSync(path.join(root, "lib"), path.join(dir, "lib"), { recursive: true });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

interface Run {
  code: number | null;
  out: string;
  err: string;
  /** The trace lines (CUSTOM_AI_PREBUILT_TRACE), without the prefix. */
  trace: string[];
}

function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CUSTOM_AI_TSX: "", CUSTOM_AI_PREBUILT_TRACE: "1", ...env } });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve) =>
    child.on("close", (code) => {
      const trace = err.split("\n").filter((l) => l.startsWith("prebuilt: ")).map((l) => l.slice("prebuilt: ".length));
      resolve({ code, out, err: err.split("\n").filter((l) => !l.startsWith("prebuilt: ")).join("\n"), trace });
    }),
  );
}

const cli = (dir: string, args: string[], env?: NodeJS.ProcessEnv) => run(dir, ["bin/custom-ai.mjs", ...args], env);
const version = (dir: string, name = "cli") => JSON.parse(readFileSync(path.join(dir, ".cache/js", name, "current.json"), "utf8")) as { version: string; inputs: [string, number, number?, string?][] };

describe("bin/prebuilt.mjs", () => {
  it("a lazily imported folder missing at build time (an image without it) makes the build stale when it appears", async () => {
    const dir = project();
    const platforms = path.join(dir, "lib/platforms");
    cpSync(platforms, path.join(dir, "platforms-aside"), { recursive: true });
    rmSync(platforms, { recursive: true });
    expect((await cli(dir, ["--help"])).trace.at(-1)).toMatch(/^built /);
    cpSync(path.join(dir, "platforms-aside"), platforms, { recursive: true });
    const back = await cli(dir, ["platforms", "choose", "--help"]);
    expect(back.trace[0]).toMatch(/^cli is stale: lib\/platforms\/index\.(ts|js) changed$/);
    expect(back.code).toBe(0);
  });

  it("builds on first use, reuses a fresh build, rebuilds when a lib file changes; stack traces name the .ts", async () => {
    const dir = project();
    const first = await cli(dir, ["--help"]);
    expect(first.code).toBe(0);
    expect(first.trace).toEqual(["no build of cli yet", expect.stringMatching(/^built \.cache\/js\/cli\/[0-9a-f]{16}\/main\.js$/)]);
    const v1 = version(dir).version;
    expect(version(dir).inputs.map((i) => i[0])).toEqual(expect.arrayContaining(["lib/cli/main.ts", "lib/core/errors.ts", "package-lock.json", "bin/prebuilt.mjs"]));

    const again = await cli(dir, ["--help"]);
    expect(again.trace).toEqual([`fresh .cache/js/cli/${v1}/main.js`]);
    expect(again.out).toBe(first.out);

    // Same content, new mtime (a checkout, a copy): still fresh, by SHA-1, and the new mtime recorded.
    const main = path.join(dir, "lib/cli/main.ts");
    utimesSync(main, new Date(), new Date(Date.now() + 5000));
    expect((await cli(dir, ["--help"])).trace).toEqual([`fresh .cache/js/cli/${v1}/main.js`]);
    expect(version(dir).inputs.find((i) => i[0] === "lib/cli/main.ts")![2]).toBe(statSync(main).mtimeMs);

    // An edit: the next start rebuilds, and runs the edited code (with CUSTOM_AI_DEBUG=1, its stack
    // trace points at the .ts line through the bundle's source map).
    const text = readFileSync(main, "utf8").replace(
      "export function main(argv: string[]): Promise<number> {",
      'export function main(argv: string[]): Promise<number> {\n  if (argv[0] === "boom") throw new Error("boom from the edited main");',
    );
    writeFileSync(main, text);
    const line = text.split("\n").findIndex((l) => l.includes("boom from the edited main")) + 1;
    const edited = await cli(dir, ["boom"], { CUSTOM_AI_DEBUG: "1" });
    expect(edited.trace[0]).toBe("cli is stale: lib/cli/main.ts changed");
    expect(edited.trace[1]).toMatch(/^built \.cache\/js\/cli\/[0-9a-f]{16}\/main\.js$/);
    expect(version(dir).version).not.toBe(v1);
    expect(edited.code).toBe(1);
    expect(edited.err).toContain("Error: boom from the edited main");
    expect(edited.err).toMatch(new RegExp(`lib/cli/main\\.ts:${line}:\\d+`));
  });

  it("gives the same output and exit code as tsx, for a success and a user error", async () => {
    const dir = project();
    for (const args of [["--help"], ["score", "--model", path.join(dir, "no-model"), "--input", path.join(dir, "no-input"), "--output", path.join(dir, "out")], ["no-such-command"]]) {
      const viaTsx = await cli(dir, args, { CUSTOM_AI_TSX: "1" });
      expect(viaTsx.trace).toEqual(["tsx for lib/cli/main.ts: CUSTOM_AI_TSX=1"]);
      const prebuilt = await cli(dir, args);
      expect(prebuilt.trace.at(-1)).toMatch(/^(built|fresh) /);
      expect({ code: prebuilt.code, out: prebuilt.out, err: prebuilt.err }).toEqual({ code: viaTsx.code, out: viaTsx.out, err: viaTsx.err });
    }
    // The user error is one of ours: its message and code, no stack.
    const user = await cli(dir, ["score", "--model", path.join(dir, "no-model"), "--input", path.join(dir, "no-input"), "--output", path.join(dir, "out")]);
    expect(user.err).toMatch(/\[MODEL_NOT_FOUND\]/);
    expect(user.err).not.toMatch(/\n\s+at /);
  });

  it("falls back to tsx when the build cannot be written, and racing starts all succeed", async () => {
    const dir = project();
    mkdirSync(path.join(dir, ".cache"));
    writeFileSync(path.join(dir, ".cache/js"), "not a folder");
    const blocked = await cli(dir, ["--help"]);
    expect(blocked.code).toBe(0);
    expect(blocked.out).toMatch(/^Usage: custom-ai/);
    expect(blocked.trace.at(-1)).toMatch(/^tsx for lib\/cli\/main\.ts: /);

    rmSync(path.join(dir, ".cache/js"));
    const racing = await Promise.all([1, 2, 3].map(() => cli(dir, ["--help"])));
    expect(racing.map((r) => r.code)).toEqual([0, 0, 0]);
    for (const r of racing) expect(r.trace.at(-1)).toMatch(/^(built|fresh) \.cache\/js\/cli\//);
    expect((await cli(dir, ["--help"])).trace).toEqual([`fresh .cache/js/cli/${version(dir).version}/main.js`]);
  });

  it("run-ts: the worker entrypoints run pre-built, any other file and a training config with a dataset module through tsx", async () => {
    const dir = project();
    writeFileSync(path.join(dir, "script.ts"), 'const n: number = 42;\nconsole.log(`script ${n} ${process.argv.slice(2).join(" ")}`);\n');
    const script = await run(dir, ["bin/run-ts.mjs", "script.ts", "a", "b"]);
    expect(script).toMatchObject({ code: 0, out: "script 42 a b\n", trace: [] });

    // A batch worker without its configuration: the same known failure (exit 2) either way.
    const worker = await run(dir, ["bin/run-ts.mjs", "lib/serve/batch/worker-main.ts"], { WORLD_SIZE: "1", JOB_COMPLETION_INDEX: "0" });
    expect(worker.trace.at(-1)).toMatch(/^built \.cache\/js\/batch-worker\//);
    const viaTsx = await run(dir, ["bin/run-ts.mjs", "lib/serve/batch/worker-main.ts"], { WORLD_SIZE: "1", JOB_COMPLETION_INDEX: "0", CUSTOM_AI_TSX: "1" });
    expect(worker.code).toBe(2);
    expect({ code: worker.code, out: worker.out, err: worker.err }).toEqual({ code: viaTsx.code, out: viaTsx.out, err: viaTsx.err });

    const { prebuiltEntry } = (await import(pathToFileURL(path.join(dir, "bin/prebuilt.mjs")).href)) as { prebuiltEntry(entry: string, env: NodeJS.ProcessEnv): Promise<string | null> };
    const train = "lib/train/distributed/worker-main.ts";
    expect(await prebuiltEntry(train, { CUSTOM_AI_TRAIN_CONFIG: JSON.stringify({ dataset: { module: "my-datasets.ts" } }) })).toBeNull();
    const built = await prebuiltEntry(train, { CUSTOM_AI_TRAIN_CONFIG: JSON.stringify({ dataset: { name: "breast-cancer" } }) });
    expect(built).toMatch(/\/\.cache\/js\/train-worker\/[0-9a-f]{16}\/main\.js$/);
    expect(await prebuiltEntry(train, {})).toBe(built);
    appendFileSync(path.join(dir, "lib/train/distributed/worker-main.ts"), "\n");
    const rebuilt = await prebuiltEntry(train, {});
    expect(rebuilt).toMatch(/\/\.cache\/js\/train-worker\/[0-9a-f]{16}\/main\.js$/);
    expect(rebuilt).not.toBe(built);
  });
});
