// The scoring server's routes, recorded as they are added, so that a known path asked with another
// method answers 405 with the path's methods in Allow (see method-not-allowed.ts, client-error.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods } from "fastify";

export type RouteHandler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export class RouteTable {
  private readonly known: { method: string; pattern: RegExp }[] = [];

  /** Adds a route to `on` (the app, or a plugin's scope) and records it; a GET also records HEAD. */
  add(on: FastifyInstance, method: HTTPMethods, url: string, handler: RouteHandler, schema?: FastifySchema): void {
    const pattern = new RegExp(`^${url.replace(/:[^/]+/g, "[^/]+")}$`);
    this.known.push({ method, pattern });
    if (method === "GET") this.known.push({ method: "HEAD", pattern });
    on.route({ method, url, handler, ...(schema ? { schema } : {}) });
  }

  /** The methods of the routes that match `path`, in the order they were added; [] for an unknown path. */
  allowedMethods(path: string): string[] {
    return [...new Set(this.known.filter((r) => r.pattern.test(path)).map((r) => r.method))];
  }
}
