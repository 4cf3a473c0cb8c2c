// How the scoring server answers an error: a caller's mistake with its status and a message that
// says what to send instead, the server's own failure with a 500 that names the request id.
import type { FastifyReply, FastifyRequest } from "fastify";
import { RequestError, ServeError } from "./errors.js";

/** fastify's messages for its own 4xx, said so that a client knows what to send instead. */
function fastifyErrorMessage(err: Error & { code?: string }, req: FastifyRequest, bodyLimit: number): string {
  const type = req.headers["content-type"];
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return `Content-Type ${type ? JSON.stringify(type) : "(none)"} is not accepted here: send application/json${req.url.startsWith("/score") ? " (or, for an image model, image/png or image/jpeg)" : ""}.`;
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `The body is larger than this server's limit of ${bodyLimit} bytes: send fewer rows per request, or start the server with a larger --body-limit.`;
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "The body is empty: send a JSON object.";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case undefined:
    default:
      return err.message;
  }
}

/** The app's error handler; `bodyLimit` is named in a 413's message. */
export function scoringErrorHandler(bodyLimit: number) {
  return (err: Error & { statusCode?: number; code?: string }, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof RequestError) {
      if (err.retryAfterS !== undefined) reply.header("retry-after", String(err.retryAfterS));
      if (err.headers) reply.headers(err.headers);
      return reply.code(err.statusCode).send({ error: err.message });
    }
    if (err instanceof ServeError) {
      // The server's own failure on a valid request (NON_FINITE_PREDICTION): said, not hidden.
      req.log.error({ err }, "scoring failed");
      return reply.code(500).send({ error: `${err.message}${err.hint ? ` ${err.hint}` : ""} (request id ${req.id})`, code: err.code });
    }
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      // fastify's own 4xx: unparsable JSON, body too large, unsupported content type.
      return reply.code(status).send({ error: fastifyErrorMessage(err, req, bodyLimit) });
    }
    req.log.error({ err }, "scoring failed");
    return reply.code(500).send({ error: `Internal error while handling the request; the server log has the details (request id ${req.id}).` });
  };
}
