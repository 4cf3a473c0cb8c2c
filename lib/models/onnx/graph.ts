import { attrInts, DataType, float32Bytes, int64Bytes, type onnx } from "./proto.js";
import type { Shape } from "./tfjs-graph.js";

/**
 * Where a 4-D value's channels are. tfjs is channels-last (NHWC); ONNX Conv / pooling want NCHW.
 * Values of any other rank are always "NHWC" (= tfjs's own layout).
 */
export type Layout = "NHWC" | "NCHW";

/** A value in the ONNX graph standing for a tfjs symbolic tensor. */
export interface Value {
  name: string;
  layout: Layout;
  /** tfjs's shape of the tensor (channels-last), whatever `layout` the ONNX value has. */
  shape: Shape;
  dtype: string;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Collects nodes and initializers with unique names, and converts values between layouts once each. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly layoutCache = new Map<string, Value>();
  private readonly weightCache = new Map<string, string>();

  /** Claims a name as is (graph inputs and outputs); false when already taken. */
  reserve(name: string): boolean {
    if (this.used.has(name)) return false;
    this.used.add(name);
    return true;
  }

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node named `name` (made unique) with one output; returns the output's name. */
  node(opType: string, inputs: string[], name: string, attribute: onnx.IAttributeProto[] = [], outputName?: string): string {
    const nodeName = this.unique(name);
    const output = outputName ?? this.unique(`${nodeName}:0`);
    this.nodes.push({ opType, input: inputs, output: [output], name: nodeName, attribute });
    return output;
  }

  /**
   * A float initializer. `key` (e.g. layer name + weight) dedupes weights of a layer that is
   * called more than once, so shared layers share their weights in ONNX too.
   */
  floatConst(name: string, values: ArrayLike<number>, dims: number[], key?: string): string {
    const cached = key === undefined ? undefined : this.weightCache.get(key);
    if (cached !== undefined) return cached;
    const tensorName = this.unique(name);
    this.initializers.push({ name: tensorName, dataType: DataType.FLOAT, dims, rawData: float32Bytes(values) });
    if (key !== undefined) this.weightCache.set(key, tensorName);
    return tensorName;
  }

  int64Const(name: string, values: number[]): string {
    const tensorName = this.unique(name);
    this.initializers.push({ name: tensorName, dataType: DataType.INT64, dims: [values.length], rawData: int64Bytes(values) });
    return tensorName;
  }

  /** `value` in `layout`, through one cached Transpose when it is 4-D and in the other layout. */
  toLayout(value: Value, layout: Layout): Value {
    if (value.layout === layout || value.shape.length !== 4) return value;
    const key = `${value.name}\u0000${layout}`;
    const cached = this.layoutCache.get(key);
    if (cached !== undefined) return cached;
    const perm = layout === "NCHW" ? TO_NCHW : TO_NHWC;
    const name = this.node("Transpose", [value.name], `${value.name.replace(/:0$/, "")}/to_${layout.toLowerCase()}`, [attrInts("perm", perm)]);
    const converted: Value = { ...value, name, layout };
    this.layoutCache.set(key, converted);
    return converted;
  }

  /** The node that produces `name`, if any. */
  producer(name: string): onnx.INodeProto | undefined {
    return this.nodes.find((n) => n.output?.includes(name));
  }

  /** Renames a node-produced value everywhere (used to give model outputs their public names). */
  rename(from: string, to: string): void {
    for (const n of this.nodes) {
      n.input = (n.input ?? []).map((x) => (x === from ? to : x));
      n.output = (n.output ?? []).map((x) => (x === from ? to : x));
    }
  }
}

/** tfjs axis (of the channels-last shape) → axis of the ONNX value in its layout. */
export function onnxAxis(value: Value, axis: number): number {
  const rank = value.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  return value.layout === "NCHW" ? [0, 2, 3, 1][a] : a;
}
