import * as tf from "@tensorflow/tfjs";
import "../../lib/core/ort-telemetry.js";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportOnnx, onnxModelInfo, SUPPORTED_ACTIVATIONS } from "../../lib/models/onnx/index.js";
import { closeOnnxChecker, compareWithTfjs, onnxCheck, randomArray, randomiseWeights, type Feed } from "./onnx-helpers.js";

const TOLERANCE = 1e-4;
type Activation = NonNullable<NonNullable<Parameters<typeof tf.layers.activation>[0]>["activation"]>;
const BATCH = 3;

function feed(shape: number[], seed: number, scale = 1): Feed {
  return { data: randomArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape };
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(closeOnnxChecker);

describe("exportOnnx: each activation, as an option and as a layer", () => {
  it.each(SUPPORTED_ACTIVATIONS)("%s matches tfjs in Conv2D, Activation (NCHW and 2-D) and Dense", async (name) => {
    const activation = name as Activation; // tfjs's type lacks logSoftmax, which tfjs supports
    const input = tf.input({ shape: [6, 6, 2] });
    let x = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", activation }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation }).apply(x) as tf.SymbolicTensor; // on a channels-first value
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 5, activation }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation }).apply(x) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 4, activation }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    randomiseWeights(model, 11);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 6, 6, 2], 5, 2)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.outputs[0].shape).toEqual(["N", 4]);
    await onnxCheck(bytes);
    model.dispose();
  });
});

describe("exportOnnx: a CNN", () => {
  function cnn(): tf.Sequential {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, padding: "same", activation: "relu" }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.conv2d({ filters: 6, kernelSize: [3, 2], strides: 2, padding: "valid", useBias: false }));
    model.add(tf.layers.conv2d({ filters: 5, kernelSize: 3, dilationRate: 2, padding: "same", activation: "tanh" }));
    model.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }));
    model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: "same" })); // odd size: padded edge pixels
    model.add(tf.layers.averagePooling2d({ poolSize: 2, padding: "valid" }));
    model.add(tf.layers.dropout({ rate: 0.5 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 10, activation: "softmax" }));
    return model;
  }

  it("matches tfjs predict, keeps NHWC inputs, and uses two transposes only", async () => {
    const model = cnn();
    randomiseWeights(model, 3);
    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 28, 28, 1], 7)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);

    expect(info.inputs).toEqual([{ name: model.inputs[0].sourceLayer.name, type: "float32", shape: ["N", 28, 28, 1] }]);
    expect(info.outputs).toEqual([{ name: model.outputs[0].sourceLayer.name, type: "float32", shape: ["N", 10] }]);
    // In to NCHW before the first Conv, back to NHWC before Flatten; none between the spatial ops.
    expect(info.operators.Transpose).toBe(2);
    expect(info.operators).toMatchObject({ Conv: 3, MaxPool: 2, AveragePool: 2, BatchNormalization: 1, Flatten: 1, Softmax: 1 });
    expect(info.operators.Dropout).toBeUndefined();
    await onnxCheck(bytes);
    model.dispose();
  });

  it("gives the same result for one sample and for many (symbolic batch)", async () => {
    const model = cnn();
    randomiseWeights(model, 4);
    const one = await compareWithTfjs(model, [feed([1, 28, 28, 1], 8)]);
    const many = await compareWithTfjs(model, [feed([7, 28, 28, 1], 9)]);
    expect(Math.max(...one.maxDiffs, ...many.maxDiffs)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it("does not change the model or leak tensors", async () => {
    const model = cnn();
    const before = tf.memory().numTensors;
    const weights = model.getWeights().map((w) => w.dataSync().slice());
    exportOnnx(model);
    exportOnnx(model, { opset: 17 });
    expect(tf.memory().numTensors).toBe(before);
    model.getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(weights[i]));
    model.dispose();
  });
});

