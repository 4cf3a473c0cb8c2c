// JPEG → RGBA with libjpeg-turbo (mozjpeg's decoder) compiled to WebAssembly (@jsquash/jpeg): the
// decoder Pillow, OpenCV and libvips use, so the pixels equal the Python training / scoring
// pipeline's value for value (jpeg-js's differ by up to 4 levels: other IDCT, no fancy chroma
// upsampling), and 5–8x faster than jpeg-js on 224² photos. No native binary: the same .wasm on
// every platform. The module is compiled and instantiated synchronously on first use (~2 ms).
import { readFileSync } from "node:fs";
import path from "node:path";
import factory from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";
import { findPackage } from "../../core/index.js";

// The few WebAssembly calls used here (this project's TypeScript libs have no WebAssembly types).
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const { WebAssembly } = globalThis as unknown as { WebAssembly: Wasm };

interface Decoded {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}
interface Instance {
  decode(data: Uint8Array, preserveOrientation: boolean): Decoded | null;
}

/** Thrown for a JPEG libjpeg refuses; `message` is libjpeg's own ("Bogus Huffman table definition"). */
export class JpegDecodeError extends Error {}

let wasm: object | undefined;
let instance: Instance | undefined;
/** libjpeg's messages (errors and warnings) of the decode in progress: emscripten's stderr. */
let messages: string[] = [];

function load(): Instance {
  // findPackage, not import.meta: tslab compiles lib/ to CommonJS.
  const dir = findPackage("@jsquash/jpeg")?.dir;
  if (!dir) throw new Error("@jsquash/jpeg is not installed: run npm install");
  wasm ??= new WebAssembly.Module(readFileSync(path.join(dir, "codec", "dec", "mozjpeg_dec.wasm")));
  const module = wasm;
  const options: Record<string, unknown> = {
    noInitialRun: true,
    print: (line: string) => messages.push(line),
    printErr: (line: string) => messages.push(line),
    // Synchronous instantiation: the module's functions are on `options` when factory returns.
    instantiateWasm: (imports: object, done: (instance: object) => void) => {
      const created = new WebAssembly.Instance(module, imports);
      done(created);
      return created.exports;
    },
  };
  // Its promise rejects when instantiation fails (then `decode` is missing, checked below): handled, not left to crash the process.
  (factory as unknown as (options: object) => Promise<unknown>)(options).catch(() => undefined);
  if (typeof options.decode !== "function") throw new Error("@jsquash/jpeg did not initialise synchronously");
  return options as unknown as Instance;
}

/**
 * Decodes a JPEG to RGBA, EXIF orientation not applied (as jpeg-js and Pillow's open()). A grey
 * JPEG comes back as r = g = b. libjpeg cannot give RGBA for CMYK / YCCK: the caller sends those
 * (4 components, see jpegComponents) elsewhere. Throws JpegDecodeError with libjpeg's message for a
 * file it refuses, and for a scan that ends early (libjpeg only warns, and fills the rest grey).
 */
export function decodeJpegRgba(bytes: Uint8Array): Decoded {
  const decoder = (instance ??= load());
  messages = [];
  let decoded: Decoded | null;
  try {
    decoded = decoder.decode(bytes, false);
  } catch (error) {
    // libjpeg's error_exit is exit(1) in the module (an ExitStatus object): its decoder state and
    // buffers are never freed, so a fresh instance serves the next image.
    instance = undefined;
    if ((error as { name?: unknown } | undefined)?.name !== "ExitStatus") throw error;
    throw new JpegDecodeError(messages.at(-1) ?? "libjpeg refused it");
  }
  if (!decoded) throw new JpegDecodeError("libjpeg returned no image");
  const early = messages.find((m) => /premature end/i.test(m));
  if (early) throw new JpegDecodeError(early);
  return decoded;
}

/** The number of components of a JPEG's frame (1 grey, 3 YCbCr / RGB, 4 CMYK / YCCK); 0 if none found. */
export function jpegComponents(b: Uint8Array): number {
  let at = 2;
  while (at + 4 <= b.length && b[at] === 0xff) {
    const marker = b[at + 1];
    if (marker === 0xff || marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return 0;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return at + 9 < b.length ? b[at + 9] : 0;
    at += 2 + ((b[at + 2] << 8) | b[at + 3]);
  }
  return 0;
}
