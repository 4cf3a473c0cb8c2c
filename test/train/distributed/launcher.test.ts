import { describe, expect, it } from "vitest";
import { DistributedTrainingError, describeFailures, runLocalJob } from "../../../lib/train/distributed/index.js";

const ENTRY = "test/train/distributed/fixtures/echo-worker.mjs";

function collect() {
  const lines: { rank: number; line: string; stream: string }[] = [];
  return { lines, onLine: (line: string, rank: number, stream: string) => lines.push({ rank, line, stream }) };
}

describe("runLocalJob", () => {
  it("starts N processes of one entrypoint with JOB_COMPLETION_INDEX and WORLD_SIZE, streaming their lines by rank", async () => {
    const { lines, onLine } = collect();
    const job = await runLocalJob({ workers: 3, entry: ENTRY, env: { EXTRA: "x", BEHAVIOUR: JSON.stringify({ 1: { ms: 0, code: 4 } }) }, onLine });
    expect(job.ok).toBe(false);
    expect(job.exitCodes).toEqual([0, 4, 0]);
    for (const rank of [0, 1, 2]) {
      expect(lines.find((l) => l.rank === rank && l.stream === "stdout")?.line).toMatch(new RegExp(`^start rank=${rank} world=3 extra=x `));
      expect(lines.some((l) => l.rank === rank && l.stream === "stderr" && l.line === `to stderr from ${rank}`)).toBe(true);
    }
    expect(describeFailures(job)).toBe("rank 1 exited 4: to stderr from 1");
  });

  it("stops the others when one fails, if asked", async () => {
    const job = await runLocalJob({
      workers: 2,
      entry: ENTRY,
      env: { BEHAVIOUR: JSON.stringify({ 0: { ms: 60_000, code: 0 }, 1: { ms: 200, code: 1 } }) },
      killOthersOnFailure: true,
      log: false,
    });
    expect(job.exitCodes[1]).toBe(1);
    expect(job.workers[0]).toMatchObject({ exitCode: null, signal: "SIGTERM", killed: true });
    expect(job.durationMs).toBeLessThan(30_000);
  });

  it("runs at most `parallelism` at once, like a Job's parallelism", async () => {
    const { lines, onLine } = collect();
    const job = await runLocalJob({ workers: 3, parallelism: 1, entry: ENTRY, env: { BEHAVIOUR: JSON.stringify({ 0: { ms: 300, code: 0 }, 1: { ms: 300, code: 0 }, 2: { ms: 0, code: 0 } }) }, onLine });
    expect(job.exitCodes).toEqual([0, 0, 0]);
    const time = (kind: string, rank: number) => Number(/t=(\d+)/.exec(lines.find((l) => l.rank === rank && l.line.startsWith(kind))!.line)![1]);
    expect(time("start", 1)).toBeGreaterThanOrEqual(time("end", 0));
    expect(time("start", 2)).toBeGreaterThanOrEqual(time("end", 1));
  });

  it("says what is wrong with the entrypoint", async () => {
    await expect(runLocalJob({ workers: 1, entry: "no/such/worker.ts" })).rejects.toBeInstanceOf(DistributedTrainingError);
    await expect(runLocalJob({ workers: 1, entry: "no/such/worker.ts" })).rejects.toThrow(/entrypoint .*no\/such\/worker\.ts does not exist/);
    await expect(runLocalJob({ workers: 0, entry: ENTRY })).rejects.toThrow(/workers must be a whole number ≥ 1/);
  });
});
