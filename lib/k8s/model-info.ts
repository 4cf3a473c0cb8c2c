// What lib/k8s reads of a model's metadata (lib/models/saved): its kind (an image model goes to the
// GPU pool by default) and a version that changes with the model, for the pods' annotations — a
// new version changes the pod template, so the Deployment rolls out.
import { findImageStep, MODEL_FILES, type ModelMetadata } from "../models/saved/index.js";

export type ModelKind = "tabular" | "image";

/** "image" when the model takes images (an image preprocessing step), else "tabular". */
export function modelKind(metadata: ModelMetadata): ModelKind {
  return findImageStep(metadata.preprocessing) ? "image" : "tabular";
}

/** The model's version: the sha256 of its ONNX file when recorded, else of its weights. */
export function modelVersion(metadata: ModelMetadata): string {
  return (metadata.files?.[MODEL_FILES.onnx]?.sha256 ?? metadata.weights.sha256).replace(/^sha256:/, "");
}

export const MODEL_ANNOTATIONS = {
  name: "custom-ai.io/model-name",
  version: "custom-ai.io/model-sha256",
  createdAt: "custom-ai.io/model-created-at",
  location: "custom-ai.io/model-location",
} as const;

export function modelAnnotations(metadata: ModelMetadata, location: string): Record<string, string> {
  return {
    [MODEL_ANNOTATIONS.name]: metadata.name,
    [MODEL_ANNOTATIONS.version]: modelVersion(metadata),
    [MODEL_ANNOTATIONS.createdAt]: metadata.createdAt,
    [MODEL_ANNOTATIONS.location]: location,
  };
}
