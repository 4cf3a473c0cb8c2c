// The two decision trees as data. architectures/compute-platforms.md draws the same trees in
// Mermaid (same question ids, same question text): test/platforms/trees.test.ts checks that every
// root-to-leaf path of the drawings decides the same platform here.
import { MEASURED, type PlatformId, type TutorialPath } from "./platforms.js";
import type { ScoringWorkload, TrainingWorkload } from "./workload.js";

export interface Leaf {
  readonly platform: PlatformId;
  readonly path: TutorialPath | null;
}

export interface Branch<W> {
  /** The edge's label in the drawing. */
  readonly label: string;
  /** Why this branch was taken (a reason of the decision; for the platforms on the other branch, why they were rejected). */
  readonly reason: (w: W) => string;
  readonly next: Node<W>;
}

export interface Question<W> {
  /** The node id in the Mermaid drawing. */
  readonly id: string;
  /** The question, as the drawing words it. */
  readonly ask: string;
  readonly answer: (w: W) => boolean;
  readonly yes: Branch<W>;
  readonly no: Branch<W>;
}

export type Node<W> = Question<W> | Leaf;

export const isLeaf = <W>(n: Node<W>): n is Leaf => "platform" in n;

const leaf = (platform: PlatformId, path: TutorialPath | null): Leaf => ({ platform, path });
const yes = <W>(reason: string | ((w: W) => string), next: Node<W>, label = "yes"): Branch<W> => ({ label, reason: typeof reason === "string" ? () => reason : reason, next });
const no = <W>(reason: string | ((w: W) => string), next: Node<W>, label = "no"): Branch<W> => yes(reason, next, label);

const cpuRate = MEASURED.cpuImagesPerSecond.toLocaleString("en-US");

const spot = <W extends { interruptible?: boolean }>(id: string, ask: string, onSpot: Leaf, onDemand: Leaf): Question<W> => ({
  id,
  ask,
  answer: (w) => w.interruptible === true,
  yes: yes("it checkpoints or resumes, so spot nodes (evictable, much cheaper) suit it", onSpot),
  no: no("it cannot lose a node mid-run, so on-demand nodes", onDemand),
});

const managed = <W extends { managed?: boolean }>(id: string, rest: Node<W>): Question<W> => ({
  id,
  ask: "Want a managed ML service, not VMs and clusters you run?",
  answer: (w) => w.managed === true,
  yes: yes("the team wants a managed service (jobs, endpoints, registry) and gives up control of the cluster", leaf("azure-ml", null)),
  no: no("the team runs its own VMs and AKS: this toolkit's paths, with nothing between the code and the compute", rest),
});

const EVICT = "Checkpointed, so a run survives eviction?";

export const TRAINING_TREE: Node<TrainingWorkload> = managed("T0", {
  id: "T1",
  ask: "More than one node, or unattended?",
  answer: (w) => (w.nodes ?? 1) > 1 || w.unattended === true,
  yes: yes((w) => ((w.nodes ?? 1) > 1 ? `it needs ${w.nodes} nodes at once: a Kubernetes Indexed Job spreads them` : "it runs unattended: a Kubernetes Job, not a VM someone must start"), {
    id: "T2",
    ask: "Needs a GPU?",
    answer: (w) => w.gpu,
    yes: yes("it needs a GPU", spot("T3", EVICT, leaf("aks-gpu-spot", "1-2"), leaf("aks-gpu", "1-2"))),
    no: no("it trains on CPUs", spot("T4", EVICT, leaf("aks-cpu-spot", "1-2"), leaf("aks-cpu", "1-2"))),
  }),
  no: no("one node and a person at a notebook: a VM with Jupyter is the shortest loop", {
    id: "T5",
    ask: "Needs a GPU?",
    answer: (w) => w.gpu,
    yes: yes("it needs a GPU", leaf("dsvm-gpu", "1-1")),
    no: no("it trains on CPUs", leaf("dsvm-cpu", "1-1")),
  }),
});

const needsGpu = (w: ScoringWorkload): boolean =>
  (w.imagesPerSecond ?? 0) > MEASURED.cpuImagesPerSecond || (w.p99MsPerBatch !== undefined && w.p99MsPerBatch < MEASURED.cpuP99MsPerBatch);

