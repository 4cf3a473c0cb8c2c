// The real-time scoring server: fastify + ONNX Runtime, micro-batched, with Prometheus metrics,
// an optional API key and the Open Inference Protocol (KServe V2) beside the simple /score API.
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type HTTPMethods } from "fastify";
import type { OpenStoreOptions } from "../core/index.js";
import { MicroBatcher, type BatcherStats } from "./batcher.js";
import { RequestError, ServeError } from "./errors.js";
import { ServerMetrics } from "./metrics.js";
import { describeExecutionProvider, type ExecutionProviderChoice } from "./execution-providers.js";
import { checkModelDir, loadScoringModel, type ScoringModel } from "./model.js";
import { parseScoreBody, type ParsedRows } from "./parse-request.js";
import { toPrediction, type Prediction } from "./postprocess.js";
import { decodeRequestBody } from "./body-encoding.js";
import { openApiDocument } from "./openapi.js";
import { parseV2Infer, v2ModelMetadata } from "./v2.js";

export interface ScoringServerOptions {
  /**
   * Folder with model.onnx and metadata.json (as saveModel + exportOnnx write them), or a storage
   * URL of one: Azure Blob (`https://<account>.blob.core.windows.net/<container>/<prefix>`), Azurite, file://.
   */
  modelDir: string;
  /** Credentials for a Blob URL (default: AZURE_STORAGE_CONNECTION_STRING, Azurite's key, or DefaultAzureCredential). */
  storage?: OpenStoreOptions;
  /** Rows per ONNX Runtime run at most. Default 32. */
  maxBatch?: number;
  /**
   * How long a request may wait for others to share its run. Default 0: no waiting, a run takes
   * the requests that arrived in the same turn of the event loop (and those queued behind a run).
   */
  maxWaitMs?: number;
  /** Rows that may wait before requests are refused with 503. Default 256. */
  maxQueue?: number;
  /** Request body limit in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Time a client has to send a whole request (headers and body), in ms; a slower one gets 408 and
   * its connection closed, so slow bodies cannot hold sockets and memory. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** When set, every route but the health checks needs `Authorization: Bearer <key>` or `x-api-key`. */
  apiKey?: string;
  /** fastify's logger option: false (default), true (JSON lines on stdout) or pino options. */
  logger?: FastifyServerOptions["logger"];
  /** Also export Node's process metrics (default false: tests run many servers). */
  defaultMetrics?: boolean;
  /**
   * ONNX Runtime intra-op threads. Default 1: the run happens on the event loop's thread, and a
   * pool spinning beside it takes the cores that HTTP and JSON need (scale with processes instead).
   */
  intraOpThreads?: number;
  /** ONNX Runtime execution provider: cpu (default), cuda, webgpu, or auto (cuda when it loads, else cpu). */
  executionProvider?: ExecutionProviderChoice;
}

/** What the server adds to its fastify instance, as `server.scoring`. */
export interface ScoringHandle {
  /** Resolves once the model is loaded and warmed up; rejects with a ServeError if it cannot load. */
  loaded: Promise<ScoringModel>;
  isReady(): boolean;
  stats(): BatcherStats;
  metrics: ServerMetrics;
  options: Required<Omit<ScoringServerOptions, "apiKey" | "logger" | "intraOpThreads" | "storage" | "executionProvider">>;
}

export type ScoringServer = FastifyInstance & { scoring: ScoringHandle };

/** fastify's messages for its own 4xx, said so that a client knows what to send instead. */
function fastifyErrorMessage(err: Error & { code?: string }, req: FastifyRequest, bodyLimit: number): string {
  const type = req.headers["content-type"];
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return `Content-Type ${type ? JSON.stringify(type) : "(none)"} is not accepted here: send application/json${req.url.startsWith("/score") ? " (or, for an image model, image/png or image/jpeg)" : ""}.`;
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `The body is larger than this server's limit of ${bodyLimit} bytes: send fewer rows per request, or start the server with a larger --body-limit.`;
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "The body is empty: send a JSON object.";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case undefined:
    default:
      return err.message;
  }
}

const PUBLIC_PATHS = new Set(["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"]);

function positive(name: string, v: number, integer: boolean): number {
  if (!(Number.isFinite(v) && v >= (integer ? 1 : 0)) || (integer && !Number.isInteger(v))) {
    throw new ServeError("BAD_OPTION", `${name} must be a ${integer ? "whole number ≥ 1" : "number ≥ 0"}, not ${v}.`);
  }
  return v;
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answers what Node's HTTP parser refuses before fastify sees a request (fastify's default does
 * too, with messages of its own): a method Node does not know (`BREW /score`) is a 405 with the
 * path's Allow header when the path exists, as a known method would get; a request not sent in
 * time is a 408; oversized headers a 431; anything else a 400. Then the connection is closed.
 */
