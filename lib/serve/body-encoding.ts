// Request bodies that clients compress (Content-Encoding: gzip, deflate, br) are decompressed as a
// stream before parsing, with the body limit applied to the decompressed bytes (a small
// compressed bomb gets 413, not the server's memory); any other encoding is refused with 415.
// JSON must be UTF-8 (RFC 8259): another declared charset is refused rather than misread.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { RequestError } from "./errors.js";

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  "x-gzip": createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * fastify's preParsing hook: hands on the stream to parse. A callback, not an async function: this
 * runs for every request, and an async hook costs a promise and a microtask turn each.
 */
export function decodeRequestBody(req: FastifyRequest, _reply: FastifyReply, payload: Readable, done: (err: Error | null, body?: Readable) => void): void {
  let body: Readable;
  try {
    body = bodyStream(req, payload);
  } catch (e) {
    return done(e as Error);
  }
  done(null, body);
}

/** The stream to parse: the payload, or its decompression; throws RequestError 415 for what cannot be read. */
function bodyStream(req: FastifyRequest, payload: Readable): Readable {
  const type = req.headers["content-type"];
  const header = req.headers["content-encoding"];
  // The common case, answered without the regular expressions below.
  if (header === undefined && (type === "application/json" || type === undefined)) return payload;
  const charset = typeof type === "string" ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1] : undefined;
  if (charset && !/^utf-?8$/i.test(charset) && /json/i.test(type!)) {
    throw new RequestError(415, `JSON bodies must be UTF-8, not charset ${charset}: send Content-Type: application/json (or charset=utf-8).`);
  }
  if (header === undefined) return payload;
  const encoding = String(header).trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return payload;
  const decoder = DECODERS[encoding];
  if (!decoder) throw new RequestError(415, `Content-Encoding ${JSON.stringify(header)} is not supported: send the body as it is, or compressed with gzip, deflate or br.`);
  const stream = decoder();
  let received = 0;
  payload.on("data", (chunk: Buffer) => (received += chunk.length));
  // fastify compares the bytes received with Content-Length: those are the compressed ones.
  const out = payload.pipe(stream) as unknown as Readable & { receivedEncodedLength?: number };
  Object.defineProperty(out, "receivedEncodedLength", { get: () => received });
  payload.on("error", (e) => out.destroy(e));
  // Runs before fastify's own listener: the error it answers is then a 400 that says what is wrong.
  stream.on("error", (e: Error & { statusCode?: number }) => {
    e.statusCode = 400;
    e.message = `The body is not valid ${encoding} data (${e.message}); compress it with ${encoding}, or drop the Content-Encoding header.`;
  });
  return out;
}
