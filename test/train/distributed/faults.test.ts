// Dead workers must not hang the others: they stop at the barrier with BARRIER_TIMEOUT naming them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, openStore, startAzurite, type Azurite } from "../../../lib/core/index.js";
import { DistributedTrainingError, FAULT_EXIT_CODE, runDistributedTraining, runLayout } from "../../../lib/train/distributed/index.js";

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
});
afterAll(async () => {
  await azurite?.stop();
});

describe("workers that die", () => {
  it("make the others fail with BARRIER_TIMEOUT naming them, when each was last seen", async () => {
    const storeUrl = azurite.containerUrl("faults");
    const lines: string[] = [];
    const started = Date.now();
    let caught: unknown;
    try {
      await runDistributedTraining({
        workers: 3,
        runId: "dead",
        storeUrl,
        connectionString: azurite.connectionString,
        train: {
          dataset: { name: "synthetic-binary", options: { samples: 300, features: 4 } },
          hyper: { epochs: 3, batchSize: 32, learningRate: 0.02, optimizer: "adam" },
          // Long enough for the ranks' start-up skew on a loaded machine, short enough for a test.
          barrierTimeoutMs: 8_000,
          pollMs: 100,
          heartbeatMs: 500,
        },
        // Rank 1 dies once started (a crashed or OOM-killed pod); rank 2 before its first heartbeat.
        fault: [
          { rank: 1, kind: "exit", epoch: 0 },
          { rank: 2, kind: "exit", epoch: -1 },
        ],
        // As a Kubernetes Job with no failure policy: the survivors find out by themselves.
        job: { killOthersOnFailure: false, onLine: (l, r) => lines.push(`[rank ${r}] ${l}`) },
      });
    } catch (error) {
      caught = error;
    }
    const elapsed = Date.now() - started;

    const logged = lines.find((l) => l.startsWith("[rank 0] DistributedTrainingError BARRIER_TIMEOUT"));
    expect(logged, lines.join("\n")).toMatch(
      /Epoch 0: ranks 1, 2 of 3 did not deliver weights within 8\.0 s \(rank 1 last seen \d+(\.\d)? s ago \(loading, pid \d+ on [^)]+\); rank 2 never started \(no heartbeat\)\)/,
    );
    expect(caught).toBeInstanceOf(DistributedTrainingError);
    const error = caught as DistributedTrainingError;
    expect(error.code).toBe("WORKER_FAILED");
    expect(error.message).toMatch(/^Training run dead failed: rank 0 exited 2: DistributedTrainingError BARRIER_TIMEOUT: Epoch 0: ranks 1, 2/);
    expect(error.message).toMatch(/rank 1 exited 3: rank 1: exiting at epoch 0 \(CUSTOM_AI_FAULT\)/);
    expect(error.message).toMatch(/rank 2 exited 3: rank 2: exiting at start/);
    expect(FAULT_EXIT_CODE).toBe(3);
    // Fast-ish: start-up plus the 8 s barrier timeout (about 20 s on 2 busy cores), not forever.
    expect(elapsed).toBeLessThan(60_000);

    // Rank 0 recorded why it stopped, for a later look at the run.
    const store = await openStore(storeUrl, { connectionString: azurite.connectionString });
    expect(await getJson(store, runLayout("dead").status(0))).toMatchObject({ state: "failed", code: "BARRIER_TIMEOUT", epoch: 0 });
    expect(await store.get(runLayout("dead").result)).toBeUndefined();
  });
});
