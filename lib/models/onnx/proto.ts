import * as onnxProto from "onnx-proto";
import type { onnx } from "onnx-proto";

// onnx-proto is CommonJS (`module.exports = { onnx }`): Node's ESM loader exposes it only as
// `default`, tslab's CommonJS output and vitest as a named export. Accept both.
type OnnxNamespace = typeof onnxProto.onnx;
const loaded = onnxProto as unknown as { onnx?: OnnxNamespace; default?: { onnx?: OnnxNamespace } };
export const proto: OnnxNamespace = (loaded.onnx ?? loaded.default?.onnx) as OnnxNamespace;

export type { onnx };

/** ONNX TensorProto.DataType values used here (stable across ONNX versions). */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export function attrInt(name: string, value: number): onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

export function attrInts(name: string, values: number[]): onnx.IAttributeProto {
  return { name, type: AttributeType.INTS, ints: values };
}

export function attrFloat(name: string, value: number): onnx.IAttributeProto {
  return { name, type: AttributeType.FLOAT, f: value };
}

export function attrString(name: string, value: string): onnx.IAttributeProto {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

/** Little-endian raw bytes, as TensorProto.raw_data requires on any host. */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

export function int64Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]), true);
  return bytes;
}

/** A tensor shape for a ValueInfoProto: the batch axis is the symbol "N", other unknown axes stay unnamed. */
export function valueInfo(name: string, elemType: number, shape: (number | null)[]): onnx.IValueInfoProto {
  const dim = shape.map((d, i): onnx.TensorShapeProto.IDimension =>
    d !== null && d !== undefined ? { dimValue: d } : i === 0 ? { dimParam: "N" } : {},
  );
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}
