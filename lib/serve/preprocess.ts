import type { Preprocessing, StandardScalerStep } from "../models/saved/index.js";
import { ServeError } from "./errors.js";

/** Applies a model's preprocessing, in place, to `rows` rows of `width` values each. */
export type RowTransform = (data: Float32Array, rows: number) => void;

/**
 * Compiles metadata.json's preprocessing steps for rows of `width` values. Refuses (at load, not
 * per request) any step it cannot apply, so a model is never served with its inputs unscaled.
 * An image step transforms nothing here: image files are scaled as they are decoded, and rows
 * given as numbers to an image model are its input values already.
 */
export function compilePreprocessing(steps: Preprocessing[], width: number, where: string): RowTransform {
  const transforms = steps.map((step, i): RowTransform | undefined => {
    if (step.kind === "image") return undefined;
    if (step.kind !== "standard-scaler") {
      throw new ServeError(
        "UNSUPPORTED_PREPROCESSING",
        `${where}: preprocessing[${i}] is "${step.kind}", which the scorer cannot apply. Supported: standard-scaler, image; or bake the step into the model before exporting it.`,
      );
    }
    const { mean, std } = step as StandardScalerStep;
    if (mean.length !== width) {
      throw new ServeError("BAD_MODEL", `${where}: preprocessing[${i}] scales ${mean.length} values but a row has ${width}. Save the model and its scaler again.`);
    }
    // A constant column was fitted with std 0: leave it centred rather than divide by zero.
    const inv = Float32Array.from(std, (s) => (s === 0 ? 1 : 1 / s));
    const mu = Float32Array.from(mean);
    return (data, rows) => {
      for (let r = 0; r < rows; r++) {
        const o = r * width;
        for (let c = 0; c < width; c++) data[o + c] = (data[o + c] - mu[c]) * inv[c];
      }
    };
  }).filter((t): t is RowTransform => t !== undefined);
  return (data, rows) => transforms.forEach((t) => t(data, rows));
}
