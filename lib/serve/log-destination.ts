// Where the server's JSON log lines go: stdout, in batches. pino's default stdout destination
// makes one write(2) per line; under load that syscall (and the wake-up of whoever reads the pipe)
// cost more than the rest of a request's HTTP path (issue 14). Here the lines of one turn of the
// event loop are joined and written together by a setImmediate: one write per turn, however many
// requests the turn answered, and an idle server's line still goes out at once (no timer).
// (Handing each line to libuv's thread pool instead — pino's `sync: false` — measured no better:
// a thread-pool round trip per line.) A reader that stops reading never stalls the server: the
// lines wait in memory (see BatchedWriter). Nothing is lost at the end: the server's close writes
// what is pending, and so does the process's exit.
import { writeSync } from "node:fs";
import type { FastifyServerOptions } from "fastify";

type LoggerOption = FastifyServerOptions["logger"];

export interface LogDestination {
  /** fastify's logger option, with the batched stdout destination where it had none. */
  logger: LoggerOption;
  /** On the server's close: writes the pending lines, and from then on each line at once. */
  close(): void;
}

/** `logger` as given (false, true, or pino options); a `stream` or `file` of the caller's is kept. */
export function logDestination(logger: LoggerOption | undefined, fd = 1): LogDestination {
  if (!logger) return { logger: false, close: () => undefined };
  const options = logger === true ? {} : logger;
  if ("stream" in options || "file" in options) return { logger, close: () => undefined };
  const stream = new BatchedWriter(fd);
  return { logger: { ...options, stream }, close: () => stream.unbatch() };
}

/**
 * Lines joined until the end of the event loop's turn, then written with one write. A reader that
 * stops reading (a full pipe: EAGAIN) never stalls the server: what is left waits in memory and is
 * tried again a few ms later, as pino's asynchronous destination would. Only the exit hook and a
 * closed server's lines wait for the reader.
 */
export class BatchedWriter {
  private pending = "";
  /** Bytes a full pipe left unwritten, written before `pending`. */
  private carry: Buffer | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private batching = true;
  private readonly flushNow = () => this.flush();
  private readonly flushAtExit = () => this.flushSync();

  constructor(private readonly fd: number) {
    // Lines written in the last turn before an exit (process.exit included) are written too.
    process.once("exit", this.flushAtExit);
  }

  write(line: string): void {
    if (this.closed) return;
    this.pending += line;
    if (this.batching) this.scheduled ??= setImmediate(this.flushNow);
    else this.flush();
  }

  /** Writes what is pending now (pino's flush; `done`, if given, is called after). */
  flush(done?: (error?: Error) => void): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    if (this.retry) clearTimeout(this.retry);
    this.scheduled = this.retry = undefined;
    let data = this.carry;
    if (this.pending) data = data ? Buffer.concat([data, Buffer.from(this.pending)]) : Buffer.from(this.pending);
    this.pending = "";
    this.carry = undefined;
    while (data && data.length > 0 && !this.closed) {
      try {
        data = data.subarray(writeSync(this.fd, data));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" && this.batching) {
          // A full pipe: keep the rest and try again shortly, without blocking the event loop.
          this.carry = data;
          this.retry = setTimeout(this.flushNow, 5).unref();
          break;
        }
        // At exit or after close: wait for the reader, as pino's synchronous destination does.
        if (code === "EAGAIN") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        // EPIPE and the like: stdout is gone, nothing more can be written.
        else this.close();
      }
    }
    done?.();
  }

  /** pino calls it before an exit on a fatal error. */
  flushSync(): void {
    const batching = this.batching;
    this.batching = false;
    this.flush();
    this.batching = batching;
  }

  /**
   * Writes what is pending and from then on each line at once (a closed server's few last lines),
   * without the exit hook: a process that makes many servers must not pile up exit listeners.
   */
  unbatch(): void {
    this.batching = false;
    this.flush();
    process.off("exit", this.flushAtExit);
  }

  /** Stops writing (stdout is gone) and forgets the exit hook. */
  close(): void {
    this.closed = true;
    this.pending = "";
    this.carry = undefined;
    if (this.retry) clearTimeout(this.retry);
    process.off("exit", this.flushAtExit);
  }
}
