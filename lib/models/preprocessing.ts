/**
 * A standardisation step, x' = (x - mean) / std per column, as recorded in metadata.json. The
 * scaler itself lives in lib/data (`fitStandardScaler(...).toJSON()` gives `{ mean, std }`).
 */
export interface StandardScalerStep {
  kind: "standard-scaler";
  mean: number[];
  std: number[];
  /** The feature each column is, in order (optional). */
  features?: string[];
}

/** A preprocessing step recorded in a model's metadata; other kinds are kept as written. */
export type Preprocessing = StandardScalerStep | { kind: string; [key: string]: unknown };

/** The metadata record of a fitted standard scaler (anything with `mean` and `std` arrays). */
export function standardScalerStep(params: { mean: readonly number[]; std: readonly number[] }, features?: readonly string[]): StandardScalerStep {
  const step: StandardScalerStep = { kind: "standard-scaler", mean: Array.from(params.mean), std: Array.from(params.std) };
  if (features) step.features = Array.from(features);
  return step;
}
