// The DL model of the GPU scoring benchmark: a 3-conv CNN on 224×224×3 images, defined with tfjs
// Layers and exported with lib/models' exportOnnx (NHWC input, as tfjs has it; the export puts
// one Transpose to NCHW in front of the convolutions). Untrained: throughput depends on the graph.
//   node bin/run-ts.mjs test/bench/gpu-scoring/make-model.ts OUT_DIR
// Writes OUT_DIR/model.onnx (float32 input in [0, 1]), OUT_DIR/model-uint8.onnx (the same graph and
// weights behind a uint8 input: Cast to float32, then Div by 255, as the model's first ops, so a
// host sends 1 byte per pixel instead of 4 and the GPU does the scaling) and OUT_DIR/model.json
// (the architecture, for the PyTorch twin in score_python.py). About 0.27 GFLOP per image.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { exportOnnx } from "../../../lib/models/index.js";
import { DataType, float32Bytes, proto } from "../../../lib/models/onnx/proto.js";

const CNN = { size: 224, channels: 3, filters: [16, 32, 64], kernel: 3, classes: 10 } as const;

function buildCnn(): tf.LayersModel {
  const model = tf.sequential({ name: "cnn224" });
  CNN.filters.forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [CNN.size, CNN.size, CNN.channels] } : {}),
        filters,
        kernelSize: CNN.kernel,
        padding: "same",
        activation: "relu",
        kernelInitializer: tf.initializers.heNormal({ seed: i + 1 }),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: CNN.classes, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }));
  return model;
}

/** `onnx` with its float input `input` turned into uint8 pixels: uint8 → Cast → Div 255 → the old graph. */
function withUint8Input(onnx: Uint8Array, input: string): Uint8Array {
  const model = proto.ModelProto.decode(onnx);
  const graph = model.graph!;
  const info = graph.input!.find((i) => i.name === input);
  if (!info?.type?.tensorType) throw new Error(`make-model: no tensor input ${input}`);
  const scaled = `${input}/scaled`;
  for (const node of graph.node!) node.input = node.input!.map((n) => (n === input ? scaled : n));
  info.type.tensorType.elemType = DataType.UINT8;
  graph.initializer!.push({ name: `${input}/255`, dataType: DataType.FLOAT, dims: [], rawData: float32Bytes([255]) });
  graph.node!.unshift(
    { opType: "Cast", name: `${input}/cast`, input: [input], output: [`${input}/float`], attribute: [{ name: "to", type: 2, i: DataType.FLOAT }] },
    { opType: "Div", name: `${input}/div255`, input: [`${input}/float`, `${input}/255`], output: [scaled] },
  );
  return proto.ModelProto.encode(model).finish();
}

const out = process.argv[2];
if (!out) {
  console.error("usage: make-model.ts OUT_DIR");
  process.exit(2);
}
await tf.setBackend("cpu");
const model = buildCnn();
mkdirSync(out, { recursive: true });
const onnx = exportOnnx(model, { inputNames: ["image"], outputNames: ["probabilities"] });
writeFileSync(path.join(out, "model.onnx"), onnx);
const onnxUint8 = withUint8Input(onnx, "image");
writeFileSync(path.join(out, "model-uint8.onnx"), onnxUint8);
writeFileSync(path.join(out, "model.json"), JSON.stringify({ ...CNN, padding: "same", pool: 2, head: "global-average-pool, dense, softmax", input: "image", layout: "NHWC", output: "probabilities", params: model.countParams() }, null, 2) + "\n");
console.log(`make-model: ${path.join(out, "model.onnx")} (${(onnx.length / 1024).toFixed(0)} kB, ${model.countParams()} parameters)`);
console.log(`make-model: ${path.join(out, "model-uint8.onnx")} (${(onnxUint8.length / 1024).toFixed(0)} kB, uint8 input, Cast + Div 255 in front)`);