const gpuReason = (w: ScoringWorkload): string =>
  (w.imagesPerSecond ?? 0) > MEASURED.cpuImagesPerSecond
    ? `${(w.imagesPerSecond ?? 0).toLocaleString("en-US")} images/s per node is more than a CPU node scored (${cpuRate}; a GPU ${MEASURED.gpuImagesPerSecond.toLocaleString("en-US")}, ${MEASURED.source})`
    : `a p99 budget of ${w.p99MsPerBatch} ms per batch of 32 is under the CPU's measured ${MEASURED.cpuP99MsPerBatch} ms (GPU ${MEASURED.gpuP99MsPerBatch} ms, ${MEASURED.source})`;
const cpuReason = (w: ScoringWorkload): string =>
  `a CPU node scores ${cpuRate} images/s at p99 ${MEASURED.cpuP99MsPerBatch} ms per batch of 32 (${MEASURED.source}), enough for ${(w.imagesPerSecond ?? 0).toLocaleString("en-US")} images/s${w.p99MsPerBatch !== undefined ? ` within ${w.p99MsPerBatch} ms` : ""}, at a fraction of a GPU node's price`;

const DL = "Deep learning model?";
const REALTIME: Node<ScoringWorkload> = {
  id: "S2",
  ask: "Events already flow through Spark?",
  answer: (w) => w.spark === true,
  yes: yes("the events already flow through Spark: score them in Structured Streaming, no second hop", leaf("spark", "2-1")),
  no: no("no Spark in the event path: a scoring service answers with one hop and scales per request", {
    id: "S3",
    ask: DL,
    answer: (w) => w.model === "dl",
    yes: yes("a deep learning model on images", {
      id: "S4",
      ask: `More than ${cpuRate} images/s per node, or p99 under ${MEASURED.cpuP99MsPerBatch} ms per batch?`,
      answer: needsGpu,
      yes: yes(gpuReason, leaf("aks-gpu", "2-5")),
      no: no(cpuReason, leaf("aks-cpu", "2-5")),
    }),
    no: no("a classic ML model: milliseconds per row on a CPU", {
      id: "S5",
      ask: "Sporadic traffic, idle most of the day?",
      answer: (w) => w.sporadic === true,
      yes: yes("traffic is sporadic: Functions scale to zero and bill per execution", leaf("functions", "2-2")),
      no: no("steady traffic: always-on replicas behind an autoscaler, no cold starts", leaf("aks-cpu", "2-2")),
    }),
  }),
};

const BATCH: Node<ScoringWorkload> = {
  id: "S6",
  ask: "Data already in Spark's reach?",
  answer: (w) => w.spark === true,
  yes: yes("the data already sits where a Spark pool reads it: score it there, no copy", leaf("spark", "2-3")),
  no: no("no Spark platform to pay for or operate: an Indexed Job over blob partitions", {
    id: "S7",
    ask: DL,
    answer: (w) => w.model === "dl",
    yes: yes("a deep learning model on images", {
      id: "S8",
      ask: `More than ${cpuRate} images/s per node?`,
      answer: (w) => (w.imagesPerSecond ?? 0) > MEASURED.cpuImagesPerSecond,
      yes: yes(gpuReason, spot("S9", "Can a run be evicted and resumed?", leaf("aks-gpu-spot", "2-6"), leaf("aks-gpu", "2-6"))),
      no: no(cpuReason, spot("S10", "Can a run be evicted and resumed?", leaf("aks-cpu-spot", "2-6"), leaf("aks-cpu", "2-6"))),
    }),
    no: no("a classic ML model on rows: CPUs", spot("S11", "Can a run be evicted and resumed?", leaf("aks-cpu-spot", "2-4"), leaf("aks-cpu", "2-4"))),
  }),
};

export const SCORING_TREE: Node<ScoringWorkload> = managed("S0", {
  id: "S1",
  ask: "Real time or batch?",
  answer: (w) => w.mode === "realtime",
  yes: yes("requests wait for the answer: real time", REALTIME, "real time"),
  no: no("a whole data set per run: batch", BATCH, "batch"),
});
