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

/**
 * How an image file becomes the model's input: decoded, checked to be `width`×`height` (never
 * resized), converted to `channels` (1: grey by luminance, 3: RGB; alpha is dropped) and scaled,
 * model value = pixel (0..255) × scale + offset, laid out NHWC as tfjs models take it. Lets the
 * scoring server and the batch scorer take PNG and JPEG files for the model.
 */
export interface ImageInputStep {
  kind: "image";
  width: number;
  height: number;
  channels: 1 | 3;
  scale: number;
  /** Added after scaling. Default 0. */
  offset?: number;
}

/** A preprocessing step recorded in a model's metadata; other kinds are kept as written. */
export type Preprocessing = StandardScalerStep | ImageInputStep | { kind: string; [key: string]: unknown };

/** The metadata record of a fitted standard scaler (anything with `mean` and `std` arrays). */
export function standardScalerStep(params: { mean: readonly number[]; std: readonly number[] }, features?: readonly string[]): StandardScalerStep {
  const step: StandardScalerStep = { kind: "standard-scaler", mean: Array.from(params.mean), std: Array.from(params.std) };
  if (features) step.features = Array.from(features);
  return step;
}

/**
 * The metadata record of an image input: `imageInputStep({ width: 28, height: 28, channels: 1,
 * scale: 1 / 255 })` for a model trained on pixels in [0, 1]; `offset: -1, scale: 2 / 255` for [-1, 1].
 */
export function imageInputStep(params: { width: number; height: number; channels: 1 | 3; scale?: number; offset?: number }): ImageInputStep {
  const step: ImageInputStep = { kind: "image", width: params.width, height: params.height, channels: params.channels, scale: params.scale ?? 1 / 255 };
  if (params.offset !== undefined && params.offset !== 0) step.offset = params.offset;
  return step;
}

/** The image step of a model's preprocessing, if it has one. */
export function findImageStep(steps: readonly Preprocessing[]): ImageInputStep | undefined {
  return steps.find((s): s is ImageInputStep => s.kind === "image");
}
