// Snappy pages through hysnappy (WASM), hyparquet's own codec package: ~3x faster than hyparquet's
// JS decoder, which was the biggest single cost of reading a snappy Parquet file. Loaded lazily;
// when it is missing or its WASM cannot start, hyparquet's JS decoder is used.
import { importPackage } from "../../core/index.js";

/** hyparquet's codec hook: codec name → (compressed bytes, uncompressed size) → bytes. */
export type Compressors = Record<string, (input: Uint8Array, size: number) => Uint8Array>;

let loading: Promise<Compressors | undefined> | undefined;

/** { SNAPPY } backed by hysnappy, or undefined (then hyparquet decodes snappy itself). */
export function loadCompressors(): Promise<Compressors | undefined> {
  loading ??= (async () => {
    try {
      const { snappyUncompressor } = (await importPackage("hysnappy")) as { snappyUncompressor(): (input: Uint8Array, size: number) => Uint8Array };
      const uncompress = snappyUncompressor();
      return { SNAPPY: (input: Uint8Array, size: number) => checkedUncompress(uncompress, input, size) };
    } catch {
      return undefined;
    }
  })();
  return loading;
}

/**
 * hysnappy returns `size` bytes whatever the stream holds: a stream whose length preamble says
 * fewer would come back padded with stale WASM memory. The preamble must equal the page size
 * (hyparquet's decoder throws on a short page too).
 */
function checkedUncompress(uncompress: (input: Uint8Array, size: number) => Uint8Array, input: Uint8Array, size: number): Uint8Array {
  let length = 0;
  let p = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= input.length || shift > 28) throw new Error("invalid snappy length header");
    const b = input[p++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length !== size) throw new Error(`snappy page holds ${length} bytes, its header says ${size}`);
  return uncompress(input, size);
}
