// What the scoring server's route modules share: the app, its options, metrics, the model's state
// and the route table.
import type { FastifyInstance, FastifySchema, HTTPMethods } from "fastify";
import type { ServerMetrics } from "./metrics.js";
import type { RouteHandler, RouteTable } from "./route-table.js";
import type { ResolvedServerOptions } from "./server-options.js";
import type { ScoringState } from "./scoring-state.js";

export interface ScoringContext {
  app: FastifyInstance;
  opts: ResolvedServerOptions;
  /** Whether routes need an API key (the OpenAPI document says so). */
  apiKey: boolean;
  metrics: ServerMetrics;
  state: ScoringState;
  routes: RouteTable;
}

/**
 * Adds a route to the app (or to `on`, a plugin's scope) and records it in the route table;
 * `schema` (e.g. a response schema, serialized by fast-json-stringify) goes to fastify as it is.
 */
export function addRoute(ctx: ScoringContext, method: HTTPMethods, url: string, handler: RouteHandler, on: FastifyInstance = ctx.app, schema?: FastifySchema): void {
  ctx.routes.add(on, method, url, handler, schema);
}
