import { describe, expect, it } from "vitest";
import { MicroBatcher } from "../../lib/serve/batcher.js";

// A model of one value per row that doubles it, recording the size of each run.
function doubler(maxWaitMs: number, maxBatch = 32) {
  const runs: number[] = [];
  const b = new MicroBatcher({
    maxBatch,
    maxWaitMs,
    maxQueue: 256,
    rowSize: 1,
    run: async (data, rows) => {
      runs.push(rows);
      return { data: data.map((v) => 2 * v), width: 1 };
    },
  });
  const submit = (v: number) => b.submit(Float32Array.of(v), 1).then((r) => r.data[0]);
  return { b, runs, submit };
}

describe("MicroBatcher", () => {
  it("with maxWaitMs 0, runs the requests submitted in one turn of the event loop together", async () => {
    const { runs, submit } = doubler(0);
    const out = await Promise.all([1, 2, 3, 4, 5].map(submit));
    expect(out).toEqual([2, 4, 6, 8, 10]);
    expect(runs).toEqual([5]);
  });

  it("with maxWaitMs 0, queues what arrives during a run for the next one", async () => {
    const { runs, submit } = doubler(0);
    const first = submit(1);
    await new Promise((r) => setImmediate(r)); // the first run has started
    const later = await Promise.all([2, 3, 4].map(submit));
    expect(await first).toBe(2);
    expect(later).toEqual([4, 6, 8]);
    expect(runs).toEqual([1, 3]);
  });

  it("with maxWaitMs > 0, waits for more requests", async () => {
    const { runs, submit } = doubler(40);
    const a = submit(1);
    await new Promise((r) => setTimeout(r, 10));
    const rest = [2, 3].map(submit);
    expect(await Promise.all([a, ...rest])).toEqual([2, 4, 6]);
    expect(runs).toEqual([3]);
  });

  it("runs at once when maxBatch rows wait, however long maxWaitMs is", async () => {
    const { runs, submit } = doubler(60_000, 4);
    const t0 = performance.now();
    expect(await Promise.all([1, 2, 3, 4].map(submit))).toEqual([2, 4, 6, 8]);
    expect(runs).toEqual([4]);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});
