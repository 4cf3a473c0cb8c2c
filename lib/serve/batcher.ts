// Dynamic micro-batching: requests that arrive within maxWaitMs share one ONNX Runtime run.
import { RequestError } from "./errors.js";

export interface BatcherOptions {
  /** Rows per run at most (a single larger request runs alone). */
  maxBatch: number;
  /** How long the oldest waiting request may wait for others before a run starts. */
  maxWaitMs: number;
  /** Rows that may wait; beyond this a request is refused with 503 rather than queued. */
  maxQueue: number;
  /** Values per row. */
  rowSize: number;
  run(data: Float32Array, rows: number): Promise<{ data: Float32Array; width: number }>;
  onRun?(rows: number, requests: number): void;
  onQueue?(rows: number): void;
}

interface Pending {
  data: Float32Array;
  rows: number;
  since: number;
  resolve(v: { data: Float32Array; width: number }): void;
  reject(e: unknown): void;
}

export interface BatcherStats {
  runs: number;
  rows: number;
  requests: number;
  rejected: number;
  largestBatch: number;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: BatcherStats = { runs: 0, rows: 0, requests: 0, rejected: 0, largestBatch: 0 };

  constructor(private readonly o: BatcherOptions) {}

  get depth(): number {
    return this.queuedRows;
  }

  /** True when not one more row fits: a request can be refused before its body is read. */
  get full(): boolean {
    return this.queuedRows >= this.o.maxQueue;
  }

  /** The 503 of a full queue (counted as a rejection), for a request refused before it is parsed. */
  busy(): RequestError {
    this.stats.rejected++;
    // One run's worth of waiting, rounded up to whole seconds as Retry-After needs.
    return new RequestError(503, `The server is busy: ${this.queuedRows} rows are waiting (limit ${this.o.maxQueue}). Retry shortly.`, 1);
  }

  /** Queues rows; resolves with this request's slice of the output. Throws 503 when full. */
  submit(data: Float32Array, rows: number): Promise<{ data: Float32Array; width: number }> {
    if (this.queuedRows + rows > this.o.maxQueue) throw this.busy();
    return new Promise((resolve, reject) => {
      this.queue.push({ data, rows, since: Date.now(), resolve, reject });
      this.queuedRows += rows;
      this.o.onQueue?.(this.queuedRows);
      this.schedule();
    });
  }

  /** Runs what is queued without waiting for more, and resolves when nothing is left. */
  drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      this.idleWaiters.splice(0).forEach((f) => f());
      return;
    }
    const wait = this.queue[0].since + this.o.maxWaitMs - Date.now();
    if (this.draining || this.queuedRows >= this.o.maxBatch) {
      this.cancelWaits();
      void this.flush();
    } else if (wait <= 0) {
      // Run at the end of this turn of the event loop, not at once: the requests whose bytes
      // arrived in the same turn are parsed by then and share the run (with maxWaitMs 0 that is
      // the only batching, and it costs a request no waiting).
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        if (!this.running && this.queue.length) void this.flush();
      });
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  private cancelWaits(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private async flush(): Promise<void> {
    this.cancelWaits();
    this.running = true;
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length && (batch.length === 0 || rows + this.queue[0].rows <= this.o.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.rows;
    }
    this.queuedRows -= rows;
    this.o.onQueue?.(this.queuedRows);
    try {
      const input = batch.length === 1 ? batch[0].data : new Float32Array(rows * this.o.rowSize);
      if (batch.length > 1) {
        let o = 0;
        for (const p of batch) {
          input.set(p.data, o);
          o += p.data.length;
        }
      }
      this.stats.runs++;
      this.stats.rows += rows;
      this.stats.requests += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, rows);
      this.o.onRun?.(rows, batch.length);
      const out = await this.o.run(input, rows);
      let r = 0;
      for (const p of batch) {
        p.resolve({ data: out.data.slice(r * out.width, (r + p.rows) * out.width), width: out.width });
        r += p.rows;
      }
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
