// (Not named yaml.ts: under tslab a file named like a package it imports requires itself, endlessly.)
import { stringify } from "yaml";
import type { Manifest } from "./manifest.js";

/** Manifests as one multi-document YAML stream, for `kubectl apply -f -`. */
export function manifestsToYaml(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m, { lineWidth: 0 })).join("---\n");
}
