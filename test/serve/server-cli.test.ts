// `custom-ai serve` as a process: JSON logs with request ids, and a graceful SIGTERM that lets
// the request in flight finish with 200 before exiting 0.
import { spawn, type ChildProcess } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { record, saveTinyModel } from "./server-helpers.js";
import { tempDir } from "../support/temp.js";

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, ["bin/custom-ai.mjs", "serve", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = err.match(re);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode}: ${err}`));
          setTimeout(check, 50);
        };
        check();
      }),
  };
}

let modelDir: string;
beforeAll(async () => {
  modelDir = (await saveTinyModel()).dir;
});

describe("custom-ai serve", () => {
  it("drains the request in flight on SIGTERM, answers it 200 and exits 0", async () => {
    // A long batching window keeps the request queued when SIGTERM arrives.
    const p = start(["--model", modelDir, "--port", "0", "--max-wait-ms", "5000", "--api-key", "k"]);
    const [, url] = await p.waitFor(/Model ready: (http:\/\/[^/\s]+)/);
    const t0 = Date.now();
    const inFlight = fetch(`${url}/score`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "k", "x-request-id": "req-in-flight" }, body: JSON.stringify(record()) });
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(4000); // drained at once, not after the 5 s window
    expect(await p.exited).toBe(0);
    const logs = p.stdout().trim().split("\n").map((l) => JSON.parse(l));
    expect(logs.some((l) => l.reqId === "req-in-flight" && l.res?.statusCode === 200)).toBe(true);
    expect(logs.some((l) => /shutting down/.test(l.msg))).toBe(true);
  });

  it("exits 1 with a message, not a stack trace, for a folder without a model", async () => {
    const p = start(["--model", tempDir("cai-serve-none-"), "--port", "0"]);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/custom-ai: No model\.onnx in .*exportOnnx/);
    expect(p.stderr()).not.toMatch(/\n\s+at /);
  });

  it("refuses to serve without an API key on the Azure target, unless told --no-auth", async () => {
    const azure = { CUSTOM_AI_TARGET: "azure", AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000", SCORING_API_KEY: "" };
    const refused = start(["--model", modelDir, "--port", "0"], azure);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/the target is azure, so the server needs an API key: set SCORING_API_KEY/);
    const keyed = start(["--model", modelDir, "--port", "0"], { ...azure, SCORING_API_KEY: "from-a-secret" });
    const [, url] = await keyed.waitFor(/Model ready: (http:\/\/[^/\s]+)/);
    const post = (headers: Record<string, string>) => fetch(`${url}/score`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(record()) });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer from-a-secret" })).status).toBe(200);
    keyed.child.kill("SIGTERM");
    expect(await keyed.exited).toBe(0);
    const open = start(["--model", modelDir, "--port", "0", "--no-auth"], azure);
    const [, openUrl] = await open.waitFor(/Model ready: (http:\/\/[^/\s]+)/);
    expect((await fetch(`${openUrl}/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(record()) })).status).toBe(200);
    open.child.kill("SIGTERM");
    expect(await open.exited).toBe(0);
  });

  it("exits 2 for a bad option value", async () => {
    const p = start(["--model", modelDir, "--max-batch", "0"]);
    expect(await p.exited).not.toBe(0);
    expect(p.stderr()).toMatch(/--max-batch takes a whole number/);
    // Not a bug report: pino would throw a plain Error for a level it does not know.
    const level = start(["--model", modelDir, "--log-level", "loud"]);
    expect(await level.exited).toBe(2);
    expect(level.stderr()).toMatch(/^custom-ai: option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent\.\n {2}What to do: see `custom-ai serve --help`/);
  });
});
