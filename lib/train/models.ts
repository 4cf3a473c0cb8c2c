// The two tutorial models. Both take class ids as labels (sparse categorical crossentropy, softmax
// outputs, metric "accuracy" logged as acc / val_acc) and are compiled with Adam; the tabular MLP
// can also have one sigmoid output (binary crossentropy) and SGD, as the distributed worker builds it.
import * as tf from "@tensorflow/tfjs";
import { withSeededRandom } from "../data/index.js";
import { TrainError } from "./train-error.js";

export interface TabularModelOptions {
  /** Number of input features. */
  inputDim: number;
  /** Units of each hidden Dense layer. Default [32, 16]. */
  hidden?: number[];
  /** Activation of the hidden layers. Default "relu". */
  activation?: "relu" | "tanh" | "elu" | "sigmoid";
  /** Number of classes. Default 2. */
  classes?: number;
  /**
   * "softmax" (default): one output per class, sparse categorical crossentropy. "sigmoid": one
   * output, P(class 1), binary crossentropy (two classes only).
   */
  output?: "softmax" | "sigmoid";
  /** Dropout rate after each hidden layer. Default 0.2. */
  dropout?: number;
  /** Default "adam". */
  optimizer?: "adam" | "sgd";
  /** The optimizer's learning rate. Default 0.001. */
  learningRate?: number;
  /** Seed of the weight initialisers: the same seed builds the same weights (in every process). */
  seed?: number;
}

/** An MLP for tabular data: [Dense(relu) → Dropout] per hidden layer → Dense(softmax), or Dense(sigmoid) with one unit. */
export function buildTabularModel(options: TabularModelOptions): tf.Sequential {
  const { inputDim, hidden = [32, 16], activation = "relu", classes = 2, output = "softmax", dropout = 0.2, optimizer = "adam", learningRate = 1e-3 } = options;
  if (output === "sigmoid" && classes !== 2) throw new TrainError("BAD_OPTION", `A sigmoid output scores two classes; got classes: ${classes}. Use output "softmax".`);
  return seeded(options.seed, () => {
    const model = tf.sequential({ name: "tabular_mlp" });
    hidden.forEach((units, i) => {
      model.add(tf.layers.dense({ units, activation, ...(i === 0 ? { inputShape: [inputDim] } : {}) }));
      if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
    });
    const sigmoid = output === "sigmoid";
    model.add(tf.layers.dense({ units: sigmoid ? 1 : classes, activation: output, ...(hidden.length === 0 ? { inputShape: [inputDim] } : {}) }));
    compileOwned(model, optimizer === "sgd" ? tf.train.sgd(learningRate) : tf.train.adam(learningRate), sigmoid ? "binaryCrossentropy" : "sparseCategoricalCrossentropy");
    return model;
  });
}

export interface DigitsCnnOptions {
  /** Filters of the first convolution (the second has twice as many). Default 8. */
  filters?: number;
  /** Units of the hidden Dense layer. Default 32. */
  dense?: number;
  /** Dropout rate before the output. Default 0.25. */
  dropout?: number;
  /** Image side and channels. Default [28, 28, 1]. */
  inputShape?: [number, number, number];
  /** Default 10. */
  classes?: number;
  /** Adam's learning rate. Default 0.001. */
  learningRate?: number;
  /** Seed of the weight initialisers. */
  seed?: number;
}

/**
 * A small CNN for 28×28 digits: Conv2D 3×3 relu → MaxPool 2 → Conv2D 3×3 relu → MaxPool 2 →
 * Flatten → Dense relu → Dropout → Dense softmax. With the defaults: 14,410 parameters.
 * Cannot train on the wasm backend (no Conv2D gradient); fitModel moves it to the next backend.
 */
export function buildDigitsCnn(options: DigitsCnnOptions = {}): tf.Sequential {
  const { filters = 8, dense = 32, dropout = 0.25, inputShape = [28, 28, 1], classes = 10, learningRate = 1e-3 } = options;
  return seeded(options.seed, () => {
    const model = tf.sequential({ name: "digits_cnn" });
    model.add(tf.layers.conv2d({ inputShape, filters, kernelSize: 3, activation: "relu" }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.conv2d({ filters: filters * 2, kernelSize: 3, activation: "relu" }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: dense, activation: "relu" }));
    if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
    model.add(tf.layers.dense({ units: classes, activation: "softmax" }));
    compileOwned(model, tf.train.adam(learningRate), "sparseCategoricalCrossentropy");
    return model;
  });
}

/**
 * compile() with an optimizer instance leaves it "not owned", so model.dispose() would leak Adam's
 * state (two tensors per weight). These models own theirs: model.dispose() releases everything.
 */
function compileOwned(model: tf.LayersModel, optimizer: tf.Optimizer, loss: string): void {
  model.compile({ optimizer, loss, metrics: ["accuracy"] });
  (model as unknown as { isOptimizerOwned: boolean }).isOptimizerOwned = true;
}

function seeded<T>(seed: number | undefined, build: () => T): T {
  // tfjs's initialisers draw from Math.random when given no seed of their own.
  return seed === undefined ? build() : withSeededRandom(seed, build);
}
