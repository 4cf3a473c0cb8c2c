// choosePlatform: walks the decision tree of the workload's task. Its reasons are the branches it
// took; its rejected alternatives are the leaves of the branches it did not take, each with the
// reason of the branch taken instead.
import { CustomAiError } from "../core/index.js";
import { PLATFORMS, type Platform, type PlatformId, type TutorialPath } from "./platforms.js";
import { isLeaf, SCORING_TREE, TRAINING_TREE, type Node } from "./tree.js";
import type { Workload } from "./workload.js";

export interface Rejected {
  readonly platform: Platform;
  readonly why: string;
}

export interface Decision {
  readonly platform: Platform;
  /** The toolkit's tutorial path that builds it; null for Azure ML, which the toolkit does not drive. */
  readonly path: TutorialPath | null;
  /** Why, in the order the tree asked. */
  readonly reasons: readonly string[];
  /** Every other platform the tree could have chosen, and why not (first reason that ruled it out). */
  readonly rejected: readonly Rejected[];
  /** The questions the tree asked, in order, with the answers (the reasons are in the same order). */
  readonly trail: readonly { readonly question: string; readonly answer: string }[];
}

/** The platforms a subtree can end in. */
function leavesOf<W>(node: Node<W>): PlatformId[] {
  return isLeaf(node) ? [node.platform] : [...leavesOf(node.yes.next), ...leavesOf(node.no.next)];
}

function bad(message: string): never {
  throw new CustomAiError("BAD_OPTION", message);
}

function validate(w: Workload): void {
  if (w === null || typeof w !== "object") bad("the workload must be an object with a task: training or scoring.");
  const count = (name: string, v: unknown): void => {
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) bad(`${name} must be a number ≥ 0, not ${String(v)}.`);
  };
  if (w.task === "training") {
    if (typeof w.gpu !== "boolean") bad("a training workload says whether it needs a GPU: gpu: true or false.");
    if (w.nodes !== undefined && !(Number.isInteger(w.nodes) && w.nodes >= 1)) bad(`nodes must be a whole number ≥ 1, not ${String(w.nodes)}.`);
  } else if (w.task === "scoring") {
    if (w.mode !== "realtime" && w.mode !== "batch") bad(`a scoring workload's mode is realtime or batch, not ${String(w.mode)}.`);
    if (w.model !== "ml" && w.model !== "dl") bad(`a scoring workload's model is ml (rows) or dl (images), not ${String(w.model)}.`);
    count("imagesPerSecond", w.imagesPerSecond);
    count("p99MsPerBatch", w.p99MsPerBatch);
  } else {
    bad(`the workload's task is training or scoring, not ${String((w as { task?: unknown }).task)}.`);
  }
}

/** Chooses the Azure compute for a workload, as architectures/compute-platforms.md's trees do. Throws BAD_OPTION for an incomplete workload. */
export function choosePlatform(workload: Workload): Decision {
  validate(workload);
  const reasons: string[] = [];
  const trail: { question: string; answer: string }[] = [];
  const rejected = new Map<PlatformId, string>();
  const walk = <W>(node: Node<W>, w: W): Decision => {
    while (!isLeaf(node)) {
      const [taken, other] = node.answer(w) ? [node.yes, node.no] : [node.no, node.yes];
      const reason = taken.reason(w);
      reasons.push(reason);
      trail.push({ question: node.ask, answer: taken.label });
      // A platform is ruled out where no branch still open can end in it.
      const stillOpen = new Set(leavesOf(taken.next));
      for (const id of leavesOf(other.next)) if (!stillOpen.has(id) && !rejected.has(id)) rejected.set(id, reason);
      node = taken.next;
    }
    return {
      platform: PLATFORMS[node.platform],
      path: node.path,
      reasons,
      trail,
      rejected: [...rejected].map(([id, why]) => ({ platform: PLATFORMS[id], why })),
    };
  };
  return workload.task === "training" ? walk(TRAINING_TREE, workload) : walk(SCORING_TREE, workload);
}
