import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_STOP_GRACE_MS, processExit, stopProcess } from "../../lib/core/index.js";

/** Running (not gone, not a zombie). An orphan's zombie is its adoptive parent's to reap, not ours. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Gone for good: no /proc entry, so no zombie either (what stopProcess promises for its own child). */
function reaped(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return false;
  } catch {
    return true;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

// Whatever a failing test leaves running is killed here (process groups included), checking first
// that the pid is still one of ours: a child not yet reaped, or a process running this file's code.
const started: { pid: number; group: boolean; child?: ChildProcess }[] = [];
afterAll(() => {
  for (const { pid, group, child } of started) {
    const ours = child ? child.exitCode === null && child.signalCode === null : readCmdline(pid).includes("setInterval");
    if (!ours) continue;
    try {
      process.kill(group ? -pid : pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/** A node child running `code`, once it has printed "ready" (its signal handlers are in place); `output` is its stdout so far. */
async function nodeChild(code: string, options: { detached?: boolean } = {}): Promise<ChildProcess & { output: string }> {
  const child = Object.assign(spawn(process.execPath, ["-e", `${code}; console.log("ready")`], { stdio: ["ignore", "pipe", "inherit"], detached: options.detached }), { output: "" });
  if (child.pid) started.push({ pid: child.pid, group: options.detached === true, child });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      child.output += chunk.toString();
      if (child.output.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before it was ready`)));
  });
  return child;
}

describe("stopProcess", () => {
  it("kills a child that ignores SIGTERM once the grace is over, and reaps it", async () => {
    const child = await nodeChild("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)");
    const t0 = Date.now();
    const end = await stopProcess(child, { graceMs: 300 });
    expect(end).toEqual({ exitCode: null, signal: "SIGKILL", forced: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(reaped(child.pid!)).toBe(true);
  });

  it("reports the exit code of a child that exits on SIGTERM, without waiting for the grace", async () => {
    const child = await nodeChild("process.on('SIGTERM', () => process.exit(7)); setInterval(() => {}, 1000)");
    const t0 = Date.now();
    expect(await stopProcess(child, { graceMs: 30_000 })).toEqual({ exitCode: 7, signal: null, forced: false });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(reaped(child.pid!)).toBe(true);
    // Stopping it again, or asking how it ended, answers at once.
    expect(await stopProcess(child)).toEqual({ exitCode: 7, signal: null, forced: false });
    expect(await processExit(child)).toEqual({ exitCode: 7, signal: null });
  });

  it("sends the signal asked for; aborting ends the grace early", async () => {
    const plain = await nodeChild("setInterval(() => {}, 1000)");
    expect(await stopProcess(plain, { signal: "SIGINT" })).toEqual({ exitCode: null, signal: "SIGINT", forced: false });

    const stubborn = await nodeChild("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)");
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const t0 = Date.now();
    expect(await stopProcess(stubborn, { abortSignal: abort.signal })).toEqual({ exitCode: null, signal: "SIGKILL", forced: true });
    expect(Date.now() - t0).toBeLessThan(DEFAULT_STOP_GRACE_MS);
  });

  it("stops a process group, members the leader started included", async () => {
    // The leader ignores SIGTERM and starts a grandchild that ignores it too.
    const leader = await nodeChild(
      "process.on('SIGTERM', () => {}); const c = require('node:child_process').spawn(process.execPath, ['-e', \"process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)\"], { stdio: 'ignore' }); console.log('grandchild=' + c.pid); setInterval(() => {}, 1000)",
      { detached: true },
    );
    const grandchild = Number(/grandchild=(\d+)/.exec(leader.output)![1]);
    started.push({ pid: grandchild, group: false });
    expect(running(grandchild)).toBe(true);
    expect(await stopProcess(leader, { graceMs: 200, group: true })).toMatchObject({ signal: "SIGKILL", forced: true });
    expect(reaped(leader.pid!)).toBe(true);
    expect(await waitFor(() => !running(grandchild), 5_000)).toBe(true);
  });

  it("answers at once for a child that never started", async () => {
    const child = spawn("/no/such/program", [], { stdio: "ignore" });
    child.on("error", () => undefined);
    expect(await stopProcess(child)).toEqual({ exitCode: null, signal: null, forced: false });
  });
});

describe("killWithParent", () => {
  it("kills the child when the parent exits without stopping it", async () => {
    const parent = spawn(process.execPath, ["bin/run-ts.mjs", "test/core/fixtures/spawn-and-exit.ts"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    parent.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    expect(await processExit(parent)).toEqual({ exitCode: 0, signal: null });
    const { pid } = JSON.parse(out.split("\n")[0]) as { pid: number };
    started.push({ pid, group: false });
    expect(await waitFor(() => !running(pid), 5_000)).toBe(true);
  });
});
