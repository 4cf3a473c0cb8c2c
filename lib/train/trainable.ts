import * as tf from "@tensorflow/tfjs";
import { probeBackends } from "./backends.js";
import { registerConvGradients } from "./conv-gradients.js";
import { TrainError } from "./train-error.js";

// The gradient kernels that training each layer type needs beyond the forward pass. The wasm
// backend registers the forward convolutions but not Conv2DBackpropFilter nor the depthwise
// backprops, so a CNN fails there deep inside model.fit ("Kernel 'Conv2DBackpropFilter' not
// registered for backend 'wasm'"). Checked against the registry, not hard-coded per backend.
const CONV2D = ["Conv2DBackpropFilter", "Conv2DBackpropInput"];
const DEPTHWISE = ["DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput"];
/** Layers whose training uses Conv2DBackpropFilter (what registerConvGradients provides). */
const CONV_LAYERS = new Set(["Conv1D", "Conv2D", "SeparableConv2D", "ConvLSTM2D", "Conv2DTranspose"]);
const GRADIENT_KERNELS: Readonly<Record<string, readonly string[]>> = {
  Conv1D: CONV2D,
  Conv2D: CONV2D,
  ConvLSTM2D: CONV2D,
  Conv2DTranspose: ["Conv2DBackpropFilter", "Conv2D"],
  Conv3D: ["Conv3DBackpropFilterV2", "Conv3DBackpropInputV2"],
  DepthwiseConv2D: DEPTHWISE,
  SeparableConv2D: [...DEPTHWISE, ...CONV2D],
  MaxPooling1D: ["MaxPoolGrad"],
  MaxPooling2D: ["MaxPoolGrad"],
  AveragePooling1D: ["AvgPoolGrad"],
  AveragePooling2D: ["AvgPoolGrad"],
  MaxPooling3D: ["MaxPool3DGrad"],
  AveragePooling3D: ["AvgPool3DGrad"],
};

export interface TrainableCheck {
  /** The tfjs backend training will run on (active after the call). */
  backend: string;
  /** True when the call switched backends. */
  switched: boolean;
  /** The backend that was active before, when switched. */
  from?: string;
  /** Gradient kernels the model needs that the original backend lacks ([] when none). */
  missingKernels: string[];
  /** The layer types that need them. */
  layers: string[];
  /** One line for the user, when switched: "wasm has no Conv2D gradient; training this CNN on cpu instead". */
  message?: string;
  /** What would avoid the switch, when something would. */
  hint?: string;
}

interface LayerLike {
  getClassName(): string;
  layers?: LayerLike[];
  layer?: LayerLike;
  cell?: LayerLike;
}

/** Class names of every layer of a model, nested models and wrapped layers included. */
export function layerClassNames(model: tf.LayersModel): string[] {
  const names = new Set<string>();
  const visit = (layer: LayerLike) => {
    names.add(layer.getClassName());
    for (const inner of layer.layers ?? []) visit(inner);
    if (layer.layer) visit(layer.layer);
  };
  for (const layer of model.layers as unknown as LayerLike[]) visit(layer);
  return [...names];
}

/** The gradient kernels `model` needs that `backend` (a tfjs backend name) has not registered. */
export function missingGradientKernels(model: tf.LayersModel, backend: string = tf.getBackend()): { kernels: string[]; layers: string[] } {
  const kernels = new Set<string>();
  const layers = new Set<string>();
  for (const name of layerClassNames(model)) {
    for (const kernel of GRADIENT_KERNELS[name] ?? []) {
      if (!tf.getKernel(kernel, backend)) {
        kernels.add(kernel);
        layers.add(name);
      }
    }
  }
  return { kernels: [...kernels], layers: [...layers] };
}

/**
 * Makes sure the active tfjs backend can train `model`. For convolutions on cpu or wasm it first
 * registers the toolkit's Conv2DBackpropFilter (registerConvGradients; `convGradients: false`
 * opts out). When the backend still lacks a gradient kernel the model
 * needs (a CNN on wasm), switches to the next available rung of the backend ladder that has them
 * (cpu on a machine without native TensorFlow) and says so in `message`, instead of letting
 * model.fit fail deep inside tfjs. Throws TrainError NOT_TRAINABLE when no backend can.
 * Tensors made on the old backend keep working: tfjs moves their data on first use.
 */
export async function ensureTrainable(model: tf.LayersModel, options: { convGradients?: boolean } = {}): Promise<TrainableCheck> {
  await tf.ready();
  const from = tf.getBackend();
  if (options.convGradients !== false && (from === "wasm" || from === "cpu") && layerClassNames(model).some((n) => CONV_LAYERS.has(n))) {
    // The toolkit's Conv2DBackpropFilter: the one kernel wasm lacks, and ~100x tfjs's stock cpu one.
    const added = registerConvGradients([from]);
    if (from === "wasm" && added.length > 0 && missingGradientKernels(model, from).kernels.length === 0) {
      return {
        backend: from,
        switched: false,
        missingKernels: [],
        layers: [],
        message: "wasm's stock kernels lack the Conv2D filter gradient; the toolkit added it, so this CNN trains on wasm",
      };
    }
  }
  const missing = missingGradientKernels(model, from);
  if (missing.kernels.length === 0) return { backend: from, switched: false, missingKernels: [], layers: [] };

  const probes = await probeBackends();
  const current = probes.findIndex((p) => p.tfBackend === from);
  // Prefer rungs below the current one (the ladder is best-first), then any other available one.
  const order = current >= 0 ? [...probes.slice(current + 1), ...probes.slice(0, current)] : probes;
  const target = order.find((p) => p.available && p.tfBackend !== from && missingGradientKernels(model, p.tfBackend).kernels.length === 0);
  const what = `${missing.layers.join("/")} gradient (${missing.kernels.join(", ")})`;
  if (!target) {
    throw new TrainError(
      "NOT_TRAINABLE",
      `The ${from} backend has no ${what}, and no other available backend has it either (${probes.map((p) => `${p.name}: ${p.available ? "lacks it" : p.reason}`).join("; ")}).`,
      { hint: "Install @tensorflow/tfjs-node (native TensorFlow) or remove those layers." },
    );
  }
  if (!(await tf.setBackend(target.tfBackend))) {
    throw new TrainError("NOT_TRAINABLE", `The ${from} backend has no ${what}, and switching to ${target.name} failed; call selectBackend("${target.name}") to see why.`);
  }
  await tf.ready();
  const kind = missing.layers.some((l) => /Conv/.test(l)) ? "CNN" : "model";
  const layerWord = missing.layers.filter((l) => /Conv/.test(l)).join("/") || missing.layers.join("/");
  return {
    backend: target.tfBackend,
    switched: true,
    from,
    missingKernels: missing.kernels,
    layers: missing.layers,
    message: `${from} has no ${layerWord} gradient; training this ${kind} on ${target.name} instead`,
    hint:
      from === "wasm" && missing.kernels.every((k) => k === "Conv2DBackpropFilter")
        ? "call registerConvGradients() first to add that kernel to wasm and train there, many times faster than cpu"
        : undefined,
  };
}
