import { emitActivation, isSupportedActivation, SUPPORTED_ACTIVATIONS, type SupportedActivation } from "./activations.js";
import { OnnxExportError } from "./errors.js";
import { onnxAxis, type GraphBuilder, type Value } from "./graph.js";
import { attrFloat, attrInt, attrInts, attrString, DataType, type onnx } from "./proto.js";
import { findWeight, isContainer, weightValues, type Shape, type TfContainer, type TfLayer } from "./tfjs-graph.js";

/** What a converter gets: the layer, its config, its inputs as ONNX values, and tfjs's output shapes. */
export interface ConvertContext {
  b: GraphBuilder;
  layer: TfLayer;
  className: string;
  config: Record<string, unknown>;
  inputs: Value[];
  outputShapes: Shape[];
  outputDtypes: string[];
  /** A stable key per layer object, for weights shared between calls of the layer. */
  layerKey: string;
  /** Emits a model nested as a layer, called on `inputs`. */
  emitModel(model: TfContainer, inputs: Value[]): Value[];
}

type Converter = (ctx: ConvertContext) => Value[];

export function unsupportedLayer(layer: TfLayer, className: string): never {
  throw new OnnxExportError(
    "UNSUPPORTED_LAYER",
    `Cannot export layer "${layer.name}" (${className}) to ONNX: ${className} has no ONNX converter. ` +
      `Supported layers: ${SUPPORTED_LAYERS.join(", ")}.`,
    { hint: "Rebuild the model from supported layers, or add a converter to lib/models/onnx/layers.ts." },
  );
}

export function unsupportedOption(ctx: Pick<ConvertContext, "layer" | "className">, what: string, supported: string): never {
  throw new OnnxExportError(
    "UNSUPPORTED_OPTION",
    `Cannot export layer "${ctx.layer.name}" (${ctx.className}) to ONNX: ${what} is not supported; supported: ${supported}.`,
    { hint: "Rebuild the layer with a supported option (and retrain), or leave this model in tfjs." },
  );
}

// ---- helpers ------------------------------------------------------------------------------

const prefix = (ctx: ConvertContext) => ctx.layer.name;

function out(ctx: ConvertContext, name: string, layout: Value["layout"], index = 0): Value {
  return { name, layout, shape: ctx.outputShapes[index], dtype: ctx.outputDtypes[index] ?? "float32" };
}

function pair(ctx: ConvertContext, v: unknown, name: string): [number, number] {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 1) return [v[0], v[0]];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  return unsupportedOption(ctx, `${name} ${JSON.stringify(v)}`, "one or two numbers");
}

function checkChannelsLast(ctx: ConvertContext): void {
  const format = ctx.config.dataFormat;
  if (format !== undefined && format !== null && format !== "channelsLast") {
    unsupportedOption(ctx, `dataFormat "${String(format)}"`, `"channelsLast" (tfjs's default)`);
  }
}

function requireRank(ctx: ConvertContext, value: Value, rank: number): void {
  if (value.shape.length !== rank) {
    unsupportedOption(ctx, `an input of rank ${value.shape.length}`, `rank ${rank} (batch, height, width, channels)`);
  }
}

function activationOf(ctx: ConvertContext, key = "activation"): SupportedActivation {
  const raw = ctx.config[key] ?? "linear";
  const name = typeof raw === "string" ? raw : String((raw as { className?: unknown }).className ?? raw);
  if (!isSupportedActivation(name)) unsupportedOption(ctx, `activation "${name}"`, SUPPORTED_ACTIVATIONS.join(", "));
  return name;
}

function weight(ctx: ConvertContext, shortName: string): { values: Float32Array; shape: number[] } {
  const variable = findWeight(ctx.layer, shortName);
  if (variable === undefined) {
    throw new OnnxExportError(
      "MODEL_NOT_BUILT",
      `Layer "${ctx.layer.name}" (${ctx.className}) has no weight "${shortName}"; is the model built (call model.predict once)?`,
    );
  }
  return { values: weightValues(variable), shape: variable.shape };
}

function weightConst(ctx: ConvertContext, shortName: string, values: ArrayLike<number>, dims: number[]): string {
  return ctx.b.floatConst(`${prefix(ctx)}/${shortName}`, values, dims, `${ctx.layerKey}/${shortName}`);
}

