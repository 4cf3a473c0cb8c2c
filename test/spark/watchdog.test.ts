// The watchdog Spark's JVM and the Kafka broker run under: when the pipe from their parent closes
// (the parent died, even by SIGKILL), it kills the whole process group and removes the scratch
// folder; signals to the group reach the command, and its exit is passed on.
import { mkdirSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { processExists, processExit, stopProcess } from "../../lib/core/index.js";
import { spawnWatched } from "../../lib/spark/watchdog.js";
import { tempDir } from "../support/temp.js";

const until = async (check: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("spawnWatched", () => {
  it("kills the group and removes the scratch folder when its parent's pipe closes", async () => {
    const scratch = path.join(tempDir("cai-watchdog-"), "scratch");
    mkdirSync(scratch);
    writeFileSync(path.join(scratch, "x"), "x");
    // sh starts a grandchild (as the JVM starts Python workers) and prints its pid.
    const child = spawnWatched("sh", ["-c", "sleep 60 & echo $!; wait"], { cleanup: scratch });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    await until(() => /\d+\n/.test(out));
    const grandchild = Number(out.trim());
    expect(processExists(grandchild)).toBe(true);
    child.stdin!.destroy(); // what the parent's death does to the pipe
    const end = await processExit(child);
    expect(end.signal).toBe("SIGKILL");
    await until(() => !processExists(grandchild));
    expect(existsSync(scratch)).toBe(false);
  });

  it("passes a stop signal to the command and exits as it did, leaving the folder to the caller", async () => {
    const scratch = tempDir("cai-watchdog-");
    const child = spawnWatched("sleep", ["60"], { cleanup: scratch });
    await new Promise((r) => setTimeout(r, 300));
    const end = await stopProcess(child, { group: true, graceMs: 5_000 });
    expect(end).toMatchObject({ signal: "SIGTERM", forced: false });
    expect(existsSync(scratch)).toBe(true);
    const ok = spawnWatched("sh", ["-c", "exit 3"]);
    expect((await processExit(ok)).exitCode).toBe(3);
  });
});
