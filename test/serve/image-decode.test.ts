// The image decoder alone: formats, conversions, and what it refuses (before decoding, where a
// header says enough) with a message naming the problem.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodePng, loadDigits, writeDigitImages } from "../../lib/data/index.js";
import { imageInputStep, validateMetadata } from "../../lib/models/index.js";
import { createImageDecoder, decodeBase64Image, ImageInputError, readImageHeader } from "../../lib/serve/index.js";
import { DIGITS_STEP, jpegOf, pixels, png, RGB_STEP, rgbValues } from "./image-helpers.js";
import { tempDir } from "../support/temp.js";

const digits = createImageDecoder(DIGITS_STEP, "digits-cnn");
const rgb = createImageDecoder(RGB_STEP, "rgb-cnn");

function decode(decoder: typeof digits, bytes: Uint8Array, size: number): Float32Array {
  const out = new Float32Array(size);
  decoder(bytes, out, 0);
  return out;
}

function problem(fn: () => unknown): { problem: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ImageInputError);
    return { problem: (error as ImageInputError).problem, message: (error as Error).message };
  }
  throw new Error("expected an ImageInputError");
}

// PNG chunks by hand, for files pngjs would not write (interlaced, huge sizes, bombs).
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  let c = 0xffffffff;
  for (const x of body) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}
function handmadePng(width: number, height: number, idat: Buffer, interlace = 0, colorType = 0, bitDepth = 8, plte?: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  ihdr[12] = interlace;
  const chunks = [chunk("IHDR", ihdr), ...(plte ? [chunk("PLTE", plte)] : []), chunk("IDAT", idat), chunk("IEND", Buffer.alloc(0))];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

/** An Adam7-interlaced 8-bit grey PNG of `grey` (filter 0 on every row), as pngjs cannot write one. */
function interlacedPng(width: number, height: number, grey: Uint8Array): Buffer {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const bytes: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      bytes.push(0);
      for (let x = x0; x < width; x += dx) bytes.push(grey[y * width + x]);
    }
  }
  return handmadePng(width, height, deflateSync(Buffer.from(bytes)), 1);
}

describe("decoding", () => {
  it("reads a grey PNG as pixel × scale, row-major", () => {
    const grey = pixels(28, 28, 1, 1);
    const out = decode(digits, png(28, 28, 1, grey), 784);
    out.forEach((v, i) => expect(v).toBeCloseTo(grey[i] / 255, 7));
  });

  it("converts a colour PNG to grey by luminance (BT.601) and drops alpha", () => {
    const rgba = pixels(28, 28, 4, 2);
    const out = decode(digits, png(28, 28, 4, rgba), 784);
    for (const p of [0, 17, 783]) {
      const [r, g, b] = rgba.subarray(4 * p, 4 * p + 3);
      expect(out[p]).toBeCloseTo((0.299 * r + 0.587 * g + 0.114 * b) / 255, 6);
    }
  });

  it("reads RGB with scale and offset, NHWC; a grey image becomes three equal channels", () => {
    const data = pixels(12, 16, 3, 3);
    const rgba = new Uint8Array(12 * 16 * 4);
    for (let p = 0; p < 12 * 16; p++) rgba.set([...data.subarray(3 * p, 3 * p + 3), 9], 4 * p);
    expect(Array.from(decode(rgb, png(12, 16, 3, data), 576))).toEqual(Array.from(rgbValues(rgba)));
    const grey = pixels(12, 16, 1, 4);
    const out = decode(rgb, png(12, 16, 1, grey), 576);
    expect([out[30], out[31], out[32]]).toEqual(Array(3).fill(Math.fround(grey[10] * (2 / 255) - 1)));
  });

  it("reads a JPEG (baseline, as jpeg-js encodes it) as libjpeg-turbo decodes it", () => {
    const { bytes, rgba } = jpegOf(12, 16, pixels(12, 16, 3, 5));
    expect(readImageHeader(bytes)).toEqual({ format: "jpeg", width: 12, height: 16 });
    expect(Array.from(decode(rgb, bytes, 576))).toEqual(Array.from(rgbValues(rgba)));
  });

  it("reads interlaced, 16-bit and 4-bit palette PNGs", () => {
    const grey = pixels(28, 28, 1, 11);
    const out = decode(digits, interlacedPng(28, 28, grey), 784);
    out.forEach((v, i) => expect(v).toBeCloseTo(grey[i] / 255, 7));
    // 16-bit grey: pngjs scales to 8 bits.
    const wide = Buffer.alloc(28 * 28 * 2);
    grey.forEach((v, i) => wide.writeUInt16BE(v * 257, 2 * i));
    const deep = handmadePng(28, 28, deflateSync(Buffer.concat(Array.from({ length: 28 }, (_, y) => Buffer.concat([Buffer.from([0]), wide.subarray(y * 56, y * 56 + 56)])))), 0, 0, 16);
    decode(digits, deep, 784).forEach((v, i) => expect(v).toBeCloseTo(grey[i] / 255, 7));
    // Palette, 4 bits per pixel: 16 grey levels, two pixels a byte.
    const plte = Buffer.from(Array.from({ length: 16 }, (_, k) => [k * 17, k * 17, k * 17]).flat());
    const index = (x: number, y: number) => (x + y) % 16;
    const rows = Array.from({ length: 28 }, (_, y) => Buffer.from([0, ...Array.from({ length: 14 }, (_, k) => (index(2 * k, y) << 4) | index(2 * k + 1, y))]));
    const paletted = decode(digits, handmadePng(28, 28, deflateSync(Buffer.concat(rows)), 0, 3, 4, plte), 784);
    expect(paletted[5 * 28 + 3]).toBeCloseTo((index(3, 5) * 17) / 255, 7);
  });

  it("writes at an offset, so a batch is decoded in place", () => {
    const grey = pixels(28, 28, 1, 6);
    const out = new Float32Array(784 * 2).fill(-7);
    digits(png(28, 28, 1, grey), out, 784);
    expect(out[0]).toBe(-7);
    expect(out[784 + 5]).toBeCloseTo(grey[5] / 255, 7);
  });
});

