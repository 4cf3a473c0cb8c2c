// Digits as image files: what the image scoring tutorials (2-5, 2-6) send to the scoring server
// and the batch scorer, and what the image benchmarks read.
import { PNG } from "pngjs";
import { openStore, type OpenStoreOptions } from "../core/index.js";
import { loadDigits, type DigitsOptions } from "./digits.js";
import { DataError } from "./errors.js";

export interface PngImage {
  width: number;
  height: number;
  /** 1 grey, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
  /** height × width × channels values, row-major: 0..255, or 0..1 in a Float32Array / Float64Array (scaled by 255). */
  pixels: ArrayLike<number>;
}

const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

/** One image as PNG file bytes (8-bit; grey, RGB or RGBA as given). */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || pixels.length !== width * height * channels) {
    throw new DataError("BAD_OPTION", `encodePng needs width × height × channels = ${width} × ${height} × ${channels} pixel values; got ${pixels.length}.`);
  }
  const floats = pixels instanceof Float32Array || pixels instanceof Float64Array;
  const data = Buffer.alloc(pixels.length);
  for (let i = 0; i < pixels.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(floats ? pixels[i] * 255 : pixels[i])));
  const colorType = COLOR_TYPE[channels];
  return new Uint8Array(PNG.sync.write(Object.assign(new PNG({ width, height }), { data }), { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 }));
}

export interface DigitImagesOptions extends DigitsOptions {
  /** Key prefix inside the location (e.g. "batch-1/"). Default "". */
  prefix?: string;
  /** For a Blob URL (Azurite's, or an account key one). Default: AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string;
  /** A Microsoft Entra credential for an Azure account (wins over a connection string). */
  credential?: OpenStoreOptions["credential"];
  /** @deprecated Use `connectionString` / `credential` (the Azure SDK's names, and the toolkit's). */
  storage?: OpenStoreOptions;
}

export interface DigitImages {
  /** The keys written, relative to the location, sorted: `00000.png`, `00001.png`, ... */
  keys: string[];
  /** The digit of each image, in the order of keys. */
  labels: number[];
}

/**
 * Writes `count` MNIST digits (loadDigits: seeded, balanced) as 28×28 grey PNG files to a folder
 * or a Blob URL. Pixels are stored as round(value × 255), so a model with the image step
 * `{ width: 28, height: 28, channels: 1, scale: 1/255 }` sees what loadDigits gives, to 1/510.
 */
export async function writeDigitImages(location: string, options: DigitImagesOptions = {}): Promise<DigitImages> {
  const digits = await loadDigits(options);
  const { connectionString, credential } = options;
  const store = await openStore(location, { ...options.storage, ...(connectionString ? { connectionString } : {}), ...(credential ? { credential } : {}) });
  const n = digits.labels.length;
  const digitsInName = Math.max(5, String(n - 1).length);
  const keys = Array.from({ length: n }, (_, i) => `${options.prefix ?? ""}${String(i).padStart(digitsInName, "0")}.png`);
  const side = digits.shape[1] * digits.shape[2];
  for (let from = 0; from < n; from += 16) {
    // A few uploads at a time for Blob storage; a folder does not mind.
    await Promise.all(
      keys.slice(from, from + 16).map((key, k) => {
        const i = from + k;
        return store.put(key, encodePng({ width: 28, height: 28, channels: 1, pixels: digits.images.subarray(i * side, (i + 1) * side) }));
      }),
    );
  }
  return { keys, labels: Array.from(digits.labels) };
}
