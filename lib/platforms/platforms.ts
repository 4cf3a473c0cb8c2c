// The Azure compute platforms the decision framework chooses between, with the facts the
// guide's tables (architectures/compute-platforms.md) show. Prices: lib/azure/prices.json's
// list prices (East US, pay-as-you-go, dated there); node sizes are examples, not requirements.

export type PlatformId =
  | "dsvm-gpu"
  | "dsvm-cpu"
  | "aks-cpu"
  | "aks-gpu"
  | "aks-cpu-spot"
  | "aks-gpu-spot"
  | "spark"
  | "functions"
  | "azure-ml";

/** A tutorial path of the toolkit (DESIGN.md's table). */
export type TutorialPath = "1-1" | "1-2" | "2-1" | "2-2" | "2-3" | "2-4" | "2-5" | "2-6";

export interface Platform {
  readonly id: PlatformId;
  /** The name the guide's trees show on their leaves. */
  readonly name: string;
  readonly gpu: boolean;
  readonly scaleToZero: boolean;
  readonly spot: boolean;
  /** Typical time from nothing to running work. */
  readonly startup: string;
  /** Example node size and its hourly list price (USD, East US); undefined where billing is not per node-hour. */
  readonly exampleNode?: { readonly size: string; readonly usdPerHour: number };
}

const p = (x: Platform): Platform => x;

export const PLATFORMS: Readonly<Record<PlatformId, Platform>> = {
  "dsvm-gpu": p({ id: "dsvm-gpu", name: "GPU DSVM", gpu: true, scaleToZero: false, spot: true, startup: "minutes (start a deallocated VM)", exampleNode: { size: "Standard_NC4as_T4_v3", usdPerHour: 0.526 } }),
  "dsvm-cpu": p({ id: "dsvm-cpu", name: "CPU DSVM", gpu: false, scaleToZero: false, spot: true, startup: "minutes (start a deallocated VM)", exampleNode: { size: "Standard_D4s_v5", usdPerHour: 0.192 } }),
  "aks-cpu": p({ id: "aks-cpu", name: "AKS CPU pool", gpu: false, scaleToZero: true, spot: false, startup: "seconds (pod on a running node); 3–5 min (new node)", exampleNode: { size: "Standard_D4s_v5", usdPerHour: 0.192 } }),
  "aks-gpu": p({ id: "aks-gpu", name: "AKS GPU pool", gpu: true, scaleToZero: true, spot: false, startup: "5–10 min for a new GPU node (driver, image pull)", exampleNode: { size: "Standard_NC4as_T4_v3", usdPerHour: 0.526 } }),
  "aks-cpu-spot": p({ id: "aks-cpu-spot", name: "AKS CPU spot pool", gpu: false, scaleToZero: true, spot: true, startup: "3–5 min (new node), if spot capacity exists", exampleNode: { size: "Standard_D4s_v5", usdPerHour: 0.192 } }),
  "aks-gpu-spot": p({ id: "aks-gpu-spot", name: "AKS GPU spot pool", gpu: true, scaleToZero: true, spot: true, startup: "5–10 min (new node), if spot capacity exists", exampleNode: { size: "Standard_NC4as_T4_v3", usdPerHour: 0.526 } }),
  spark: p({ id: "spark", name: "Spark", gpu: false, scaleToZero: true, spot: true, startup: "2–5 min (Synapse/HDInsight pool or Spark on AKS executors)", exampleNode: { size: "Standard_D8s_v5", usdPerHour: 0.384 } }),
  functions: p({ id: "functions", name: "Azure Functions", gpu: false, scaleToZero: true, spot: false, startup: "cold start: seconds", exampleNode: undefined }),
  "azure-ml": p({ id: "azure-ml", name: "Azure ML", gpu: true, scaleToZero: true, spot: true, startup: "minutes (compute cluster node)", exampleNode: undefined }),
};

/** Measured figures the trees branch on (test/bench/gpu-scoring/RESULTS.md, 2026-12-04, batch 32, the benchmark CNN on 224² images). */
export const MEASURED = {
  /** onnxruntime-node on the CPU of the H200 machine (16 cores). */
  cpuImagesPerSecond: 2866,
  /** p99 per batch of 32 on that CPU. */
  cpuP99MsPerBatch: 18.13,
  /** onnxruntime-node's CUDA provider on one H200. */
  gpuImagesPerSecond: 13220,
  gpuP99MsPerBatch: 3.41,
  source: "test/bench/gpu-scoring/RESULTS.md",
} as const;
