// PNG and JPEG → the model's input values. Pure JavaScript (pngjs, jpeg-js): no native binary to
// match the platform, and faster than sharp/libvips on the small images models here take (see
// the closing note of issue 4). Decoding is synchronous: callers yield between images.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import type { ImageInputStep } from "../../models/saved/index.js";
import { ImageInputError } from "./errors.js";
import { checkPngData, readImageHeader } from "./header.js";

/** Writes one image's model values (height × width × channels, NHWC) into `out` at `offset`; throws ImageInputError. */
export type ImageDecoder = (bytes: Uint8Array, out: Float32Array, offset: number) => void;

// ITU-R BT.601 luma, as tf.image.rgb_to_grayscale and PIL's convert("L").
const R = 0.299;
const G = 0.587;
const B = 0.114;

/** A decoder for `step`'s images; `model` names the model in "is 32×30; model "x" takes 28×28". */
export function createImageDecoder(step: ImageInputStep, model: string): ImageDecoder {
  const { width, height, channels, scale } = step;
  const offset0 = step.offset ?? 0;
  const pixels = width * height;
  return (bytes, out, offset) => {
    const header = readImageHeader(bytes);
    if (header.width !== width || header.height !== height) {
      throw new ImageInputError(
        "wrong-size",
        `is ${header.width}×${header.height}; model "${model}" takes ${width}×${height} (resize it first: the scorer does not resize)`,
      );
    }
    const rgba = header.format === "png" ? decodePng(bytes, width, height) : decodeJpeg(bytes, pixels);
    if (rgba.length < pixels * 4) throw new ImageInputError("corrupt", `is a corrupt ${header.format.toUpperCase()} (it decoded to too few pixels)`);
    if (channels === 1) {
      for (let p = 0, i = 0; p < pixels; p++, i += 4) {
        const r = rgba[i];
        const g = rgba[i + 1];
        const b = rgba[i + 2];
        const grey = r === g && g === b ? r : R * r + G * g + B * b;
        out[offset + p] = grey * scale + offset0;
      }
    } else {
      for (let p = 0, i = 0, o = offset; p < pixels; p++, i += 4, o += 3) {
        out[o] = rgba[i] * scale + offset0;
        out[o + 1] = rgba[i + 1] * scale + offset0;
        out[o + 2] = rgba[i + 2] * scale + offset0;
      }
    }
  };
}

function decodePng(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkPngData(bytes, width, height);
  try {
    // 8-bit RGBA whatever the file holds (grey, palette, 16-bit are converted by pngjs).
    return PNG.sync.read(buffer).data;
  } catch (error) {
    throw new ImageInputError("corrupt", `is a truncated or corrupt PNG (${(error as Error).message})`);
  }
}

function decodeJpeg(bytes: Uint8Array, pixels: number): Uint8Array {
  try {
    return jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      // The size was checked from the header; these bound jpeg-js's own allocations as well.
      maxResolutionInMP: Math.ceil(pixels / 1e6) + 1,
      maxMemoryUsageInMB: Math.ceil((pixels * 4 * 4) / 2 ** 20) + 64,
    }).data;
  } catch (error) {
    throw new ImageInputError("corrupt", `is a truncated or corrupt JPEG (${(error as Error).message})`);
  }
}
