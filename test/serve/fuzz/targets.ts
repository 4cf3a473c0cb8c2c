// The models the fuzzer attacks: the tiny tabular classifier of the server tests, and a digits
// CNN with an image step (28×28 grey PNGs) — each served with the same limits.
import { encodePng } from "../../../lib/data/index.js";
import type { FuzzTarget } from "./cases.js";
import { pixels, saveDigitsModel } from "../image-helpers.js";
import { FEATURES, record, saveTinyModel } from "../server-helpers.js";

export type FuzzModel = "tabular" | "image";

export async function fuzzModel(kind: FuzzModel): Promise<{ dir: string; name: string }> {
  return kind === "image" ? { dir: await saveDigitsModel(), name: "digits-cnn" } : { dir: (await saveTinyModel()).dir, name: "tiny-classifier" };
}

/** The fuzz target of a served model; `inputName` from its V2 metadata. */
export function fuzzTarget(kind: FuzzModel, name: string, inputName: string, limits: { bodyLimit: number; maxRows: number }): FuzzTarget {
  if (kind === "tabular") return { model: name, inputName, features: FEATURES, record, ...limits };
  const png = (w: number, h: number, seed: number) => encodePng({ width: w, height: h, channels: 1, pixels: pixels(w, h, 1, seed) });
  return {
    model: name,
    inputName,
    features: [],
    record: () => ({}),
    ...limits,
    image: { width: 28, height: 28, png: (i) => png(28, 28, i), wrongSize: (i) => png(28 + 1 + (i % 5), 28, i) },
  };
}
