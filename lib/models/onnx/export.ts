import type * as tf from "@tensorflow/tfjs";
import { OnnxExportError } from "./errors.js";
import { GraphBuilder, type Value } from "./graph.js";
import { CONVERTERS, unsupportedLayer } from "./layers.js";
import { DataType, proto, valueInfo, type onnx } from "./proto.js";
import type { TfContainer, TfLayer, TfSymbolicTensor } from "./tfjs-graph.js";

export interface ExportOnnxOptions {
  /** ONNX operator set, 13 (default) to 21. */
  opset?: number;
  /** Graph input names, one per model input; default: tfjs's input layer names. */
  inputNames?: string[];
  /** Graph output names, one per model output; default: tfjs's output layer names. */
  outputNames?: string[];
  /** ModelProto.producer_name; default "custom-ai-on-azure". */
  producer?: string;
  docString?: string;
  /** Extra ModelProto.metadata_props (e.g. labels, training run id). */
  metadata?: Record<string, string>;
}

export const DEFAULT_OPSET = 13;
export const MIN_OPSET = 13; // Softmax / LogSoftmax act on one axis from opset 13 on
export const MAX_OPSET = 21;

/** Lowest IR version that may carry the opset (ONNX's versioning table), at least 8. */
function irVersionFor(opset: number): number {
  return opset >= 21 ? 10 : opset >= 19 ? 9 : 8;
}

const ELEMENT_TYPES: Record<string, number> = { float32: DataType.FLOAT, int32: DataType.INT32, bool: DataType.BOOL };

/**
 * Converts a tfjs Layers model (Sequential or functional) to ONNX ModelProto bytes, ready for
 * onnxruntime (`InferenceSession.create(bytes)`) or a `.onnx` file.
 *
 * Inputs and outputs keep tfjs's shapes and channels-last layout, with a symbolic batch axis "N",
 * so a client sends the arrays it would pass to `model.predict`. Inside, 4-D values switch to
 * NCHW for Conv / pooling and back only where the order matters. An input read only by Embedding
 * layers is declared int32 (tfjs casts it to int32 itself). Throws OnnxExportError naming the
 * layer for a layer class or option with no ONNX mapping.
 */
