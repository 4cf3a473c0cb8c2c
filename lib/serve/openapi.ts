// The server's OpenAPI 3.1 document, generated from the served model's metadata: the request
// schemas name the model's features (in order), its row shape and its labels, so a client
// generator or a fuzzer (schemathesis) sees exactly what this model takes.
import { INPUT_RANGE_TEXT, MAX_INPUT_VALUE } from "./input-range.js";
import type { ScoringModel } from "./model.js";
import { FP16_MAX, INTEGER_RANGES } from "./v2.js";

type Schema = Record<string, unknown>;

/** An input value: a number within the range the server takes (input-range.ts). */
const finite: Schema = {
  type: "number",
  minimum: -MAX_INPUT_VALUE,
  maximum: MAX_INPUT_VALUE,
  description: `a number from ${INPUT_RANGE_TEXT}; larger ones overflow a float32 model and are refused (400), as are NaN and Infinity`,
};
const errorBody: Schema = { type: "object", required: ["error"], properties: { error: { type: "string", description: "what is wrong and what to do" } } };

/** One instance: the row's values flat, or nested as the input's shape. */
function instanceSchema(model: ScoringModel): Schema {
  const flat: Schema = { type: "array", items: finite, minItems: model.rowSize, maxItems: model.rowSize };
  if (model.rowShape.length === 1) return { ...flat, description: model.features ? `values in this order: ${model.features.join(", ")}` : undefined };
  return { oneOf: [flat, nested(model.rowShape, finite)], description: `one input of shape [${model.rowShape.join(", ")}], flat (row-major) or nested` };
}

function scoreRequestSchema(model: ScoringModel, maxRows: number): Schema {
  const variants: Schema[] = [];
  if (model.features) {
    const record: Schema = {
      type: "object",
      additionalProperties: false,
      required: model.features,
      properties: Object.fromEntries(model.features.map((f) => [f, finite])),
    };
    variants.push(
      { title: "records", type: "object", additionalProperties: false, required: ["records"], properties: { records: { type: "array", items: record, minItems: 1, maxItems: maxRows } } },
      { ...record, title: "one record" },
    );
  }
  variants.push({
    title: "instances",
    type: "object",
    additionalProperties: false,
    required: ["instances"],
    properties: { instances: { type: "array", items: instanceSchema(model), minItems: 1, maxItems: maxRows } },
  });
  const image = model.image;
  if (image) {
    variants.push({
      title: "images",
      type: "object",
      additionalProperties: false,
      required: ["images"],
      properties: {
        images: {
          type: "array",
          minItems: 1,
          maxItems: maxRows,
          items: imageFileSchema(image),
        },
      },
    });
  }
  return { oneOf: variants };
}

function predictionSchema(model: ScoringModel): Schema {
  const labels = model.labels;
  return {
    type: "object",
    properties: {
      label: labels ? { type: "string", enum: labels } : { type: "string" },
      probabilities: labels
        ? { type: "object", additionalProperties: false, required: labels, properties: Object.fromEntries(labels.map((l) => [l, { type: "number", minimum: 0, maximum: 1 }])) }
        : { type: "object", additionalProperties: { type: "number" } },
      value: { type: "number", description: "the output of a single-output regression model" },
      outputs: { type: "array", items: { type: "number" }, description: "the raw output row when no labels fit it" },
    },
  };
}

/** One image file in a JSON body: base64 PNG or JPEG of the model's size. */
function imageFileSchema(image: { width: number; height: number }): Schema {
  return { type: "string", contentEncoding: "base64", description: `a PNG or JPEG of ${image.width}×${image.height} pixels, base64 (a data: URL too)` };
}

/** Nested arrays of `dims` around `leaf`: [2, 3] → 2 arrays of 3 leaves. */
function nested(dims: number[], leaf: Schema): Schema {
  return dims.reduceRight<Schema>((inner, size) => ({ type: "array", items: inner, minItems: size, maxItems: size }), leaf);
}

/**
 * The V2 infer body (KServe Open Inference Protocol, JSON tensors): exactly what parseV2Infer
 * takes, per datatype (its values' type and range) and per layout (data flat, or nested as the
 * shape). One rule JSON Schema cannot state is in the descriptions: the data holds as many rows
 * as shape[0] says (product of the shape values, or shape[0] rows nested).
 */