describe("exportOnnx: images of any size", () => {
  it("pads 'same' at run time (auto_pad) and applies Dense per pixel on a 4-D value", async () => {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [null, null, 2], filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
    model.add(tf.layers.dense({ units: 4, activation: "tanh" })); // per pixel: needs NHWC
    model.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }));
    model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: "same" }));
    model.add(tf.layers.globalAveragePooling2d({}));
    model.add(tf.layers.dense({ units: 2 }));
    randomiseWeights(model, 15);
    for (const [h, w] of [
      [7, 5],
      [6, 9],
    ]) {
      const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, h, w, 2], h * w)]);
      expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
      expect(info.inputs[0].shape).toEqual(["N", null, null, 2]);
      expect(info.operators).toMatchObject({ Transpose: 3, MatMul: 1, Gemm: 1 });
      if (h === 7) await onnxCheck(bytes);
    }
    model.dispose();
  });
});

describe("exportOnnx: BatchNormalization", () => {
  it("uses moving statistics, epsilon and the center / scale flags on images, vectors and sequences", async () => {
    const input = tf.input({ shape: [5, 5, 3] });
    // On the raw NHWC input (folded into Mul + Add), then after a Conv (NCHW: the ONNX op).
    let x = tf.layers.batchNormalization({ epsilon: 0.01 }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 4, kernelSize: 2 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ center: false }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: [16, 4] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ scale: false, epsilon: 0.1 }).apply(x) as tf.SymbolicTensor; // [N, T, C]
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 6 }).apply(x) as tf.SymbolicTensor;
    const output = tf.layers.batchNormalization({ center: false, scale: false }).apply(x) as tf.SymbolicTensor; // [N, C]
    const model = tf.model({ inputs: input, outputs: output });
    randomiseWeights(model, 21);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 5, 5, 3], 22, 2)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.operators.BatchNormalization).toBe(2); // the NCHW image and the [N, C] vector
    expect(info.operators.Mul).toBe(2); // folded on the NHWC input and on the sequence
    await onnxCheck(bytes);
    model.dispose();
  });
});

describe("exportOnnx: Embedding", () => {
  it("gathers int32 ids and matches tfjs", async () => {
    const model = tf.sequential();
    model.add(tf.layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 5 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 3, activation: "softmax", useBias: false }));
    randomiseWeights(model, 31);
    const ids = Int32Array.from({ length: BATCH * 5 }, (_, i) => (i * 7 + 3) % 20);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [{ data: ids, shape: [BATCH, 5] }]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.inputs[0]).toMatchObject({ type: "int32", shape: ["N", 5] });
    expect(info.operators.Gather).toBe(1);
    expect(info.operators.Cast).toBeUndefined();
    await onnxCheck(bytes);
    model.dispose();
  });

  it("casts a float input that also feeds other layers, as tfjs does", async () => {
    const input = tf.input({ shape: [4] });
    const embedded = tf.layers.flatten().apply(tf.layers.embedding({ inputDim: 10, outputDim: 3 }).apply(input)) as tf.SymbolicTensor;
    const output = tf.layers.concatenate().apply([embedded, input]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    randomiseWeights(model, 32);
    const ids = Float32Array.from({ length: BATCH * 4 }, (_, i) => (i * 3) % 10);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [{ data: ids, shape: [BATCH, 4] }]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.inputs[0].type).toBe("float32");
    expect(info.operators.Cast).toBe(1);
    await onnxCheck(bytes);
    model.dispose();
  });
});

describe("exportOnnx: Reshape", () => {
  it("reshapes in tfjs's order, to sequences, to images and with an inferred (-1) axis", async () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ inputShape: [12], units: 48 }));
    model.add(tf.layers.reshape({ targetShape: [4, 12] }));
    model.add(tf.layers.dense({ units: 6, activation: "relu" })); // Dense on a 3-D value: MatMul
    model.add(tf.layers.reshape({ targetShape: [2, 4, 3] })); // an NHWC image
    model.add(tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: "same" }));
    model.add(tf.layers.reshape({ targetShape: [-1, 2] })); // needs the conv output back in NHWC
    randomiseWeights(model, 41);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 12], 42)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.operators.Reshape).toBe(3);
    expect(info.outputs[0].shape).toEqual(["N", null, 2]); // tfjs leaves the -1 axis unknown
    await onnxCheck(bytes);
    model.dispose();
  });
});

