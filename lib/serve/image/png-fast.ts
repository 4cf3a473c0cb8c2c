// The common PNG without pngjs: 8-bit grey, grey + alpha, RGB or RGBA, not interlaced. Its pixel
// data, already inflated by checkPngData (Node's native zlib), is unfiltered here in place and
// written straight to the model's values — what pngjs's RGBA output gives through decode.ts, value
// for value (alpha is ignored in both), without pngjs inflating the data a second time and
// expanding every image to RGBA first.

/** Bytes per pixel of the 8-bit colour types handled here (0 grey, 2 RGB, 4 grey + alpha, 6 RGBA). */
const BPP: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Whether the fast path decodes this PNG (from its IHDR: bit depth, colour type, interlace). */
export function fastPng(b: Uint8Array): boolean {
  return b[24] === 8 && BPP[b[25]] !== undefined && b[28] === 0;
}

/**
 * Unfilters `data` (height scanlines of a filter byte and width × bpp bytes) in place; returns
 * false for an unknown filter type (the caller then lets pngjs say what is wrong).
 */
export function unfilter(data: Uint8Array, width: number, height: number, bpp: number): boolean {
  const stride = width * bpp;
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    const up = row - (stride + 1); // the previous row, already unfiltered (none for y = 0)
    const filter = data[row - 1];
    if (filter === 0) continue;
    if (filter === 1) {
      for (let i = bpp; i < stride; i++) data[row + i] = (data[row + i] + data[row + i - bpp]) & 255;
    } else if (filter === 2) {
      if (y > 0) for (let i = 0; i < stride; i++) data[row + i] = (data[row + i] + data[up + i]) & 255;
    } else if (filter === 3) {
      for (let i = 0; i < stride; i++) {
        const left = i >= bpp ? data[row + i - bpp] : 0;
        const above = y > 0 ? data[up + i] : 0;
        data[row + i] = (data[row + i] + ((left + above) >> 1)) & 255;
      }
    } else if (filter === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? data[row + i - bpp] : 0;
        const b = y > 0 ? data[up + i] : 0;
        const c = i >= bpp && y > 0 ? data[up + i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        data[row + i] = (data[row + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
    } else return false;
  }
  return true;
}

/**
 * The unfiltered pixels of colour type `colorType` as the model's values (NHWC, `channels` 1 or 3)
 * at out[offset]: value × scale + offset0, looked up in `values` (valueTable); grey from RGB by
 * BT.601 luma unless r = g = b, as decode.ts.
 */
export function pngToValues(
  data: Uint8Array,
  width: number,
  height: number,
  colorType: number,
  channels: number,
  values: Float32Array,
  scale: number,
  offset0: number,
  out: Float32Array,
  offset: number,
  luma: readonly [number, number, number],
): void {
  const bpp = BPP[colorType];
  const stride = width * bpp + 1;
  const [R, G, B] = luma;
  let o = offset;
  for (let y = 0; y < height; y++) {
    let i = y * stride + 1;
    const end = i + width * bpp;
    if (colorType === 0 || colorType === 4) {
      // Grey (+ alpha): r = g = b.
      if (channels === 1) for (; i < end; i += bpp) out[o++] = values[data[i]];
      else {
        for (; i < end; i += bpp) {
          const v = values[data[i]];
          out[o] = v;
          out[o + 1] = v;
          out[o + 2] = v;
          o += 3;
        }
      }
    } else if (channels === 1) {
      for (; i < end; i += bpp) {
        const r = data[i];
        const g = data[i + 1];
        const b = data[i + 2];
        out[o++] = r === g && g === b ? values[r] : (R * r + G * g + B * b) * scale + offset0;
      }
    } else {
      for (; i < end; i += bpp) {
        out[o] = values[data[i]];
        out[o + 1] = values[data[i + 1]];
        out[o + 2] = values[data[i + 2]];
        o += 3;
      }
    }
  }
}

/** value × scale + offset0 for every byte value, as float32: the same numbers the arithmetic stores, one load each. */
export function valueTable(scale: number, offset0: number): Float32Array {
  return Float32Array.from({ length: 256 }, (_, v) => v * scale + offset0);
}
