import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { registerConvGradients, selectBackend, unregisterConvGradients } from "../../lib/train/index.js";

type Case = { x: number[]; filter: number[]; strides: number | [number, number]; pad: "same" | "valid" };
const cases: Case[] = [
  { x: [3, 9, 9, 2], filter: [3, 3, 2, 4], strides: 1, pad: "valid" },
  { x: [2, 10, 11, 3], filter: [3, 2, 3, 5], strides: [2, 1], pad: "same" },
  { x: [2, 8, 8, 1], filter: [5, 5, 1, 3], strides: 2, pad: "valid" },
];

/** Gradients of sum(conv2d(x, f)²) with respect to x and f, on the active backend. */
const gradients = (c: Case) =>
  tf.tidy(() => {
    const x = tf.randomUniform(c.x, -1, 1, "float32", 7);
    const f = tf.randomUniform(c.filter, -1, 1, "float32", 8);
    const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.strides, c.pad).square().sum());
    return g([x, f]).map((t) => Array.from(t.dataSync()));
  });

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

afterAll(() => unregisterConvGradients());

describe("registerConvGradients", { timeout: 60_000 }, () => {
  it("computes tfjs's own conv2d filter gradient on cpu and on wasm", async () => {
    await selectBackend("cpu");
    const stock = cases.map(gradients);
    expect(registerConvGradients()).toEqual(["cpu", "wasm"]);
    expect(registerConvGradients()).toEqual([]); // idempotent
    const fast = cases.map(gradients);
    await selectBackend("wasm");
    const wasm = cases.map(gradients);
    cases.forEach((_, i) => {
      // Same summation order as the stock kernel: identical on cpu.
      expect(fast[i][1]).toEqual(stock[i][1]);
      expect(maxDiff(wasm[i][1], stock[i][1])).toBeLessThan(1e-4);
      expect(maxDiff(wasm[i][0], stock[i][0])).toBeLessThan(1e-4);
    });
  });

  it("unregisters back to the stock kernels", async () => {
    registerConvGradients();
    unregisterConvGradients();
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
    expect(tf.getKernel("Conv2DBackpropFilter", "cpu")).toBeDefined();
    await selectBackend("wasm");
    expect(() => gradients(cases[0])).toThrow(/Conv2DBackpropFilter' not registered for backend 'wasm'/);
  });
});
