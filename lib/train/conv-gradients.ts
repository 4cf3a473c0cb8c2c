// A fast Conv2DBackpropFilter (the gradient of a convolution's filter) for tfjs's cpu and wasm
// backends. tfjs 4.22's cpu kernel indexes through TensorBuffer.get() for every multiply-add (~9 s
// per batch of 64 for buildDigitsCnn on 2 cores), and wasm has no such kernel at all, so a CNN
// cannot train there. This one loops over typed arrays in NHWC order; it computes the same sums
// (in float64, so results differ from the stock cpu kernel only by rounding).
import * as tf from "@tensorflow/tfjs";

const KERNEL = "Conv2DBackpropFilter";
const MARK = Symbol.for("custom-ai-on-azure.conv2dBackpropFilter");

type Backend = "cpu" | "wasm";

interface ConvAttrs {
  strides: number | [number, number];
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

interface KernelBackend {
  readSync(dataId: unknown): unknown;
  makeTensorInfo?(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
}

/**
 * dW[fh, fw, ci, co] = Σ over batch and output positions of x[b, in-row, in-col, ci] · dy[b, row, col, co],
 * for NHWC x [B, H, W, Ci], dy [B, OH, OW, Co], dilation 1 (tfjs's conv2d gradient requires it).
 */
export function conv2dBackpropFilterNhwc(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  info: { batchSize: number; inHeight: number; inWidth: number; inChannels: number; outHeight: number; outWidth: number; outChannels: number; filterHeight: number; filterWidth: number; strideHeight: number; strideWidth: number; padTop: number; padLeft: number },
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, padTop, padLeft } = info;
  const acc = new Float64Array(fh * fw * ci * co);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const xR0 = yR * sh - padTop;
      for (let yC = 0; yC < outWidth; yC++) {
        const xC0 = yC * sw - padLeft;
        const dyOff = ((b * outHeight + yR) * outWidth + yC) * co;
        for (let wR = 0; wR < fh; wR++) {
          const xR = xR0 + wR;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < fw; wC++) {
            const xC = xC0 + wC;
            if (xC < 0 || xC >= inWidth) continue;
            const xOff = ((b * inHeight + xR) * inWidth + xC) * ci;
            const wOff = (wR * fw + wC) * ci * co;
            for (let d1 = 0; d1 < ci; d1++) {
              const xv = x[xOff + d1];
              if (xv === 0) continue; // relu activations are often 0
              const o = wOff + d1 * co;
              for (let d2 = 0; d2 < co; d2++) acc[o + d2] += xv * dy[dyOff + d2];
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

function makeKernel(backendName: Backend, fallback: tf.KernelConfig | undefined): tf.KernelConfig {
  const kernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }): tf.TensorInfo => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const backend = args.backend as KernelBackend;
    if (attrs.dataFormat === "NCHW") {
      if (fallback) return fallback.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
      throw new Error(`${KERNEL} on ${backendName}: only NHWC (channelsLast) is supported`);
    }
    const conv = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
    const values = conv2dBackpropFilterNhwc(backend.readSync(x.dataId) as Float32Array, backend.readSync(dy.dataId) as Float32Array, {
      ...conv,
      padTop: conv.padInfo.top,
      padLeft: conv.padInfo.left,
    });
    if (backendName === "wasm") {
      const out = backend.makeOutput!(conv.filterShape, "float32");
      backend.typedArrayFromHeap!(out).set(values);
      return out;
    }
    return backend.makeTensorInfo!(conv.filterShape, "float32", values);
  };
  Object.defineProperty(kernelFunc, MARK, { value: fallback ?? null });
  return { kernelName: KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

function installed(backend: Backend): tf.KernelConfig | undefined {
  const current = tf.getKernel(KERNEL, backend);
  return current && MARK in current.kernelFunc ? current : undefined;
}

/**
 * Registers the fast Conv2DBackpropFilter for `backends` (default both): on cpu it replaces the
 * stock kernel (about 100× faster here), on wasm it adds the missing one, so CNNs train on wasm
 * (forward convolutions and the other gradients are wasm's own). Idempotent; process-wide.
 * Returns the backends it changed.
 */
export function registerConvGradients(backends: Backend[] = ["cpu", "wasm"]): Backend[] {
  const changed: Backend[] = [];
  for (const backend of backends) {
    if (installed(backend)) continue;
    const original = tf.getKernel(KERNEL, backend);
    if (original) tf.unregisterKernel(KERNEL, backend);
    tf.registerKernel(makeKernel(backend, original));
    changed.push(backend);
  }
  return changed;
}

/** Puts back what registerConvGradients replaced (the stock cpu kernel; nothing on wasm). */
export function unregisterConvGradients(backends: Backend[] = ["cpu", "wasm"]): void {
  for (const backend of backends) {
    const ours = installed(backend);
    if (!ours) continue;
    const original = (ours.kernelFunc as unknown as Record<symbol, tf.KernelConfig | null>)[MARK];
    tf.unregisterKernel(KERNEL, backend);
    if (original) tf.registerKernel(original);
  }
}
