// The helpers behind the tutorials' "On Kubernetes" sections. Their deploys to a kubeconfig's
// cluster and to a local cluster started for the purpose run in test/notebooks (1-2, 2-2, 2-4,
// 2-5, 2-6); here: the branch without any cluster, image references and the manifest tables.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { batchJobManifests, BUILD_LOCAL_COMMAND, deployTutorial, imageReference, manifestExcerpt, manifestSummary, scoringManifests } from "../../lib/k8s/index.js";
import { tempDir } from "../support/temp.js";
import { imageMetadata, tabularMetadata } from "./fixtures.js";

const blob = "https://account.blob.core.windows.net";

describe("deployTutorial", () => {
  it("without a kubeconfig and without a built control plane deploys nothing and says how to get one", async () => {
    const lines: string[] = [];
    const manifests = scoringManifests({ name: "churn", image: "custom-ai/scoring-cpu:1", metadata: tabularMetadata(), noAuth: true });
    // A project whose control plane is defined but not built; a folder without its definition.
    const unbuilt = tempDir("k8s-tutorial-");
    mkdirSync(path.join(unbuilt, "environments", "k8s-local"), { recursive: true });
    copyFileSync(path.join("environments", "k8s-local", "go.mod"), path.join(unbuilt, "environments", "k8s-local", "go.mod"));
    for (const root of [unbuilt, tempDir("k8s-tutorial-")]) {
      const result = await deployTutorial(manifests, { root, onProgress: (l) => lines.push(l) });
      expect(result).toMatchObject({ target: "none", removed: [] });
      expect(result.deployment).toBeUndefined();
      expect(result.message).toContain(BUILD_LOCAL_COMMAND);
    }
    expect(lines).toEqual([]);
  });
});

describe("imageReference", () => {
  it("names an image as build.mjs tags it: an ACR name gets its login server", () => {
    expect(imageReference("scoring-cpu", "", "1.2.3")).toBe("custom-ai/scoring-cpu:1.2.3");
    expect(imageReference("scoring-cpu", "MyAcr", "1.2.3")).toBe("myacr.azurecr.io/custom-ai/scoring-cpu:1.2.3");
    expect(imageReference("batch-scorer", "registry.example:5000", "1.2.3")).toBe("registry.example:5000/custom-ai/batch-scorer:1.2.3");
    expect(imageReference("train-worker")).toMatch(/^custom-ai\/train-worker:\d+\.\d+\.\d+/); // the project's version
  });
});

describe("manifestSummary and manifestExcerpt", () => {
  it("show a GPU Deployment's and an Indexed Job's key fields, not the whole YAML", () => {
    const serve = scoringManifests({ name: "digits", image: "custom-ai/scoring-gpu:1", metadata: imageMetadata(), apiKey: "secret-value" });
    const rows = manifestSummary(serve);
    expect(rows.map((r) => r.kind)).toEqual(["Secret", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]);
    expect(JSON.stringify(rows)).not.toContain("secret-value");
    const deployment = rows.find((r) => r.kind === "Deployment")!["key fields"];
    expect(deployment).toMatch(/maxUnavailable 0/);
    expect(deployment).toMatch(/GPU 1/);
    expect(deployment).toMatch(/tolerates sku, nvidia.com\/gpu/);
    const excerpt = manifestExcerpt(serve);
    expect(excerpt).toMatch(/^kind: Deployment/);
    expect(excerpt).toMatch(/path: \/readyz/);
    expect(excerpt).not.toMatch(/labels:|env:/);

    const job = batchJobManifests({ name: "nightly", image: "custom-ai/batch-scorer:1", model: `${blob}/m`, input: `${blob}/in`, output: `${blob}/out`, workers: 3 });
    expect(manifestSummary(job)[0]["key fields"]).toMatch(/^Indexed 3, parallelism 3; backoffLimitPerIndex \d+; podFailurePolicy /);
    expect(manifestExcerpt(job)).toMatch(/completionMode: Indexed/);
  });
});
