// The real-time scoring server: fastify + ONNX Runtime, micro-batched, with Prometheus metrics,
// an optional API key and the Open Inference Protocol (KServe V2) beside the simple /score API.
// This file assembles it; each concern lives in its own file (auth, routes-*, lifecycle, …).
import { randomUUID } from "node:crypto";
import { fastify, type FastifyInstance } from "fastify";
import type { BatcherStats } from "./batcher.js";
import { decodeRequestBody } from "./body-encoding.js";
import { apiKeyCheck } from "./auth.js";
import { clientErrorHandler } from "./client-error.js";
import { scoringErrorHandler } from "./error-handler.js";
import { addShutdownHooks, loadSheddingCheck } from "./lifecycle.js";
import { logDestination, type LogDestination } from "./log-destination.js";
import { methodNotAllowedCheck, notFoundHandler } from "./method-not-allowed.js";
import { ServerMetrics } from "./metrics.js";
import { checkModelDir, type ScoringModel } from "./model.js";
import { storeOptionsOf } from "./model-location.js";
import { lazyRequestLogger, RequestCompletion } from "./request-log.js";
import { RouteTable } from "./route-table.js";
import { addOpsRoutes } from "./routes-ops.js";
import { addScoreRoutes } from "./routes-score.js";
import { addV2Routes } from "./routes-v2.js";
import type { ScoringContext } from "./scoring-context.js";
import { ScoringState } from "./scoring-state.js";
import { resolveServerOptions, type ResolvedServerOptions, type ScoringServerOptions } from "./server-options.js";

export type { ScoringServerOptions } from "./server-options.js";

/** What the server adds to its fastify instance, as `server.scoring`. */
export interface ScoringHandle {
  /** Resolves once the model is loaded and warmed up; rejects with a ServeError if it cannot load. */
  loaded: Promise<ScoringModel>;
  isReady(): boolean;
  stats(): BatcherStats;
  metrics: ServerMetrics;
  options: ResolvedServerOptions;
}

export type ScoringServer = FastifyInstance & { scoring: ScoringHandle };

/**
 * The fastify instance with the server's limits, request ids, raw-socket error answers, and what
 * it records of each request (metrics and one log line: request-log.ts).
 */
function newApp(opts: ResolvedServerOptions, log: LogDestination, routes: RouteTable, completion: RequestCompletion) {
  return fastify({
    logger: log.logger,
    logController: completion,
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: opts.bodyLimit,
    requestTimeout: opts.requestTimeoutMs,
    // Node checks the time-out only this often (30 s by default): a slow body would outlive it.
    http: { headersTimeout: Math.min(60_000, opts.requestTimeoutMs), connectionsCheckingInterval: Math.max(100, Math.min(1000, opts.requestTimeoutMs / 2)) },
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    // Keep-alive sockets must not hold a graceful shutdown open.
    forceCloseConnections: "idle",
    // Routes are recorded so that a known path with another method answers 405 + Allow.
    clientErrorHandler: clientErrorHandler((path) => routes.allowedMethods(path), opts.requestTimeoutMs),
  });
}

/**
 * The hooks, in the order they run: body decoding; request id, API key, 405, load shedding;
 * shutdown. (Metrics and the log line are written by RequestCompletion, not by a hook.)
 */
function addHooks(ctx: ScoringContext, apiKey: string | undefined): void {
  const { app, routes, state, metrics } = ctx;
  const allowedMethods = (path: string) => routes.allowedMethods(path);
  app.addHook("preParsing", decodeRequestBody);
  // One onRequest hook, not one per check: each hook costs fastify a step per request. In order:
  // the request id header, then the first check that refuses (401, 405, 503) answers. It goes on
  // in the next tick, not at once: Node's HTTP parser then finishes the bytes already received
  // first (ticks run once the socket's read callback returns), so a request whose body is
  // malformed HTTP gets only the parser's 400 (client-error.ts), never an answer on the socket
  // that the parser's error then follows with a second one. (process.nextTick: neither an async
  // function's promise nor queueMicrotask's AsyncResource per request.)
  const checks = [...(apiKey ? [apiKeyCheck(apiKey)] : []), methodNotAllowedCheck(allowedMethods), loadSheddingCheck(state, metrics)];
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("x-request-id", req.id);
    let refused: Error | undefined;
    for (const check of checks) if ((refused = check(req, reply))) break;
    process.nextTick(done, refused);
  });
  addShutdownHooks(app, state);
  app.setErrorHandler(scoringErrorHandler(ctx.opts.bodyLimit));
  app.setNotFoundHandler(notFoundHandler);
}

/**
 * Creates the server and starts loading the model in the background: /readyz answers 503 until
 * the model is loaded and warmed up. Throws ServeError MODEL_NOT_FOUND at once if a local folder
 * lacks model.onnx or metadata.json (a Blob URL is read, and fails, in the background: see
 * `server.scoring.loaded`). Test with `server.inject(...)`; serve with `server.listen(...)`.
 */
export function createScoringServer(options: ScoringServerOptions): ScoringServer {
  const opts = resolveServerOptions(options);
  checkModelDir(opts.model);
  const metrics = new ServerMetrics({ defaultMetrics: opts.defaultMetrics });
  const routes = new RouteTable();
  const log = logDestination(options.logger);
  const completion = new RequestCompletion(metrics, () => state.model?.name);
  const app = newApp(opts, log, routes, completion);
  if (log.logger) completion.root = app.log;
  // Without a logger fastify has no "request completed" step unless there is an onResponse hook.
  else app.addHook("onResponse", completion.countHook);
  const state = new ScoringState(app.log, opts, metrics, { intraOpThreads: options.intraOpThreads ?? 1, ...storeOptionsOf(options), executionProvider: options.executionProvider });
  const handle: ScoringHandle = {
    loaded: state.loaded,
    isReady: () => state.model !== undefined,
    stats: () => ({ ...(state.batcher?.stats ?? { runs: 0, rows: 0, requests: 0, rejected: 0, largestBatch: 0 }) }),
    metrics,
    options: opts,
  };
  app.decorate("scoring", handle);

  const ctx: ScoringContext = { app, opts, apiKey: Boolean(options.apiKey), metrics, state, routes };
  addHooks(ctx, options.apiKey);
  // Last of the close hooks: the lines of the requests drained on close reach stdout before close() resolves.
  app.addHook("onClose", async () => log.close());
  addOpsRoutes(ctx);
  addScoreRoutes(ctx);
  addV2Routes(ctx);
  return app as unknown as ScoringServer;
}
