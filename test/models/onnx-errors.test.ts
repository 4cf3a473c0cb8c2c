import * as tf from "@tensorflow/tfjs";
import { onnx as onnxTypes } from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCustomAiError } from "../../lib/core/index.js";
import { exportOnnx, onnxModelInfo, OnnxExportError } from "../../lib/models/onnx/index.js";
import { proto } from "../../lib/models/onnx/proto.js";
import { closeOnnxChecker, onnxCheck } from "./onnx-helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(closeOnnxChecker);

function exportError(model: tf.LayersModel, options?: Parameters<typeof exportOnnx>[1]): OnnxExportError {
  try {
    exportOnnx(model, options);
  } catch (error) {
    expect(error).toBeInstanceOf(OnnxExportError);
    expect(isCustomAiError(error)).toBe(true);
    return error as OnnxExportError;
  }
  throw new Error("exportOnnx did not throw");
}

/** A layer class tfjs knows nothing about. */
class TimesTwo extends tf.layers.Layer {
  static className = "TimesTwo";
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2);
  }
}

describe("exportOnnx: unsupported layers", () => {
  it.each([
    ["LSTM", () => tf.layers.lstm({ units: 4, inputShape: [5, 3], name: "my_lstm" })],
    ["Conv2DTranspose", () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1], name: "my_deconv" })],
  ])("%s fails with UNSUPPORTED_LAYER naming the layer and what is supported", (className, make) => {
    const model = tf.sequential({ layers: [make()] });
    const error = exportError(model);
    expect(error.code).toBe("UNSUPPORTED_LAYER");
    expect(error.message).toContain(`"${model.layers[0].name}" (${className})`);
    expect(error.message).toMatch(/Supported layers: InputLayer, Dense, Conv2D, .*Embedding.*Concatenate/);
    expect(error.hint).toMatch(/supported layers/);
    model.dispose();
  });

  it("a custom layer class fails the same way", () => {
    const input = tf.input({ shape: [3] });
    const doubled = new TimesTwo({ name: "doubler" }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(doubled) as tf.SymbolicTensor });
    const error = exportError(model);
    expect(error.code).toBe("UNSUPPORTED_LAYER");
    expect(error.message).toContain('"doubler" (TimesTwo)');
    model.dispose();
  });

  it("an unsupported layer inside a nested model is named too", () => {
    const inner = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 2, inputShape: [4, 3], name: "inner_rnn" })] });
    const input = tf.input({ shape: [4, 3] });
    const model = tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor });
    const error = exportError(model);
    expect(error.code).toBe("UNSUPPORTED_LAYER");
    expect(error.message).toContain('"inner_rnn" (SimpleRNN)');
    model.dispose();
  });
});

describe("exportOnnx: unsupported options", () => {
  it("channelsFirst data format", () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [1, 8, 8], dataFormat: "channelsFirst", name: "cf_conv" })],
    });
    const error = exportError(model);
    expect(error.code).toBe("UNSUPPORTED_OPTION");
    expect(error.message).toContain('"cf_conv" (Conv2D)');
    expect(error.message).toContain('dataFormat "channelsFirst"');
    expect(error.message).toContain("channelsLast");
    model.dispose();
  });

  it("an activation with no ONNX mapping", () => {
    const dense = tf.layers.dense({ units: 2, inputShape: [3], name: "odd_dense" });
    const model = tf.sequential({ layers: [dense] });
    // What a registered custom activation looks like to the exporter.
    (dense as unknown as { activation: unknown }).activation = { getClassName: () => "crelu", apply: (x: tf.Tensor) => x };
    const error = exportError(model);
    expect(error.code).toBe("UNSUPPORTED_OPTION");
    expect(error.message).toContain('"odd_dense" (Dense)');
    expect(error.message).toContain('activation "crelu"');
    expect(error.message).toMatch(/supported: linear, relu, .*softmax/);
    model.dispose();
  });

  it("BatchNormalization on an axis other than the last (tfjs's own inference is wrong there)", () => {
    const model = tf.sequential({ layers: [tf.layers.batchNormalization({ axis: 1, inputShape: [4, 3], name: "bn_t" })] });
    const error = exportError(model);
    expect(error.code).toBe("UNSUPPORTED_OPTION");
    expect(error.message).toContain('"bn_t" (BatchNormalization)');
    expect(error.message).toContain("axis 1");
    model.dispose();
  });
});

describe("exportOnnx: bad options and unbuilt models", () => {
  const mlp = () => tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: "out" })] });

  it("rejects an opset outside 13..21", () => {
    const model = mlp();
    for (const opset of [12, 22, 13.5]) {
      const error = exportError(model, { opset });
      expect(error.code).toBe("UNSUPPORTED_OPTION");
      expect(error.message).toContain("13 to 21");
    }
    model.dispose();
  });

  it("rejects names that do not fit the model", () => {
    const model = mlp();
    expect(exportError(model, { inputNames: ["a", "b"] }).message).toContain("inputNames has 2 names, the model has 1");
    expect(exportError(model, { outputNames: [""] }).code).toBe("BAD_OPTION");
    expect(exportError(model, { inputNames: ["x"], outputNames: ["x"] }).message).toContain('"x" names both an input and an output');
    model.dispose();
  });

  it("says how to build a Sequential model that has no layers or input yet", () => {
    const model = tf.sequential();
    const error = exportError(model);
    expect(error.code).toBe("MODEL_NOT_BUILT");
    expect(error.hint).toContain("inputShape");
  });
});

describe("onnxModelInfo", () => {
  it("rejects bytes that are not an ONNX model", () => {
    for (const bytes of [new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]), new Uint8Array()]) {
      let caught: unknown;
      try {
        onnxModelInfo(bytes);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(OnnxExportError);
      expect((caught as OnnxExportError).code).toBe("BAD_MODEL_BYTES");
    }
  });
});

describe("the ONNX checker used by these tests", () => {
  const model = () => tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });

  it("rejects a broken graph (so passing it means something)", async () => {
    const m = model();
    const decoded = proto.ModelProto.decode(exportOnnx(m));
    (decoded.graph as onnxTypes.GraphProto).node[0].input = ["no_such_value"];
    const broken = proto.ModelProto.encode(decoded).finish();
    await expect(onnxCheck(broken)).rejects.toThrow(/onnx.checker rejected the model[\s\S]*no_such_value/);
    m.dispose();
  });

  it("fails, naming the command that rebuilds the Python environment, when Python cannot import onnx", async () => {
    const m = model();
    // -I -S: a Python without site-packages, as on a machine where onnx is not installed.
    await expect(onnxCheck(exportOnnx(m), ["-I", "-S"])).rejects.toThrow(/node bin\/python-env\.mjs/);
    m.dispose();
  });
});
