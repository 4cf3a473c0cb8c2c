// Reads an image's format and declared size from its first bytes (magic numbers, PNG IHDR, JPEG
// SOF), before anything is decoded or allocated: the decompression-bomb guard, and the place a
// wrong-size image is refused. The Content-Type a client sends is never trusted. Also checks a
// file's structure where the decoders do not (PNG pixel data, a JPEG's end marker).
import { inflateSync } from "node:zlib";
import { ImageInputError } from "./errors.js";

export interface ImageHeader {
  format: "png" | "jpeg";
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** A name for formats we do not take, so the answer says what was sent. */
function otherFormat(b: Uint8Array): string | undefined {
  if (ascii(b, 0, 4) === "GIF8") return "a GIF image";
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "a WebP image";
  if (ascii(b, 0, 2) === "BM") return "a BMP image";
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return "a TIFF image";
  if (ascii(b, 4, 8) === "ftyp") return `an ISO media file (${ascii(b, 8, 12).trim() || "?"}: HEIC/AVIF?)`;
  if (b[0] === 0x7b || b[0] === 0x5b) return "JSON text";
  if (ascii(b, 0, 5).toLowerCase() === "<?xml" || ascii(b, 0, 4).toLowerCase() === "<svg") return "an SVG/XML document";
  return undefined;
}

export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new ImageInputError("not-image", "is empty (0 bytes)");
  if (startsWith(bytes, PNG_SIGNATURE)) return pngHeader(bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return jpegHeader(bytes);
  const other = otherFormat(bytes);
  const first = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, "0")).join(" ");
  throw new ImageInputError("not-image", `is ${other ?? `not a PNG or JPEG file (it starts with bytes ${first})`}; send a PNG or JPEG`);
}

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
/** Chunk types as the big-endian numbers u32 reads (no string per chunk). */
const chunkType = (name: string) => u32(Buffer.from(name, "latin1"), 0);
const IEND = chunkType("IEND");
const IDAT = chunkType("IDAT");

function pngHeader(b: Uint8Array): ImageHeader {
  const corrupt = (why: string) => new ImageInputError("corrupt", `is a truncated or corrupt PNG (${why})`);
  if (b.length < 33 || ascii(b, 12, 16) !== "IHDR") throw corrupt("no IHDR header");
  const width = u32(b, 16);
  const height = u32(b, 20);
  if (width === 0 || height === 0) throw corrupt(`it declares ${width}×${height} pixels`);
  // Walk the chunks: a cut-off file shows as a chunk running past the end, or no IEND.
  let at = 8;
  let ended = false;
  while (at + 12 <= b.length) {
    const length = u32(b, at);
    const type = u32(b, at + 4);
    if (at + 12 + length > b.length) throw corrupt(`its ${ascii(b, at + 4, at + 8)} chunk runs past the end of the file`);
    at += 12 + length;
    if (type === IEND) {
      ended = true;
      break;
    }
  }
  if (!ended) throw corrupt("the file ends before its IEND chunk");
  return { format: "png", width, height };
}

function jpegHeader(b: Uint8Array): ImageHeader {
  const corrupt = (why: string) => new ImageInputError("corrupt", `is a truncated or corrupt JPEG (${why})`);
  let frame: { width: number; height: number } | undefined;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) throw corrupt(`no marker at byte ${at}`);
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or the first scan
    const length = (b[at + 2] << 8) | b[at + 3];
    // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (!frame && marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > b.length) break;
      if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2) {
        throw new ImageInputError("corrupt", "is a lossless, hierarchical or arithmetic-coded JPEG, which is not supported; save it as a baseline or progressive JPEG");
      }
      frame = { height: (b[at + 5] << 8) | b[at + 6], width: (b[at + 7] << 8) | b[at + 8] };
      if (frame.width === 0 || frame.height === 0) throw corrupt(`its frame header declares ${frame.width}×${frame.height} pixels`);
    }
    at += 2 + length;
  }
  if (!frame) throw corrupt("no frame header (SOF) before the end of the file");
  // A cut-off scan decodes with the rest grey (jpeg-js; libjpeg only warns): require the end-of-image
  // marker after the first scan. In scan data 0xFF is always followed by 0x00 or a restart marker.
  let end = b.length - 2;
  while (end > at && !(b[end] === 0xff && b[end + 1] === 0xd9)) end--;
  if (end <= at || b[at + 1] !== 0xda) throw corrupt("the file ends before its end-of-image marker");
  return { format: "jpeg", ...frame };
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7 passes: [x0, y0, dx, dy].
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Inflates a PNG's pixel data with Node's zlib, bounded by the size its header implies, and checks
 * it is all there. pngjs alone is not safe here: it inflates interlaced images without a limit (a
 * small file can expand to gigabytes), and its own inflater returns uninitialised memory instead
 * of an error for a corrupt stream. Returns the inflated data (filtered scanlines), which the
 * fast path in png-fast.ts decodes without inflating again.
 */
export function checkPngData(b: Uint8Array, width: number, height: number): Buffer {
  const corrupt = (why: string) => new ImageInputError("corrupt", `is a truncated or corrupt PNG (${why})`);
  const bitDepth = b[24];
  const channels = PNG_CHANNELS[b[25]];
  if (!channels || ![1, 2, 4, 8, 16].includes(bitDepth)) throw corrupt(`colour type ${b[25]} with bit depth ${bitDepth}`);
  const rowBytes = (w: number) => Math.ceil((w * channels * bitDepth) / 8) + 1; // + the filter byte
  let expected = 0;
  if (b[28] === 1) {
    for (const [x0, y0, dx, dy] of ADAM7) {
      const w = Math.ceil((width - x0) / dx);
      const h = Math.ceil((height - y0) / dy);
      if (w > 0 && h > 0) expected += h * rowBytes(w);
    }
  } else {
    expected = height * rowBytes(width);
  }
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 12 <= b.length; ) {
    const length = u32(b, at);
    if (u32(b, at + 4) === IDAT) parts.push(b.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  if (parts.length === 0) throw corrupt("no IDAT chunk");
  let inflated: Buffer;
  try {
    // A little slack: some encoders leave a few bytes past the image, which decoders ignore.
    inflated = inflateSync(parts.length === 1 ? parts[0] : Buffer.concat(parts), { maxOutputLength: expected + 1024 });
  } catch (error) {
    const tooBig = (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError;
    if (tooBig) throw new ImageInputError("corrupt", `is a corrupt PNG (its pixel data inflates to more than ${width}×${height} pixels can hold)`);
    throw corrupt(`its pixel data does not inflate: ${(error as Error).message}`);
  }
  if (inflated.length < expected) throw corrupt(`its pixel data holds ${inflated.length} bytes of the ${expected} that ${width}×${height} pixels need`);
  return inflated;
}