describe("refusals", () => {
  it("refuses a wrong size from the header alone, without decoding (a 100000×100000 PNG costs nothing)", () => {
    expect(problem(() => decode(digits, png(32, 30, 1, pixels(32, 30, 1, 7)), 784))).toEqual({
      problem: "wrong-size",
      message: 'is 32×30; model "digits-cnn" takes 28×28 (resize it first: the scorer does not resize)',
    });
    const huge = handmadePng(100_000, 100_000, deflateSync(Buffer.alloc(10)));
    expect(problem(() => decode(digits, huge, 784)).message).toMatch(/^is 100000×100000; model "digits-cnn" takes 28×28/);
  });

  it("refuses an interlaced PNG whose pixel data inflates past its size (a decompression bomb), quickly", () => {
    const bomb = handmadePng(28, 28, deflateSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 }), 1);
    expect(bomb.length).toBeLessThan(200_000);
    const rss = process.memoryUsage().rss;
    expect(problem(() => decode(digits, bomb, 784))).toMatchObject({ problem: "corrupt", message: expect.stringMatching(/inflates to more than 28×28 pixels can hold/) });
    expect(process.memoryUsage().rss - rss).toBeLessThan(32 * 1024 * 1024);
  });

  it("refuses a non-interlaced PNG bomb too", () => {
    const bomb = handmadePng(28, 28, deflateSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 }));
    expect(problem(() => decode(digits, bomb, 784)).message).toMatch(/inflates to more than 28×28 pixels can hold/);
  });

  it("refuses truncated and corrupt files", () => {
    const file = png(28, 28, 1, pixels(28, 28, 1, 8));
    expect(problem(() => decode(digits, file.subarray(0, file.length - 20), 784))).toMatchObject({ problem: "corrupt", message: expect.stringMatching(/^is a truncated or corrupt PNG \(its IDAT chunk runs past the end/) });
    expect(problem(() => decode(digits, file.subarray(0, 20), 784)).message).toMatch(/^is a truncated or corrupt PNG \(no IHDR header\)/);
    const bad = handmadePng(28, 28, Buffer.from("not zlib data at all"));
    // pngjs alone returned uninitialised memory for this one (a different "image" on each call).
    expect(problem(() => decode(digits, bad, 784))).toMatchObject({ problem: "corrupt", message: expect.stringMatching(/^is a truncated or corrupt PNG \(its pixel data does not inflate: /) });
    const short = handmadePng(28, 28, deflateSync(Buffer.alloc(28 * 29 - 50)));
    expect(problem(() => decode(digits, short, 784)).message).toBe("is a truncated or corrupt PNG (its pixel data holds 762 bytes of the 812 that 28×28 pixels need)");
    const { bytes } = jpegOf(12, 16, pixels(12, 16, 3, 9));
    expect(problem(() => decode(rgb, bytes.subarray(0, bytes.length - 60), 576))).toMatchObject({ problem: "corrupt", message: expect.stringMatching(/^is a truncated or corrupt JPEG/) });
    expect(problem(() => decode(rgb, bytes.subarray(0, 40), 576)).message).toMatch(/^is a truncated or corrupt JPEG \(no frame header/);
  });

  it("names formats it does not take, sniffed from the bytes", () => {
    expect(problem(() => readImageHeader(Buffer.from("GIF89a......")))).toEqual({ problem: "not-image", message: "is a GIF image; send a PNG or JPEG" });
    expect(problem(() => readImageHeader(Buffer.from("RIFF\0\0\0\0WEBPVP8 "))).message).toBe("is a WebP image; send a PNG or JPEG");
    expect(problem(() => readImageHeader(Buffer.from("hello")))).toEqual({ problem: "not-image", message: "is not a PNG or JPEG file (it starts with bytes 68 65 6c 6c); send a PNG or JPEG" });
    expect(problem(() => readImageHeader(new Uint8Array(0))).message).toBe("is empty (0 bytes)");
  });
});

describe("base64", () => {
  const file = png(28, 28, 1, pixels(28, 28, 1, 10));
  it("takes standard and URL-safe base64, MIME line breaks and data: URLs", () => {
    const b64 = file.toString("base64");
    for (const text of [b64, file.toString("base64url"), b64.replace(/(.{76})/g, "$1\r\n"), `data:image/png;base64,${b64}`, `data:;base64,${b64}`]) {
      expect(Buffer.from(decodeBase64Image(text)).equals(file)).toBe(true);
    }
  });

  it("refuses what Buffer.from would silently skip", () => {
    expect(problem(() => decodeBase64Image("iVBOR%w0KGgo"))).toEqual({
      problem: "not-base64",
      message: 'is not base64: "%" at position 5; send the PNG or JPEG file\'s bytes base64-encoded, or a data: URL',
    });
    expect(problem(() => decodeBase64Image("abcde")).message).toMatch(/^is not base64 \(its length or padding is wrong\)/);
    expect(problem(() => decodeBase64Image("data:image/png,rawbytes")).message).toMatch(/without ";base64,"/);
    expect(problem(() => decodeBase64Image("")).message).toBe("is an empty string");
  });
});

describe("digits as PNG files (lib/data)", () => {
  it("writeDigitImages stores loadDigits' images, which the digits step reads back within 1/510", async () => {
    const dir = tempDir("cai-digit-png-");
    try {
      const { keys, labels } = await writeDigitImages(dir, { count: 20, seed: 7 });
      const ref = await loadDigits({ count: 20, seed: 7 });
      expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => `${String(i).padStart(5, "0")}.png`));
      expect(labels).toEqual(Array.from(ref.labels));
      const out = new Float32Array(784);
      for (const i of [0, 19]) {
        digits(readFileSync(path.join(dir, keys[i])), out, 0);
        out.forEach((v, p) => expect(Math.abs(v - ref.images[i * 784 + p])).toBeLessThanOrEqual(1 / 510 + 1e-6));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("encodePng refuses a pixel count that does not fit", () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 1, pixels: [1, 2, 3] })).toThrow(/needs width × height × channels = 2 × 2 × 1 pixel values; got 3/);
  });
});

