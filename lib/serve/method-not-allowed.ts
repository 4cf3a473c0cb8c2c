// A known path asked with a method it lacks is a 405 listing the path's methods (Allow); an unknown
// path is a 404. (A method Node itself does not know is answered in client-error.ts.)
import type { FastifyReply, FastifyRequest } from "fastify";
import { RequestError } from "./errors.js";

/**
 * The onRequest check that answers the 405 before the body is read: a QUERY or PUT must not first
 * be refused for its content type or a missing body.
 */
export function methodNotAllowedCheck(allowedMethods: (path: string) => string[]) {
  return (req: FastifyRequest): RequestError | undefined => {
    if (!req.is404) return undefined;
    const path = req.url.split("?")[0];
    const allowed = allowedMethods(path);
    return allowed.length ? new RequestError(405, `${req.method} is not allowed on ${path}; use ${allowed.join(" or ")}.`, undefined, { allow: allowed.join(", ") }) : undefined;
  };
}

/**
 * The not-found handler: 404. (A known path with another method never gets here: the onRequest
 * check above runs for unmatched requests too and answers 405 first.)
 */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({ error: `No route ${req.method} ${req.url.split("?")[0]}.` });
}
