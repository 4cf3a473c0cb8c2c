import { onnxAxis, type GraphBuilder, type Value } from "./graph.js";
import { attrFloat, attrInt } from "./proto.js";

/** tfjs activation names (as `getConfig().activation` reports them) that export to ONNX. */
export const SUPPORTED_ACTIVATIONS = [
  "linear",
  "relu",
  "relu6",
  "elu",
  "selu",
  "sigmoid",
  "hardSigmoid",
  "tanh",
  "softmax",
  "logSoftmax",
  "softplus",
  "softsign",
  "swish",
  "mish",
  "gelu",
  "gelu_new",
] as const;

export type SupportedActivation = (typeof SUPPORTED_ACTIVATIONS)[number];

export function isSupportedActivation(name: string): name is SupportedActivation {
  return (SUPPORTED_ACTIVATIONS as readonly string[]).includes(name);
}

// tfjs-layers' SELU constants (activations.ts), so ONNX Selu matches tfjs exactly.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * Appends `activation` after `x`; elementwise ops keep the layout, softmax-like ones act on the
 * channel axis (tfjs axis -1) wherever the layout puts it. `prefix` names the nodes.
 */
export function emitActivation(b: GraphBuilder, x: Value, activation: SupportedActivation, prefix: string): Value {
  const unary = (op: string, input = x.name, attrs = [] as ReturnType<typeof attrFloat>[]) =>
    b.node(op, [input], `${prefix}/${op}`, attrs);
  const scalar = (name: string, v: number) => b.floatConst(`${prefix}/${name}`, [v], []);
  const out = (name: string): Value => ({ ...x, name });

  switch (activation) {
    case "linear":
      return x;
    case "relu":
      return out(unary("Relu"));
    case "relu6":
      return out(b.node("Clip", [x.name, scalar("zero", 0), scalar("six", 6)], `${prefix}/Relu6`));
    case "elu":
      return out(unary("Elu", x.name, [attrFloat("alpha", 1)]));
    case "selu":
      return out(unary("Selu", x.name, [attrFloat("alpha", SELU_ALPHA), attrFloat("gamma", SELU_SCALE)]));
    case "sigmoid":
      return out(unary("Sigmoid"));
    case "hardSigmoid": // tfjs: clip(0.2 x + 0.5, 0, 1)
      return out(unary("HardSigmoid", x.name, [attrFloat("alpha", 0.2), attrFloat("beta", 0.5)]));
    case "tanh":
      return out(unary("Tanh"));
    case "softmax":
      return out(unary("Softmax", x.name, [attrInt("axis", onnxAxis(x, -1))]));
    case "logSoftmax":
      return out(unary("LogSoftmax", x.name, [attrInt("axis", onnxAxis(x, -1))]));
    case "softplus":
      return out(unary("Softplus"));
    case "softsign":
      return out(unary("Softsign"));
    case "swish": // x · sigmoid(x)
      return out(b.node("Mul", [x.name, unary("Sigmoid")], `${prefix}/Swish`));
    case "mish": // x · tanh(softplus(x))
      return out(b.node("Mul", [x.name, unary("Tanh", unary("Softplus"))], `${prefix}/Mish`));
    case "gelu": {
      // x · 0.5 · (1 + erf(x / √2))
      const erf = unary("Erf", b.node("Div", [x.name, scalar("sqrt2", Math.SQRT2)], `${prefix}/Div`));
      const cdf = b.node("Mul", [b.node("Add", [erf, scalar("one", 1)], `${prefix}/Add`), scalar("half", 0.5)], `${prefix}/Mul`);
      return out(b.node("Mul", [x.name, cdf], `${prefix}/Gelu`));
    }
    case "gelu_new": {
      // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³)))
      const cube = b.node("Mul", [x.name, b.node("Mul", [x.name, x.name], `${prefix}/Square`)], `${prefix}/Cube`);
      const inner = b.node("Add", [x.name, b.node("Mul", [cube, scalar("c", 0.044715)], `${prefix}/Mul`)], `${prefix}/Add`);
      const t = unary("Tanh", b.node("Mul", [inner, scalar("k", Math.sqrt(2 / Math.PI))], `${prefix}/Mul`));
      const half = b.node("Mul", [b.node("Add", [t, scalar("one", 1)], `${prefix}/Add`), scalar("half", 0.5)], `${prefix}/Mul`);
      return out(b.node("Mul", [x.name, half], `${prefix}/GeluNew`));
    }
  }
}
