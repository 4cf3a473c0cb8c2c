// Shared by the image tests: small CNNs saved with an image step, PNG / JPEG files of known
// pixels, and in-process ONNX Runtime scoring of those pixels as the reference.
import { readFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import jpeg from "jpeg-js";
import "../../lib/core/ort-telemetry.js";
import { decodeJpegRgba } from "../../lib/serve/image/jpeg-wasm.js";
import * as ort from "onnxruntime-node";
import { encodePng, mulberry32 } from "../../lib/data/index.js";
import { imageInputStep, saveServableModel, type ImageInputStep } from "../../lib/models/index.js";
import { buildDigitsCnn } from "../../lib/train/index.js";
import { tempDir } from "../support/temp.js";

export const DIGIT_LABELS = Array.from({ length: 10 }, (_, i) => String(i));
export const RGB_LABELS = ["cat", "dog", "fox"];
/** The RGB model's image step: 12 wide, 16 high, pixels to [-1, 1]. */
export const RGB_STEP = imageInputStep({ width: 12, height: 16, channels: 3, scale: 2 / 255, offset: -1 });
export const DIGITS_STEP = imageInputStep({ width: 28, height: 28, channels: 1, scale: 1 / 255 });

/** An untrained digits CNN (28×28×1, 10 classes) saved as "digits-cnn" with the 1/255 image step. */
export async function saveDigitsModel(dir = tempDir("cai-img-digits-")): Promise<string> {
  return saveCnn(dir, "digits-cnn", [28, 28, 1], DIGIT_LABELS, DIGITS_STEP);
}

/**
 * The digits CNN and its image step at `size`×`size` grey pixels (12 by default: 144 values a row
 * instead of 784), saved as "digits-cnn-<size>": the same layers and API, for tests whose cost grows
 * with the values per row (the schemathesis run generates every value of every instance).
 */
export async function saveSmallDigitsModel(size = 12, dir = tempDir("cai-img-digits-small-")): Promise<string> {
  return saveCnn(dir, `digits-cnn-${size}`, [size, size, 1], DIGIT_LABELS, imageInputStep({ width: size, height: size, channels: 1, scale: 1 / 255 }));
}

/** An untrained RGB CNN (16×12×3, 3 classes) saved as "rgb-cnn" with the [-1, 1] image step. */
export async function saveRgbModel(dir = tempDir("cai-img-rgb-")): Promise<string> {
  return saveCnn(dir, "rgb-cnn", [16, 12, 3], RGB_LABELS, RGB_STEP);
}

async function saveCnn(dir: string, name: string, inputShape: [number, number, number], labels: string[], step: ImageInputStep): Promise<string> {
  await tf.setBackend("cpu");
  const model = buildDigitsCnn({ seed: 5, filters: 4, dense: 16, inputShape, classes: labels.length });
  try {
    await saveServableModel(model, dir, { name, task: "multiclass-classification", labels, preprocessing: [step] });
  } finally {
    model.dispose();
  }
  return dir;
}

/** Seeded pixels 0..255, height × width × channels. */
export function pixels(width: number, height: number, channels: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from({ length: width * height * channels }, () => Math.floor(rand() * 256));
}

export const png = (width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array) => Buffer.from(encodePng({ width, height, channels, pixels: data }));

/**
 * A JPEG (quality 95, written by jpeg-js) of RGB pixels, and what libjpeg-turbo decodes it to
 * (RGBA), for the reference: image-jpeg.test.ts proves that decode equals Pillow's.
 */
export function jpegOf(width: number, height: number, rgb: Uint8Array): { bytes: Buffer; rgba: Uint8Array } {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 255], 4 * p);
  const bytes = Buffer.from(jpeg.encode({ width, height, data: rgba }, 95).data);
  return { bytes, rgba: libjpegRgba(bytes) };
}

/** A JPEG's pixels as libjpeg-turbo (and so Pillow) decodes them, RGBA. */
export const libjpegRgba = (bytes: Uint8Array): Uint8Array => Uint8Array.from(decodeJpegRgba(bytes).data);

/** Model values of grey pixels under the digits step. */
export const digitValues = (grey: Uint8Array) => Float32Array.from(grey, (v) => v / 255);

/** Model values of RGBA pixels under the RGB step (alpha dropped). */
export function rgbValues(rgba: Uint8Array): Float32Array {
  const out = new Float32Array((rgba.length / 4) * 3);
  for (let p = 0; p < rgba.length / 4; p++) for (let c = 0; c < 3; c++) out[3 * p + c] = rgba[4 * p + c] * (2 / 255) - 1;
  return out;
}

/** ONNX Runtime in-process on model values (row-major NHWC rows): probabilities per row. */
export async function referenceProbabilities(modelDir: string, rows: Float32Array[], shape: number[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(readFileSync(path.join(modelDir, "model.onnx")));
  try {
    const x = new Float32Array(rows.length * rows[0].length);
    rows.forEach((r, i) => x.set(r, i * r.length));
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", x, [rows.length, ...shape]) });
    const data = out[session.outputNames[0]].data as Float32Array;
    const k = data.length / rows.length;
    return rows.map((_, i) => Array.from(data.subarray(i * k, (i + 1) * k)));
  } finally {
    await session.release();
  }
}
