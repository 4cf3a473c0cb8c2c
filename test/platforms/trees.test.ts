// The guide's trees and the code agree: every root-to-leaf path of the Mermaid trees in
// architectures/compute-platforms.md, turned into a workload, makes choosePlatform decide that leaf.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { choosePlatform, isLeaf, SCORING_TREE, TRAINING_TREE, type Node, type Question, type Workload } from "../../lib/platforms/index.js";
import { ARCHITECTURES } from "./diagrams.js";
import { flowchart, mermaidBlocks, type Flowchart } from "./mermaid.js";

type Fragment = Record<string, unknown>;
/** What each answer of each question means for a workload; an "or" answer has one fragment per alternative. */
const ANSWERS: Record<string, Record<string, Fragment[]>> = {
  T0: { yes: [{ managed: true }], no: [{ managed: false }] },
  T1: { yes: [{ nodes: 4 }, { nodes: 1, unattended: true }], no: [{ nodes: 1, unattended: false }] },
  T2: { yes: [{ gpu: true }], no: [{ gpu: false }] },
  T5: { yes: [{ gpu: true }], no: [{ gpu: false }] },
  T3: { yes: [{ interruptible: true }], no: [{ interruptible: false }] },
  T4: { yes: [{ interruptible: true }], no: [{ interruptible: false }] },
  S0: { yes: [{ managed: true }], no: [{ managed: false }] },
  S1: { "real time": [{ mode: "realtime" }], batch: [{ mode: "batch" }] },
  S2: { yes: [{ spark: true }], no: [{ spark: false }] },
  S6: { yes: [{ spark: true }], no: [{ spark: false }] },
  S3: { yes: [{ model: "dl" }], no: [{ model: "ml" }] },
  S7: { yes: [{ model: "dl" }], no: [{ model: "ml" }] },
  S4: {
    yes: [{ imagesPerSecond: 5000 }, { imagesPerSecond: 100, p99MsPerBatch: 10 }],
    no: [{ imagesPerSecond: 2866, p99MsPerBatch: 50 }, { imagesPerSecond: 0 }],
  },
  S5: { yes: [{ sporadic: true }], no: [{ sporadic: false }] },
  S8: { yes: [{ imagesPerSecond: 10_000 }], no: [{ imagesPerSecond: 1000 }] },
  S9: { yes: [{ interruptible: true }], no: [{ interruptible: false }] },
  S10: { yes: [{ interruptible: true }], no: [{ interruptible: false }] },
  S11: { yes: [{ interruptible: true }], no: [{ interruptible: false }] },
};

interface Case { trail: string[]; workload: Workload; leafName: string; leafPath: string | null }

/** Every root-to-leaf path of a drawn tree, times every alternative of its "or" answers. */
function cases(chart: Flowchart, base: Workload): Case[] {
  const byId = new Map(chart.vertices.map((v) => [v.id, v]));
  const targets = new Set(chart.edges.map((e) => e.to));
  const roots = chart.vertices.filter((v) => !targets.has(v.id));
  expect(roots.map((r) => r.id)).toHaveLength(1);
  const out: Case[] = [];
  const walk = (id: string, trail: string[], w: Fragment): void => {
    const v = byId.get(id)!;
    const edges = chart.edges.filter((e) => e.from === id);
    if (edges.length === 0) {
      expect(v.shape, `leaf ${id}`).toBe("stadium");
      const [name, where] = v.text.split(/<br\s*\/?>/);
      out.push({ trail, workload: { ...base, ...w } as Workload, leafName: name.trim(), leafPath: where.trim().match(/^path (\d-\d)$/)?.[1] ?? null });
      return;
    }
    expect(v.shape, `question ${id}`).toBe("diamond");
    for (const e of edges) {
      const fragments = ANSWERS[id]?.[e.label];
      expect(fragments, `the test knows what "${e.label}" means for ${id}`).toBeDefined();
      for (const f of fragments!) walk(e.to, [...trail, `${id} ${e.label}`], { ...w, ...f });
    }
  };
  walk(roots[0].id, [], {});
  return out;
}

function questionsOf<W>(node: Node<W>, into = new Map<string, Question<W>>()): Map<string, Question<W>> {
  if (!isLeaf(node)) {
    into.set(node.id, node);
    questionsOf(node.yes.next, into);
    questionsOf(node.no.next, into);
  }
  return into;
}
const leafCount = <W>(node: Node<W>): number => (isLeaf(node) ? 1 : leafCount(node.yes.next) + leafCount(node.no.next));

const blocks = mermaidBlocks(path.join(ARCHITECTURES, "compute-platforms.md"));

describe.each([
  { name: "training", index: 0, tree: TRAINING_TREE as Node<unknown>, base: { task: "training", gpu: false } as Workload },
  { name: "scoring", index: 1, tree: SCORING_TREE as Node<unknown>, base: { task: "scoring", mode: "batch", model: "ml" } as Workload },
])("the $name tree", ({ index, tree, base }) => {
  it("asks the code's questions, with the code's answers", async () => {
    const chart = await flowchart(blocks[index].text);
    const questions = questionsOf(tree);
    const drawn = chart.vertices.filter((v) => v.shape === "diamond");
    expect(drawn.map((v) => v.id).sort()).toEqual([...questions.keys()].sort());
    for (const v of drawn) {
      const q = questions.get(v.id)!;
      expect(v.text, v.id).toBe(q.ask);
      expect(chart.edges.filter((e) => e.from === v.id).map((e) => e.label).sort(), v.id).toEqual([q.yes.label, q.no.label].sort());
    }
  });

  it("decides every leaf the way choosePlatform does", async () => {
    const all = cases(await flowchart(blocks[index].text), base);
    expect(new Set(all.map((c) => c.trail.join())).size).toBe(leafCount(tree)); // every code leaf drawn once
    for (const c of all) {
      const d = choosePlatform(c.workload);
      const where = `${c.trail.join(" → ")} with ${JSON.stringify(c.workload)}`;
      expect(d.platform.name, where).toBe(c.leafName);
      expect(d.path, where).toBe(c.leafPath);
    }
  });
});
