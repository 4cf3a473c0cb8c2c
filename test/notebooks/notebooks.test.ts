// Every notebook in notebooks/ is a test: it runs headlessly through the real kernel, and its glued
// values are checked against the expectations below (ranges and tolerances, not "it ran").
// A new notebook joins automatically, and fails until it has expectations here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalCluster, type LocalCluster } from "../../lib/k8s/local/index.js";
import { runNotebook, type NotebookResult } from "../../lib/notebook/index.js";

type Expectations = (glue: Record<string, unknown>, result: NotebookResult, before: { savedModels: Set<string> }) => void;

/**
 * The tutorial models 1-1 saves (out/models/<name>) that were there, complete, before a notebook
 * ran: a scoring notebook trains one itself (glues model_trained_here) exactly when it was not.
 */
function savedTutorialModels(): Set<string> {
  const complete = (name: string) => {
    const meta = path.join("out", "models", name, "metadata.json");
    if (!existsSync(meta) || !existsSync(path.join("out", "models", name, "model.onnx"))) return false;
    return name !== "digits-cnn" || readFileSync(meta, "utf8").includes('"image"'); // an older save lacks the image step
  };
  return new Set(["breast-cancer-mlp", "digits-cnn"].filter(complete));
}
/** tfjs's name of the backend each rung of the ladder activates. */
const TF_BACKEND: Record<string, string> = { "tfjs-node-gpu": "tensorflow", "tfjs-node": "tensorflow", webgpu: "webgpu", wasm: "wasm", cpu: "cpu" };

// The "On Kubernetes" sections deploy to one local cluster started for this file (the global setup
// built the binaries), given as their `kubeconfig` parameter; 2-4 gets none and so starts its own
// local cluster (the notebooks' other branch). A cluster start costs 4–8 s on a busy machine.
const K8S_NOTEBOOKS = ["1-2-multi-node-training.ipynb", "2-2-realtime-scoring-ml.ipynb", "2-5-realtime-scoring-dl.ipynb", "2-6-batch-scoring-dl.ipynb"];
let sharedCluster: Promise<LocalCluster> | undefined;
async function k8sParameters(file: string): Promise<Record<string, unknown>> {
  if (!K8S_NOTEBOOKS.includes(file)) return {};
  sharedCluster ??= startLocalCluster({ name: `notebooks-${process.pid}` });
  return { kubeconfig: (await sharedCluster).kubeconfig };
}
afterAll(async () => {
  await sharedCluster?.then((c) => c.stop(), () => undefined);
});

