// The scoring server's API key: every route but the health checks needs it, as
// `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in constant time.
import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { RequestError } from "./errors.js";

/** The routes a probe reaches without a key. */
const PUBLIC_PATHS = new Set(["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"]);

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The onRequest check that refuses a request without the key with 401 (WWW-Authenticate: Bearer). */
export function apiKeyCheck(apiKey: string) {
  return (req: FastifyRequest, reply: FastifyReply): RequestError | undefined => {
    const path = req.url.split("?")[0];
    if (PUBLIC_PATHS.has(path)) return undefined;
    const auth = req.headers.authorization;
    const given = typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : req.headers["x-api-key"];
    if (typeof given !== "string" || !sameKey(given, apiKey)) {
      reply.header("www-authenticate", "Bearer");
      return new RequestError(401, "Missing or wrong API key: send Authorization: Bearer <key> or x-api-key: <key>.");
    }
    return undefined;
  };
}