/** TF "same" padding: total = max((ceil(in/s) - 1)·s + (k-1)·d + 1 - in, 0), the odd pixel at the end. */
function samePads(input: number, kernel: number, stride: number, dilation: number): [number, number] {
  const outSize = Math.ceil(input / stride);
  const total = Math.max((outSize - 1) * stride + (kernel - 1) * dilation + 1 - input, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** pads / auto_pad attributes for a 2-D window op on an NHWC-shaped value. */
function windowPadding(
  ctx: ConvertContext,
  x: Value,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): onnx.IAttributeProto[] {
  const padding = ctx.config.padding ?? "valid";
  if (padding === "valid") return [attrInts("pads", [0, 0, 0, 0])];
  if (padding !== "same") unsupportedOption(ctx, `padding "${String(padding)}"`, `"same", "valid"`);
  const [h, w] = [x.shape[1], x.shape[2]];
  if (h === null || w === null) return [attrString("auto_pad", "SAME_UPPER")]; // same rule, resolved at run time
  const [top, bottom] = samePads(h, kernel[0], strides[0], dilations[0]);
  const [left, right] = samePads(w, kernel[1], strides[1], dilations[1]);
  return [attrInts("pads", [top, left, bottom, right])];
}

/** Puts every input in one layout: NCHW only when all are NCHW already (no transposes), else NHWC. */
function commonLayout(ctx: ConvertContext): Value[] {
  const allNchw = ctx.inputs.every((v) => v.layout === "NCHW");
  return ctx.inputs.map((v) => ctx.b.toLayout(v, allNchw ? "NCHW" : "NHWC"));
}

// ---- converters ---------------------------------------------------------------------------

const identity: Converter = (ctx) => [ctx.inputs[0]];

const dense: Converter = (ctx) => {
  const x = ctx.b.toLayout(ctx.inputs[0], "NHWC"); // Dense contracts tfjs's last axis
  const kernel = weight(ctx, "kernel");
  const w = weightConst(ctx, "kernel", kernel.values, kernel.shape);
  const useBias = ctx.config.useBias !== false;
  const bias = useBias ? weightConst(ctx, "bias", weight(ctx, "bias").values, [kernel.shape[1]]) : undefined;
  let y: string;
  if (x.shape.length === 2) {
    y = ctx.b.node("Gemm", bias === undefined ? [x.name, w] : [x.name, w, bias], `${prefix(ctx)}/Gemm`);
  } else {
    y = ctx.b.node("MatMul", [x.name, w], `${prefix(ctx)}/MatMul`);
    if (bias !== undefined) y = ctx.b.node("Add", [y, bias], `${prefix(ctx)}/BiasAdd`);
  }
  return [emitActivation(ctx.b, out(ctx, y, "NHWC"), activationOf(ctx), prefix(ctx))];
};

function convolution(ctx: ConvertContext, depthwise: boolean): Value[] {
  checkChannelsLast(ctx);
  requireRank(ctx, ctx.inputs[0], 4);
  const x = ctx.b.toLayout(ctx.inputs[0], "NCHW");
  const kernelSize = pair(ctx, ctx.config.kernelSize, "kernelSize");
  const strides = pair(ctx, ctx.config.strides ?? 1, "strides");
  const dilations = pair(ctx, ctx.config.dilationRate ?? 1, "dilationRate");
  const name = depthwise ? "depthwise_kernel" : "kernel";
  const k = weight(ctx, name);
  const [kh, kw, cin, cout] = k.shape; // depthwise: cout = depth multiplier
  // tfjs [kh, kw, in, out] → ONNX [out, in, kh, kw]; depthwise [kh, kw, in, m] → [in·m, 1, kh, kw].
  const outChannels = depthwise ? cin * cout : cout;
  const w = new Float32Array(k.values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) {
          const src = ((i * kw + j) * cin + c) * cout + o;
          const dst = depthwise ? ((c * cout + o) * kh + i) * kw + j : ((o * cin + c) * kh + i) * kw + j;
          w[dst] = k.values[src];
        }
  const inputs = [x.name, weightConst(ctx, name, w, depthwise ? [outChannels, 1, kh, kw] : [cout, cin, kh, kw])];
  if (ctx.config.useBias !== false) inputs.push(weightConst(ctx, "bias", weight(ctx, "bias").values, [outChannels]));
  const attrs = [
    attrInts("kernel_shape", kernelSize),
    attrInts("strides", strides),
    attrInts("dilations", dilations),
    attrInt("group", depthwise ? cin : 1),
    ...windowPadding(ctx, ctx.inputs[0], kernelSize, strides, dilations),
  ];
  const y = ctx.b.node("Conv", inputs, `${prefix(ctx)}/Conv`, attrs);
  return [emitActivation(ctx.b, out(ctx, y, "NCHW"), activationOf(ctx), prefix(ctx))];
}

function pooling(op: "MaxPool" | "AveragePool"): Converter {
  return (ctx) => {
    checkChannelsLast(ctx);
    requireRank(ctx, ctx.inputs[0], 4);
    const x = ctx.b.toLayout(ctx.inputs[0], "NCHW");
    const kernel = pair(ctx, ctx.config.poolSize ?? 2, "poolSize");
    const strides = pair(ctx, ctx.config.strides ?? kernel, "strides");
    const attrs = [
      attrInts("kernel_shape", kernel),
      attrInts("strides", strides),
      ...windowPadding(ctx, ctx.inputs[0], kernel, strides, [1, 1]),
    ];
    // tfjs (TF) averages over the valid pixels only under "same" padding.
    if (op === "AveragePool") attrs.push(attrInt("count_include_pad", 0));
    return [out(ctx, ctx.b.node(op, [x.name], `${prefix(ctx)}/${op}`, attrs), "NCHW")];
  };
}

function globalPooling(op: "GlobalAveragePool" | "GlobalMaxPool"): Converter {
  return (ctx) => {
    checkChannelsLast(ctx);
    requireRank(ctx, ctx.inputs[0], 4);
    const x = ctx.b.toLayout(ctx.inputs[0], "NCHW");
    const pooled = ctx.b.node(op, [x.name], `${prefix(ctx)}/${op}`); // [N, C, 1, 1]
    if (ctx.outputShapes[0].length === 4) return [out(ctx, pooled, "NCHW")]; // keepDims
    return [out(ctx, ctx.b.node("Flatten", [pooled], `${prefix(ctx)}/Flatten`, [attrInt("axis", 1)]), "NHWC")];
  };
}

const flatten: Converter = (ctx) => {
  checkChannelsLast(ctx);
  const x = ctx.b.toLayout(ctx.inputs[0], "NHWC"); // tfjs flattens in H, W, C order
  if (x.shape.length <= 2) return [x];
  return [out(ctx, ctx.b.node("Flatten", [x.name], `${prefix(ctx)}/Flatten`, [attrInt("axis", 1)]), "NHWC")];
};

const reshape: Converter = (ctx) => {
  const x = ctx.b.toLayout(ctx.inputs[0], "NHWC");
  const target = (ctx.config.targetShape as (number | null)[]).map((d) => (d === null || d === undefined ? -1 : d));
  // 0 copies the (dynamic) batch size from the input.
  const shape = ctx.b.int64Const(`${prefix(ctx)}/shape`, [0, ...target]);
  return [out(ctx, ctx.b.node("Reshape", [x.name, shape], `${prefix(ctx)}/Reshape`), "NHWC")];
};

const concatenate: Converter = (ctx) => {
  const inputs = commonLayout(ctx);
  const rank = inputs[0].shape.length;
  let axis = Number(ctx.config.axis ?? -1);
  // tfjs-layers (4.x) concatenates on the LAST axis for every negative axis at run time
  // (K.concatenate), though its shape inference reads -2 as rank-2. Weights were trained on what
  // it computes, so follow the run time, and carry the shape it really produces.
  if (axis < 0) axis = rank - 1;
  const y = ctx.b.node("Concat", inputs.map((v) => v.name), `${prefix(ctx)}/Concat`, [attrInt("axis", onnxAxis(inputs[0], axis))]);
  const sizes = inputs.map((v) => v.shape[axis]);
  const shape = inputs[0].shape.slice();
  shape[axis] = sizes.every((d) => d !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
  return [{ ...out(ctx, y, inputs[0].layout), shape }];
};

function merge(op: "Sum" | "Mul" | "Mean" | "Max" | "Min"): Converter {
  return (ctx) => {
    const rank = ctx.inputs[0].shape.length;
    if (ctx.inputs.some((v) => v.shape.length !== rank)) {
      unsupportedOption(ctx, "inputs of different ranks", "inputs of one rank");
    }
    const inputs = commonLayout(ctx);
    let y: string;
    if (op === "Mul") {
      y = inputs[0].name;
      for (const v of inputs.slice(1)) y = ctx.b.node("Mul", [y, v.name], `${prefix(ctx)}/Mul`);
    } else {
      y = ctx.b.node(op, inputs.map((v) => v.name), `${prefix(ctx)}/${op}`);
    }
    return [out(ctx, y, inputs[0].layout)];
  };
}

const batchNormalization: Converter = (ctx) => {
  const x = ctx.inputs[0];
  const rawAxis = ctx.config.axis ?? -1;
  const axisList = Array.isArray(rawAxis) ? rawAxis : [rawAxis];
  if (axisList.length !== 1) unsupportedOption(ctx, `axis ${JSON.stringify(rawAxis)}`, "a single axis");
  const rank = x.shape.length;
  const tfAxis = Number(axisList[0]) < 0 ? Number(axisList[0]) + rank : Number(axisList[0]);
  if (tfAxis !== rank - 1) {
    // tfjs-layers' inference path hands per-axis statistics to tf.batchNorm, whose cpu and wasm
    // kernels cycle them over the flattened tensor: predict is wrong there, so refuse to copy it.
    unsupportedOption(ctx, `axis ${String(axisList[0])} (not the last axis; tfjs's own inference is wrong for it)`, "the last axis (-1, channels)");
  }
  const axis = onnxAxis(x, tfAxis);
  const epsilon = Number(ctx.config.epsilon ?? 1e-3);
  const mean = weight(ctx, "moving_mean").values;
  const variance = weight(ctx, "moving_variance").values;
  const channels = mean.length;
  const gamma = ctx.config.scale === false ? new Float32Array(channels).fill(1) : weight(ctx, "gamma").values;
  const beta = ctx.config.center === false ? new Float32Array(channels) : weight(ctx, "beta").values;

  if (axis === 1) {
    // The ONNX op normalises axis 1: NCHW images, or [N, C] vectors.
    const inputs = [
      x.name,
      weightConst(ctx, "gamma", gamma, [channels]),
      weightConst(ctx, "beta", beta, [channels]),
      weightConst(ctx, "moving_mean", mean, [channels]),
      weightConst(ctx, "moving_variance", variance, [channels]),
    ];
    const y = ctx.b.node("BatchNormalization", inputs, `${prefix(ctx)}/BatchNormalization`, [attrFloat("epsilon", epsilon)]);
    return [out(ctx, y, x.layout)];
  }
  // Any other axis (NHWC images, [N, T, C] sequences): fold into y = x·a + c, broadcast on `axis`.
  const a = new Float32Array(channels);
  const c = new Float32Array(channels);
  for (let i = 0; i < channels; i++) {
    a[i] = gamma[i] / Math.sqrt(variance[i] + epsilon);
    c[i] = beta[i] - mean[i] * a[i];
  }
  const dims = [channels, ...new Array<number>(x.shape.length - 1 - axis).fill(1)];
  const scaled = ctx.b.node("Mul", [x.name, weightConst(ctx, `scale_axis${axis}`, a, dims)], `${prefix(ctx)}/Mul`);
  const y = ctx.b.node("Add", [scaled, weightConst(ctx, `shift_axis${axis}`, c, dims)], `${prefix(ctx)}/Add`);
  return [out(ctx, y, x.layout)];
};

const embedding: Converter = (ctx) => {
  const x = ctx.inputs[0];
  const table = weight(ctx, "embeddings");
  // tfjs casts the ids to int32 (truncating floats); ONNX Gather wants int32 / int64 ids.
  const ids = x.dtype === "int32" ? x.name : ctx.b.node("Cast", [x.name], `${prefix(ctx)}/Cast`, [attrInt("to", DataType.INT32)]);
  const y = ctx.b.node("Gather", [weightConst(ctx, "embeddings", table.values, table.shape), ids], `${prefix(ctx)}/Gather`, [
    attrInt("axis", 0),
  ]);
  return [out(ctx, y, "NHWC")];
};

const activationLayer: Converter = (ctx) => [emitActivation(ctx.b, ctx.inputs[0], activationOf(ctx), prefix(ctx))];

const reluLayer: Converter = (ctx) => {
  const x = ctx.inputs[0];
  const max = ctx.config.maxValue;
  if (max === null || max === undefined) return [{ ...x, name: ctx.b.node("Relu", [x.name], `${prefix(ctx)}/Relu`) }];
  const lo = ctx.b.floatConst(`${prefix(ctx)}/min`, [0], []);
  const hi = ctx.b.floatConst(`${prefix(ctx)}/max`, [Number(max)], []);
  return [{ ...x, name: ctx.b.node("Clip", [x.name, lo, hi], `${prefix(ctx)}/Clip`) }];
};

const leakyRelu: Converter = (ctx) => {
  const x = ctx.inputs[0];
  const alpha = Number(ctx.config.alpha ?? 0.3);
  return [{ ...x, name: ctx.b.node("LeakyRelu", [x.name], `${prefix(ctx)}/LeakyRelu`, [attrFloat("alpha", alpha)]) }];
};

const softmaxLayer: Converter = (ctx) => {
  const x = ctx.inputs[0];
  const raw = ctx.config.axis ?? 1; // tfjs's Softmax layer defaults to axis 1, not -1
  const axes = Array.isArray(raw) ? raw : [raw];
  if (axes.length !== 1) unsupportedOption(ctx, `axis ${JSON.stringify(raw)}`, "a single axis");
  const axis = onnxAxis(x, Number(axes[0]));
  return [{ ...x, name: ctx.b.node("Softmax", [x.name], `${prefix(ctx)}/Softmax`, [attrInt("axis", axis)]) }];
};

const rescaling: Converter = (ctx) => {
  // tfjs: float32(x) · scale + offset
  const x = ctx.inputs[0];
  let y = x.dtype === "float32" ? x.name : ctx.b.node("Cast", [x.name], `${prefix(ctx)}/Cast`, [attrInt("to", DataType.FLOAT)]);
  y = ctx.b.node("Mul", [y, ctx.b.floatConst(`${prefix(ctx)}/scale`, [Number(ctx.config.scale)], [])], `${prefix(ctx)}/Mul`);
  y = ctx.b.node("Add", [y, ctx.b.floatConst(`${prefix(ctx)}/offset`, [Number(ctx.config.offset ?? 0)], [])], `${prefix(ctx)}/Add`);
  return [{ ...x, name: y, dtype: "float32" }];
};

const nestedModel: Converter = (ctx) => {
  if (!isContainer(ctx.layer)) unsupportedLayer(ctx.layer, ctx.className);
  return ctx.emitModel(ctx.layer, ctx.inputs);
};

/** Converters by tfjs class name (`layer.getClassName()`). InputLayer is handled by the walker. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Dense: dense,
  Conv2D: (ctx) => convolution(ctx, false),
  DepthwiseConv2D: (ctx) => convolution(ctx, true),
  MaxPooling2D: pooling("MaxPool"),
  AveragePooling2D: pooling("AveragePool"),
  GlobalAveragePooling2D: globalPooling("GlobalAveragePool"),
  GlobalMaxPooling2D: globalPooling("GlobalMaxPool"),
  BatchNormalization: batchNormalization,
  Flatten: flatten,
  Reshape: reshape,
  Embedding: embedding,
  Concatenate: concatenate,
  Add: merge("Sum"),
  Multiply: merge("Mul"),
  Average: merge("Mean"),
  Maximum: merge("Max"),
  Minimum: merge("Min"),
  Activation: activationLayer,
  ReLU: reluLayer,
  LeakyReLU: leakyRelu,
  Softmax: softmaxLayer,
  Rescaling: rescaling,
  // Identity at inference (tfjs's predict runs with training = false).
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  // A model used as a layer is inlined.
  Sequential: nestedModel,
  Model: nestedModel,
  Functional: nestedModel,
};

/** Every tfjs layer class exportOnnx understands. */
export const SUPPORTED_LAYERS: readonly string[] = ["InputLayer", ...Object.keys(CONVERTERS)];
