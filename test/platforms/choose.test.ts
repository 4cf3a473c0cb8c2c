// choosePlatform: reasons, rejected alternatives, and the workloads it refuses.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isCustomAiError } from "../../lib/core/index.js";
import { choosePlatform, isLeaf, MEASURED, SCORING_TREE, TRAINING_TREE, type Node, type Workload } from "../../lib/platforms/index.js";

const platformsOf = <W>(n: Node<W>): string[] => (isLeaf(n) ? [n.platform] : [...platformsOf(n.yes.next), ...platformsOf(n.no.next)]);

describe("choosePlatform", () => {
  it("rejects every other platform of the tree once, each with a reason", () => {
    for (const [w, tree] of [
      [{ task: "training", gpu: true, nodes: 8, interruptible: true }, TRAINING_TREE],
      [{ task: "scoring", mode: "realtime", model: "ml", sporadic: true }, SCORING_TREE],
      [{ task: "scoring", mode: "batch", model: "dl", imagesPerSecond: 100 }, SCORING_TREE],
    ] as Array<[Workload, Node<never>]>) {
      const d = choosePlatform(w);
      const ids = d.rejected.map((r) => r.platform.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set([...ids, d.platform.id])).toEqual(new Set(platformsOf(tree)));
      expect(ids).not.toContain(d.platform.id);
      for (const r of d.rejected) expect(d.reasons).toContain(r.why);
    }
  });

  it("gives the measured figure as the reason for a GPU or a CPU", () => {
    const gpu = choosePlatform({ task: "scoring", mode: "realtime", model: "dl", imagesPerSecond: 4000 });
    expect(gpu.platform.id).toBe("aks-gpu");
    expect(gpu.reasons.at(-1)).toContain("2,866");
    const cpu = choosePlatform({ task: "scoring", mode: "realtime", model: "dl", imagesPerSecond: MEASURED.cpuImagesPerSecond, p99MsPerBatch: 40 });
    expect(cpu.platform.id).toBe("aks-cpu");
    expect(cpu.rejected.find((r) => r.platform.id === "aks-gpu")?.why).toContain(MEASURED.source);
    expect(choosePlatform({ task: "scoring", mode: "realtime", model: "dl", p99MsPerBatch: 5 }).platform.id).toBe("aks-gpu");
  });

  it("answers path 1-1 for a notebook user and null for the managed alternative", () => {
    expect(choosePlatform({ task: "training", gpu: true })).toMatchObject({ platform: { id: "dsvm-gpu" }, path: "1-1" });
    expect(choosePlatform({ task: "training", gpu: true, managed: true })).toMatchObject({ platform: { id: "azure-ml" }, path: null });
    expect(choosePlatform({ task: "training", gpu: false, unattended: true }).trail).toEqual([
      { question: "Want a managed ML service, not VMs and clusters you run?", answer: "no" },
      { question: "More than one node, or unattended?", answer: "yes" },
      { question: "Needs a GPU?", answer: "no" },
      { question: "Checkpointed, so a run survives eviction?", answer: "no" },
    ]);
  });

  it.each([
    [{ task: "inference" }, /task is training or scoring/],
    [{ task: "training" }, /gpu: true or false/],
    [{ task: "training", gpu: true, nodes: 1.5 }, /nodes must be a whole number/],
    [{ task: "scoring", mode: "batch" }, /model is ml/],
    [{ task: "scoring", mode: "stream", model: "ml" }, /mode is realtime or batch/],
    [{ task: "scoring", mode: "batch", model: "dl", imagesPerSecond: -1 }, /imagesPerSecond must be a number/],
  ])("refuses %j with BAD_OPTION", (w, message) => {
    let error: unknown;
    try {
      choosePlatform(w as unknown as Workload);
    } catch (e) {
      error = e;
    }
    expect(isCustomAiError(error) && error.code).toBe("BAD_OPTION");
    expect((error as Error).message).toMatch(message);
  });
});

describe("MEASURED", () => {
  it("holds the figures of test/bench/gpu-scoring/RESULTS.md", () => {
    const results = readFileSync(MEASURED.source, "utf8");
    const row = (scorer: string) => {
      const m = results.match(new RegExp(`^\\| ${scorer} \\| (\\d+) \\| ([\\d.]+) / ([\\d.]+) \\|`, "m"));
      expect(m, scorer).not.toBeNull();
      return { imagesPerSecond: Number(m![1]), p99: Number(m![3]) };
    };
    expect(row("onnxruntime-node CPU")).toEqual({ imagesPerSecond: MEASURED.cpuImagesPerSecond, p99: MEASURED.cpuP99MsPerBatch });
    expect(row("onnxruntime-node CUDA \\(provider slim\\)")).toEqual({ imagesPerSecond: MEASURED.gpuImagesPerSecond, p99: MEASURED.gpuP99MsPerBatch });
  });
});
