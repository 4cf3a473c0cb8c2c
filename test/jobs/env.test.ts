import { describe, expect, it } from "vitest";
import { JobError, jobEnv, readJobEnv } from "../../lib/jobs/index.js";

function failure(fn: () => unknown): JobError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JobError);
    return error as JobError;
  }
  throw new Error("expected a JobError");
}

describe("the job's environment contract", () => {
  it("reads what runLocalJob and a Kubernetes Indexed Job set", () => {
    const env = { ...jobEnv({ worldSize: 4, parallelism: 2, jobName: "score-7" }), JOB_COMPLETION_INDEX: "3" };
    expect(env).toEqual({ WORLD_SIZE: "4", CUSTOM_AI_JOB_PARALLELISM: "2", CUSTOM_AI_JOB_NAME: "score-7", JOB_COMPLETION_INDEX: "3" });
    expect(readJobEnv(env)).toEqual({ rank: 3, worldSize: 4, parallelism: 2, jobName: "score-7" });
    expect(readJobEnv({ JOB_COMPLETION_INDEX: "0", WORLD_SIZE: "2" })).toEqual({ rank: 0, worldSize: 2, parallelism: 2, jobName: "" });
  });

  it("names the variable that is missing or wrong", () => {
    expect(failure(() => readJobEnv({ WORLD_SIZE: "2" }))).toMatchObject({ code: "BAD_CONFIG", message: expect.stringMatching(/set JOB_COMPLETION_INDEX/) });
    expect(failure(() => readJobEnv({ JOB_COMPLETION_INDEX: "0" })).message).toMatch(/WORLD_SIZE is not set/);
    expect(failure(() => readJobEnv({ JOB_COMPLETION_INDEX: "x", WORLD_SIZE: "2" })).message).toMatch(/JOB_COMPLETION_INDEX must be a whole number ≥ 0, not "x"/);
    expect(failure(() => readJobEnv({ JOB_COMPLETION_INDEX: "0", WORLD_SIZE: "0" })).message).toMatch(/WORLD_SIZE must be a whole number ≥ 1/);
    expect(failure(() => readJobEnv({ JOB_COMPLETION_INDEX: "2", WORLD_SIZE: "2" })).message).toMatch(/rank 2 is outside 0\.\.1/);
    expect(failure(() => readJobEnv({ JOB_COMPLETION_INDEX: "0", WORLD_SIZE: "2", CUSTOM_AI_JOB_PARALLELISM: "0" })).message).toMatch(/CUSTOM_AI_JOB_PARALLELISM/);
  });

  it("refuses a default rank for a job of several workers (a Job that is not Indexed)", () => {
    expect(() => readJobEnv({ WORLD_SIZE: "3" }, { defaults: { rank: 0, worldSize: 1 } })).toThrow(/JOB_COMPLETION_INDEX is not set but WORLD_SIZE=3[\s\S]*Indexed Job/);
    expect(readJobEnv({}, { defaults: { rank: 2, worldSize: 3 } })).toMatchObject({ rank: 2, worldSize: 3 });
  });

  it("takes defaults for unset variables only", () => {
    expect(readJobEnv({}, { defaults: { rank: 0, worldSize: 1 } })).toMatchObject({ rank: 0, worldSize: 1 });
    expect(readJobEnv({ JOB_COMPLETION_INDEX: "1", WORLD_SIZE: "3" }, { defaults: { rank: 0, worldSize: 1 } })).toMatchObject({ rank: 1, worldSize: 3 });
  });
});
