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
import { addShutdownHooks, loadSheddingCheck, requestMetricsHook } from "./lifecycle.js";
import { methodNotAllowedCheck, notFoundHandler } from "./method-not-allowed.js";
import { ServerMetrics } from "./metrics.js";
import { checkModelDir, type ScoringModel } from "./model.js";
import { storeOptionsOf } from "./model-location.js";
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

/** The fastify instance with the server's limits, request ids and raw-socket error answers. */
function newApp(opts: ResolvedServerOptions, logger: ScoringServerOptions["logger"], routes: RouteTable) {
  return fastify({
    logger: logger ?? false,
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

/** The hooks, in the order they run: body decoding; request id, API key, 405, load shedding; metrics; shutdown. */
function addHooks(ctx: ScoringContext, apiKey: string | undefined): void {
  const { app, routes, state, metrics } = ctx;
  const allowedMethods = (path: string) => routes.allowedMethods(path);
  app.addHook("preParsing", decodeRequestBody);
  // One onRequest hook, not one per check: each hook costs fastify a step per request. In order:
  // the request id header, then the first check that refuses (401, 405, 503) answers. It stays
  // async: its microtask turn lets Node's HTTP parser finish the bytes already received first, so
  // a request whose body is malformed HTTP gets only the parser's 400 (client-error.ts), never an
  // answer on the socket that the parser's error then follows with a second one.
  const checks = [...(apiKey ? [apiKeyCheck(apiKey)] : []), methodNotAllowedCheck(allowedMethods), loadSheddingCheck(state, metrics)];
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
    for (const check of checks) {
      const refused = check(req, reply);
      if (refused) throw refused;
    }
  });
  app.addHook("onResponse", requestMetricsHook(metrics));
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
  const app = newApp(opts, options.logger, routes);
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
  addOpsRoutes(ctx);
  addScoreRoutes(ctx);
  addV2Routes(ctx);
  return app as unknown as ScoringServer;
}