describe("exportOnnx: functional models", () => {
  it("concatenates two inputs' branches (image and vector) and names inputs and outputs", async () => {
    const image = tf.input({ shape: [8, 8, 1], name: "image" });
    const vector = tf.input({ shape: [5], name: "features" });
    let a = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: "relu" }).apply(image) as tf.SymbolicTensor;
    a = tf.layers.maxPooling2d({ poolSize: 2 }).apply(a) as tf.SymbolicTensor;
    a = tf.layers.flatten().apply(a) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 4, activation: "tanh" }).apply(vector) as tf.SymbolicTensor;
    const merged = tf.layers.concatenate({ axis: -1 }).apply([a, b]) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2, activation: "softmax", name: "scores" }).apply(merged) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [image, vector], outputs: output });
    randomiseWeights(model, 51);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 8, 8, 1], 52), feed([BATCH, 5], 53)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.inputs.map((i) => [i.name, i.shape])).toEqual([
      ["image", ["N", 8, 8, 1]],
      ["features", ["N", 5]],
    ]);
    expect(info.outputs.map((o) => o.name)).toEqual(["scores"]);
    await onnxCheck(bytes);

    const renamed = await compareWithTfjs(model, [feed([BATCH, 8, 8, 1], 54), feed([BATCH, 5], 55)], {
      inputNames: ["x_image", "x_features"],
      outputNames: ["probabilities"],
    });
    expect(renamed.maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(renamed.info.inputs.map((i) => i.name)).toEqual(["x_image", "x_features"]);
    expect(renamed.info.outputs.map((o) => o.name)).toEqual(["probabilities"]);
    model.dispose();
  });

  it("handles concat axes: channels of NCHW branches (no transpose), height, width, sequences", async () => {
    const input = tf.input({ shape: [6, 6, 2] });
    const left = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same" }).apply(input) as tf.SymbolicTensor;
    const right = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    let x = tf.layers.concatenate({ axis: 3 }).apply([left, right]) as tf.SymbolicTensor; // channels
    x = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "valid" }).apply(x) as tf.SymbolicTensor; // [N,4,4,2]
    const rows = tf.layers.concatenate({ axis: 1 }).apply([x, x]) as tf.SymbolicTensor; // [N,8,4,2]
    const cols = tf.layers.concatenate({ axis: 2 }).apply([rows, rows]) as tf.SymbolicTensor; // [N,8,8,2]
    const seqA = tf.layers.reshape({ targetShape: [16, 8] }).apply(cols) as tf.SymbolicTensor;
    const seqB = tf.layers.reshape({ targetShape: [16, 8] }).apply(tf.layers.reshape({ targetShape: [8, 16] }).apply(cols)) as tf.SymbolicTensor;
    const seq = tf.layers.concatenate({ axis: 1 }).apply([seqA, seqB]) as tf.SymbolicTensor; // [N,32,8]
    const output = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(seq)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    randomiseWeights(model, 61);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 6, 6, 2], 62)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.operators.Concat).toBe(4);
    expect(info.operators.Transpose).toBe(2); // into NCHW once (shared by both convs), out once for Reshape
    await onnxCheck(bytes);
    model.dispose();
  });

  it("follows tfjs's run time for negative concat axes (tfjs joins on the last axis for every negative axis)", async () => {
    // tfjs-layers 4.x: K.concatenate maps any axis < 0 to the last axis, while its shape
    // inference reads -2 as rank-2. The weights were trained on what predict computes.
    const input = tf.input({ shape: [4, 3, 2] });
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ axis: -2 }).apply([a, input]) as tf.SymbolicTensor; // runs as [N,4,3,4]
    const output = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(joined)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [output, joined] });
    randomiseWeights(model, 63);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 4, 3, 2], 64)]);
    expect(Math.max(...maxDiffs)).toBeLessThan(TOLERANCE);
    expect(info.outputs[1].shape).toEqual(["N", 4, 3, 4]); // the shape predict returns
    await onnxCheck(bytes);

    const last = tf.layers.concatenate({ axis: -1 }).apply([a, input]) as tf.SymbolicTensor;
    const lastModel = tf.model({ inputs: input, outputs: last });
    const lastRun = await compareWithTfjs(lastModel, [feed([BATCH, 4, 3, 2], 65)]);
    expect(lastRun.maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(lastRun.info.outputs[0].shape).toEqual(["N", 4, 3, 4]);
    model.dispose();
  });

  it("exports several outputs, and an input passed straight through", async () => {
    const input = tf.input({ shape: [4, 4, 3], name: "pixels" });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same", name: "features" }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
    const same = tf.layers.dropout({ rate: 0.1, name: "same" }).apply(input) as tf.SymbolicTensor; // the input itself
    const model = tf.model({ inputs: input, outputs: [conv, pooled, same] });
    randomiseWeights(model, 71);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 4, 4, 3], 72)]);
    expect(Math.max(...maxDiffs)).toBeLessThan(TOLERANCE);
    expect(info.outputs.map((o) => [o.name, o.shape])).toEqual([
      ["features", ["N", 4, 4, 2]],
      [pooled.sourceLayer.name, ["N", 2]],
      ["same", ["N", 4, 4, 3]],
    ]);
    expect(info.operators.Identity).toBe(1);
    await onnxCheck(bytes);
    model.dispose();
  });

  it("gives one value output twice two names (tfjs itself cannot predict such a model)", async () => {
    const input = tf.input({ shape: [4, 4, 3] });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: "twice" }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [conv, conv] });
    const bytes = exportOnnx(model);
    const info = onnxModelInfo(bytes);
    expect(info.outputs.map((o) => o.name)).toEqual(["twice", "twice_output1"]);
    const session = await ort.InferenceSession.create(bytes);
    const x = feed([2, 4, 4, 3], 73);
    const result = await session.run({ [info.inputs[0].name]: new ort.Tensor("float32", x.data, x.shape) });
    expect(result.twice_output1.data).toEqual(result.twice.data);
    expect(result.twice.dims).toEqual([2, 2, 2, 2]);
    await session.release();
    await onnxCheck(bytes);
    model.dispose();
  });

  it("inlines a Sequential used twice as a layer, sharing its weights", async () => {
    const tower = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [6], units: 5, activation: "relu" }), tf.layers.dense({ units: 3 })],
    });
    const a = tf.input({ shape: [6] });
    const b = tf.input({ shape: [6] });
    const distance = tf.layers.add().apply([tower.apply(a) as tf.SymbolicTensor, tower.apply(b) as tf.SymbolicTensor]);
    const model = tf.model({ inputs: [a, b], outputs: distance as tf.SymbolicTensor });
    randomiseWeights(tower, 81);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 6], 82), feed([BATCH, 6], 83)]);
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.operators.Gemm).toBe(4);
    expect(info.initializerCount).toBe(4); // two kernels, two biases: shared by both calls
    await onnxCheck(bytes);
    model.dispose();
  });
});

