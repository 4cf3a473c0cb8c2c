// The PNG fast path (lib/serve/image/png-fast.ts) against pngjs, the decoder it stands in for:
// every 8-bit colour type it takes, all five scanline filters (pngjs's adaptive encoder picks
// them per row; each is also forced alone), into grey and RGB models — the same values, exactly.
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { imageInputStep } from "../../lib/models/index.js";
import { createImageDecoder } from "../../lib/serve/index.js";
import { fastPng } from "../../lib/serve/image/png-fast.js";

const W = 23;
const H = 17;
const STEPS = [imageInputStep({ width: W, height: H, channels: 1, scale: 1 / 255 }), imageInputStep({ width: W, height: H, channels: 3, scale: 2 / 255, offset: -1 })];

/** RGBA pixels: smooth areas, edges and noise, so that every filter has something to do. */
function rgbaPixels(seed: number, grey: boolean): Buffer {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  const data = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    const x = i % W;
    const y = Math.floor(i / W);
    const base = x < W / 2 ? x * 9 + y * 3 : rnd();
    const [r, g, b] = grey ? [base, base, base] : [base & 255, (base * 7 + y) & 255, rnd()];
    data.set([r & 255, g & 255, b & 255, rnd()], i * 4);
  }
  return data;
}

/** What decode.ts made of pngjs's RGBA output for this step. */
function viaPngjs(bytes: Buffer, step: (typeof STEPS)[number]): Float32Array {
  const { data } = PNG.sync.read(bytes);
  const out = new Float32Array(W * H * step.channels);
  const offset = step.offset ?? 0;
  for (let p = 0; p < W * H; p++) {
    const [r, g, b] = [data[p * 4], data[p * 4 + 1], data[p * 4 + 2]];
    if (step.channels === 1) out[p] = (r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) * step.scale + offset;
    else for (let c = 0; c < 3; c++) out[p * 3 + c] = [r, g, b][c] * step.scale + offset;
  }
  return out;
}

describe("PNG fast path", () => {
  const colourTypes = [
    { colorType: 0, name: "grey" },
    { colorType: 2, name: "RGB" },
    { colorType: 4, name: "grey + alpha" },
    { colorType: 6, name: "RGBA" },
  ] as const;
  for (const { colorType, name } of colourTypes) {
    for (const filterType of [-1, 0, 1, 2, 3, 4]) {
      it(`decodes 8-bit ${name} with filter ${filterType === -1 ? "adaptive" : filterType} as pngjs does`, () => {
        const rgba = rgbaPixels(colorType * 10 + filterType + 2, colorType === 0 || colorType === 4);
        const bytes = PNG.sync.write(Object.assign(new PNG({ width: W, height: H }), { data: rgba }), { colorType, inputColorType: 6, bitDepth: 8, filterType });
        expect(bytes[25]).toBe(colorType);
        expect(fastPng(bytes)).toBe(true);
        for (const step of STEPS) {
          const out = new Float32Array(W * H * step.channels + 5).fill(7);
          createImageDecoder(step, "m")(bytes, out, 5);
          expect(out.subarray(0, 5)).toEqual(new Float32Array(5).fill(7)); // nothing written before `offset`
          expect(out.subarray(5)).toEqual(viaPngjs(bytes, step));
        }
      });
    }
  }

  it("leaves 16-bit and palette PNGs to pngjs", () => {
    const rgba = rgbaPixels(3, false);
    const sixteen = PNG.sync.write(Object.assign(new PNG({ width: W, height: H }), { data: rgba }), { colorType: 2, inputColorType: 6, bitDepth: 16 });
    expect(fastPng(sixteen)).toBe(false);
    const out = new Float32Array(W * H * 3);
    createImageDecoder(STEPS[1], "m")(sixteen, out, 0);
    expect(out).toEqual(viaPngjs(sixteen, STEPS[1]));
  });
});
