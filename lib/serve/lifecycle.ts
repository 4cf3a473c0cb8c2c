// The scoring server's life around its requests: load shedding before a body is read, request
// metrics after each answer, and on close a drain of the queue, then the model's release.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import type { RequestError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import type { ScoringState } from "./scoring-state.js";

const SCORING_ROUTES = new Set(["/score", "/v2/models/:name/infer"]);

/**
 * Load shedding: while the queue is full, a scoring request gets its 503 before its body is read,
 * parsed or decoded, so that refusing stays cheap however many clients press (checked after auth: 401 first).
 */
export function loadSheddingCheck(state: ScoringState, metrics: ServerMetrics) {
  return (req: FastifyRequest): RequestError | undefined => {
    const batcher = state.batcher;
    if (!batcher?.full || req.method !== "POST" || !SCORING_ROUTES.has(req.routeOptions.url ?? "")) return undefined;
    metrics.rejected.inc();
    return batcher.busy();
  };
}

// The per-request hooks after onRequest take fastify's `done` callback rather than being async: an
// async hook costs a promise and a microtask turn per request (issue 14: the HTTP path's overhead).
// For the same reason the onRequest checks (API key, 405, load shedding) run in one hook (server.ts).

/** The onResponse hook that counts each answer and its latency by method, route and status. */
export function requestMetricsHook(metrics: ServerMetrics) {
  // The label objects of each (method, route, status) seen, made once rather than per request.
  const labels = new Map<string, { request: { method: string; route: string; status: string }; latency: { method: string; route: string } }>();
  return (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const route = req.is404 ? "unmatched" : (req.routeOptions.url ?? "unmatched");
    const key = `${req.method} ${reply.statusCode} ${route}`;
    let l = labels.get(key);
    if (!l) labels.set(key, (l = { request: { method: req.method, route, status: String(reply.statusCode) }, latency: { method: req.method, route } }));
    metrics.requests.inc(l.request);
    metrics.latency.observe(l.latency, reply.elapsedTime / 1000);
    done();
  };
}

/** On close: run what is queued now instead of waiting for more (in-flight requests then complete), then release the model. */
export function addShutdownHooks(app: FastifyInstance, state: ScoringState): void {
  app.addHook("preClose", async () => {
    await state.batcher?.drain();
  });
  app.addHook("onClose", async () => {
    await state.loaded.then((m) => m.release(), () => undefined);
  });
}
