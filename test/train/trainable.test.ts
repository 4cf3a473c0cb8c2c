// The wasm backend has no Conv2D filter gradient: these tests show the crash is real, that
// ensureTrainable/fitModel avoid it by moving to cpu, and that registerConvGradients fixes wasm.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDigitsCnn,
  buildTabularModel,
  ensureTrainable,
  fitModel,
  missingGradientKernels,
  registerConvGradients,
  selectBackend,
  unregisterConvGradients,
} from "../../lib/train/index.js";

// 32 random "images": enough to run the gradients, small enough for the stock cpu kernels.
const images = () => tf.randomUniform([32, 28, 28, 1], 0, 1, "float32", 1);
const labels = () => tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10));
const tinyCnn = () => buildDigitsCnn({ filters: 2, dense: 8, seed: 1 });

beforeAll(async () => {
  await selectBackend("wasm");
});
afterAll(() => {
  unregisterConvGradients();
});

describe("ensureTrainable", { timeout: 60_000 }, () => {
  it("is needed: model.fit of a CNN on wasm fails deep inside tfjs", async () => {
    await selectBackend("wasm");
    const model = tinyCnn();
    const [x, y] = [images(), labels()];
    const error = await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
    expect(missingGradientKernels(model, "wasm").kernels).toEqual(["Conv2DBackpropFilter"]);
    tf.dispose([x, y]);
    model.dispose();
  });

  it("by default adds the toolkit's Conv2D gradient and trains a CNN on wasm", async () => {
    await selectBackend("wasm");
    const model = tinyCnn();
    const [x, y] = [images(), labels()];
    const r = await fitModel(model, x, y, { epochs: 1, batchSize: 16, seed: 1, progress: false });
    expect(r.backend).toBe("wasm");
    expect(r.backendMessage).toMatch(/wasm's stock kernels lack the Conv2D filter gradient; the toolkit added it, so this CNN trains on wasm/);
    expect(Number.isFinite(r.history[0].loss)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
    unregisterConvGradients();
  });

  it("without the toolkit's kernel, moves a CNN from wasm to cpu with a message, and fitModel then trains it", async () => {
    await selectBackend("wasm");
    const model = tinyCnn();
    const [x, y] = [images(), labels()]; // made on wasm: tfjs moves them to cpu on first use
    const check = await ensureTrainable(model, { convGradients: false });
    expect(check).toMatchObject({ switched: true, from: "wasm", backend: "cpu", missingKernels: ["Conv2DBackpropFilter"], layers: ["Conv2D"] });
    expect(check.message).toBe("wasm has no Conv2D gradient; training this CNN on cpu instead");
    expect(check.hint).toMatch(/registerConvGradients/);
    expect(tf.getBackend()).toBe("cpu");

    await selectBackend("wasm");
    const r = await fitModel(model, x, y, { epochs: 2, batchSize: 16, seed: 1, progress: false, convGradients: false });
    expect(r.backend).toBe("cpu");
    expect(r.backendMessage).toBe(check.message);
    expect(r.history).toHaveLength(2);
    expect(Number.isFinite(r.history[1].loss)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });

  it("leaves a dense model on wasm", async () => {
    await selectBackend("wasm");
    const model = buildTabularModel({ inputDim: 4 });
    expect(await ensureTrainable(model)).toEqual({ backend: "wasm", switched: false, missingKernels: [], layers: [] });
    expect(tf.getBackend()).toBe("wasm");
    model.dispose();
  });

  it("keeps a CNN on wasm once registerConvGradients added the kernel, with the same losses as cpu", async () => {
    await selectBackend("cpu");
    const onCpu = tinyCnn();
    let [x, y] = [images(), labels()];
    const cpu = await fitModel(onCpu, x, y, { epochs: 2, batchSize: 16, seed: 3, progress: false, convGradients: false });
    tf.dispose([x, y]);
    onCpu.dispose();

    expect(registerConvGradients(["wasm"])).toEqual(["wasm"]);
    await selectBackend("wasm");
    const onWasm = tinyCnn();
    [x, y] = [images(), labels()];
    expect(missingGradientKernels(onWasm, "wasm").kernels).toEqual([]);
    const wasm = await fitModel(onWasm, x, y, { epochs: 2, batchSize: 16, seed: 3, progress: false, convGradients: false });
    expect(wasm.backend).toBe("wasm");
    expect(wasm.backendMessage).toBeUndefined();
    for (let e = 0; e < 2; e++) expect(wasm.history[e].loss).toBeCloseTo(cpu.history[e].loss, 4);
    tf.dispose([x, y]);
    onWasm.dispose();
    unregisterConvGradients(["wasm"]);
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
  });
});
