import { describe, expect, it } from "vitest";
import { JobError, describeFailures, runLocalJob, type LocalJobProgress } from "../../lib/jobs/index.js";
import { tempDir } from "../support/temp.js";

const ENTRY = "test/jobs/fixtures/echo-worker.mjs";

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
    // The rest of the job contract (JOB_ENV): parallelism and the job's name.
    expect(lines.find((l) => l.rank === 0 && l.stream === "stdout")?.line).toMatch(/ parallelism=3 name=fixtures\/echo-worker /);
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
    expect(lines.find((l) => l.rank === 0 && l.stream === "stdout")?.line).toMatch(/ parallelism=1 /);
  });

  it("starts a failed index again, up to backoffLimitPerIndex times, and reports each step", async () => {
    const events: LocalJobProgress[] = [];
    const retried = await runLocalJob({ workers: 2, entry: ENTRY, env: { FAIL_ONCE_DIR: tempDir() }, backoffLimitPerIndex: 1, log: false, onProgress: (p) => events.push(p) });
    expect(retried.ok).toBe(true);
    expect(retried.workers.map((w) => w.attempts)).toEqual([2, 2]);
    const rank0 = events.filter((e) => e.rank === 0).map((e) => `${e.event}#${e.attempt}`);
    expect(rank0).toEqual(["started#1", "retrying#1", "started#2", "succeeded#2"]);
    expect(events.at(-1)).toMatchObject({ active: 0, succeeded: 2, failed: 0, completions: 2 });

    const noRetry = await runLocalJob({ workers: 1, entry: ENTRY, env: { FAIL_ONCE_DIR: tempDir() }, log: false });
    expect(noRetry.exitCodes).toEqual([1]);
    expect(describeFailures(noRetry)).toBe("rank 0 exited 1: first attempt of 0 fails");

    const spent = await runLocalJob({ workers: 1, entry: ENTRY, env: { FAIL_ONCE_DIR: tempDir(), BEHAVIOUR: JSON.stringify({ 0: { ms: 0, code: 5 } }) }, backoffLimitPerIndex: 2, log: false });
    expect(spent.workers[0]).toMatchObject({ exitCode: 5, attempts: 3 });
    expect(describeFailures(spent)).toBe("rank 0 exited 5 after 3 attempts: to stderr from 0");
  });

  it("stops every worker on abortSignal and starts no more", async () => {
    const abort = new AbortController();
    const events: LocalJobProgress[] = [];
    const running = runLocalJob({
      workers: 3,
      parallelism: 2,
      entry: ENTRY,
      env: { BEHAVIOUR: JSON.stringify({ 0: { ms: 60_000, code: 0 }, 1: { ms: 60_000, code: 0 } }) },
      log: false,
      abortSignal: abort.signal,
      onProgress: (p) => {
        events.push(p);
        if (p.active === 2) abort.abort();
      },
    });
    const job = await running;
    expect(job.ok).toBe(false);
    expect(job.workers.map((w) => [w.killed, w.started, w.signal])).toEqual([
      [true, true, "SIGTERM"],
      [true, true, "SIGTERM"],
      [true, false, null],
    ]);
    expect(events.filter((e) => e.event === "stopped").length).toBe(2);
    expect(events.at(-1)).toMatchObject({ active: 0, succeeded: 0, failed: 2 });
  });

  it("says what is wrong with the entrypoint", async () => {
    await expect(runLocalJob({ workers: 1, entry: "no/such/worker.ts" })).rejects.toBeInstanceOf(JobError);
    await expect(runLocalJob({ workers: 1, entry: "no/such/worker.ts" })).rejects.toThrow(/entrypoint .*no\/such\/worker\.ts does not exist/);
    await expect(runLocalJob({ workers: 0, entry: ENTRY })).rejects.toThrow(/workers must be a whole number ≥ 1/);
    await expect(runLocalJob({ workers: 1, entry: ENTRY, backoffLimitPerIndex: -1 })).rejects.toMatchObject({ code: "BAD_OPTION" });
  });
});