describe("exportOnnx: more layers", () => {
  it("merges, global pooling, depthwise conv, ReLU / LeakyReLU / Softmax / Rescaling layers and noise layers", async () => {
    const input = tf.input({ shape: [6, 6, 4] });
    const scaled = tf.layers.rescaling({ scale: 1 / 2, offset: -0.5 }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same" }).apply(scaled) as tf.SymbolicTensor;
    const d = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 1, padding: "same" }).apply(input) as tf.SymbolicTensor;
    const d2 = tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, strides: 2 }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([a, d, input]) as tf.SymbolicTensor;
    const prod = tf.layers.multiply().apply([a, tf.layers.reLU({ maxValue: 1.5 }).apply(d) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const avg = tf.layers.average().apply([sum, prod]) as tf.SymbolicTensor;
    const hi = tf.layers.maximum().apply([avg, tf.layers.leakyReLU({ alpha: 0.2 }).apply(sum) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const lo = tf.layers.minimum().apply([hi, tf.layers.reLU().apply(prod) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const noisy = tf.layers.gaussianNoise({ stddev: 1 }).apply(lo) as tf.SymbolicTensor;
    const g1 = tf.layers.globalAveragePooling2d({}).apply(noisy) as tf.SymbolicTensor;
    const g2 = tf.layers.globalMaxPooling2d({}).apply(tf.layers.gaussianDropout({ rate: 0.3 }).apply(d2) as tf.SymbolicTensor) as tf.SymbolicTensor;
    let v = tf.layers.concatenate().apply([g1, g2]) as tf.SymbolicTensor; // [N, 12]
    v = tf.layers.alphaDropout({ rate: 0.2 }).apply(v) as tf.SymbolicTensor;
    const softmaxDefault = tf.layers.softmax().apply(v) as tf.SymbolicTensor; // tfjs default: axis 1
    let seq = tf.layers.reshape({ targetShape: [3, 4] }).apply(v) as tf.SymbolicTensor;
    seq = tf.layers.spatialDropout1d({ rate: 0.5 }).apply(seq) as tf.SymbolicTensor;
    const softmaxLast = tf.layers.softmax({ axis: -1 }).apply(seq) as tf.SymbolicTensor; // tfjs: last axis only
    const spatialSoftmax = tf.layers.softmax({ axis: 3 }).apply(a) as tf.SymbolicTensor; // on an NCHW value
    const model = tf.model({ inputs: input, outputs: [softmaxDefault, softmaxLast, spatialSoftmax] });
    randomiseWeights(model, 91);

    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 6, 6, 4], 92, 2)]);
    expect(Math.max(...maxDiffs)).toBeLessThan(TOLERANCE);
    expect(info.operators).toMatchObject({ Sum: 1, Mean: 1, Max: 1, Min: 1, GlobalAveragePool: 1, GlobalMaxPool: 1, LeakyRelu: 1, Clip: 1 });
    await onnxCheck(bytes);
    model.dispose();
  });
});

