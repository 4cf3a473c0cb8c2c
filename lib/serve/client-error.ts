// What Node's HTTP parser refuses before fastify sees a request, answered on the raw socket.
import type { Socket } from "node:net";

/**
 * Answers what Node's HTTP parser refuses before fastify sees a request (fastify's default does
 * too, with messages of its own): a method Node does not know (`BREW /score`) is a 405 with the
 * path's Allow header when the path exists, as a known method would get; a request not sent in
 * time is a 408; oversized headers a 431; anything else a 400. Then the connection is closed.
 */
export function clientErrorHandler(allowedMethods: (path: string) => string[], requestTimeoutMs: number) {
  return (err: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    let status = 400;
    let error = "Malformed HTTP request: send HTTP/1.1 with a valid request line, headers and Content-Length or chunked body.";
    const headers: string[] = [];
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      status = 408;
      error = `The request (headers and body) was not sent within ${requestTimeoutMs} ms: send it faster, or in smaller requests.`;
    } else if (err.code === "HPE_HEADER_OVERFLOW") {
      status = 431;
      error = "The request's headers are larger than this server takes: send fewer or shorter headers.";
    } else if (err.code === "HPE_INVALID_METHOD") {
      const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : Buffer.alloc(0);
      const line = raw.subarray(0, 4096).toString("latin1").split("\r\n", 1)[0];
      const [method = "", target = ""] = line.split(" ");
      const path = target.split("?")[0];
      const allowed = allowedMethods(path);
      const shown = JSON.stringify(method.slice(0, 24));
      if (allowed.length) {
        status = 405;
        headers.push(`Allow: ${allowed.join(", ")}`);
        error = `${shown} is not a method of ${path}; use ${allowed.join(" or ")}.`;
      } else {
        error = `${shown} is not an HTTP method this server knows: use GET or POST.`;
      }
    }
    if (socket.writable) {
      const body = JSON.stringify({ error });
      const head = [`HTTP/1.1 ${status} ${STATUS_TEXT[status]}`, ...headers, "Content-Type: application/json; charset=utf-8", `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close"];
      socket.write(`${head.join("\r\n")}\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 405: "Method Not Allowed", 408: "Request Timeout", 431: "Request Header Fields Too Large" };
