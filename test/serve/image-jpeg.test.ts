// JPEG decoding through libjpeg-turbo in WebAssembly: the pixels equal Pillow's (fixtures/jpeg:
// files and Pillow's decode of each, made by fixtures/jpeg/make.py) for baseline, progressive,
// 4:4:4, grey and EXIF-rotated files; CMYK goes through jpeg-js as before; files libjpeg refuses,
// or whose scan ends early, are "corrupt" with libjpeg's reason, and the decoder goes on working.
import { readFileSync } from "node:fs";
import path from "node:path";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../lib/data/index.js";
import { imageInputStep } from "../../lib/models/index.js";
import { createImageDecoder, ImageInputError } from "../../lib/serve/index.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "jpeg");
const fixture = (name: string) => ({ jpg: readFileSync(path.join(FIXTURES, `${name}.jpg`)), pillow: readFileSync(path.join(FIXTURES, `${name}.rgb`)) });
// The fixtures are 12 wide, 16 high: raw pixel values (scale 1), RGB or grey.
const rgb = createImageDecoder(imageInputStep({ width: 12, height: 16, channels: 3, scale: 1 }), "rgb");
const grey = createImageDecoder(imageInputStep({ width: 12, height: 16, channels: 1, scale: 1 }), "grey");

function decode(decoder: typeof rgb, bytes: Uint8Array, size = 576): number[] {
  const out = new Float32Array(size);
  decoder(bytes, out, 0);
  return Array.from(out);
}

function corrupt(bytes: Uint8Array): string {
  try {
    decode(rgb, bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ImageInputError);
    expect((error as ImageInputError).problem).toBe("corrupt");
    return (error as Error).message;
  }
  throw new Error("expected an ImageInputError");
}

/** The offset of marker 0xFF `code` (the first one). */
const markerAt = (b: Uint8Array, code: number) => b.findIndex((v, i) => v === 0xff && b[i + 1] === code);

describe("JPEG decoding (libjpeg-turbo, WebAssembly)", () => {
  it.each(["baseline", "progressive", "subsampling-444", "grey", "exif-orientation-6"])("gives Pillow's pixels exactly: %s", (name) => {
    const { jpg, pillow } = fixture(name);
    // EXIF orientation is not applied (as Pillow's open() and jpeg-js): the stored pixels, as stored.
    expect(decode(rgb, jpg)).toEqual(Array.from(pillow));
  });

  it("reads a grey JPEG for a grey model as its own values, and a colour one by BT.601 luma", () => {
    expect(decode(grey, fixture("grey").jpg, 192)).toEqual(Array.from(fixture("grey").pillow.filter((_, i) => i % 3 === 0)));
    const { jpg, pillow } = fixture("baseline");
    const luma = Array.from({ length: 192 }, (_, p) => 0.299 * pillow[3 * p] + 0.587 * pillow[3 * p + 1] + 0.114 * pillow[3 * p + 2]);
    decode(grey, jpg, 192).forEach((v, p) => expect(v).toBeCloseTo(luma[p], 4));
  });

  it("decodes CMYK through jpeg-js, as before (libjpeg gives no RGB for it)", () => {
    const { jpg, pillow } = fixture("cmyk");
    const jpegJs = jpeg.decode(jpg, { useTArray: true, formatAsRGBA: false }).data;
    const values = decode(rgb, jpg);
    expect(values).toEqual(Array.from(jpegJs));
    expect(Math.max(...values.map((v, i) => Math.abs(v - pillow[i])))).toBeLessThanOrEqual(1);
  });

  it("refuses what libjpeg refuses, with its reason, and decodes the next file as before", () => {
    const { jpg, pillow } = fixture("baseline");
    // The frame's first component names quantisation table 3, which the file does not define.
    const badTable = Buffer.from(jpg);
    badTable[markerAt(badTable, 0xc0) + 12] = 3;
    expect(corrupt(badTable)).toBe("is a truncated or corrupt JPEG (Quantization table 0x03 was not defined)");
    expect(decode(rgb, jpg)).toEqual(Array.from(pillow));
    // A Huffman table that cannot be: all 16 code-length counts at 255.
    const badHuffman = Buffer.from(jpg);
    badHuffman.fill(0xff, markerAt(badHuffman, 0xc4) + 5, markerAt(badHuffman, 0xc4) + 21);
    expect(corrupt(badHuffman)).toMatch(/^is a truncated or corrupt JPEG \(/);
    expect(decode(rgb, jpg)).toEqual(Array.from(pillow));
  });

  it("refuses a scan cut short even when the file still ends in its end-of-image marker", () => {
    const { jpg } = fixture("baseline");
    const sos = markerAt(jpg, 0xda);
    const cut = Buffer.concat([jpg.subarray(0, sos + 40), Buffer.from([0xff, 0xd9])]);
    expect(corrupt(cut)).toMatch(/^is a truncated or corrupt JPEG \(.*premature end/i);
    // Cut without its end marker: the header check says so before anything is decoded.
    expect(corrupt(jpg.subarray(0, jpg.length - 30))).toBe("is a truncated or corrupt JPEG (the file ends before its end-of-image marker)");
  });

  it("decodes or refuses (ImageInputError) every randomly damaged file, and stays usable", () => {
    const { jpg, pillow } = fixture("progressive");
    const rand = mulberry32(11);
    const outcomes = new Set<string>();
    for (let k = 0; k < 100; k++) {
      const damaged = Buffer.from(jpg);
      for (let j = 0; j < 3; j++) damaged[Math.floor(rand() * damaged.length)] = Math.floor(rand() * 256);
      try {
        decode(rgb, damaged);
        outcomes.add("decoded");
      } catch (error) {
        expect(error).toBeInstanceOf(ImageInputError);
        outcomes.add((error as ImageInputError).problem);
      }
    }
    expect(outcomes).toContain("corrupt");
    expect(decode(rgb, jpg)).toEqual(Array.from(pillow));
  });
});
