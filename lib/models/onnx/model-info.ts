import { OnnxExportError } from "./errors.js";
import { proto, type onnx } from "./proto.js";

/** A graph input or output: its element type as onnxruntime names it, and its shape. */
export interface OnnxTensorInfo {
  name: string;
  /** "float32", "int32", "int64", "bool", … (the type strings of onnxruntime's Tensor). */
  type: string;
  /** Fixed sizes as numbers, symbolic ones by name ("N"), unknown ones null. */
  shape: (number | string | null)[];
}

export interface OnnxModelInfo {
  irVersion: number;
  /** Version of the default ("ai.onnx") operator set. */
  opset: number;
  producer: string;
  graphName: string;
  docString: string;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  metadata: Record<string, string>;
  /** How many nodes of each operator type the graph has. */
  operators: Record<string, number>;
  initializerCount: number;
}

// TensorProto.DataType → onnxruntime-node Tensor type.
const TYPE_NAMES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
};

function tensorInfo(value: onnx.IValueInfoProto): OnnxTensorInfo {
  const tensorType = value.type?.tensorType;
  const dims = tensorType?.shape?.dim ?? [];
  return {
    name: value.name ?? "",
    type: TYPE_NAMES[tensorType?.elemType ?? 0] ?? "unknown",
    shape: dims.map((d) => {
      const which = (d as onnx.TensorShapeProto.Dimension).value; // the oneof's set field
      if (which === "dimValue") return Number(d.dimValue);
      if (which === "dimParam") return d.dimParam ?? null;
      return null;
    }),
  };
}

/** Reads the interface of ONNX model bytes (any ONNX model, not only ours): inputs, outputs, opset, metadata. */
export function onnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  let model: onnx.ModelProto;
  try {
    model = proto.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxExportError("BAD_MODEL_BYTES", `These bytes are not an ONNX model (${(error as Error).message}).`, {
      cause: error,
    });
  }
  const graph = model.graph;
  if (graph === null || graph === undefined) {
    throw new OnnxExportError("BAD_MODEL_BYTES", "These bytes hold no ONNX graph; pass the bytes of a .onnx file.");
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const operators: Record<string, number> = {};
  for (const node of graph.node ?? []) operators[node.opType ?? ""] = (operators[node.opType ?? ""] ?? 0) + 1;
  const defaultOpset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  return {
    irVersion: Number(model.irVersion),
    opset: Number(defaultOpset?.version ?? 0),
    producer: model.producerName ?? "",
    graphName: graph.name ?? "",
    docString: model.docString ?? "",
    // Before IR 4, initializers were also listed as inputs; they are weights, not inputs.
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? "")).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""])),
    operators,
    initializerCount: initializers.size,
  };
}
