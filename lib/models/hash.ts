import { createHash } from "node:crypto";
import type * as tf from "@tensorflow/tfjs";
import { ModelError } from "./errors.js";

/** What hashData takes: numbers, (nested) arrays of numbers, typed arrays, or tensors. */
export type HashableData = number | boolean | ArrayLike<number> | readonly unknown[] | tf.Tensor;

/**
 * A fingerprint of training data: `sha256:<hex>` over each argument's shape and its values as
 * float64, in order. The same values hash the same whatever their container (number[][],
 * Float32Array with the same shape, a tensor), so a model's metadata can name the exact data it saw.
 */
export function hashData(...arrays: HashableData[]): string {
  const hash = createHash("sha256");
  arrays.forEach((data, index) => {
    const { shape, values } = flatten(data, index);
    hash.update(`${JSON.stringify(shape)}\n`);
    const bytes = new Float64Array(values);
    hash.update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  return `sha256:${hash.digest("hex")}`;
}

function isTensor(value: unknown): value is tf.Tensor {
  return typeof value === "object" && value !== null && "dataSync" in value && "shape" in value && "dtype" in value;
}

function flatten(data: HashableData, index: number): { shape: number[]; values: number[] } {
  if (isTensor(data)) {
    return { shape: data.shape.slice(), values: Array.from(data.dataSync() as ArrayLike<number>, Number) };
  }
  // The shape is read down the first elements; every list must then match it.
  const shape: number[] = [];
  for (let probe: unknown = data; isList(probe); probe = probe.length > 0 ? probe[0] : undefined) shape.push(probe.length);
  const values: number[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof value !== "number" && typeof value !== "boolean") {
        throw new ModelError(
          "BAD_OPTION",
          `hashData: argument ${index} holds ${isList(value) ? "a ragged array" : value === null ? "null" : typeof value}; pass numbers, rectangular arrays of numbers, typed arrays or tensors.`,
        );
      }
      values.push(Number(value));
      return;
    }
    if (!isList(value) || value.length !== shape[depth]) {
      throw new ModelError("BAD_OPTION", `hashData: argument ${index} is ragged (rows of different lengths at depth ${depth}); pass a rectangular array.`);
    }
    for (let i = 0; i < value.length; i++) walk(value[i], depth + 1);
  };
  walk(data, 0);
  return { shape, values };
}

function isList(value: unknown): value is ArrayLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as ArrayLike<unknown>).length === "number";
}
