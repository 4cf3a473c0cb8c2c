// Model metadata for the manifests (what readModelMetadata returns), without training a model.
import { createHash } from "node:crypto";
import { validateMetadata, type ModelMetadata } from "../../lib/models/saved/index.js";

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/** A tabular model (CPU by default); `version` changes its ONNX checksum, as a retrained model's would. */
export function tabularMetadata(version = "v1"): ModelMetadata {
  return validateMetadata(
    {
      schemaVersion: 1,
      name: "churn",
      task: "binary-classification",
      inputs: [{ name: "features", shape: [null, 3], dtype: "float32", features: ["a", "b", "c"] }],
      outputs: [{ name: "probability", shape: [null, 1], dtype: "float32" }],
      metrics: { accuracy: 0.9 },
      preprocessing: [],
      createdAt: "2026-12-04T00:00:00.000Z",
      toolkit: { name: "custom-ai-on-azure", version: "0.1.0" },
      tfjsVersion: "4.22.0",
      weights: { files: ["weights.bin"], bytes: 10, sha256: sha(`weights ${version}`) },
      files: { "model.onnx": { bytes: 100, sha256: sha(`onnx ${version}`) } },
    },
    "tabular metadata.json",
  );
}

/** An image model (28×28 grey): the GPU pool by default. */
export function imageMetadata(): ModelMetadata {
  return validateMetadata(
    {
      ...tabularMetadata(),
      name: "digits",
      task: "multiclass-classification",
      inputs: [{ name: "image", shape: [null, 28, 28, 1], dtype: "float32" }],
      outputs: [{ name: "probabilities", shape: [null, 10], dtype: "float32" }],
      preprocessing: [{ kind: "image", width: 28, height: 28, channels: 1, scale: 1 / 255 }],
    },
    "image metadata.json",
  );
}