describe("exportOnnx: options and metadata", () => {
  function mlp(): tf.Sequential {
    const model = tf.sequential({ name: "tiny_mlp" });
    model.add(tf.layers.dense({ inputShape: [3], units: 4, activation: "relu" }));
    model.add(tf.layers.dense({ units: 2, activation: "softmax" }));
    return model;
  }

  it.each([13, 17, 21])("opset %i passes the checker and runs in onnxruntime", async (opset) => {
    const model = mlp();
    const { bytes, maxDiffs, info } = await compareWithTfjs(model, [feed([BATCH, 3], 101)], { opset });
    expect(maxDiffs[0]).toBeLessThan(TOLERANCE);
    expect(info.opset).toBe(opset);
    expect(info.irVersion).toBeGreaterThanOrEqual(8);
    await onnxCheck(bytes);
    model.dispose();
  });

  it("records producer, doc string, metadata and the graph name", () => {
    const model = mlp();
    const info = onnxModelInfo(
      exportOnnx(model, { producer: "my-trainer", docString: "digits classifier", metadata: { labels: "0,1", run: "42" } }),
    );
    expect(info).toMatchObject({
      producer: "my-trainer",
      docString: "digits classifier",
      graphName: "tiny_mlp",
      metadata: { converted_from: "tfjs-layers", labels: "0,1", run: "42" },
    });
    expect(onnxModelInfo(exportOnnx(model)).producer).toBe("custom-ai-on-azure");
    model.dispose();
  });
});
