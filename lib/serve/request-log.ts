// What the server records of each answered request, once its response is finished: the request
// metrics (count by method, route, status; latency by method, route) and ONE JSON log line.
// fastify's LogController is where it says "this request is done": taking it over replaces both
// fastify's two lines per request ("incoming request" + "request completed") and an onResponse
// hook — each a step fastify pays per request (issue 14: the HTTP path's overhead).
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import { SCORING_ROUTES } from "./lifecycle.js";
import type { ServerMetrics } from "./metrics.js";

interface Labels {
  request: { method: string; route: string; status: string };
  latency: { method: string; route: string };
  scoring: boolean;
}

export class RequestCompletion extends LogController {
  private readonly metrics: ServerMetrics;
  private readonly modelName: () => string | undefined;
  // The label objects of each (method, route, status) seen, made once rather than per request.
  private readonly labels = new Map<string, Labels>();
  /** The app's (root) logger, set once the app exists: the completion line names the request id itself. */
  root?: FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

  constructor(metrics: ServerMetrics, modelName: () => string | undefined) {
    super();
    this.metrics = metrics;
    this.modelName = modelName;
  }

  /** The onResponse hook that counts the answers of a server without a logger (see requestCompleted). */
  readonly countHook = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    this.count(request, reply);
    done();
  };

  private count(request: FastifyRequest, reply: FastifyReply): Labels {
    const route = request.is404 ? "unmatched" : (request.routeOptions.url ?? "unmatched");
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let l = this.labels.get(key);
    if (!l) this.labels.set(key, (l = { request: { method: request.method, route, status: String(status) }, latency: { method: request.method, route }, scoring: SCORING_ROUTES.has(route) }));
    this.metrics.requests.inc(l.request);
    this.metrics.latency.observe(l.latency, reply.elapsedTime / 1000);
    return l;
  }

  /** No line when a request arrives: the one line at its end says all (see requestCompleted). */
  override incomingRequest(): void {}

  /**
   * Counts the answer, and logs it at info (at error when the response failed): reqId, req
   * (method, url, host, remoteAddress, remotePort), res.statusCode, responseTime (ms) and, on the
   * scoring routes, the model's name.
   */
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Without a logger fastify calls this only when there is an onResponse hook: countHook then counts.
    const log = this.root;
    if (!log) return;
    const l = this.count(request, reply);
    const responseTime = reply.elapsedTime;
    if (this.isLogDisabled(request)) return;
    // Through the root logger with the id in the line, not through request.log: that logger is
    // then never made for most requests (LazyRequestLogger). The line reads the same.
    const reqId = this.requestIdLogLabel;
    if (error) log.error({ [reqId]: request.id, req: request, res: reply, err: error, responseTime }, "request errored");
    // (pino has isLevelEnabled; a logger without one writes no request lines.)
    else if (log.isLevelEnabled?.("info")) log.info({ [reqId]: request.id, req: request, res: reply, responseTime, model: l.scoring ? this.modelName() : undefined }, "request completed");
  }
}

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildOptions = Parameters<FastifyBaseLogger["child"]>[1];

/**
 * A request's logger (`request.log`), made only when something logs through it: pino's child per
 * request (its bindings: the request id) costs about a microsecond, and most requests write no
 * line but their completion line, which goes through the root logger. fastify's childLoggerFactory.
 */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}

class LazyRequestLogger {
  #made?: FastifyBaseLogger;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #logger(): FastifyBaseLogger {
    return (this.#made ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level() {
    return this.#logger.level;
  }
  set level(level: string) {
    this.#logger.level = level;
  }
  // pino's methods take overloaded arguments: passed on as they are. (Methods, not arrow fields:
  // nothing is allocated per request but this object.)
  fatal(...a: unknown[]): void {
    this.#call("fatal", a);
  }
  error(...a: unknown[]): void {
    this.#call("error", a);
  }
  warn(...a: unknown[]): void {
    this.#call("warn", a);
  }
  info(...a: unknown[]): void {
    this.#call("info", a);
  }
  debug(...a: unknown[]): void {
    this.#call("debug", a);
  }
  trace(...a: unknown[]): void {
    this.#call("trace", a);
  }
  silent(...a: unknown[]): void {
    this.#call("silent", a);
  }
  #call(method: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent", a: unknown[]): void {
    const logger = this.#logger;
    (logger[method] as (...x: unknown[]) => void).apply(logger, a);
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options);
  }
  isLevelEnabled(level: string): boolean {
    return (this.#logger as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.(level) ?? false;
  }
}
