// The scoring server's operational routes: liveness, readiness, the OpenAPI document, Prometheus metrics.
import { openApiDocument } from "./openapi.js";
import { addRoute, type ScoringContext } from "./scoring-context.js";

export function addOpsRoutes(ctx: ScoringContext): void {
  const { state, metrics } = ctx;
  addRoute(ctx, "GET", "/healthz", async () => ({ status: "ok" }));
  addRoute(ctx, "GET", "/readyz", async (_req, reply) => {
    const model = state.model;
    if (model) return { status: "ready", model: model.name, executionProvider: model.executionProvider.name };
    reply.code(503);
    return state.loadError ? { status: "failed", error: state.loadError.message } : { status: "loading" };
  });
  addRoute(ctx, "GET", "/openapi.json", async (req) => {
    const m = state.require().model;
    const host = typeof req.headers.host === "string" ? req.headers.host : undefined;
    return openApiDocument(m, { maxRows: ctx.opts.maxQueue, apiKey: ctx.apiKey, serverUrl: host ? `${req.protocol}://${host}` : undefined });
  });
  addRoute(ctx, "GET", "/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