function clientErrorHandler(allowedMethods: (path: string) => string[], requestTimeoutMs: number) {
  return (err: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    let status = 400;
    let error = "Malformed HTTP request: send HTTP/1.1 with a valid request line, headers and Content-Length or chunked body.";
    const headers: string[] = [];
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      status = 408;
      error = `The request (headers and body) was not sent within ${requestTimeoutMs} ms: send it faster, or in smaller requests.`;
    } else if (err.code === "HPE_HEADER_OVERFLOW") {
      status = 431;
      error = "The request's headers are larger than this server takes: send fewer or shorter headers.";
    } else if (err.code === "HPE_INVALID_METHOD") {
      const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : Buffer.alloc(0);
      const line = raw.subarray(0, 4096).toString("latin1").split("\r\n", 1)[0];
      const [method = "", target = ""] = line.split(" ");
      const path = target.split("?")[0];
      const allowed = allowedMethods(path);
      const shown = JSON.stringify(method.slice(0, 24));
      if (allowed.length) {
        status = 405;
        headers.push(`Allow: ${allowed.join(", ")}`);
        error = `${shown} is not a method of ${path}; use ${allowed.join(" or ")}.`;
      } else {
        error = `${shown} is not an HTTP method this server knows: use GET or POST.`;
      }
    }
    if (socket.writable) {
      const body = JSON.stringify({ error });
      const head = [`HTTP/1.1 ${status} ${STATUS_TEXT[status]}`, ...headers, "Content-Type: application/json; charset=utf-8", `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close"];
      socket.write(`${head.join("\r\n")}\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 405: "Method Not Allowed", 408: "Request Timeout", 431: "Request Header Fields Too Large" };

/** The index of the first value that is NaN or ±Infinity, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/**
 * Creates the server and starts loading the model in the background: /readyz answers 503 until
 * the model is loaded and warmed up. Throws ServeError MODEL_NOT_FOUND at once if a local folder
 * lacks model.onnx or metadata.json (a Blob URL is read, and fails, in the background: see
 * `server.scoring.loaded`). Test with `server.inject(...)`; serve with `server.listen(...)`.
 */
export function createScoringServer(options: ScoringServerOptions): ScoringServer {
  const opts = {
    modelDir: options.modelDir,
    maxBatch: positive("maxBatch", options.maxBatch ?? 32, true),
    maxWaitMs: positive("maxWaitMs", options.maxWaitMs ?? 0, false),
    maxQueue: positive("maxQueue", options.maxQueue ?? 256, true),
    bodyLimit: positive("bodyLimit", options.bodyLimit ?? 1024 * 1024, true),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs ?? 30_000, true),
    defaultMetrics: options.defaultMetrics ?? false,
  };
  checkModelDir(opts.modelDir);
  const metrics = new ServerMetrics({ defaultMetrics: opts.defaultMetrics });
  // Routes are recorded so that a known path with another method answers 405 + Allow.
  const known: { method: string; pattern: RegExp }[] = [];
  const allowedMethods = (path: string): string[] => [...new Set(known.filter((r) => r.pattern.test(path)).map((r) => r.method))];
  const app = fastify({
    logger: options.logger ?? false,
    bodyLimit: opts.bodyLimit,
    requestTimeout: opts.requestTimeoutMs,
    // Node checks the time-out only this often (30 s by default): a slow body would outlive it.
    http: { headersTimeout: Math.min(60_000, opts.requestTimeoutMs), connectionsCheckingInterval: Math.max(100, Math.min(1000, opts.requestTimeoutMs / 2)) },
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    // Keep-alive sockets must not hold a graceful shutdown open.
    forceCloseConnections: "idle",
    clientErrorHandler: clientErrorHandler(allowedMethods, opts.requestTimeoutMs),
  });

  let model: ScoringModel | undefined;
  let batcher: MicroBatcher | undefined;
  let loadError: Error | undefined;
  const loaded = (async () => {
    const m = await loadScoringModel(opts.modelDir, { intraOpThreads: options.intraOpThreads ?? 1, storage: options.storage, executionProvider: options.executionProvider });
    if (m.executionProvider.fallbackReason) app.log.warn({ executionProvider: m.executionProvider.name }, `execution provider ${describeExecutionProvider(m.executionProvider)}`);
    const b = new MicroBatcher({
      maxBatch: opts.maxBatch,
      maxWaitMs: opts.maxWaitMs,
      maxQueue: opts.maxQueue,
      rowSize: m.rowSize,
      run: (data, rows) => m.run(data, rows),
      onRun: (rows, requests) => {
        metrics.batchSize.observe(rows);
        metrics.batchRequests.observe(requests);
      },
      onQueue: (rows) => metrics.queueDepth.set(rows),
    });
    // Warm-up: the first runs allocate and pick kernels; do them before declaring readiness.
    await m.run(new Float32Array(m.rowSize), 1);
    await m.run(new Float32Array(m.rowSize * opts.maxBatch), opts.maxBatch);
    model = m;
    batcher = b;
    app.log.info({ model: m.name, input: m.inputName, rowShape: m.rowShape, maxBatch: opts.maxBatch, executionProvider: m.executionProvider.name }, "model loaded and warmed up");
    return m;
  })();
  loaded.catch((e: Error) => {
    loadError = e;
    app.log.error({ err: e }, "model failed to load");
  });

  const handle: ScoringHandle = {
    loaded,
    isReady: () => model !== undefined,
    stats: () => ({ ...(batcher?.stats ?? { runs: 0, rows: 0, requests: 0, rejected: 0, largestBatch: 0 }) }),
    metrics,
    options: opts,
  };
  app.decorate("scoring", handle);

  const requireModel = (): { model: ScoringModel; batcher: MicroBatcher } => {
    if (!model || !batcher) {
      throw loadError
        ? new RequestError(503, `The model failed to load: ${loadError.message}`)
        : new RequestError(503, "The model is still loading. Retry shortly.", 1);
    }
    return { model, batcher };
  };

  const score = async (parsed: ParsedRows): Promise<{ model: ScoringModel; data: Float32Array; width: number }> => {
    const { model: m, batcher: b } = requireModel();
    m.preprocess(parsed.data, parsed.rows);
    let out: { data: Float32Array; width: number };
    try {
      out = await b.submit(parsed.data, parsed.rows);
    } catch (e) {
      if (e instanceof RequestError && e.statusCode === 503) metrics.rejected.inc();
      throw e;
    }
    // JSON has no NaN or Infinity (they would be sent as null): such an output is the model's
    // failure on inputs it accepted, answered 500 and counted, never passed off as a prediction.
    const bad = firstNonFinite(out.data);
    if (bad >= 0) {
      let rows = 0;
      for (let r = 0; r < parsed.rows; r++) if (firstNonFinite(out.data.subarray(r * out.width, (r + 1) * out.width)) >= 0) rows++;
      metrics.nonFinite.inc(rows);
      const row = Math.floor(bad / out.width);
      throw new ServeError(
        "NON_FINITE_PREDICTION",
        `The model's output for row ${row} is ${out.data[bad]}, not a finite number (${rows} of ${parsed.rows} rows), so there is no prediction to return.`,
        { hint: "The inputs were within the range the server takes; the model (or its metadata's scaler) overflows on them, or its weights are not finite: check it in-process with ONNX Runtime on the same rows." },
      );
    }
    return { model: m, ...out };
  };

  const route = (method: HTTPMethods, url: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>, on: FastifyInstance = app) => {
    const pattern = new RegExp(`^${url.replace(/:[^/]+/g, "[^/]+")}$`);
    known.push({ method, pattern });
    if (method === "GET") known.push({ method: "HEAD", pattern });
    on.route({ method, url, handler });
  };

  app.addHook("preParsing", decodeRequestBody);
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
    if (!options.apiKey) return;
    const path = req.url.split("?")[0];
    if (PUBLIC_PATHS.has(path)) return;
    const auth = req.headers.authorization;
    const given = typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : req.headers["x-api-key"];
    if (typeof given !== "string" || !sameKey(given, options.apiKey)) {
      reply.header("www-authenticate", "Bearer");
      throw new RequestError(401, "Missing or wrong API key: send Authorization: Bearer <key> or x-api-key: <key>.");
    }
  });

  // A known path with a method it lacks is a 405 listing the path's methods, answered before the
  // body is read: a QUERY or PUT must not first be refused for its content type or a missing body.
  app.addHook("onRequest", async (req) => {
    if (!req.is404) return;
    const path = req.url.split("?")[0];
    const allowed = allowedMethods(path);
    if (allowed.length) throw new RequestError(405, `${req.method} is not allowed on ${path}; use ${allowed.join(" or ")}.`, undefined, { allow: allowed.join(", ") });
  });

  // Load shedding: while the queue is full, a scoring request gets its 503 before its body is read,
  // parsed or decoded, so that refusing stays cheap however many clients press (after auth: 401 first).
  const SCORING_ROUTES = new Set(["/score", "/v2/models/:name/infer"]);
  app.addHook("onRequest", async (req) => {
    if (!batcher?.full || req.method !== "POST" || !SCORING_ROUTES.has(req.routeOptions.url ?? "")) return;
    metrics.rejected.inc();
    throw batcher.busy();
  });

  app.addHook("onResponse", async (req, reply) => {
    const routeUrl = req.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ method: req.method, route: routeUrl, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route: routeUrl }, reply.elapsedTime / 1000);
  });

  app.addHook("preClose", async () => {
    // Run what is queued now instead of waiting for more; in-flight requests then complete.
    await batcher?.drain();
  });
  app.addHook("onClose", async () => {
    await loaded.then((m) => m.release(), () => undefined);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof RequestError) {
      if (err.retryAfterS !== undefined) reply.header("retry-after", String(err.retryAfterS));
      if (err.headers) reply.headers(err.headers);
      return reply.code(err.statusCode).send({ error: err.message });
    }
    if (err instanceof ServeError) {
      // The server's own failure on a valid request (NON_FINITE_PREDICTION): said, not hidden.
      req.log.error({ err }, "scoring failed");
      return reply.code(500).send({ error: `${err.message}${err.hint ? ` ${err.hint}` : ""} (request id ${req.id})`, code: err.code });
    }
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      // fastify's own 4xx: unparsable JSON, body too large, unsupported content type.
      return reply.code(status).send({ error: fastifyErrorMessage(err, req, opts.bodyLimit) });
    }
    req.log.error({ err }, "scoring failed");
    return reply.code(500).send({ error: `Internal error while handling the request; the server log has the details (request id ${req.id}).` });
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    const allowed = allowedMethods(path);
    if (allowed.length) {
      return reply.code(405).header("allow", allowed.join(", ")).send({ error: `${req.method} is not allowed on ${path}; use ${allowed.join(" or ")}.` });
    }
    return reply.code(404).send({ error: `No route ${req.method} ${path}.` });
  });

  route("GET", "/healthz", async () => ({ status: "ok" }));
  route("GET", "/readyz", async (_req, reply) => {
    if (model) return { status: "ready", model: model.name, executionProvider: model.executionProvider.name };
    reply.code(503);
    return loadError ? { status: "failed", error: loadError.message } : { status: "loading" };
  });
  route("GET", "/openapi.json", async (req) => {
    const m = requireModel().model;
    const host = typeof req.headers.host === "string" ? req.headers.host : undefined;
    return openApiDocument(m, { maxRows: opts.maxQueue, apiKey: Boolean(options.apiKey), serverUrl: host ? `${req.protocol}://${host}` : undefined });
  });
  route("GET", "/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  // One image per request as its raw bytes (image models); the format is sniffed from the bytes.
  app.addContentTypeParser(["image/png", "image/jpeg"], { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  route("POST", "/score", async (req) => {
    const m = requireModel().model;
    const parsed = await parseScoreBody(req.body, m, opts.maxQueue);
    const out = await score(parsed);
    const predictions: Prediction[] = [];
    for (let r = 0; r < parsed.rows; r++) predictions.push(toPrediction(out.data.subarray(r * out.width, (r + 1) * out.width), m.labels));
    return { model: m.name, predictions };
  });

  // Open Inference Protocol (KServe V2 REST).
  const v2Model = (name: string): ScoringModel => {
    const m = requireModel().model;
    if (name !== m.name) throw new RequestError(404, `No model "${name}"; this server serves "${m.name}".`);
    return m;
  };
  route("GET", "/v2", async () => ({ name: "custom-ai-scoring", version: "1", extensions: [] }));
  route("GET", "/v2/health/live", async () => ({ live: true }));
  route("GET", "/v2/health/ready", async (_req, reply) => {
    if (!model) reply.code(503);
    return { ready: Boolean(model) };
  });
  route("GET", "/v2/models/:name", async (req) => v2ModelMetadata(v2Model((req.params as { name: string }).name)));
  route("GET", "/v2/models/:name/ready", async (req) => {
    v2Model((req.params as { name: string }).name);
    return { name: model!.name, ready: true };
  });
  // Triton's clients send JSON without a JSON content type: this route parses any body as JSON.
  app.register(async (v2) => {
    v2.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
    v2.addHook("preParsing", async (req) => {
      if (req.headers["inference-header-content-length"] !== undefined) {
        throw new RequestError(400, "The binary tensor extension is not supported: send JSON tensors (tritonclient: binary_data=False on inputs and outputs).");
      }
    });
    route("POST", "/v2/models/:name/infer", infer, v2);
  });
  async function infer(req: FastifyRequest) {
    const m = v2Model((req.params as { name: string }).name);
    const parsed = await parseV2Infer(req.body, m, opts.maxQueue);
    const out = await score(parsed);
    return {
      model_name: m.name,
      model_version: "1",
      ...(parsed.id !== undefined ? { id: parsed.id } : {}),
      outputs: [{ name: m.outputName, datatype: "FP32", shape: [parsed.rows, out.width], data: Array.from(out.data) }],
    };
  }

  return app as unknown as ScoringServer;
}