export function exportOnnx(model: tf.LayersModel, options: ExportOnnxOptions = {}): Uint8Array {
  const root = model as unknown as TfContainer;
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxExportError("UNSUPPORTED_OPTION", `ONNX opset ${opset} is not supported; use ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET}).`);
  }
  if (!Array.isArray(root.inputs) || !Array.isArray(root.outputs) || root.inputs.length === 0) {
    throw new OnnxExportError(
      "MODEL_NOT_BUILT",
      `Model "${root.name}" has no inputs yet, so it cannot be exported.`,
      { hint: "Give the first layer an inputShape (or call model.build / model.predict once) before exporting." },
    );
  }
  const modelInputs = root.inputs;
  const modelOutputs = root.outputs;
  const inputNames = publicNames(options.inputNames, modelInputs, "inputNames", []);
  const outputNames = publicNames(options.outputNames, modelOutputs, "outputNames", inputNames);

  const b = new GraphBuilder();
  for (const name of [...inputNames, ...outputNames]) {
    if (!b.reserve(name)) throw new OnnxExportError("BAD_OPTION", `"${name}" names both an input and an output; ONNX names must be unique.`);
  }

  const layerKeys = new Map<TfLayer, string>();
  const layerKey = (layer: TfLayer) => {
    let key = layerKeys.get(layer);
    if (key === undefined) layerKeys.set(layer, (key = `layer${layerKeys.size}`));
    return key;
  };

  // Walks back from the outputs through layer.inboundNodes; emitting a layer after its inputs
  // gives the nodes in topological order. `scope` maps tfjs symbolic tensor ids to ONNX values
  // (one scope per call of a nested model, so a model used twice is emitted twice).
  const emitTensor = (tensor: TfSymbolicTensor, scope: Map<number, Value>): Value => {
    const known = scope.get(tensor.id);
    if (known !== undefined) return known;
    const layer = tensor.sourceLayer;
    const className = layer.getClassName();
    if (className === "InputLayer") {
      throw new OnnxExportError("UNSUPPORTED_LAYER", `Input "${layer.name}" is used but is not one of the model's inputs.`);
    }
    const converter = Object.prototype.hasOwnProperty.call(CONVERTERS, className) ? CONVERTERS[className] : undefined;
    if (converter === undefined) unsupportedLayer(layer, className);
    const node = layer.inboundNodes[tensor.nodeIndex];
    const inputs = node.inputTensors.map((t) => emitTensor(t, scope));
    const outputs = converter({
      b,
      layer,
      className,
      config: layer.getConfig(),
      inputs,
      outputShapes: node.outputTensors.map((t) => t.shape),
      outputDtypes: node.outputTensors.map((t) => t.dtype),
      layerKey: layerKey(layer),
      emitModel,
    });
    node.outputTensors.forEach((t, i) => scope.set(t.id, outputs[i]));
    return outputs[tensor.tensorIndex] ?? outputs[0];
  };

  const emitModel = (inner: TfContainer, inputs: Value[]): Value[] => {
    const scope = new Map<number, Value>();
    (inner.inputs ?? []).forEach((t, i) => scope.set(t.id, inputs[i]));
    return (inner.outputs ?? []).map((t) => emitTensor(t, scope));
  };

  const graphInputs: onnx.IValueInfoProto[] = [];
  const rootScope = new Map<number, Value>();
  modelInputs.forEach((t, i) => {
    const dtype = onlyEmbeddings(t) ? "int32" : t.dtype;
    const elemType = ELEMENT_TYPES[dtype];
    if (elemType === undefined) {
      throw new OnnxExportError("UNSUPPORTED_OPTION", `Input "${t.name}" has dtype ${dtype}; supported: float32, int32, bool.`);
    }
    graphInputs.push(valueInfo(inputNames[i], elemType, t.shape));
    rootScope.set(t.id, { name: inputNames[i], layout: "NHWC", shape: t.shape, dtype });
  });

  const results = modelOutputs.map((t) => emitTensor(t, rootScope));
  // Give each output its public name: rename the value where a node makes it, else add an Identity
  // (an input passed straight through, or one value that is two outputs).
  const nhwc = results.map((value) => b.toLayout(value, "NHWC")); // outputs in tfjs's layout
  const bound = new Map<string, string>();
  const graphOutputs = nhwc.map((value, i) => {
    const name = outputNames[i];
    const internal = value.name;
    const current = bound.get(internal) ?? internal;
    if (!bound.has(internal) && b.producer(internal) !== undefined) {
      b.rename(internal, name);
      bound.set(internal, name);
    } else {
      b.node("Identity", [current], `${name}/Identity`, [], name);
    }
    return valueInfo(name, ELEMENT_TYPES[value.dtype] ?? DataType.FLOAT, value.shape);
  });

  const metadata = { converted_from: "tfjs-layers", ...(options.metadata ?? {}) };
  const modelProto: onnx.IModelProto = {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: "", version: opset }],
    producerName: options.producer ?? "custom-ai-on-azure",
    docString: options.docString ?? "",
    graph: {
      name: root.name,
      node: b.nodes,
      initializer: b.initializers,
      input: graphInputs,
      output: graphOutputs,
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value: String(value) })),
  };
  return proto.ModelProto.encode(proto.ModelProto.create(modelProto)).finish();
}

function publicNames(given: string[] | undefined, tensors: TfSymbolicTensor[], option: string, taken: string[]): string[] {
  const names = given ?? tensors.map((t) => t.sourceLayer.name);
  if (names.length !== tensors.length) {
    throw new OnnxExportError("BAD_OPTION", `${option} has ${names.length} names, the model has ${tensors.length}.`);
  }
  if (names.some((n) => typeof n !== "string" || n === "")) {
    throw new OnnxExportError("BAD_OPTION", `${option} must be non-empty strings.`);
  }
  // tfjs names the outputs by layer: a layer output twice, or an input that is also an output, gets a suffix.
  if (given === undefined) return names.map((n, i) => (names.indexOf(n) === i && !taken.includes(n) ? n : `${n}_output${i}`));
  if (new Set(names).size !== names.length) {
    throw new OnnxExportError("BAD_OPTION", `${option} must be unique: ${names.join(", ")}.`);
  }
  return names;
}

/** True when every layer reading this model input is an Embedding (so the input carries ids). */
function onlyEmbeddings(input: TfSymbolicTensor): boolean {
  const consumers = input.sourceLayer.outboundNodes.map((n) => n.outboundLayer.getClassName());
  return input.dtype === "float32" && consumers.length > 0 && consumers.every((c) => c === "Embedding");
}
