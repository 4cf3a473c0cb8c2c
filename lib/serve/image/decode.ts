// PNG and JPEG → the model's input values. No native binary to match the platform: the common
// PNG (8-bit, not interlaced) is unfiltered here from the data Node's zlib inflated (png-fast.ts),
// other PNGs go through pngjs; JPEGs through libjpeg-turbo in WebAssembly (jpeg-wasm.ts: Pillow's
// pixels exactly), CMYK / YCCK JPEGs through jpeg-js. Decoding is synchronous: callers yield
// between images.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import type { ImageInputStep } from "../../models/saved/index.js";
import { ImageInputError } from "./errors.js";
import { checkPngData, readImageHeader } from "./header.js";
import { decodeJpegRgba, jpegComponents, JpegDecodeError } from "./jpeg-wasm.js";
import { fastPng, pngToValues, unfilter, valueTable } from "./png-fast.js";

/** Writes one image's model values (height × width × channels, NHWC) into `out` at `offset`; throws ImageInputError. */
export type ImageDecoder = (bytes: Uint8Array, out: Float32Array, offset: number) => void;

// ITU-R BT.601 luma, as tf.image.rgb_to_grayscale and PIL's convert("L").
const R = 0.299;
const G = 0.587;
const B = 0.114;
const LUMA = [R, G, B] as const;
const PNG_BPP: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** A decoder for `step`'s images; `model` names the model in "is 32×30; model "x" takes 28×28". */
export function createImageDecoder(step: ImageInputStep, model: string): ImageDecoder {
  const { width, height, channels, scale } = step;
  const offset0 = step.offset ?? 0;
  const pixels = width * height;
  const values = valueTable(scale, offset0);
  return (bytes, out, offset) => {
    const header = readImageHeader(bytes);
    if (header.width !== width || header.height !== height) {
      throw new ImageInputError(
        "wrong-size",
        `is ${header.width}×${header.height}; model "${model}" takes ${width}×${height} (resize it first: the scorer does not resize)`,
      );
    }
    let rgba: Uint8Array;
    let step = 4; // bytes per pixel of the decoded data: RGBA from pngjs and libjpeg, RGB from jpeg-js
    if (header.format === "png") {
      const inflated = checkPngData(bytes, width, height);
      if (fastPng(bytes) && unfilter(inflated, width, height, PNG_BPP[bytes[25]])) {
        pngToValues(inflated, width, height, bytes[25], channels, values, scale, offset0, out, offset, LUMA);
        return;
      }
      rgba = decodePng(bytes);
    } else if (jpegComponents(bytes) === 4) (rgba = decodeCmykJpeg(bytes, pixels)), (step = 3);
    else rgba = decodeJpeg(bytes);
    if (rgba.length < pixels * step) throw new ImageInputError("corrupt", `is a corrupt ${header.format.toUpperCase()} (it decoded to too few pixels)`);
    pixelsToValues(rgba, step, pixels, channels, values, scale, offset0, out, offset);
  };
}

/** Decoded pixels (`step` bytes each, RGB first) as model values; a top-level function so V8 keeps every operand in registers. */
function pixelsToValues(rgba: Uint8Array, step: number, pixels: number, channels: number, values: Float32Array, scale: number, offset0: number, out: Float32Array, offset: number): void {
  if (channels === 1) {
    for (let p = 0, i = 0; p < pixels; p++, i += step) {
      const r = rgba[i];
      const g = rgba[i + 1];
      const b = rgba[i + 2];
      out[offset + p] = r === g && g === b ? values[r] : (R * r + G * g + B * b) * scale + offset0;
    }
  } else {
    for (let p = 0, i = 0, o = offset; p < pixels; p++, i += step, o += 3) {
      out[o] = values[rgba[i]];
      out[o + 1] = values[rgba[i + 1]];
      out[o + 2] = values[rgba[i + 2]];
    }
  }
}

/** Any other PNG (palette, 1–16-bit, interlaced), already checked by checkPngData. */
function decodePng(bytes: Uint8Array): Uint8Array {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    // 8-bit RGBA whatever the file holds (grey, palette, 16-bit are converted by pngjs).
    return PNG.sync.read(buffer).data;
  } catch (error) {
    throw new ImageInputError("corrupt", `is a truncated or corrupt PNG (${(error as Error).message})`);
  }
}

function decodeJpeg(bytes: Uint8Array): Uint8Array {
  try {
    const { data } = decodeJpegRgba(bytes);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (error) {
    if (!(error instanceof JpegDecodeError)) throw error;
    throw new ImageInputError("corrupt", `is a truncated or corrupt JPEG (${error.message})`);
  }
}

/** CMYK / YCCK: libjpeg gives no RGB for them; jpeg-js converts (Adobe inverted CMYK, as Pillow's convert("RGB")). */
function decodeCmykJpeg(bytes: Uint8Array, pixels: number): Uint8Array {
  try {
    return jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false, // RGB: the alpha byte it would add is never read
      tolerantDecoding: false,
      // The size was checked from the header; these bound jpeg-js's own allocations as well.
      maxResolutionInMP: Math.ceil(pixels / 1e6) + 1,
      maxMemoryUsageInMB: Math.ceil((pixels * 4 * 4) / 2 ** 20) + 64,
    }).data;
  } catch (error) {
    throw new ImageInputError("corrupt", `is a truncated or corrupt JPEG (${(error as Error).message})`);
  }
}