describe("the image step in metadata", () => {
  const meta = (shape: (number | null)[], step: unknown) => ({
    schemaVersion: 1,
    name: "m",
    inputs: [{ name: "x", shape, dtype: "float32" }],
    outputs: [{ name: "y", shape: [null, 10], dtype: "float32" }],
    metrics: {},
    preprocessing: [step],
    createdAt: new Date().toISOString(),
    toolkit: { name: "t", version: "1" },
    tfjsVersion: "4",
    weights: { files: [], bytes: 0, sha256: "" },
  });

  it("imageInputStep writes the spec's record", () => {
    expect(imageInputStep({ width: 28, height: 28, channels: 1, scale: 1 / 255 })).toEqual({ kind: "image", width: 28, height: 28, channels: 1, scale: 1 / 255 });
    expect(imageInputStep({ width: 4, height: 2, channels: 3, scale: 2 / 255, offset: -1 })).toMatchObject({ offset: -1 });
  });

  it("validateMetadata checks the step fits inputs[0].shape (NHWC) and its fields", () => {
    expect(() => validateMetadata(meta([null, 28, 28, 1], DIGITS_STEP), "m.json")).not.toThrow();
    expect(() => validateMetadata(meta([null, 28, 28, 3], DIGITS_STEP), "m.json")).toThrow(/preprocessing\[0\] \(image\) is 28×28×1 but the input has shape \[null, 28, 28, 3\]; an image input is \[batch, 28, 28, 1\] \(NHWC\)/);
    expect(() => validateMetadata(meta([null, 784], DIGITS_STEP), "m.json")).toThrow(/input has shape \[null, 784\]/);
    expect(() => validateMetadata(meta([null, 28, 28, 2], { ...DIGITS_STEP, channels: 2 }), "m.json")).toThrow(/needs channels 1 \(grey\) or 3 \(RGB\)/);
    expect(() => validateMetadata(meta([null, 28, 28, 1], { ...DIGITS_STEP, scale: "1/255" }), "m.json")).toThrow(/needs a finite scale/);
    expect(() => validateMetadata(meta([null, 28, 28, 1], { ...DIGITS_STEP, width: 0 }), "m.json")).toThrow(/needs width and height, whole numbers from 1 to 8192/);
    const two = meta([null, 28, 28, 1], DIGITS_STEP);
    two.preprocessing.push({ kind: "standard-scaler", mean: [0], std: [1] });
    expect(() => validateMetadata(two, "m.json")).toThrow(/must be the only preprocessing step/);
  });
});
