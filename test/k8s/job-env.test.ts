// The local launchers (runBatchScoring, runDistributedTraining → runLocalJob) and the Kubernetes
// Indexed Jobs run the same entrypoint with the same environment: the real launchers start a stand-in
// worker (fixtures/env-dump-worker.ts) that records what it got, compared with the Job's container.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BATCH_ENV, ENTRYPOINTS, JOB_ENV, TRAIN_WORKER_ENV } from "../../lib/jobs/index.js";
import { batchJobManifests, KNOWN_FAILURE_EXIT, trainJobManifests, JOB_NAME_LABEL } from "../../lib/k8s/index.js";
import { BATCH_WORKER_ENTRY, runBatchScoring } from "../../lib/serve/batch/index.js";
import { runDistributedTraining, TRAINING_WORKER_ENTRY } from "../../lib/train/distributed/index.js";
import { writePartitions, writeTinyModel } from "../serve/batch-helpers.js";
import { tempDir } from "../support/temp.js";

/** The job contract's variable names. */
const CONTRACT = new Set<string>([...Object.values(JOB_ENV), ...Object.values(BATCH_ENV), ...Object.values(TRAIN_WORKER_ENV)]);

/** A project folder whose worker entrypoint is the stand-in. */
function fakeProject(entry: string): string {
  const root = tempDir("cai-k8s-env-");
  mkdirSync(path.join(root, path.dirname(entry)), { recursive: true });
  copyFileSync(path.resolve("test/k8s/fixtures/env-dump-worker.ts"), path.join(root, entry));
  return root;
}

interface Dump {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

function dumps(dir: string): Dump[] {
  return readdirSync(dir)
    .filter((f) => /^env-\d+\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")));
}

function contractOf(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => CONTRACT.has(k)));
}

/** The Job container's env as name → value, with `from:` for a reference. */
function containerEnv(job: any): Record<string, string> {
  const c = job.spec.template.spec.containers[0];
  return Object.fromEntries(
    c.env.map((e: any) => [e.name, e.value ?? (e.valueFrom.fieldRef ? `from:${e.valueFrom.fieldRef.fieldPath}` : `from:secret ${e.valueFrom.secretKeyRef.name}`)]),
  );
}

/** What a pod would get: the container's env, and the index Kubernetes adds. */
function expectSameContract(local: Dump[], job: any, entrypoint: readonly string[]) {
  expect(local.length).toBe(job.spec.completions);
  const pod = containerEnv(job);
  expect(job.spec.template.spec.containers[0].command).toEqual([...entrypoint]);
  local.forEach((dump, rank) => {
    // The same entrypoint (run by bin/run-ts.mjs, which hides itself from argv), from the project root (the image's WORKDIR).
    expect(path.relative(dump.cwd, dump.argv[0])).toBe(entrypoint[2]);
    const env = contractOf(dump.env);
    expect(env[JOB_ENV.rank]).toBe(String(rank)); // Kubernetes sets it in an Indexed Job
    const { [JOB_ENV.rank]: _rank, [JOB_ENV.exitWithParent]: _local, [JOB_ENV.jobName]: localName, [TRAIN_WORKER_ENV.connectionString]: localSecret, ...same } = env;
    const { [JOB_ENV.jobName]: podName, [TRAIN_WORKER_ENV.connectionString]: podSecret, ...podSame } = pod;
    expect(podSame).toEqual(same);
    expect(localName).toBeTruthy();
    expect(podName).toBe(`from:metadata.labels['${JOB_NAME_LABEL}']`);
    expect(Boolean(localSecret)).toBe(Boolean(podSecret));
  });
}

describe("the local Indexed Job and the Kubernetes Job: one environment contract", () => {
  let model: string;
  beforeAll(async () => {
    model = path.join(tempDir("cai-k8s-model-"), "model");
    await writeTinyModel(model);
  });

  it("batch scoring: runBatchScoring's workers get what the Job's pods get", async () => {
    const root = fakeProject(BATCH_WORKER_ENTRY);
    const input = path.join(root, "in");
    const output = path.join(root, "out");
    writePartitions(input, 3, 5);
    mkdirSync(output);
    // The stand-in commits nothing, so the run ends in an error after the workers ran.
    await runBatchScoring({ model, input, output, workers: 3, batchSize: 64, cwd: root, progress: false, connectionString: "UseDevelopmentStorage=true" }).catch(() => undefined);
    const job = batchJobManifests({ name: "b", image: "i", model, input, output, workers: 3, batchSize: 64, storageSecret: "storage" })[0];
    expectSameContract(dumps(output), job, ENTRYPOINTS.batchWorker);
  });

  it("training: runDistributedTraining's workers get what the Job's pods get", async () => {
    const root = fakeProject(TRAINING_WORKER_ENTRY);
    const store = path.join(root, "runs");
    mkdirSync(store);
    const train = { hyper: { epochs: 2, batchSize: 16, learningRate: 0.05, optimizer: "adam" as const }, seed: 7 };
    await runDistributedTraining({ storeUrl: store, runId: "r1", workers: 2, train, backend: "cpu", throwOnFailure: false, job: { cwd: root, log: false } });
    const job = trainJobManifests({ name: "t", image: "i", runId: "r1", storeUrl: store, workers: 2, config: train, backend: "cpu" })[0];
    expectSameContract(dumps(store), job, ENTRYPOINTS.trainWorker);
  });

  it("a worker's known failure exits with the code the Job's podFailurePolicy fails the index on", async () => {
    // The real batch worker, without its variables: BAD_CONFIG, a failure a retry cannot fix.
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ENTRYPOINTS.batchWorker.slice(1), { env: { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR }, stdio: "ignore" });
      child.once("close", resolve);
    });
    expect(code).toBe(KNOWN_FAILURE_EXIT);
    const rules = (batchJobManifests({ name: "b", image: "i", model: "m", input: "i", output: "o" })[0] as any).spec.podFailurePolicy.rules;
    expect(rules.find((r: any) => r.action === "FailIndex").onExitCodes.values).toEqual([code]);
  });
});
