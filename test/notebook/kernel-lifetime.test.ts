// The kernel process is tied to its runner: it must not outlive it.
import { spawn } from "node:child_process";
import { getEventListeners } from "node:events";
import { readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { createConnection, releasePorts } from "../../lib/notebook/connection.js";
import { builtInSpec, Kernel } from "../../lib/notebook/index.js";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("kernel lifetime", () => {
  it("a kernel exits when its runner is killed (SIGKILL), instead of living on", async () => {
    const holder = spawn(process.execPath, ["bin/run-ts.mjs", "test/notebook/fixtures/hold-kernel.ts"], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve, reject) => {
      holder.stdout.on("data", (d: Buffer) => {
        const m = /kernel-pid (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      holder.once("exit", () => reject(new Error("the holder exited before starting a kernel")));
    });
    expect(alive(pid)).toBe(true);
    holder.kill("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid), `kernel ${pid} outlived its runner`).toBe(false);

    // The dead runner could not remove its kernel's connection folder; the next kernel start (this
    // one, or another test's running in parallel) does.
    const orphans = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith(`cai-k-${holder.pid}-`));
    const next = await createConnection("tslab", "tcp");
    releasePorts(next.info);
    rmSync(next.dir, { recursive: true, force: true });
    expect(orphans()).toEqual([]);
  });

  it("a started kernel leaves no listener on the run's AbortSignal (one signal serves every kernel of a run)", async () => {
    const controller = new AbortController();
    const kernel = await Kernel.start({ spec: builtInSpec("tslab")!, cwd: process.cwd(), abortSignal: controller.signal });
    try {
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    } finally {
      await kernel.shutdown();
    }
  });

});