function v2InferRequestSchema(model: ScoringModel, maxRows: number): Schema {
  const names = [...new Set([model.inputName, model.metadata.inputs[0].name])];
  const name: Schema = { type: "string", enum: names, description: "the model's input (see GET /v2/models/{name})" };
  const rows: Schema = { type: "integer", minimum: 1, maximum: maxRows, description: `rows in this request (at most ${maxRows}: more get 413)` };
  // The protocol's $parameters: strings, numbers and booleans by name. A key "__proto__" anywhere
  // in a JSON body is refused (400) by the JSON parser, as prototype poisoning.
  const parameters: Schema = { type: "object", propertyNames: { not: { const: "__proto__" } }, additionalProperties: { type: ["string", "number", "boolean"] } };
  const layouts = model.rowShape.length > 1 ? [model.rowShape, [model.rowSize]] : [model.rowShape];
  const range = (lo: number, hi: number): [number, number] => [Math.max(lo, -MAX_INPUT_VALUE), Math.min(hi, MAX_INPUT_VALUE)];
  const leaves: [string[], Schema][] = [
    [["FP32", "FP64"], finite],
    [["FP16"], { type: "number", minimum: -FP16_MAX, maximum: FP16_MAX }],
    // INT64 and UINT64 reach past the input range, which bounds them.
    ...Object.entries(INTEGER_RANGES).map(([datatype, [lo, hi]]): [string[], Schema] => {
      const [min, max] = range(lo, hi);
      return [[datatype], { type: "integer", minimum: min, maximum: max }];
    }),
    [["BOOL"], { type: "boolean" }],
  ];
  const tensor = (datatypes: string[], shape: Schema, data: Schema): Schema => ({
    type: "object",
    additionalProperties: false,
    required: ["name", "shape", "datatype", "data"],
    properties: { name, datatype: { type: "string", enum: datatypes }, shape, data, parameters },
  });
  const tensors: Schema[] = [];
  for (const [datatypes, leaf] of leaves) {
    for (const dims of layouts) {
      const shape = { type: "array", prefixItems: [rows, ...dims.map((d) => ({ type: "integer", const: d }))], minItems: dims.length + 1, items: false };
      tensors.push(
        tensor(datatypes, shape, {
          description: `shape[0] × ${dims.reduce((a, b) => a * b, 1)} values, flat (row-major) or nested as the shape`,
          anyOf: [
            { type: "array", items: leaf, minItems: model.rowSize, maxItems: model.rowSize * maxRows },
            { type: "array", items: nested(dims, leaf), minItems: 1, maxItems: maxRows },
          ],
        }),
      );
    }
  }
  const image = model.image;
  if (image) {
    const file = imageFileSchema(image);
    const shape = { type: "array", prefixItems: [rows, { type: "integer", const: 1 }], minItems: 1, maxItems: 2, items: false, description: "[N] or [N, 1]: one image file each" };
    tensors.push(
      tensor(["BYTES"], shape, {
        description: "shape[0] image files",
        anyOf: [
          { type: "array", items: file, minItems: 1, maxItems: maxRows },
          { type: "array", items: { type: "array", items: file, minItems: 1, maxItems: 1 }, minItems: 1, maxItems: maxRows },
        ],
      }),
    );
  }
  return {
    type: "object",
    additionalProperties: false,
    required: ["inputs"],
    properties: {
      id: { type: "string", description: "echoed in the answer" },
      parameters,
      inputs: { type: "array", items: { oneOf: tensors }, minItems: 1, maxItems: 1 },
      outputs: {
        type: "array",
        items: { type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", enum: [model.outputName] }, parameters } },
      },
    },
  };
}

function v2InferResponseSchema(model: ScoringModel): Schema {
  return {
    type: "object",
    required: ["model_name", "outputs"],
    properties: {
      model_name: { type: "string", const: model.name },
      model_version: { type: "string" },
      id: { type: "string" },
      outputs: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "datatype", "shape", "data"],
          properties: {
            name: { type: "string", const: model.outputName },
            datatype: { type: "string", const: "FP32" },
            shape: { type: "array", items: { type: "integer", minimum: 0 } },
            data: { type: "array", items: { type: "number" } },
          },
        },
      },
    },
  };
}

export interface OpenApiOptions {
  /** Rows one request may carry (the server's maxQueue). */
  maxRows: number;
  /** Whether routes need the API key. */
  apiKey: boolean;
  /** The server's URL, when known. */
  serverUrl?: string;
}

