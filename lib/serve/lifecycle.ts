// The scoring server's life around its requests: load shedding before a body is read, request
// metrics after each answer, and on close a drain of the queue, then the model's release.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServerMetrics } from "./metrics.js";
import type { ScoringState } from "./scoring-state.js";

const SCORING_ROUTES = new Set(["/score", "/v2/models/:name/infer"]);

/**
 * Load shedding: while the queue is full, a scoring request gets its 503 before its body is read,
 * parsed or decoded, so that refusing stays cheap however many clients press (added after auth: 401 first).
 */
export function loadSheddingHook(state: ScoringState, metrics: ServerMetrics) {
  return async (req: FastifyRequest): Promise<void> => {
    const batcher = state.batcher;
    if (!batcher?.full || req.method !== "POST" || !SCORING_ROUTES.has(req.routeOptions.url ?? "")) return;
    metrics.rejected.inc();
    throw batcher.busy();
  };
}

/** The onResponse hook that counts each answer and its latency by method, route and status. */
export function requestMetricsHook(metrics: ServerMetrics) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const routeUrl = req.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ method: req.method, route: routeUrl, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route: routeUrl }, reply.elapsedTime / 1000);
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
