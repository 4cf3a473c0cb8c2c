// LivyClient against an in-process fake of the Livy batch API (over a real socket): submit, states
// until success, dead / killed with the log's tail, DELETE on abort, HTTP failures, auth headers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LivyClient, livyBatchesUrl, SparkError, type LivyBatch } from "../../lib/spark/index.js";
import { startFakeLivy, type FakeLivy } from "./fake-livy.js";

describe("LivyClient (Synapse / HDInsight batches)", () => {
  let fake: FakeLivy;
  beforeAll(async () => {
    fake = await startFakeLivy();
  });
  afterAll(() => fake.close());

  const request = { file: "abfss://jobs@acct.dfs.core.windows.net/score_batch.py", pyFiles: ["abfss://jobs@acct.dfs.core.windows.net/custom_ai_scoring.py"], args: ["--model", "m", "--input", "i", "--output", "o"], numExecutors: 2 };

  it("submits a batch and follows starting → running → success", async () => {
    fake.nextStates = ["starting", "starting", "running", "running", "success"];
    const client = new LivyClient(fake.url, { token: async () => "tok-1" });
    const submitted = await client.submit(request);
    expect(submitted.state).toBe("starting");
    expect(fake.batches.get(submitted.id)!.request).toEqual(request);
    const seen: string[] = [];
    const done = await client.wait(submitted.id, { pollMs: 5, onState: (b) => seen.push(b.state) });
    expect(done.state).toBe("success");
    expect(seen).toEqual(["starting", "starting", "running", "running", "success"]);
    expect(fake.requests.every((r) => r.headers.authorization === "Bearer tok-1")).toBe(true);
    expect(fake.requests[0].headers["x-requested-by"]).toBe("custom-ai");
    expect(await client.state(submitted.id)).toBe("success");
  });

  it("a dead batch rejects with SPARK_JOB_FAILED and the driver log's tail", async () => {
    fake.nextStates = ["starting", "running", "dead"];
    const client = new LivyClient(fake.url, { basicAuth: { user: "admin", password: "pw" } });
    const { id } = await client.submit(request);
    const error = (await client.wait(id, { pollMs: 5 }).catch((e: unknown) => e)) as SparkError;
    expect(error).toBeInstanceOf(SparkError);
    expect(error.code).toBe("SPARK_JOB_FAILED");
    expect(error.message).toMatch(/ended dead/);
    expect(error.logTail).toContain("ValueError: input folder is empty");
    expect(fake.requests.at(-1)!.path).toMatch(/\/log\?from=-50&size=50$/);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
  });

  it("aborting the wait deletes the batch, which Livy then reports killed", async () => {
    fake.nextStates = ["starting", "running", "running", "running", "running", "running", "success"];
    const client = new LivyClient(fake.url);
    const { id } = await client.submit(request);
    const stop = new AbortController();
    const error = (await client.wait(id, { pollMs: 5, abortSignal: stop.signal, onState: (b: LivyBatch) => b.state === "running" && stop.abort() }).catch((e: unknown) => e)) as SparkError;
    expect(error.code).toBe("ABORTED");
    expect(fake.batches.get(id)!.deleted).toBe(true);
    expect(await client.state(id)).toBe("killed");
    // A batch killed by someone else is a failure of the wait.
    const again = (await client.wait(id, { pollMs: 5 }).catch((e: unknown) => e)) as SparkError;
    expect(again.code).toBe("SPARK_JOB_FAILED");
    expect(again.message).toMatch(/ended killed/);
  });

  it("HTTP failures and unreachable endpoints are LIVY_REQUEST_FAILED with the answer", async () => {
    const client = new LivyClient(fake.url);
    fake.failNext = { status: 401, body: '{"msg":"invalid token"}' };
    const unauthorised = (await client.submit(request).catch((e: unknown) => e)) as SparkError;
    expect(unauthorised.code).toBe("LIVY_REQUEST_FAILED");
    expect(unauthorised.message).toMatch(/HTTP 401: \{"msg":"invalid token"\}/);
    const rejected = (await client.submit({ ...request, file: undefined as unknown as string }).catch((e: unknown) => e)) as SparkError;
    expect(rejected.message).toMatch(/HTTP 400.*file is required/);
    const missing = (await client.get(9999).catch((e: unknown) => e)) as SparkError;
    expect(missing.message).toMatch(/HTTP 404.*not found/);
    const nowhere = new LivyClient("http://127.0.0.1:1/batches", { timeoutMs: 2000 });
    const unreachable = (await nowhere.get(0).catch((e: unknown) => e)) as SparkError;
    expect(unreachable.code).toBe("LIVY_REQUEST_FAILED");
    expect(unreachable.message).toMatch(/No answer from Livy/);
  });

  it("builds the Synapse and HDInsight batch URLs", () => {
    expect(livyBatchesUrl({ synapseWorkspace: "ws1", sparkPool: "pool1" })).toBe("https://ws1.dev.azuresynapse.net/livyApi/versions/2019-11-01-preview/sparkPools/pool1/batches");
    expect(livyBatchesUrl({ hdinsightCluster: "hdi1" })).toBe("https://hdi1.azurehdinsight.net/livy/batches");
  });
});