/** What a notebook's "On Kubernetes" section glued: where it deployed, and that what was asked for came up and was removed. */
function onKubernetes(g: Record<string, unknown>, target: "kubeconfig" | "local", want: { gpu: boolean; replicas?: number; completions?: number }): void {
  expect(g.k8s_target).toBe(target);
  expect(g.k8s_gpu).toBe(want.gpu);
  if (want.replicas !== undefined) {
    expect(g.k8s_kinds).toEqual(["Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]);
    expect(g.k8s_replicas_desired).toBe(want.replicas);
    expect(g.k8s_replicas_available).toBe(want.replicas);
  } else {
    expect(g.k8s_kinds).toEqual(["Job"]);
    expect(g.k8s_completions).toBe(want.completions);
    expect(g.k8s_indexes_completed).toBe(want.completions);
  }
  expect(g.k8s_removed).toEqual(expect.arrayContaining(g.k8s_kinds as string[]));
  if (target === "local") expect(g.k8s_cluster_start_ms as number).toBeGreaterThan(0);
  else expect(g.k8s_cluster_start_ms).toBeNull();
  expect(g.k8s_deploy_ms as number).toBeGreaterThan(0);
}

const expectations: Record<string, Expectations> = {
  "0-provision.ipynb": (g) => {
    // Without AZURE_SUBSCRIPTION_ID (CI): an offline plan of all 12 resources, nothing created.
    expect(g.plan_resources).toBe(12);
    expect(g.plan_keys).toEqual(expect.arrayContaining(["resourceGroup", "storage", "registry", "aks", "acrPull", "vm", "autoShutdown"]));
    if (g.offline) expect(g.plan_creates).toBe(12);
    expect(g.provisioned).toBe(false);
    // The DSVM (NC4as_T4_v3) + 1 system node + disk, IP, registry: about 0.75 USD/h; the GPU pool at its maximum adds 2 nodes.
    expect(g.cost_hourly as number).toBeGreaterThan(0.5);
    expect(g.cost_hourly as number).toBeLessThan(2);
    expect(g.cost_hourly_at_max as number).toBeGreaterThan((g.cost_hourly as number) + 0.9);
    expect(g.price_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  },
  "00-getting-started.ipynb": (g) => {
    expect(g.node_major).toBeGreaterThanOrEqual(20);
    expect(g.target).toBe("local");
    expect(g.credentials_found).toBe(false);
    expect(["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"]).toContain(g.backend);
    expect(g.backends_available).toBeGreaterThanOrEqual(1);
    expect(g.sample_size).toBe(200);
    // y = 2x + 1 + N(0,1) with x uniform on [0, 10): mean of y near 11, fitted slope near 2.
    expect(g.sample_mean as number).toBeGreaterThan(10);
    expect(g.sample_mean as number).toBeLessThan(12);
    expect(g.fit_slope as number).toBeCloseTo(2, 1);
    // Real-time scoring of a DL model at 5,000 images/s: above the CPU figure the tree branches on.
    expect(g.platform).toBe("aks-gpu");
    expect(g.platform_path).toBe("2-5");
  },
  "1-1-single-node-training.ipynb": (g) => {
    expect(g.tabular_accuracy as number).toBeGreaterThan(0.9);
    expect(g.tabular_auc as number).toBeGreaterThan(0.95);
    // 1,600 training digits, 6 epochs of a small CNN: well above chance (0.1).
    expect(g.digits_accuracy as number).toBeGreaterThan(0.8);
    expect(g.onnx_max_diff_tabular as number).toBeLessThan(1e-4);
    expect(g.onnx_max_diff_digits as number).toBeLessThan(1e-4);
    // The second session resumed after the first half of the epochs (6 / 2).
    expect(g.resumed_from_epoch).toBe(3);
    expect(["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"]).toContain(g.backend);
    // The CNN trains on the backend chosen (on wasm too: the toolkit adds its Conv2D filter gradient), not a fallback.
    expect(g.cnn_backend).toBe(TF_BACKEND[g.backend as string]);
    expect(g.cnn_samples_per_second as number).toBeGreaterThan(0);
  },
  "1-2-multi-node-training.ipynb": (g) => {
    expect(g.workers).toBe(2);
    expect(g.accuracy_1 as number).toBeGreaterThan(0.9);
    expect(g.accuracy_n as number).toBeGreaterThan(0.9);
    // Data-parallel training with parameter averaging must match the single worker.
    expect(g.accuracy_gap as number).toBeLessThanOrEqual(0.05);
    expect(g.sweep_trials).toBe(3);
    expect([0.001, 0.01, 0.05]).toContain(g.sweep_best_learning_rate); // one of the grid's (sweepRates)
    expect(g.sweep_best_val_accuracy as number).toBeGreaterThan(0.9);
    onKubernetes(g, "kubeconfig", { gpu: false, completions: g.workers as number });
  },
  "2-1-realtime-scoring-ml-spark.ipynb": (g) => {
    // 150 + 150 events around a SIGKILL and a restart on the same checkpoint, 30 live ones after.
    expect(g.events_sent).toBe(330);
    expect(g.live_events).toBe(30);
    expect(g.killed_by_signal).toBe("SIGKILL");
    expect(g.killed_after_batch as number).toBeGreaterThanOrEqual(1);
    expect(g.rows_before_kill as number).toBeGreaterThan(0);
    expect(g.rows_before_kill as number).toBeLessThan(151);
    expect(g.restart_exit_code).toBe(0);
    // Exactly once in the sink, read through its commit log; the malformed event quarantined.
    expect(g.rows_in_sink).toBe(330);
    expect(g.duplicates).toBe(0);
    expect(g.missing).toBe(0);
    expect(g.quarantined).toBe(1);
    expect(g.micro_batches as number).toBeGreaterThanOrEqual(4);
    expect(g.max_abs_diff_vs_node as number).toBeLessThanOrEqual(1e-5);
    expect(g.accuracy as number).toBeGreaterThan(0.9);
    expect(g.micro_batch_p50_ms as number).toBeGreaterThan(0);
    expect(g.end_to_end_live_p50_ms as number).toBeGreaterThan(0);
    expect(g.end_to_end_live_p95_ms as number).toBeGreaterThanOrEqual(g.end_to_end_live_p50_ms as number);
    // Live events wait for a trigger and a batch; those sent while it was down waited for a restart too.
    expect(g.end_to_end_live_p50_ms as number).toBeLessThan(g.end_to_end_restart_p50_ms as number);
  },
  "2-2-realtime-scoring-ml.ipynb": (g, _, before) => {
    expect(g.model_trained_here).toBe(!before.savedModels.has("breast-cancer-mlp"));
    // The served model is the trained one: same test accuracy, same numbers as in-process ORT.
    expect(g.served_test_accuracy as number).toBeGreaterThan(0.9);
    expect(Math.abs((g.served_test_accuracy as number) - (g.training_accuracy as number))).toBeLessThanOrEqual(1 / 114);
    expect(g.max_abs_diff_vs_onnxruntime as number).toBeLessThan(1e-5);
    expect(g.v2_matches_score).toBe(true);
    expect(g.bad_request_statuses).toEqual([400, 400, 400, 400, 401]);
    expect(g.requests).toBe(2000);
    expect(g.errors).toBe(0);
    expect(g.requests_per_second as number).toBeGreaterThan(0);
    expect(g.p50_ms as number).toBeGreaterThan(0);
    expect(g.p99_ms as number).toBeGreaterThanOrEqual(g.p50_ms as number);
    // 16 concurrent clients: the micro-batcher merges requests into shared runs.
    expect(g.requests_per_run as number).toBeGreaterThan(1);
    expect(g.exit_code).toBe(0);
    expect(g.request_log_lines as number).toBeGreaterThanOrEqual(2000);
    onKubernetes(g, "kubeconfig", { gpu: false, replicas: 2 });
  },
  "2-4-batch-scoring-ml.ipynb": (g) => {
    expect(g.partitions).toBe(9);
    expect(g.first_run_stopped).toBe(true);
    expect(g.committed_after_stop as number).toBeGreaterThanOrEqual(3);
    expect(g.committed_after_stop as number).toBeLessThan(9);
    // The second run skipped what the first committed, and every row is there exactly once.
    expect(g.skipped_on_resume).toBe(g.committed_after_stop);
    expect(g.quarantined).toBe(1);
    expect(g.rows_in_input).toBe(40_000);
    expect(g.rows_scored).toBe(40_000);
    expect(g.duplicates).toBe(0);
    expect(g.missing).toBe(0);
    expect(g.extra).toBe(0);
    expect(g.batch_accuracy as number).toBeGreaterThan(0.9);
    expect(g.rows_per_second as number).toBeGreaterThan(0);
    onKubernetes(g, "local", { gpu: false, completions: 2 }); // the notebook's workers
  },
  "2-3-batch-scoring-ml-spark.ipynb": (g) => {
    // 4 files of 2,500 rows and a corrupt one: Spark scores what the Node scorer scores, the same.
    expect(g.rows_in_input).toBe(10_000);
    expect(g.spark_rows).toBe(10_000);
    expect(g.node_rows).toBe(10_000);
    expect(g.rows_compared).toBe(10_000);
    expect(g.missing_in_spark).toBe(0);
    expect(g.labels_agree).toBe(10_000);
    expect(g.max_abs_diff_vs_node as number).toBeLessThanOrEqual(1e-5);
    expect(g.spark_quarantined).toBe(1);
    expect(g.node_quarantined).toBe(1);
    expect(g.same_quarantine_reason).toBe(true);
    expect(g.sessions_per_worker_max).toBe(1);
    expect(g.spark_accuracy as number).toBeGreaterThan(0.9);
    expect(g.rows_per_second as number).toBeGreaterThan(0);
    expect(g.startup_seconds as number).toBeGreaterThan(0);
  },
  "2-5-realtime-scoring-dl.ipynb": (g, _, before) => {
    expect(g.model_trained_here).toBe(!before.savedModels.has("digits-cnn"));
    // A PNG body, base64 images in JSON and a V2 BYTES tensor are the same image, the same answer.
    expect(g.three_ways_agree).toBe(true);
    // Wrong size, not an image, truncated, not base64: 400; a content type it does not take: 415.
    expect(g.refused_statuses).toEqual([400, 400, 400, 400, 415]);
    expect(g.served_accuracy as number).toBeGreaterThan(0.75);
    // Same pixels (PNG-rounded) as in-process ONNX Runtime.
    expect(g.max_abs_diff_vs_onnxruntime as number).toBeLessThan(1e-5);
    expect(g.requests).toBe(600);
    expect(g.errors).toBe(0);
    expect(g.images_per_second as number).toBeGreaterThan(0);
    expect(g.p99_ms as number).toBeGreaterThanOrEqual(g.p50_ms as number);
    expect(g.exit_code).toBe(0);
    onKubernetes(g, "kubeconfig", { gpu: true, replicas: 2 }); // one per simulated GPU node
  },
  "2-6-batch-scoring-dl.ipynb": (g, _, before) => {
    expect(g.model_trained_here).toBe(!before.savedModels.has("digits-cnn"));
    // 2,002 files in partitions of 250; the two bad images quarantined on their own.
    expect(g.partitions).toBe(9);
    expect(g.images_scored).toBe(2000);
    expect(g.images_quarantined).toBe(2);
    expect(g.quarantine_reasons).toBe(2);
    expect(g.duplicates).toBe(0);
    expect(g.missing).toBe(0);
    expect(g.batch_accuracy as number).toBeGreaterThan(0.75);
    expect(g.images_per_second as number).toBeGreaterThan(0);
    // Run again: everything committed, nothing scored twice.
    expect(g.resume_skipped).toBe(9);
    expect(g.resume_scored).toBe(0);
    onKubernetes(g, "kubeconfig", { gpu: true, completions: 2 }); // the notebook's workers
  },
};

const dir = "notebooks";
const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
const outDir = path.join("out", "test-notebooks");

describe("notebooks", () => {
  it("there are notebooks to test", () => expect(notebooks.length).toBeGreaterThan(0));

  for (const file of notebooks) {
    // A tutorial trains models: minutes on a busy 2-core machine. The runner's cell time-out
    // (below) stops a hung cell first, with a message naming it.
    it(file, { timeout: 900_000 }, async () => {
      const check = expectations[file];
      expect(check, `add expectations for ${file}'s glued values in test/notebooks/notebooks.test.ts`).toBeDefined();
      const before = { savedModels: savedTutorialModels() };
      const result = await runNotebook(path.join(dir, file), { outputPath: path.join(outDir, file), cellTimeoutMs: 300_000, parameters: await k8sParameters(file) });
      expect(result.error, result.error?.message).toBeUndefined();
      check(result.glue, result, before);
    });
  }
});
