// The scoring server's life around its requests: load shedding before a body is read, and on
// close a drain of the queue, then the model's release. (The metrics and log line of each
// answered request: request-log.ts.)
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { RequestError } from "./errors.js";
import type { ServerMetrics } from "./metrics.js";
import type { ScoringState } from "./scoring-state.js";

/** The scoring routes, as fastify names them (routeOptions.url). */
export const SCORING_ROUTES: ReadonlySet<string> = new Set(["/score", "/v2/models/:name/infer"]);

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

/** On close: run what is queued now instead of waiting for more (in-flight requests then complete), then release the model. */
export function addShutdownHooks(app: FastifyInstance, state: ScoringState): void {
  app.addHook("preClose", async () => {
    await state.batcher?.drain();
  });
  app.addHook("onClose", async () => {
    await state.loaded.then((m) => m.release(), () => undefined);
  });
}
