// The slice of tfjs-layers internals the exporter walks. Typed structurally (never `instanceof`)
// so a model built by any copy of tfjs (tfjs, tfjs-node, tfjs-node-gpu) exports the same way.

export type Shape = (number | null)[];

export interface TfTensorData {
  dataSync(): ArrayLike<number>;
}

export interface TfLayerVariable {
  name: string;
  originalName?: string;
  shape: number[];
  read(): TfTensorData;
}

export interface TfSymbolicTensor {
  id: number;
  name: string;
  shape: Shape;
  dtype: string;
  sourceLayer: TfLayer;
  nodeIndex: number;
  tensorIndex: number;
}

export interface TfNode {
  outboundLayer: TfLayer;
  inputTensors: TfSymbolicTensor[];
  outputTensors: TfSymbolicTensor[];
}

export interface TfLayer {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  inboundNodes: TfNode[];
  outboundNodes: TfNode[];
  weights: TfLayerVariable[];
  /** Set on Dense / Conv layers: the activation object (its class name is what getConfig reports). */
  activation?: { getClassName(): string };
}

/** A LayersModel (functional or Sequential); also a layer when nested in another model. */
export interface TfContainer extends TfLayer {
  inputs?: TfSymbolicTensor[];
  outputs?: TfSymbolicTensor[];
  layers: TfLayer[];
}

export function isContainer(layer: TfLayer): layer is TfContainer {
  const c = layer as Partial<TfContainer>;
  return Array.isArray(c.layers) && (Array.isArray(c.inputs) || Array.isArray(c.outputs));
}

/** A weight of a layer by its Keras name ("kernel", "bias", "moving_mean", …). */
export function findWeight(layer: TfLayer, shortName: string): TfLayerVariable | undefined {
  return layer.weights.find((w) => {
    const name = w.originalName ?? w.name;
    return name === shortName || name.endsWith(`/${shortName}`) || /* uniquified */ name.match(new RegExp(`/${shortName}_\\d+$`)) !== null;
  });
}

export function weightValues(variable: TfLayerVariable): Float32Array {
  return Float32Array.from(variable.read().dataSync());
}