/** The OpenAPI 3.1 document of a scoring server serving `model`. */
export function openApiDocument(model: ScoringModel, options: OpenApiOptions): Schema {
  const json = (schema: Schema) => ({ "application/json": { schema } });
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((c) => [
        String(c),
        {
          description: {
            400: "the body does not fit the model: the message names the field",
            401: "missing or wrong API key",
            404: "no such model",
            413: "the body or the number of rows is over the limit",
            500: "the model's output was not a finite number (NaN or Infinity), or another failure of the server: the message says which",
            415: "unsupported content type",
            503: "the model is loading, or the queue is full (see Retry-After)",
          }[c],
          content: json({ $ref: "#/components/schemas/Error" }),
        },
      ]),
    );
  const image = model.image;
  const scoreContent: Record<string, unknown> = json({ $ref: "#/components/schemas/ScoreRequest" });
  if (image) {
    for (const type of ["image/png", "image/jpeg"]) scoreContent[type] = { schema: { type: "string", contentMediaType: type, description: `one ${image.width}×${image.height} image` } };
  }
  const security = options.apiKey ? [{ bearer: [] }, { apiKey: [] }] : [];
  const open = { security: [] };
  const name = model.name;
  return {
    openapi: "3.1.0",
    info: {
      title: `Scoring server: ${name}`,
      version: "1",
      description:
        `Scores model "${name}" (${model.metadata.task ?? "model"}; input ${model.inputName} [batch, ${model.rowShape.join(", ")}]) with ONNX Runtime. ` +
        "POST /score takes records, instances" + (image ? ", images" : "") + "; the Open Inference Protocol (KServe V2) is under /v2.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security,
    paths: {
      "/score": {
        post: {
          operationId: "score",
          summary: "Score one record or a batch",
          requestBody: { required: true, content: scoreContent },
          responses: {
            200: { description: "one prediction per row, in order", content: json({ $ref: "#/components/schemas/ScoreResponse" }) },
            ...errors(400, 401, 413, 415, 500, 503),
          },
        },
      },
      "/healthz": { get: { operationId: "healthz", summary: "Liveness", ...open, responses: { 200: { description: "the process is up" } } } },
      "/readyz": { get: { operationId: "readyz", summary: "Readiness: the model is loaded and warmed up", ...open, responses: { 200: { description: "ready" }, 503: { description: "loading, or failed to load" } } } },
      "/metrics": { get: { operationId: "metrics", summary: "Prometheus metrics", responses: { 200: { description: "text exposition format", content: { "text/plain": { schema: { type: "string" } } } } } } },
      "/openapi.json": { get: { operationId: "openapi", summary: "This document", responses: { 200: { description: "OpenAPI 3.1" } } } },
      "/v2/health/live": { get: { operationId: "v2Live", ...open, responses: { 200: { description: "live" } } } },
      "/v2/health/ready": { get: { operationId: "v2Ready", ...open, responses: { 200: { description: "ready" }, 503: { description: "not ready" } } } },
      [`/v2/models/${name}`]: { get: { operationId: "v2ModelMetadata", responses: { 200: { description: "model metadata (V2)" }, ...errors(401, 404, 503) } } },
      [`/v2/models/${name}/ready`]: { get: { operationId: "v2ModelReady", responses: { 200: { description: "ready" }, ...errors(401, 404, 503) } } },
      [`/v2/models/${name}/infer`]: {
        post: {
          operationId: "v2Infer",
          summary: "Open Inference Protocol infer (JSON tensors)",
          requestBody: {
            required: true,
            content: json({ $ref: "#/components/schemas/V2InferRequest" }),
          },
          responses: { 200: { description: "outputs as tensors", content: json(v2InferResponseSchema(model)) }, ...errors(400, 401, 404, 413, 500, 503) },
        },
      },
    },
    components: {
      schemas: {
        ScoreRequest: scoreRequestSchema(model, options.maxRows),
        V2InferRequest: v2InferRequestSchema(model, options.maxRows),
        ScoreResponse: { type: "object", required: ["model", "predictions"], properties: { model: { type: "string" }, predictions: { type: "array", items: predictionSchema(model) } } },
        Error: errorBody,
      },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
      },
    },
  };
}
